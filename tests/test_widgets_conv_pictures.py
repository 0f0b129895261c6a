"""Tests of the convolution explorer's pictures: pure functions from geometry and step to cell colours."""

import numpy as np

from course.widgets import conv_pictures
from course.widgets.conv import conv_geometry
from course.widgets.conv_pictures import input_colours, input_overlay, output_colours


def test_input_colours_shade_the_padding_and_show_values_as_grey():
    """Check the padded input's shape, its shaded border and grey levels inside it, in 2-D and 1-D."""
    g = conv_geometry(2, size=3, kernel_size=2, padding=1)
    plain = input_colours(g)
    assert plain.shape == (5, 5, 3)
    assert np.allclose(plain[0, 0], conv_pictures._PADDING) and np.allclose(plain[1:4, 1:4], 1.0)
    values = np.linspace(0, 1, 9).reshape(3, 3)
    assert np.allclose(input_colours(g, values)[1:4, 1:4], values[..., None])
    line = conv_geometry(1, size=4, kernel_size=2, padding=2)
    assert input_colours(line, np.full(4, 0.5)).shape == (1, 8, 3)
    assert np.allclose(input_colours(line, np.full(4, 0.5))[0, 2:6], 0.5)


def test_overlay_marks_the_taps_strongly_and_the_holes_faintly():
    """Check that the overlay of a dilated window has its taps in _TAP and the skipped cells in _HOLE."""
    g = conv_geometry(1, size=7, kernel_size=2, dilation=3)
    overlay = input_overlay(g, step=1)
    assert overlay.shape == (1, 7, 4)
    assert np.allclose(overlay[0, [1, 4]], conv_pictures._TAP)
    assert np.allclose(overlay[0, [2, 3]], conv_pictures._HOLE)
    assert not overlay[0, [0, 5, 6]].any()


def test_output_colours_fill_behind_the_current_cell():
    """Check that cells before the step are filled (grey with values), the step current, the rest pending."""
    g = conv_geometry(2, size=4, kernel_size=2)
    picture = output_colours(g, 4)
    flat = picture.reshape(-1, 4)
    assert picture.shape == (3, 3, 4)
    assert np.allclose(flat[:4], conv_pictures._DONE) and np.allclose(flat[4], conv_pictures._CURRENT)
    assert np.allclose(flat[5:], conv_pictures._PENDING)
    levels = np.linspace(0, 1, 9)
    assert np.allclose(output_colours(g, 4, levels).reshape(-1, 4)[:4, 0], levels[:4])


def test_pictures_of_refused_settings_are_empty():
    """Check that settings PyTorch refuses give an untouched overlay and a placeholder output."""
    g = conv_geometry(2, size=2, kernel_size=5)
    assert not g.valid
    assert not input_overlay(g, 0).any()
    assert output_colours(g, 0).shape == (1, 1, 4)
