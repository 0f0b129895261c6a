"""Tests of the pooling explorer's controls, status and pictures against real PyTorch pooling layers."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_widgets_pooling_geometry import KINDS, torch_shape
from torch import nn

from course.widgets import pooling, pooling_geometry, pooling_pictures
from course.widgets import pooling_explorer as make_explorer
from course.widgets._raster import blend


def set_controls(explorer, kind, size, kernel, stride, padding, ceil_mode):
    explorer.stride_is_kernel.value = False
    explorer.kind.value = kind
    explorer.size.value = size
    explorer.kernel_size.value = kernel
    explorer.stride.value = stride
    explorer.padding.value = padding
    explorer.ceil_mode.value = ceil_mode


@pytest.fixture
def explorer():
    made = make_explorer()
    yield made
    made.close()


@pytest.mark.parametrize("kind", KINDS)
def test_size_label_and_status_match_pytorch_when_controls_move(explorer, kind):
    """Check that after moving the controls the size label equals a real layer's output shape."""
    for size, kernel, stride, padding, ceil_mode in itertools.product((1, 4, 7, 10), (1, 2, 3), (1, 2, 3),
                                                                      (0, 1, 2), (False, True)):
        set_controls(explorer, kind, size, kernel, stride, padding, ceil_mode)
        expected = torch_shape(kind, size, kernel, stride, padding, ceil_mode)
        settings = (size, kernel, stride, padding, ceil_mode)
        if expected is None:
            assert explorer.size_text.value == "<b>output size: none</b>", settings
            assert "PyTorch refuses too" in explorer.message, settings
        else:
            assert explorer.size_text.value == f"<b>output size: {expected[0]} × {expected[1]}</b>", settings
            assert explorer.message.startswith("PyTorch agrees"), settings
            assert explorer.output_values.shape == expected


def test_pytorch_refuses_padding_above_half_the_kernel_and_the_explorer_says_so(explorer):
    """Check that PyTorch raises for padding > kernel_size // 2 and that the explorer shows a message."""
    for kind, kernel, padding in itertools.product(KINDS, range(1, 6), range(4)):
        layer = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(kernel, padding=padding)
        if padding <= kernel // 2:
            layer(torch.zeros(1, 1, 9, 9))
            continue
        with pytest.raises(RuntimeError, match="pad should be at most half"):
            layer(torch.zeros(1, 1, 9, 9))
        set_controls(explorer, kind, 9, kernel, kernel, padding, False)
        assert explorer.message.startswith(f"Padding {padding} is more than half the kernel size")
        assert f"kernel_size // 2 = {kernel // 2}" in explorer.message
        assert "PyTorch refuses too: pad should be at most half" in explorer.message
        assert explorer.size_text.value == "<b>output size: none</b>"
        assert explorer.step.disabled and explorer.window is None
        assert explorer.output_cells.shape == (0, 0, 3)
        assert "none" in explorer.output_caption.value


def test_input_smaller_than_the_window_gives_a_message(explorer):
    """Check that a window larger than the padded input gives a clear message, as PyTorch refuses it."""
    assert torch_shape("max", 2, 5, 5, 0, False) is None
    set_controls(explorer, "max", 2, 5, 5, 0, False)
    assert explorer.message.startswith(
        "No valid output: the 5 × 5 window is larger than the padded input (2 × 2)")
    assert "PyTorch refuses too" in explorer.message
    assert explorer.step.disabled


@pytest.mark.parametrize("settings", [("max", 7, 2, 2, 0, False), ("avg", 7, 3, 2, 1, True),
                                      ("max", 9, 3, 1, 1, False), ("max", 10, 2, 3, 1, True),
                                      ("avg", 16, 4, 3, 2, True), ("max", 5, 2, 2, 1, True)])
def test_highlighted_windows_follow_the_stride(explorer, settings):
    """Check that window (r, c) is drawn at padded rows r·s.. and columns c·s.., and only there."""
    set_controls(explorer, *settings)
    g = explorer.geometry
    base = pooling_pictures.input_colours(g, pooling_geometry.sample_values(g.size).numpy())
    for step in range(g.steps):
        explorer.step.value = step
        r, c = divmod(step, g.kept)
        assert explorer.window == (r * g.stride, c * g.stride)
        changed = np.any(np.abs(explorer.input_cells - base) > 1e-9, axis=-1)
        expected = np.zeros_like(changed)
        top, left = r * g.stride, c * g.stride
        expected[top:top + g.kernel_size, left:left + g.kernel_size] = True
        assert np.array_equal(changed, expected), step


@pytest.mark.parametrize("settings", [("max", 7, 2, 2, 0, False), ("avg", 7, 2, 2, 0, True),
                                      ("max", 8, 3, 2, 1, True), ("avg", 6, 1, 1, 0, False)])
def test_stepping_visits_every_output_cell_exactly_once(explorer, settings):
    """Check that the step slider walks every output cell once, marking it current, then keeps it written."""
    set_controls(explorer, *settings)
    g = explorer.geometry
    assert explorer.step.max == explorer.play.max == g.steps - 1
    seen = []
    current = np.array(pooling_pictures._CURRENT)
    for step in range(explorer.step.max + 1):
        explorer.step.value = step
        cells = explorer.output_cells[:g.kept, :g.kept]
        is_current = np.all(np.isclose(cells, current), axis=-1)
        assert is_current.sum() == 1
        seen.append(tuple(int(i) for i in np.argwhere(is_current)[0]))
        pending = np.all(np.isclose(cells, pooling_pictures._PENDING), axis=-1)
        assert pending.sum() == g.steps - step - 1
    assert sorted(seen) == [(r, c) for r in range(g.kept) for c in range(g.kept)]
    assert len(set(seen)) == len(seen) == g.out_size ** 2


@pytest.mark.parametrize("kind", KINDS)
def test_dropped_window_appears_exactly_when_floor_and_ceil_shapes_differ(explorer, kind):
    """Check that with ceil_mode=False a dropped window is drawn exactly when floor and ceil shapes differ."""
    red = pooling_pictures._DROPPED_LINE
    for size, kernel, stride, padding in itertools.product((1, 2, 5, 7, 8, 12), (1, 2, 3), (1, 2, 3), (0, 1)):
        floor = torch_shape(kind, size, kernel, stride, padding, False)
        ceil = torch_shape(kind, size, kernel, stride, padding, True)
        set_controls(explorer, kind, size, kernel, stride, padding, False)
        settings = (size, kernel, stride, padding)
        assert bool(explorer.dropped) == (floor != ceil), settings
        has_red = np.any(np.all(explorer.input_pixels == red, axis=-1))
        assert has_red == (floor != ceil), settings
        if floor != ceil:
            g = explorer.geometry
            # The window ceil_mode adds sticks out past the padded input, and the picture is drawn wider.
            last = max(top for top, _ in explorer.dropped)
            assert last + kernel > g.padded_size and g.extent == last + kernel
            assert explorer.output_cells.shape[0] == ceil[0]
            assert np.allclose(explorer.output_cells[-1, :], pooling_pictures._DROPPED_CELL)


@pytest.mark.parametrize("kind", KINDS)
def test_ceil_mode_draws_the_window_dropped_for_starting_in_the_padding(explorer, kind):
    """Check that with ceil_mode=True a window is drawn dropped exactly when PyTorch drops one."""
    for size, kernel, stride, padding in itertools.product((2, 5, 7, 9), (2, 3, 4), (1, 2, 3), (0, 1, 2)):
        set_controls(explorer, kind, size, kernel, stride, padding, True)
        ceil = torch_shape(kind, size, kernel, stride, padding, True)
        settings = (size, kernel, stride, padding)
        if ceil is None:
            assert not explorer.dropped, settings
            continue
        rounded_up = math.ceil((size + 2 * padding - kernel) / stride) + 1
        assert bool(explorer.dropped) == (rounded_up != ceil[0]), settings
        for top, left in explorer.dropped:
            assert max(top, left) == ceil[0] * stride >= size + padding
        if explorer.dropped:
            assert "in the padding, so PyTorch drops it" in explorer.notes_text.value


def test_the_default_explorer_shows_the_dropped_window_then_keeps_it_with_ceil_mode(explorer):
    """Check the notebook's settings: 7 × 7, kernel 2; floor drops window 3, row and column 6 stay unread."""
    assert explorer.geometry.out_size == 3
    assert sorted({top for top, _ in explorer.dropped}) == [0, 2, 4, 6]
    assert all(6 in window for window in explorer.dropped)
    expected_unread = np.zeros((7, 7), dtype=bool)
    expected_unread[6, :] = expected_unread[:, 6] = True
    assert np.array_equal(explorer.unread, expected_unread)
    assert "rounding down drops it" in explorer.notes_text.value
    explorer.ceil_mode.value = True
    assert explorer.dropped == [] and not explorer.unread.any()
    assert explorer.size_text.value == "<b>output size: 4 × 4</b>"
    explorer.step.value = explorer.step.max
    assert explorer.window == (6, 6)
    outside = pooling_pictures.outside_mask(explorer.geometry)
    assert outside.shape == (8, 8) and outside[7, :].all() and not outside[:7, :7].any()
    # The part of the window past the input is drawn, faintly: it is not read.
    assert np.allclose(explorer.input_cells[7, 7], blend(np.array(pooling_pictures._OUTSIDE),
                                                                  np.array(pooling_pictures._OVERHANG)))


@pytest.mark.parametrize("settings", [("avg", 7, 2, 2, 0, False), ("avg", 10, 2, 3, 0, False),
                                      ("avg", 9, 3, 4, 1, True), ("avg", 7, 2, 2, 0, True)])
def test_unread_cells_are_those_with_no_gradient_from_pytorch(explorer, settings):
    """Check that the cells marked unread are exactly those average pooling's gradient does not reach."""
    set_controls(explorer, *settings)
    _, size, kernel, stride, padding, ceil_mode = settings
    leaf = torch.ones(1, 1, size, size, requires_grad=True)
    F.avg_pool2d(leaf, kernel, stride, padding, ceil_mode=ceil_mode).sum().backward()
    assert np.array_equal(explorer.unread, (leaf.grad[0, 0] == 0).numpy())


def test_formula_and_layer_code_show_the_numbers(explorer):
    """Check the substituted floor and ceil formulas and that the PyTorch line builds the layer described."""
    assert explorer.formula_text.value == ("<code>H_out = ⌊(H + 2p − k) / s⌋ + 1</code><br>"
                                           "<code>= ⌊(7 + 2·0 − 2) / 2⌋ + 1 = ⌊5 / 2⌋ + 1 = 3"
                                           "   (W_out the same)</code>")
    assert explorer.code_text.value == ("<code>nn.MaxPool2d(kernel_size=2, stride=2, padding=0, "
                                        "ceil_mode=False)</code>")
    set_controls(explorer, "avg", 5, 2, 2, 1, True)
    assert "⌈(5 + 2·1 − 2) / 2⌉ + 1 = ⌈5 / 2⌉ + 1 = 4" in explorer.formula_text.value
    assert "(4 − 1)·2 = 6 ≥ H + p = 6" in explorer.formula_text.value
    assert "H_out = 3" in explorer.formula_text.value
    code = explorer.geometry.layer_code()
    layer = eval(code, {"nn": nn})
    assert isinstance(layer, nn.AvgPool2d) and layer.ceil_mode and layer.count_include_pad
    assert tuple(layer(torch.zeros(1, 1, 5, 5)).shape[2:]) == explorer.geometry.out_shape


def test_padding_notes_say_what_each_kind_pads_with(explorer):
    """Check that the notes say max pooling pads with −∞, average pooling with counted zeros."""
    set_controls(explorer, "max", 4, 3, 1, 1, False)
    assert "Max pooling pads with −∞" in explorer.notes_text.value
    negative = -torch.arange(1.0, 17.0).view(4, 4)
    assert (F.max_pool2d(negative.view(1, 1, 4, 4), 3, 1, 1) < 0).all()  # −∞ padding never wins
    set_controls(explorer, "avg", 4, 3, 1, 1, False)
    assert "pads with zeros" in explorer.notes_text.value
    assert "count_include_pad=True" in explorer.notes_text.value
    assert F.avg_pool2d(torch.ones(1, 1, 4, 4), 3, 1, 1)[0, 0, 0, 0] == pytest.approx(4 / 9)


def test_output_caption_shows_the_window_result(explorer):
    """Check that the caption gives the current window's max or sum / cells, equal to PyTorch's output."""
    set_controls(explorer, "avg", 5, 2, 2, 0, True)
    explorer.step.value = explorer.step.max
    x = pooling_geometry.sample_values(5)
    expected = F.avg_pool2d(x.view(1, 1, 5, 5), 2, ceil_mode=True)[0, 0, 2, 2].item()
    assert f"mean = {x[4, 4].item():g} / 1 = {expected:g}" in explorer.output_caption.value
    assert "3 window cells past the padded input not counted" in explorer.output_caption.value
    explorer.kind.value = "max"
    explorer.step.value = 1
    expected = F.max_pool2d(x.view(1, 1, 5, 5), 2, ceil_mode=True)[0, 0, 0, 1].item()
    caption = explorer.output_caption.value
    assert f"window [0, 1] reads padded rows 0–1, columns 2–3: max = {expected:g}" in caption


def test_status_says_when_picture_and_pytorch_disagree(explorer, monkeypatch):
    """Check that the status warns when PyTorch's values or shape differ from the explorer's."""
    real = pooling.pytorch_pool

    def off_by_one(geometry):
        out, error = real(geometry)
        return (None if out is None else out + 1.0), error

    monkeypatch.setattr(pooling, "pytorch_pool", off_by_one)
    explorer.size.value = 6
    assert explorer.message.startswith(
        "The picture and PyTorch disagree: same shape, but values differ by up to 1")
    monkeypatch.setattr(pooling, "pytorch_pool", lambda geometry: (np.zeros((1, 1)), None))
    explorer.size.value = 7
    assert explorer.message == ("The picture and PyTorch disagree: the picture has output size: 3 × 3, "
                                "PyTorch gives (1, 1, 1, 1).")


def test_stride_none_follows_the_kernel_size():
    """Check that stride=None makes the stride follow the kernel size, as PyTorch's default does."""
    explorer = make_explorer(kernel_size=3)
    assert explorer.stride_is_kernel.value and explorer.stride.disabled
    assert explorer.stride.value == 3 == nn.MaxPool2d(3).stride
    explorer.kernel_size.value = 2
    assert explorer.stride.value == 2 and explorer.geometry.stride == 2
    explorer.stride_is_kernel.value = False
    assert not explorer.stride.disabled
    explorer.stride.value = 1
    assert explorer.code_text.value == ("<code>nn.MaxPool2d(kernel_size=2, stride=1, padding=0, "
                                        "ceil_mode=False)</code>")
    explorer.close()


def test_explorer_starts_with_the_given_settings():
    """Check that the public function's arguments set the controls and that refused settings still open."""
    explorer = make_explorer("avg", 9, 3, 2, 2, True)
    assert (explorer.kind.value, explorer.size.value, explorer.kernel_size.value, explorer.stride.value,
            explorer.padding.value, explorer.ceil_mode.value) == ("avg", 9, 3, 2, 2, True)
    assert not explorer.stride_is_kernel.value
    assert explorer.message.startswith("Padding 2 is more than half the kernel size")
    explorer.close()


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "min"}, "kind must be one of"),
    ({"size": 0}, "size must be an int of at least 1"),
    ({"size": 17}, "size must be at most 16"),
    ({"size": 7.0}, "size must be an int"),
    ({"kernel_size": 0}, "kernel_size must be an int of at least 1"),
    ({"stride": 0}, "stride must be an int of at least 1"),
    ({"padding": -1}, "padding must be an int of at least 0"),
    ({"padding": True}, "padding must be an int"),
    ({"ceil_mode": 1}, "ceil_mode must be True or False"),
])
def test_bad_arguments_raise_value_error(kwargs, match):
    """Check that bad arguments to pooling_explorer raise ValueError with a clear message."""
    with pytest.raises(ValueError, match=match):
        make_explorer(**kwargs)
