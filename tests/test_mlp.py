"""Tests of course.mlp, the helpers of 08_activations_mlp."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from course.mlp import XOR_X, XOR_Y, accuracy, draw_boundary, fit, probability_grid  # noqa: E402


def test_fit_learns_xor_with_a_hidden_layer():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    losses = fit(model, XOR_X, XOR_Y, steps=300, lr=0.05)
    assert len(losses) == 300 and losses[-1] < losses[0]
    assert accuracy(model, XOR_X, XOR_Y) == 1.0


def test_probability_grid_matches_the_model_at_its_corners():
    model = nn.Linear(2, 1)
    grid = probability_grid(model, (-1, 2), (0, 3), n=5)
    assert grid.shape == (5, 5)
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.tensor([[2.0, 0.0], [-1.0, 3.0]]))).reshape(-1)
    torch.testing.assert_close(grid[0, -1], expected[0])
    torch.testing.assert_close(grid[-1, 0], expected[1])


def test_draw_boundary_draws_points_and_keeps_limits():
    fig, ax = plt.subplots()
    draw_boundary(ax, nn.Linear(2, 1), XOR_X, XOR_Y, title="t", n=20)
    assert ax.get_title() == "t" and len(ax.collections) >= 1
    plt.close(fig)


def test_draw_boundary_draws_no_line_when_the_model_says_one_half_everywhere():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.fill_(1e-7)
    fig, ax = plt.subplots()
    draw_boundary(ax, model, XOR_X, XOR_Y, n=20)
    assert len(ax.collections) == 1          # the points only, no contour
    plt.close(fig)
