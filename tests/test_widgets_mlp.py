"""Headless tests of the MLP explorer: its pictures come from a real PyTorch model."""

import io

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from course.widgets import mlp_explorer
from course.widgets.mlp import (
    CELL,
    GRID,
    STEPS_PER_FRAME,
    MlpTrainer,
    boundary_pixels,
    grid_points,
    make_model,
    make_points,
    probability_grid,
)


def test_make_points_xor_labels_follow_the_corners():
    x, y = make_points("xor", seed=1)
    assert x.shape == (40, 2) and x.dtype == torch.float32
    expected = (x.round()[:, 0] != x.round()[:, 1]).float()
    assert torch.equal(y, expected)


def test_make_model_is_the_requested_sequential_and_leaves_the_global_generator_alone():
    state = torch.random.get_rng_state()
    model = make_model("gelu", 7, seed=3)
    assert torch.equal(state, torch.random.get_rng_state())
    assert isinstance(model[0], nn.Linear) and model[0].out_features == 7
    assert isinstance(model[1], nn.GELU) and model[2].in_features == 7
    again = make_model("gelu", 7, seed=3)
    assert torch.equal(model[0].weight, again[0].weight)
    with pytest.raises(ValueError):
        make_model("softmax", 3)


def test_probability_grid_is_the_models_sigmoid_output():
    model = make_model("tanh", 5, seed=0)
    prob = probability_grid(model, "moons")
    with torch.no_grad():
        expected = torch.sigmoid(model(grid_points("moons"))).reshape(GRID, GRID)
    torch.testing.assert_close(prob, expected)
    top_left = grid_points("moons")[0]
    assert top_left[0] < 0 and top_left[1] > 1      # row 0 is the top of the picture


def test_trainer_matches_a_plain_adam_loop_and_goes_back():
    trainer = MlpTrainer("xor", "relu", 4, seed=2)
    model = make_model("relu", 4, seed=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    x, y = make_points("xor", 2)
    for _ in range(3 * STEPS_PER_FRAME):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x).reshape(-1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    trainer.go_to(3)
    torch.testing.assert_close(trainer.model[0].weight, model[0].weight)
    trainer.go_to(1)
    first = trainer.model[0].weight.clone()
    trainer.go_to(3)
    torch.testing.assert_close(trainer.model[0].weight, model[0].weight)
    trainer.go_to(1)
    assert torch.equal(trainer.model[0].weight, first)


def test_boundary_pixels_colour_each_side_and_mark_the_boundary():
    prob = torch.zeros(GRID, GRID)
    prob[:, GRID // 2:] = 1.0
    pixels = boundary_pixels(prob, torch.empty(0, 2), torch.empty(0), "xor")
    assert pixels.shape == (GRID * CELL, GRID * CELL, 3)
    assert pixels[0, 0, 0] > pixels[0, 0, 2]             # left: class 0, red
    assert pixels[0, -1, 2] > pixels[0, -1, 0]           # right: class 1, blue
    assert (pixels[:, (GRID // 2 - 1) * CELL + 1] == 0).all()   # the boundary column is black


def test_explorer_trains_when_played_and_restarts_on_a_new_setting():
    explorer = mlp_explorer("xor", "tanh", 4)
    assert "step 0" in explorer.message
    explorer.step.value = 40
    assert "step 400" in explorer.message and "accuracy 100%" in explorer.message
    width, height = Image.open(io.BytesIO(explorer.image.value)).size
    assert (explorer.image.layout.width, explorer.image.layout.height) == (f"{width}px", f"{height}px")
    torch.testing.assert_close(explorer.prob, probability_grid(explorer.trainer.model, "xor"))
    explorer.activation.value = "identity"
    assert explorer.step.value == 0 and "Identity()" in explorer.message
    explorer.step.value = 40
    assert "accuracy 100%" not in explorer.message          # a linear model cannot do XOR
    explorer.dataset.value = "moons"
    assert "on 100 points" in explorer.message
    assert np.asarray(Image.open(io.BytesIO(explorer.image.value))).shape == (GRID * CELL, GRID * CELL, 3)
    explorer.close()


def test_explorer_refuses_bad_arguments():
    with pytest.raises(ValueError):
        mlp_explorer(hidden=0)
    with pytest.raises(ValueError):
        mlp_explorer(dataset="circles")
