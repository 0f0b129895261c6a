"""Tests of _raster: grids of cells drawn straight into pixels, hatching, outlines, PNG."""

import io

import numpy as np
from PIL import Image

from course.widgets._raster import blank, blend, cell_pixels, cell_size, grid_pixels, hatch, outline, png


def test_grid_pixels_draws_cells_lines_and_border():
    """Check that each cell is a block of pixels, grid lines separate them and the border is drawn"""
    colours = np.zeros((2, 3, 3))
    colours[0, 1] = (1.0, 0.0, 0.0)
    pixels = grid_pixels(colours, cell=10, border=(0, 1, 1, 1))
    assert pixels.shape == (21, 31, 3) and pixels.dtype == np.uint8
    assert tuple(pixels[5, 15]) == (255, 0, 0)        # inside cell (0, 1)
    assert tuple(pixels[15, 5]) == (0, 0, 0)          # inside cell (1, 0)
    assert tuple(pixels[15, 10]) == (85, 85, 85)      # a grid line
    assert tuple(pixels[10, 15]) == (31, 78, 121)     # the border under cell (0, 1)
    assert Image.open(io.BytesIO(png(pixels))).size == (31, 21)


def test_blend_and_cell_size():
    """Check that blending follows the overlay's alpha and cell sizes stay within bounds"""
    base = np.ones((1, 2, 3))
    overlay = np.array([[[0, 0, 0, 0.0], [0, 0, 0, 0.25]]])
    assert np.allclose(blend(base, overlay)[0, :, 0], [1.0, 0.75])
    assert cell_size(1) == 36 and cell_size(38) == 10 and cell_size(100) == 10


def test_cell_pixels_cover_the_cells_but_not_the_grid_lines():
    """Check that a cell mask becomes blocks of pixels with the grid lines left out."""
    mask = np.array([[True, False], [False, True]])
    pixels = cell_pixels(mask, cell=4)
    assert pixels.shape == (9, 9)
    assert pixels[1:4, 1:4].all() and pixels[5:8, 5:8].all()
    assert not pixels[0].any() and not pixels[:, 4].any() and not pixels[1:4, 5:8].any()


def test_hatch_draws_diagonals_only_inside_the_masked_cells():
    """Check that hatching is a subset of the cells' pixels, on diagonals spaced as asked."""
    mask = np.array([[True, False]])
    lines = hatch(mask, cell=10, spacing=4)
    assert lines.shape == (11, 21)
    assert lines.any() and not lines[:, 10:].any()
    rows, columns = np.nonzero(lines)
    assert np.all((rows + columns) % 4 == 0)


def test_outline_draws_a_square_and_clips_at_the_edge():
    """Check a square outline's sides, the inside left alone, and a window past the edge drawn along it."""
    pixels = np.zeros((41, 41, 3), dtype=np.uint8)
    red = np.array([200, 0, 0], dtype=np.uint8)
    outline(pixels, 1, 1, 2, 10, red, thickness=2, inset=0)
    assert np.all(pixels[10:12, 10:31] == red) and np.all(pixels[10:31, 29:31] == red)
    assert not pixels[15:25, 15:25].any()
    outline(pixels, 3, 3, 2, 10, red, thickness=1, inset=0)      # would end at pixel 50
    assert np.all(pixels[30:41, 40] == red) and np.all(pixels[40, 30:41] == red)


def test_blank_is_one_white_cell():
    """Check that the picture of a missing output is a white square one cell wide."""
    picture = blank(12)
    assert picture.shape == (13, 13, 3) and picture.dtype == np.uint8 and (picture == 255).all()
