"""Fonts and text drawn straight onto raster pictures.

Numbers written in grid cells are rendered once per settings change into an alpha
layer (``text_layer``), turned into a list of inked pixels (``ink``) and stamped onto
each new frame (``write``), which costs far less than drawing text on every step.
"""

from __future__ import annotations

import functools
from importlib.util import find_spec
from pathlib import Path

import numpy as np

SMALLEST_FONT = 11     # pixels: the smallest font a number in a cell is written in


@functools.lru_cache(maxsize=1)
def _font_file() -> str | None:
    # matplotlib ships DejaVu Sans, which has '−' and '∞'; find it without importing matplotlib.
    spec = find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return str(path) if path.exists() else None


@functools.lru_cache(maxsize=64)
def font(size: int, builtin: bool = False):
    """A PIL font of ``size`` pixels: DejaVu Sans, or with ``builtin`` Pillow's own compact font.

    Without matplotlib's DejaVu Sans both are Pillow's own font.
    """
    from PIL import ImageFont

    path = None if builtin else _font_file()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


@functools.lru_cache(maxsize=1024)
def glyph(text: str, cell: int) -> np.ndarray | None:
    """Alpha ``(cell − 1, cell − 1)`` in [0, 1] of ``text`` centred in a cell, or None if it does not fit."""
    from PIL import Image, ImageDraw

    # Longer numbers (averages such as 2.75) get a smaller font before giving up, but never one
    # under SMALLEST_FONT pixels: a number too small to read is left out instead.
    fonts = [font(int(cell * share)) for share in (0.55, 0.42, 0.34) if cell * share >= SMALLEST_FONT]
    chosen = next((f for f in fonts if f.getlength(text) <= cell - 3), None)
    if chosen is None:
        return None
    image = Image.new("L", (cell - 1, cell - 1), 0)
    ImageDraw.Draw(image).text(((cell - 1) / 2, (cell - 1) / 2), text, fill=255, font=chosen, anchor="mm")
    return np.asarray(image, dtype=float) / 255


def text_layer(texts: dict[tuple[int, int], str], shape: tuple[int, int], cell: int) -> np.ndarray:
    """Alpha ``(H, W)`` of a picture with ``texts[(row, column)]`` written in those cells.

    Cells whose text would need a font under ``SMALLEST_FONT`` pixels get none: it would be
    unreadable, and the captions give the numbers.
    """
    layer = np.zeros(shape)
    for (r, c), text in texts.items():
        drawn = glyph(text, cell)
        if drawn is not None:
            layer[r * cell + 1:(r + 1) * cell, c * cell + 1:(c + 1) * cell] = drawn
    return layer


def ink(layer: np.ndarray, cell: int, columns: int) -> tuple[np.ndarray, ...]:
    """Where a text layer has ink: pixel rows, pixel columns, ``1 − alpha`` there, and each pixel's cell.

    The cell is a flat row-major index into a grid ``columns`` cells wide.
    """
    rows, cols = np.nonzero(layer)
    return rows, cols, 1.0 - layer[rows, cols, None], (rows // cell) * columns + cols // cell


def write(pixels: np.ndarray, inked: tuple[np.ndarray, ...], cells: np.ndarray | None = None) -> None:
    """Darken ``pixels`` where the text ``inked`` is; only in the flat ``cells`` mask if given."""
    rows, cols, keep, cell_of = inked
    if cells is not None:
        chosen = cells[cell_of]
        rows, cols, keep = rows[chosen], cols[chosen], keep[chosen]
    pixels[rows, cols] = (pixels[rows, cols] * keep).astype(np.uint8)
