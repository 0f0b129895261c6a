"""Tests of _text: fonts, and numbers written into raster cells."""

import numpy as np

from course.widgets import _text
from course.widgets._text import font, glyph, ink, text_layer, write


def test_font_is_dejavu_sans_with_minus_and_infinity_or_pillows_own():
    """Check that the default font is matplotlib's DejaVu Sans and builtin=True is Pillow's font."""
    assert _text._font_file().endswith("DejaVuSans.ttf")
    assert font(12).getname() == ("DejaVu Sans", "Book")
    assert font(11, builtin=True).getname() != font(11).getname()
    assert font(12) is font(12)                                    # loaded once
    assert font(20).getlength("−∞") > 0


def test_glyph_is_centred_alpha_or_none_when_too_long():
    """Check a glyph's size and range, that it is centred, and that text too long for a cell gives None."""
    alpha = glyph("7", 30)
    assert alpha.shape == (29, 29) and 0 <= alpha.min() and alpha.max() <= 1 and alpha.max() > 0.5
    rows, columns = np.nonzero(alpha)
    assert abs((rows.min() + rows.max()) / 2 - 14) <= 2 and abs((columns.min() + columns.max()) / 2 - 14) <= 2
    assert glyph("123456789", 16) is None


def test_text_layer_writes_in_the_named_cells_only_when_they_are_large_enough():
    """Check that text lands in its cell, nowhere else, and that cells under 14 pixels get none."""
    layer = text_layer({(1, 2): "5"}, (3 * 20 + 1, 4 * 20 + 1), 20)
    rows, columns = np.nonzero(layer)
    assert rows.min() > 20 and rows.max() < 40 and columns.min() > 40 and columns.max() < 60
    assert not text_layer({(0, 0): "5"}, (13 * 2 + 1, 13 * 2 + 1), 13).any()


def test_ink_and_write_darken_only_the_cells_asked_for():
    """Check that write darkens pixels under the text and, given a cell mask, only in those cells."""
    cell = 20
    layer = text_layer({(0, 0): "8", (0, 1): "8"}, (cell + 1, 2 * cell + 1), cell)
    inked = ink(layer, cell, columns=2)
    assert set(inked[3].tolist()) == {0, 1}
    everywhere = np.full((cell + 1, 2 * cell + 1, 3), 255, dtype=np.uint8)
    write(everywhere, inked)
    assert everywhere[:, :cell].min() < 128 and everywhere[:, cell:].min() < 128
    first_only = np.full_like(everywhere, 255)
    write(first_only, inked, np.array([True, False]))
    assert first_only[:, :cell].min() < 128 and (first_only[:, cell + 1:] == 255).all()
