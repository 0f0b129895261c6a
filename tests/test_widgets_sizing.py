"""Tests of how every explorer sizes its pictures: native pixel size, one cell size for input and output."""


import ipywidgets as widgets
import pytest
from widgethelpers import images, png_size

from course.widgets import batch_explorer, conv_explorer, dropout_explorer, pooling_explorer, softmax_explorer
from course.widgets.pooling_pictures import numbers_fit, picture_cell


@pytest.mark.parametrize("make, change", [
    (lambda: conv_explorer(1, size=10), lambda e: setattr(e.stride, "value", 2)),
    (lambda: conv_explorer(2), lambda e: setattr(e.padding, "value", 2)),
    (lambda: conv_explorer(2, values="image"), lambda e: setattr(e.kernel, "value", "blur")),
    (lambda: pooling_explorer(), lambda e: setattr(e.ceil_mode, "value", True)),
    (lambda: dropout_explorer(), lambda e: setattr(e.size, "value", 20)),
    (lambda: softmax_explorer(), lambda e: setattr(e.temperature, "value", 3.0)),
    (lambda: batch_explorer(), lambda e: setattr(e.num_samples, "value", 200)),
])
def test_every_picture_is_laid_out_at_its_png_size_and_never_stretched(make, change):
    """Check that each Image widget's layout size is its PNG's, before and after a change, unstretched"""
    explorer = make()
    for _ in range(2):
        shown = images(explorer)
        assert shown
        for image in shown:
            width, height = png_size(image)
            assert (image.layout.width, image.layout.height) == (f"{width}px", f"{height}px")
            assert image.layout.min_width == f"{width}px"
        change(explorer)
    stack = [explorer.box]
    while stack:
        box = stack.pop()
        children = getattr(box, "children", ())
        if any(isinstance(child, widgets.Image) for child in children):
            assert box.layout.align_items == "flex-start"
        stack.extend(children)
    explorer.close()


def test_pooling_input_and_output_share_a_cell_size_that_no_stride_or_ceil_mode_changes():
    """Check that the pooling pictures' cells are equal in pixels, whatever the stride, ceil_mode or kind"""
    explorer = pooling_explorer(size=9, kernel_size=3, stride=2)
    cells = set()
    for stride, ceil_mode, kind in [(1, False, "max"), (2, True, "avg"), (3, False, "avg"), (3, True, "max")]:
        explorer.kind.value = kind
        explorer.stride.value = stride
        explorer.ceil_mode.value = ceil_mode
        g = explorer.geometry
        width_in, _ = png_size(explorer.input_image)
        width_out, _ = png_size(explorer.output_image)
        assert (width_in - 1) / g.extent == (width_out - 1) / g.candidates == picture_cell(g)
        cells.add(picture_cell(g))
    assert len(cells) == 1
    explorer.close()


def test_pooling_writes_numbers_only_when_they_are_readable_and_says_so_otherwise():
    """Check that small cells get no numbers and the input caption says so"""
    explorer = pooling_explorer(size=7)
    assert numbers_fit(explorer.geometry) and "too small" not in explorer.input_caption.value
    explorer.size.value = 16
    explorer.padding.value = 1
    explorer.kernel_size.value = 7
    assert not numbers_fit(explorer.geometry) and "too small" in explorer.input_caption.value
    explorer.close()


def test_dropout_grids_share_one_cell_size_and_their_captions_have_two_lines():
    """Check that the four dropout grids have one size and every caption holds exactly two lines"""
    explorer = dropout_explorer(size=12)
    sizes = {png_size(image) for image in explorer.images}
    assert len(sizes) == 1
    assert all(caption.value.count("<br>") == 1 for caption in explorer.captions)
    explorer.close()
