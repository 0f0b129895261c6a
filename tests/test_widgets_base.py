"""Tests of what the explorers share: the base class, figures outside pyplot, and raster grids."""

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

import course.widgets
from course.widgets._base import Explorer, figure_png, new_figure, single_thread
from course.widgets._raster import blend, cell_size, grid_pixels, png


def test_package_exports_every_explorer_lazily():
    """Check that each advertised explorer resolves and unknown names raise AttributeError"""
    for name in course.widgets.__all__:
        assert callable(getattr(course.widgets, name)), name
    with pytest.raises(AttributeError, match="no attribute 'slider_explorer'"):
        course.widgets.slider_explorer  # noqa: B018


def test_status_message_is_escaped_and_readable_as_text():
    """Check that the status line escapes HTML and .message gives the text back"""
    explorer = Explorer()
    explorer._finish([])
    explorer._say("a < b & 'c'", "warn")
    assert "&lt;" in explorer.status.value and "#a04000" in explorer.status.value
    assert explorer.message == "a < b & 'c'"


def test_watch_runs_the_callback_and_errors_propagate_outside_ipython():
    """Check that watched controls call back on value changes and a failing callback is not swallowed"""
    explorer, calls = Explorer(), []
    slider = widgets.IntSlider()
    explorer._watch([slider], lambda: calls.append(slider.value))
    slider.value = 3
    slider.description = "renamed"  # not a value change
    assert calls == [3]
    explorer._watch([slider], lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        slider.value = 4


def test_close_closes_every_nested_widget():
    """Check that close() closes the whole tree of widgets and nothing else"""
    inner, outside = widgets.IntSlider(), widgets.IntSlider()
    explorer = Explorer()
    explorer._finish([widgets.HBox([inner])])
    explorer.close()
    assert inner.comm is None and explorer.box.comm is None and explorer.status.comm is None
    assert outside.comm is not None


def test_figures_stay_outside_pyplot_and_encode_to_png():
    """Check that new_figure leaves pyplot's figure list alone and figure_png gives the right size"""
    before = plt.get_fignums()
    figure = new_figure((2, 1), dpi=50)
    figure.add_subplot().plot([0, 1])
    assert plt.get_fignums() == before
    assert Image.open(io.BytesIO(figure_png(figure))).size == (100, 50)


def test_single_thread_restores_the_thread_count_even_after_an_error():
    """Check that single_thread runs torch on one thread and restores the previous setting"""
    threads = torch.get_num_threads()
    with pytest.raises(RuntimeError), single_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == threads


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
