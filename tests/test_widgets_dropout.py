"""Tests of the dropout explorer: what it draws against real PyTorch, headless."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course.widgets import dropout_explorer
from course.widgets.dropout import (
    DRAWS,
    dropout_draw,
    mask_colours,
    sample_input,
    sample_means,
    value_colours,
)

DROPPED_RED = mask_colours(np.array([False]))[0]
KEPT_WHITE = mask_colours(np.array([True]))[0]


def _standard_error(x: torch.Tensor, p: float, samples: int) -> float:
    """Standard deviation of the mean of ``samples`` dropout outputs' means, from the variance p/(1-p)·x²."""
    variance_of_one_mean = (x.double() ** 2).sum().item() * p / (1 - p) / x.numel() ** 2
    return math.sqrt(variance_of_one_mean / samples)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.85])
def test_mask_drawn_is_where_the_output_is_not_zero(p):
    """Check that the mask grid shows kept exactly where the output is non-zero."""
    explorer = dropout_explorer(p=p, size=12)
    for _ in range(3):
        kept = (explorer.output != 0).numpy()
        assert np.array_equal(explorer.mask, kept)
        assert np.allclose(explorer.mask_cells[kept], KEPT_WHITE)
        assert np.allclose(explorer.mask_cells[~kept], DROPPED_RED)
        assert f"{int(kept.sum())} kept" in explorer.captions[1].value
        explorer.resample.click()


@pytest.mark.parametrize("p", [0.2, 0.5, 0.75, 0.95])
def test_survivors_are_the_input_divided_by_one_minus_p(p):
    """Check that kept values equal input / (1 - p) and dropped ones are exactly 0."""
    explorer = dropout_explorer(p=p)
    x, out, kept = explorer.input, explorer.output, torch.from_numpy(explorer.mask)
    assert 0 < kept.sum() < kept.numel()
    torch.testing.assert_close(out[kept], x[kept] / (1 - p))
    assert torch.equal(out[~kept], torch.zeros_like(out[~kept]))
    assert f"kept × {1 / (1 - p):.3g}" in explorer.captions[2].value


def test_draw_is_a_real_nn_dropout_and_leaves_the_global_generator_alone():
    """Check that dropout_draw is nn.Dropout run after manual_seed(seed), and keeps the global RNG."""
    x = sample_input(10)
    state = torch.random.get_rng_state()
    mine = dropout_draw(x, 0.4, True, seed=123)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(123)
    assert torch.equal(mine, nn.Dropout(0.4)(x))


def test_the_input_is_positive_so_zero_means_dropped():
    """Check that the input picture has no zeros, so output != 0 identifies the kept values."""
    for size in (1, 10, 32):
        x = sample_input(size)
        assert x.shape == (size, size)
        assert x.min() > 0


def test_eval_mode_is_the_identity():
    """Check that eval mode shows output == input, keeps every value and says so."""
    explorer = dropout_explorer(p=0.7, training=False)
    assert torch.equal(explorer.output, explorer.input)
    assert explorer.mask.all()
    assert np.allclose(explorer.output_cells, explorer.input_cells)
    assert explorer.resample.disabled
    assert "Eval mode" in explorer.message and "equals the input" in explorer.message
    assert torch.allclose(explorer.means, explorer.input.mean().expand(DRAWS))
    explorer.mode.value = True
    assert not explorer.resample.disabled
    assert not explorer.mask.all()


def test_p_zero_keeps_everything():
    """Check that p = 0 keeps every value unchanged."""
    explorer = dropout_explorer(p=0.0)
    assert torch.equal(explorer.output, explorer.input)
    assert explorer.mask.all()
    assert "drops nothing" in explorer.message


def test_p_one_drops_everything_and_says_the_mean_is_lost():
    """Check that p = 1 gives all zeros, as nn.Dropout(1) does, and the status says the mean is not kept."""
    explorer = dropout_explorer(p=0.5)
    explorer.p.value = 1.0
    assert torch.equal(explorer.output, nn.Dropout(1.0)(explorer.input))
    assert not explorer.mask.any()
    assert np.allclose(explorer.mask_cells, DROPPED_RED)
    assert "NOT kept" in explorer.message
    assert torch.equal(explorer.means, torch.zeros(DRAWS))


def test_resample_draws_a_new_mask_and_grows_the_running_average():
    """Check that resample changes the mask (p = 0.5, 100 values) and counts the draws."""
    explorer = dropout_explorer(p=0.5, size=10)
    masks = [explorer.mask.copy()]
    for draws in range(2, 6):
        explorer.resample.click()
        assert explorer.draws == draws
        assert not np.array_equal(explorer.mask, masks[-1])
        masks.append(explorer.mask.copy())
    assert f"average of {explorer.draws} outputs" in explorer.captions[3].value
    explorer.p.value = 0.3
    assert explorer.draws == 1            # new settings: the running average starts again


def test_the_same_seed_gives_the_same_pictures():
    """Check that two explorers with one seed draw the same masks, and a different seed differs."""
    a, b, c = dropout_explorer(seed=7), dropout_explorer(seed=7), dropout_explorer(seed=8)
    for _ in range(3):
        assert np.array_equal(a.mask, b.mask)
        assert torch.equal(a.means, b.means)
        a.resample.click()
        b.resample.click()
    assert not np.array_equal(a.mask, c.mask) or not torch.equal(a.means, c.means)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_the_mean_is_kept_on_average(p):
    """Check that the means of many samples average to the input mean, within 5 standard errors."""
    explorer = dropout_explorer(p=p, size=16)
    x = explorer.input
    tolerance = 5 * _standard_error(x, p, DRAWS)
    assert abs(explorer.means.mean().item() - x.mean().item()) < tolerance
    many = sample_means(x, p, True, seed=99, draws=20000)
    assert abs(many.mean().item() - x.mean().item()) < 5 * _standard_error(x, p, 20000)


def test_the_running_average_keeps_the_mean():
    """Check that the average of 100 resampled outputs has the input's mean, within 5 standard errors."""
    explorer = dropout_explorer(p=0.5, size=16)
    x = explorer.input
    for _ in range(99):
        explorer.resample.click()
    assert explorer.draws == 100
    assert abs(explorer.average.mean().item() - x.mean().item()) < 5 * _standard_error(x, 0.5, 100)
    assert f"{explorer.average.mean().item():.4f}" in explorer.message


def test_histogram_and_lines_show_the_means():
    """Check that the histogram counts every fresh sample and the lines sit at the input and sample means."""
    explorer = dropout_explorer(p=0.5)
    counts, edges, _ = explorer.hist.get_data()
    assert counts.sum() == DRAWS == len(explorer.means)
    assert edges[0] <= explorer.means.min().item() and explorer.means.max().item() <= edges[-1]
    assert explorer.input_mean_line.get_xdata()[0] == pytest.approx(explorer.input.mean().item())
    assert explorer.sample_mean_line.get_xdata()[0] == pytest.approx(explorer.output.mean().item())
    assert bytes(explorer.hist_image.value).startswith(b"\x89PNG")
    assert f"{explorer.input.mean().item():.4f}" in explorer.means_text.value


def test_value_grids_share_one_colour_scale():
    """Check that the grids use the largest possible output as the top of one colour scale."""
    explorer = dropout_explorer(p=0.5)
    top = explorer.input.max().item() / 0.5
    assert np.allclose(explorer.input_cells, value_colours(explorer.input, top))
    assert np.allclose(explorer.output_cells, value_colours(explorer.output, top))
    dropped = ~explorer.mask
    assert np.allclose(explorer.output_cells[dropped], value_colours(torch.zeros(1), top)[0])


def test_size_slider_redraws():
    """Check that changing the input size redraws grids of the new size."""
    explorer = dropout_explorer(size=10)
    explorer.size.value = 20
    assert explorer.input.shape == (20, 20)
    assert explorer.mask.shape == (20, 20) == explorer.output_cells.shape[:2]


@pytest.mark.parametrize("kwargs, words", [
    ({"p": -0.1}, "p must be"), ({"p": 1.5}, "p must be"), ({"p": "half"}, "p must be"),
    ({"size": 0}, "size must be"), ({"size": 2.5}, "size must be"),
    ({"training": "yes"}, "training must be"), ({"seed": 1.5}, "seed must be"),
])
def test_bad_arguments_raise_value_error(kwargs, words):
    """Check that bad arguments raise ValueError with a message naming the argument."""
    with pytest.raises(ValueError, match=words):
        dropout_explorer(**kwargs)
