"""Tests of the pooling explorer's pictures: pure functions from geometry, values and step to pixels."""

import numpy as np
import pytest

from course.widgets import pooling_pictures
from course.widgets._raster import cell_size
from course.widgets.pooling_geometry import pool_geometry, pytorch_values, sample_values
from course.widgets.pooling_pictures import (
    input_colours,
    input_picture,
    output_colours,
    output_picture,
    unread_mask,
    value_text,
)


def _values(size):
    return sample_values(size).numpy().astype(float)


def test_value_text_trims_zeros_and_writes_minus_infinity():
    """Check how pooled values are written: two decimals at most, no trailing zeros, −∞ for -inf."""
    assert [value_text(v) for v in (2.75, 3.0, 2.5, 1 / 3, -np.inf)] == ["2.75", "3", "2.5", "0.33", "−∞"]


def test_input_picture_is_the_cells_drawn_into_pixels_with_the_window_outlined():
    """Check shapes, that the cells are the base colours under the window, and the orange window outline."""
    g = pool_geometry("max", 7, 2, 2, 0, False)
    values = _values(7)
    cells, pixels = input_picture(g, values, step=4)             # output (1, 1): padded rows 2–3
    cell = cell_size(g.extent)
    assert cells.shape == (g.extent, g.extent, 3) and pixels.shape == (g.extent * cell + 1,) * 2 + (3,)
    assert pixels.dtype == np.uint8
    assert np.allclose(cells[0, 0], input_colours(g, values)[0, 0])
    assert not np.allclose(cells[2, 2], input_colours(g, values)[2, 2])
    orange = np.all(pixels == pooling_pictures._WINDOW_LINE, axis=-1)
    rows, columns = np.nonzero(orange)
    assert (rows.min(), columns.min()) == (2 * cell, 2 * cell)
    assert (rows.max(), columns.max()) == (4 * cell, 4 * cell)


def test_pictures_are_pure():
    """Check that the same arguments give the same pixels and that the values passed in are not changed."""
    g = pool_geometry("avg", 9, 3, 2, 1, True)
    values = _values(9)
    kept = values.copy()
    first = input_picture(g, values, 5)[1].copy()
    input_picture(g, values, 0)
    assert np.array_equal(input_picture(g, values, 5)[1], first)
    assert np.array_equal(values, kept)
    out = pytorch_values(g, values)
    assert np.array_equal(output_picture(g, 3, out)[1], output_picture(g, 3, out)[1])


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_numbers_are_written_only_in_output_cells_already_computed(kind):
    """Check that output cells after the step carry no ink, and cells up to it do."""
    g = pool_geometry(kind, 6, 2, 2, 0, False)                  # 3 × 3 output, cells large enough for text
    out = pytorch_values(g, _values(6))
    cells, pixels = output_picture(g, 4, out)
    cell = cell_size(g.extent)
    assert np.array_equal(cells, output_colours(g, 4, out))

    def inked(r, c):
        inside = pixels[r * cell + 2:(r + 1) * cell - 1, c * cell + 2:(c + 1) * cell - 1]
        colour = np.round(cells[r, c] * 255)
        return bool(np.any(np.abs(inside - colour) > 1))

    assert all(inked(*divmod(step, 3)) for step in range(5))
    assert not any(inked(*divmod(step, 3)) for step in range(5, 9))


def test_output_picture_without_any_window_is_one_blank_cell():
    """Check that settings with no window at all give no cells and a white placeholder."""
    g = pool_geometry("max", 2, 5, 2, 0, False)
    cells, pixels = output_picture(g, 0, np.zeros((0, 0)))
    assert cells.shape == (0, 0, 3)
    assert pixels.shape == (cell_size(g.extent) + 1,) * 2 + (3,) and (pixels == 255).all()


def test_unread_mask_is_empty_when_pytorch_refuses_the_padding():
    """Check that refused padding hatches nothing, while a floor that skips the last row and column does."""
    assert not unread_mask(pool_geometry("max", 5, 2, 2, 2, False)).any()
    unread = unread_mask(pool_geometry("max", 5, 2, 2, 0, False))
    assert unread[4].all() and unread[:, 4].all() and not unread[:4, :4].any()


def test_the_explorer_draws_these_pictures():
    """Check that the explorer's pixels and cells are exactly what the pure functions return."""
    from course.widgets import pooling_explorer

    explorer = pooling_explorer("avg", 7, 3, 2, 1, True)
    explorer.step.value = 5
    g = explorer.geometry
    cells, pixels = input_picture(g, _values(7), 5)
    assert np.array_equal(explorer.input_pixels, pixels) and np.array_equal(explorer.input_cells, cells)
    assert np.array_equal(explorer.output_cells, output_picture(g, 5, explorer.output_values)[0])
    explorer.close()
