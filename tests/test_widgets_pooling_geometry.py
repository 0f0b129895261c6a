"""Tests of the pooling explorer's geometry and values: sizes and values come from PyTorch's pooling."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course.widgets.pooling_geometry import notes_text, pool_geometry, pytorch_values, window_sums

KINDS = ("max", "avg")


def torch_shape(kind, size, kernel, stride, padding, ceil_mode):
    """The (H_out, W_out) a real layer gives for a (1, 1, size, size) input, or None if it refuses."""
    layer = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(kernel, stride, padding, ceil_mode=ceil_mode)
    try:
        return tuple(layer(torch.zeros(1, 1, size, size)).shape[2:])
    except RuntimeError:
        return None


def torch_pool(kind, x, kernel, stride, padding, ceil_mode):
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    return pool(x.view(1, 1, *x.shape), kernel, stride, padding, ceil_mode=ceil_mode)[0, 0]


GRID = list(itertools.product(KINDS, (1, 2, 3, 5, 7, 8, 11, 16), range(1, 6), range(1, 5), range(4),
                              (False, True)))


def test_geometry_output_shape_matches_pytorch_on_a_grid():
    """Check that the geometry's output shape (floor, ceil, refusals) is a real layer's, 2,560 settings."""
    for kind, size, kernel, stride, padding, ceil_mode in GRID:
        g = pool_geometry(kind, size, kernel, stride, padding, ceil_mode)
        expected = torch_shape(kind, size, kernel, stride, padding, ceil_mode)
        assert g.valid == (expected is not None), (kind, size, kernel, stride, padding, ceil_mode)
        if expected is not None:
            assert g.out_shape == expected, (kind, size, kernel, stride, padding, ceil_mode)
            assert g.size_label() == f"output size: {expected[0]} × {expected[1]}"
        else:
            assert g.size_label() == "output size: none"


def test_floor_and_ceil_sizes_are_pytorchs_one_dimensional_lengths():
    """Check that floor_size and ceil_size are F.max_pool1d's lengths, 0 where it refuses."""
    for kind, size, kernel, stride, padding in itertools.product(KINDS, (1, 4, 7), (1, 2, 3, 5), (1, 2, 3),
                                                                 (0, 1, 2)):
        g = pool_geometry(kind, size, kernel, stride, padding)
        for mode, got in ((False, g.floor_size), (True, g.ceil_size)):
            try:
                out = F.max_pool1d(torch.zeros(1, 1, size), kernel, stride, padding, ceil_mode=mode)
                length = out.shape[-1]
            except RuntimeError:
                length = 0
            assert got == length, (kind, size, kernel, stride, padding, mode)


def test_values_agree_with_pytorch_including_padding_and_ceil_mode():
    """Check that the values equal F.max_pool2d/F.avg_pool2d and the named layer, for negatives too."""
    gen = torch.Generator().manual_seed(7)
    for kind, size, kernel, stride, padding, ceil_mode in itertools.product(
            KINDS, (1, 3, 5, 6, 9), range(1, 5), range(1, 4), range(3), (False, True)):
        g = pool_geometry(kind, size, kernel, stride, padding, ceil_mode)
        if not g.valid:
            continue
        x = torch.randn(size, size, generator=gen) - 2.0     # mostly negative: −∞ padding matters
        expected = torch_pool(kind, x, kernel, stride, padding, ceil_mode)
        settings = str((kind, size, kernel, stride, padding, ceil_mode))
        np.testing.assert_allclose(pytorch_values(g, x.numpy()), expected.numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=settings)
        layer = eval(g.layer_code(), {"nn": nn})
        from_layer = layer(x.view(1, 1, size, size))[0, 0].numpy()
        np.testing.assert_allclose(pytorch_values(g, x.numpy()), from_layer, rtol=1e-5, atol=1e-5,
                                   err_msg=settings)


def test_avg_pooling_with_ceil_mode_divides_by_the_cells_inside_the_padded_input():
    """Check that a ceil_mode window over the edge is averaged over its cells inside, as PyTorch does."""
    x = torch.arange(1.0, 26.0).view(5, 5)
    g = pool_geometry("avg", 5, 2, 2, 0, True)
    mine = pytorch_values(g, x.numpy())
    expected = F.avg_pool2d(x.view(1, 1, 5, 5), 2, ceil_mode=True)[0, 0].numpy()
    np.testing.assert_allclose(mine, expected)
    assert mine[2, 2] == 25.0                              # one cell inside: divided by 1, not by 4
    assert mine[0, 2] == (5.0 + 10.0) / 2
    sums = window_sums(g, x.numpy())
    assert sums[2, 2] == 25.0 and sums[0, 2] == 15.0 and sums[0, 0] == 1.0 + 2.0 + 6.0 + 7.0
    # With padding the zeros inside the padded input count, the cells past it do not.
    ones = np.ones((6, 6))
    g = pool_geometry("avg", 6, 3, 2, 1, True)
    mine = pytorch_values(g, ones)
    expected = F.avg_pool2d(torch.ones(1, 1, 6, 6), 3, 2, 1, ceil_mode=True)[0, 0].numpy()
    np.testing.assert_allclose(mine, expected, rtol=1e-6)
    assert mine[0, 3] == pytest.approx(2 / 6)             # 3 × 2 cells inside, 2 of them real
    assert mine[3, 3] == pytest.approx(1 / 4)


@pytest.mark.parametrize("settings", [(5, 2, 2, 0, True), (6, 3, 2, 1, True), (7, 3, 2, 1, False),
                                      (9, 4, 3, 2, True)])
def test_window_sums_are_the_means_times_the_cells_each_window_reads(settings):
    """Check that sum / cells inside the padded input gives PyTorch's mean for every window."""
    size, kernel, stride, padding, ceil_mode = settings
    g = pool_geometry("avg", size, kernel, stride, padding, ceil_mode)
    x = torch.randn(size, size, generator=torch.Generator().manual_seed(3), dtype=torch.float64).numpy()
    sums, means = window_sums(g, x), pytorch_values(g, x)
    for r, c in itertools.product(range(g.kept), repeat=2):
        cells = len(g.inside(r)) * len(g.inside(c))
        assert sums[r, c] / cells == pytest.approx(means[r, c]), (r, c)


def test_notes_without_any_window_say_so():
    """Check that settings with no window at all, whatever ceil_mode, get a plain note instead of a rule."""
    g = pool_geometry("max", 2, 5, 2, 0, False)
    assert g.floor_size == g.ceil_size == 0 and g.candidates == 0
    assert "No window fits, whether ceil_mode is True or False." in notes_text(g)
    assert "would add window" not in notes_text(g)
