"""Headless tests of the convolution explorer: set the controls, check what is drawn."""

import io
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from widgethelpers import png_size

from course.widgets import conv, conv_pictures
from course.widgets._raster import blend
from course.widgets.conv import conv_explorer, conv_geometry, named_kernel, sample_input
from course.widgets.conv_pictures import input_colours

SETTINGS = list(itertools.product([1, 2], [1, 4, 7, 9], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2, 4]))


def _set(explorer, **values):
    for name, value in values.items():
        getattr(explorer, name).value = value


def _pytorch_shape(dims, size, kernel_size, stride, padding, dilation):
    layer = (nn.Conv1d if dims == 1 else nn.Conv2d)(1, 1, kernel_size, stride=stride, padding=padding,
                                                    dilation=dilation)
    try:
        return tuple(layer(torch.zeros((1, 1) + (size,) * dims)).shape[2:])
    except RuntimeError:
        return None


def _tap_cells(explorer):
    """The cells drawn in the kernel-tap colour, as (row, column) pairs of the padded input."""
    g = explorer.geometry
    base = input_colours(g)
    tapped = blend(base, np.broadcast_to(np.array(conv_pictures._TAP), base.shape[:2] + (4,)))
    return {tuple(c) for c in np.argwhere(np.all(np.isclose(explorer.input_cells, tapped), axis=-1))}


def _current_output(explorer):
    hits = np.argwhere(np.all(np.isclose(explorer.output_cells, conv_pictures._CURRENT[:3]), axis=-1))
    assert len(hits) == 1, f"expected one highlighted output cell, found {len(hits)}"
    return tuple(int(i) for i in hits[0])


@pytest.fixture(scope="module")
def explorers():
    made = {dims: conv_explorer(dims=dims) for dims in (1, 2)}
    yield made
    for explorer in made.values():
        explorer.close()


def test_output_size_label_matches_a_real_pytorch_layer(explorers):
    """Check that, over a grid of settings, the output-size label equals a real nn.ConvNd's output shape"""
    for dims, size, kernel_size, stride, padding, dilation in SETTINGS:
        explorer = explorers[dims]
        _set(explorer, size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        expected = _pytorch_shape(dims, size, kernel_size, stride, padding, dilation)
        label = explorer.size_text.value
        setting = (dims, size, kernel_size, stride, padding, dilation)
        if expected is None:
            assert "output size: none" in label, setting
            assert "No valid output" in explorer.message and "PyTorch refuses too" in explorer.message
            assert explorer.output_cells.size == 0 and explorer.step.disabled
        else:
            assert f"output size: {' × '.join(map(str, expected))}" in label, setting
            assert explorer.message.startswith("PyTorch agrees"), (setting, explorer.message)
            assert explorer.output_cells.shape[:2] == ((1,) + expected if dims == 1 else expected)


def test_formula_substitutes_the_current_numbers(explorers):
    """Check that the formula shows the settings and ends in the output size (negative room included)"""
    explorer = explorers[2]
    _set(explorer, size=8, kernel_size=3, stride=2, padding=1, dilation=2)
    assert explorer.formula_text.value.endswith("⌊(8 + 2·1 − 2·(3 − 1) − 1) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = 3"
                                                "   (W_out the same)</code>")
    assert "nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, dilation=2)" in explorer.code_text.value
    _set(explorer, size=2, kernel_size=5, padding=0, stride=1, dilation=1)
    assert "= ⌊-3 / 1⌋ + 1 = -2" in explorer.formula_text.value


@pytest.mark.parametrize("dims, size, kernel_size, stride, padding, dilation", [
    (2, 9, 3, 1, 2, 4), (2, 8, 3, 2, 0, 1), (2, 7, 2, 3, 1, 2), (1, 11, 3, 2, 1, 3), (1, 6, 4, 1, 2, 1)])
def test_highlighted_window_is_what_pytorch_reads(dims, size, kernel_size, stride, padding, dilation):
    """Check that at every step the highlighted cells are exactly those the output cell's gradient reaches"""
    explorer = conv_explorer(dims, size, kernel_size, stride, padding, dilation)
    g = explorer.geometry
    padded = torch.zeros((1, 1) + (g.padded_size,) * dims, requires_grad=True)  # (N, C, *spatial)
    out = (F.conv1d if dims == 1 else F.conv2d)(padded, torch.ones((1, 1) + (kernel_size,) * dims),
                                                stride=stride, dilation=dilation)
    for step in range(g.steps):
        explorer.step.value = step
        position = g.output_position(step)
        (read,) = torch.autograd.grad(out[(0, 0) + position], padded, retain_graph=True)
        expected = {(0, int(c[0])) if dims == 1 else tuple(map(int, c)) for c in torch.nonzero(read[0, 0])}
        assert _tap_cells(explorer) == expected, f"step {step}, output {position}"
        assert len(expected) == kernel_size ** dims
    explorer.close()


@pytest.mark.parametrize("dims, settings", [(2, dict(size=7, kernel_size=3, stride=2, padding=1)),
                                            (2, dict(size=9, kernel_size=3, stride=1, padding=2, dilation=4)),
                                            (1, dict(size=12, kernel_size=2, stride=3))])
def test_play_visits_every_output_position_once(dims, settings):
    """Check that playing from the first to the last frame writes each output cell exactly once, in order"""
    explorer = conv_explorer(dims=dims, **settings)
    g = explorer.geometry
    visited, filled = [], []
    for frame in range(explorer.play.min, explorer.play.max + 1):
        explorer.play.value = frame                  # the Play control drives the step slider
        assert explorer.step.value == frame
        visited.append(_current_output(explorer))
        filled.append(int(np.all(np.isclose(explorer.output_cells, conv_pictures._DONE[:3]), axis=-1).sum()))
    cells = [(0, i) for i in range(g.out_size)] if dims == 1 else list(itertools.product(range(g.out_size),
                                                                                          repeat=2))
    assert visited == cells                          # every cell once, row by row
    assert filled == list(range(len(cells)))         # the output fills in behind the window
    explorer.close()


def test_step_is_clamped_when_the_output_shrinks(explorers):
    """Check that a step past the new last window moves back to it instead of failing"""
    explorer = explorers[2]
    _set(explorer, size=9, kernel_size=3, stride=1, padding=0, dilation=1)
    explorer.step.value = explorer.step.max          # 7 × 7 outputs: step 48
    explorer.stride.value = 3                        # 3 × 3 outputs
    assert explorer.step.value == explorer.step.max == 8
    assert _current_output(explorer) == (2, 2)


def test_image_mode_shows_pytorchs_feature_map():
    """Check that image mode draws the digit and writes F.conv2d's values with the chosen kernel"""
    explorer = conv_explorer(2, size=10, kernel_size=3, stride=2, padding=1, values="image", kernel="blur")
    assert not explorer.kernel.disabled
    digit = sample_input(2, 10)
    expected = F.conv2d(digit.view(1, 1, 10, 10), torch.full((1, 1, 3, 3), 1 / 9), stride=2, padding=1)[0, 0]
    torch.testing.assert_close(conv.feature_map(explorer.geometry, "blur"), expected)
    inner = explorer.input_cells[1:11, 1:11]         # inside the padding, before any overlay
    explorer.step.value = 0
    assert np.allclose(explorer.input_cells[5:11, 5:11], digit[4:10, 4:10].numpy()[..., None])
    assert inner.shape == (10, 10, 3)
    explorer.step.value = 7                          # output (1, 2)
    assert explorer.output_caption.value.endswith(f"writing [1, 2] = {expected[1, 2].item():.3g}")
    explorer.values.value = "cells"
    assert explorer.kernel.disabled and "=" not in explorer.output_caption.value.split("]")[-1]
    explorer.close()


@pytest.mark.parametrize("dims", [1, 2])
def test_named_kernels(dims):
    """Check that edge kernels sum to zero, blur and sharpen to one, and the centre is where expected"""
    for k in (1, 3, 4, 5):
        edge, blur, sharpen = (named_kernel(name, k, dims) for name in ("edge", "blur", "sharpen"))
        assert edge.shape == (1, 1) + (k,) * dims
        assert abs(edge.sum().item()) < 1e-5
        assert blur.sum().item() == pytest.approx(1) and sharpen.sum().item() == pytest.approx(1)
        assert edge[(0, 0) + (k // 2,) * dims] == k ** dims - 1


def test_picture_is_a_png_of_the_grid(explorers):
    """Check that the drawn PNG has one block of pixels per padded-input cell"""
    explorer = explorers[2]
    _set(explorer, size=6, kernel_size=3, stride=1, padding=2, dilation=1)
    picture = Image.open(io.BytesIO(explorer.input_image.value))
    cell = conv.picture_cell(explorer.geometry)
    assert picture.size == (10 * cell + 1, 10 * cell + 1)
    assert explorer.input_caption.value == "padded input: 10 × 10"


def test_disagreement_with_pytorch_is_reported(monkeypatch):
    """Check that the explorer says so when the picture and PyTorch give different shapes"""
    explorer = conv_explorer(2, size=7)
    monkeypatch.setattr(conv, "pytorch_output_shape", lambda geometry: ((4, 4), None))
    explorer.stride.value = 2
    assert "disagree" in explorer.message and "(1, 1, 4, 4)" in explorer.message
    explorer.close()


@pytest.mark.parametrize("arguments, words", [
    (dict(dims=3), "dims must be 1 or 2"), (dict(stride=0), "stride must be an int of at least 1"),
    (dict(padding=-1), "padding must be an int"), (dict(kernel_size=2.5), "kernel_size must be an int"),
    (dict(values="pixels"), "values must be 'cells' or 'image'"),
    (dict(kernel="emboss"), "kernel must be one of"),
])
def test_bad_arguments_are_rejected_with_a_clear_message(arguments, words):
    """Check that impossible settings raise ValueError naming the argument"""
    with pytest.raises(ValueError, match=words):
        conv_explorer(**arguments)


def test_geometry_problem_explains_the_fix():
    """Check that an impossible geometry names both spans and what to change"""
    g = conv_geometry(2, size=3, kernel_size=3, padding=0, dilation=2)
    assert not g.valid and g.out_shape == () and g.steps == 0
    assert "spans d·(k − 1) + 1 = 5 cells" in g.problem and "n + 2p = 3" in g.problem
    with pytest.raises(IndexError):
        g.output_position(0)


def test_geometry_output_length_is_pytorchs_and_the_formula_is_only_text():
    """Check that out_size is F.conv1d's output length (0 where it refuses) and the formula text shows it."""
    for size, kernel_size, stride, padding, dilation in itertools.product([1, 4, 9], [1, 3, 5], [1, 2, 3],
                                                                          [0, 2], [1, 3]):
        g = conv_geometry(1, size, kernel_size, stride, padding, dilation)
        try:
            length = F.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel_size), stride=stride,
                              padding=padding, dilation=dilation).shape[-1]
        except RuntimeError:
            length = 0
        assert g.out_size == length and g.valid == (length > 0)
        if length:
            assert g.formula().endswith(f"= {length}")


def test_span_runs_from_the_first_tap_to_the_last():
    """Check that a dilated window's span covers d·(k − 1) + 1 cells per axis, its taps among them."""
    g = conv_geometry(2, size=9, kernel_size=3, stride=2, padding=1, dilation=3)
    span, taps = g.span((1, 0)), g.taps((1, 0))
    assert sorted({r for r, _ in span}) == list(range(2, 9))
    assert sorted({c for _, c in span}) == list(range(7))
    assert set(taps) <= set(span) and len(span) == 7 * 7 and len(taps) == 9


def _layout_size(image) -> tuple[int, int]:
    return int(image.layout.width.removesuffix("px")), int(image.layout.height.removesuffix("px"))


@pytest.mark.parametrize("dims", [1, 2])
def test_input_and_output_share_one_cell_size_whatever_the_stride_or_caption(dims):
    """Check that both pictures share one cell size that no stride, dilation or kernel changes, unstretched"""
    explorer = conv_explorer(dims, size=10, kernel_size=3)
    cells = set()
    for stride, dilation, kernel_size, values in [(1, 1, 3, "cells"), (2, 1, 3, "cells"), (3, 2, 2, "image"),
                                                  (4, 1, 5, "image")]:
        _set(explorer, stride=stride, dilation=dilation, kernel_size=kernel_size)
        explorer.values.value = values
        explorer.step.value = explorer.step.max
        g = explorer.geometry
        width_in, height_in = png_size(explorer.input_image)
        width_out, height_out = png_size(explorer.output_image)
        assert (width_in - 1) % g.padded_size == 0 and (width_out - 1) % g.out_size == 0
        cell = (width_in - 1) // g.padded_size
        assert (width_out - 1) // g.out_size == cell
        assert (height_out - 1) // (g.out_size if dims == 2 else 1) == cell
        assert (height_in - 1) // (g.padded_size if dims == 2 else 1) == cell
        for image in (explorer.input_image, explorer.output_image):
            assert _layout_size(image) == png_size(image)
        cells.add(cell)
    assert len(cells) == 1
    explorer.close()


def test_pictures_keep_their_width_in_the_layout():
    """Check that every box holding a picture aligns its children at the start, so nothing stretches them."""
    explorer = conv_explorer(2)
    stack = [explorer.box]
    while stack:
        box = stack.pop()
        children = getattr(box, "children", ())
        if explorer.input_image in children or explorer.output_image in children:
            assert box.layout.align_items == "flex-start"
        stack.extend(children)
    explorer.close()


def test_image_mode_draws_the_padding_as_zeros_and_gives_a_colour_scale():
    """Check that image mode draws the padding as zeros (black) and the scale names the feature map range"""
    explorer = conv_explorer(2, size=8, padding=2, values="image", kernel="blur")
    border = explorer._input_base
    assert np.allclose(border[:2], 0) and np.allclose(border[:, :2], 0)
    low, high = explorer._feature.min().item(), explorer._feature.max().item()
    assert f"{low:.3g}" in explorer.scale_text.value and f"{high:.3g}" in explorer.scale_text.value
    explorer.values.value = "cells"
    assert explorer.scale_text.value == ""
    explorer.close()
