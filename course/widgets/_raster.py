"""Draw grids of coloured cells straight into pixels and encode them as PNG.

The convolution and pooling pictures are grids of cells, so they need no plotting
library: a cell is a block of pixels, a grid line is a row of dark pixels. This is
an order of magnitude faster than redrawing a matplotlib figure, which keeps a
slider responsive even at the largest sizes.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image

_LINE = np.array([85, 85, 85], dtype=np.uint8)
_BORDER = np.array([31, 78, 121], dtype=np.uint8)


def blend(base: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    """Composite an RGBA ``overlay`` onto an RGB ``base`` (both floats in [0, 1], same cells)."""
    alpha = overlay[..., 3:4]
    return base * (1 - alpha) + overlay[..., :3] * alpha


def cell_size(columns: int, width: int = 380, smallest: int = 10, largest: int = 36) -> int:
    """Pixels per cell so that ``columns`` cells fit in about ``width`` pixels."""
    return int(np.clip(width // max(columns, 1), smallest, largest))


def grid_pixels(colours: np.ndarray, cell: int,
                border: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Turn ``(rows, columns, 3)`` cell colours into an RGB ``uint8`` image with grid lines.

    ``border`` = ``(top, left, rows, columns)`` in cells gets a thick outline (the real input
    inside its padding).
    """
    rows, columns = colours.shape[:2]
    rgb = np.round(np.clip(colours[..., :3], 0, 1) * 255).astype(np.uint8)
    pixels = np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1)
    pixels = np.pad(pixels, ((0, 1), (0, 1), (0, 0)))
    pixels[::cell, :] = _LINE
    pixels[:, ::cell] = _LINE
    if border is not None:
        top, left, height, width = (v * cell for v in border)
        for offset in (-1, 0, 1):
            pixels[max(top + offset, 0), left:left + width + 1] = _BORDER
            pixels[min(top + height + offset, pixels.shape[0] - 1), left:left + width + 1] = _BORDER
            pixels[top:top + height + 1, max(left + offset, 0)] = _BORDER
            pixels[top:top + height + 1, min(left + width + offset, pixels.shape[1] - 1)] = _BORDER
    return pixels


def png(pixels: np.ndarray) -> bytes:
    """Encode an RGB ``uint8`` image as PNG, favouring speed over size."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def cell_pixels(mask: np.ndarray, cell: int) -> np.ndarray:
    """Pixel-level ``(H, W)`` version of a ``(rows, columns)`` cell mask, grid lines left out."""
    pixels = np.repeat(np.repeat(mask, cell, axis=0), cell, axis=1)
    pixels = np.pad(pixels, ((0, 1), (0, 1)))
    pixels[::cell, :] = False
    pixels[:, ::cell] = False
    return pixels


def hatch(mask: np.ndarray, cell: int, spacing: int) -> np.ndarray:
    """Pixel-level ``(H, W)`` diagonal lines, ``spacing`` pixels apart, over the cells of ``mask``."""
    pixels = cell_pixels(mask, cell)
    return pixels & _diagonals(pixels.shape, spacing)


@functools.lru_cache(maxsize=16)
def _diagonals(shape: tuple[int, int], spacing: int) -> np.ndarray:
    lines = (np.arange(shape[0])[:, None] + np.arange(shape[1])) % spacing == 0
    lines.flags.writeable = False          # shared by the cache
    return lines


def outline(pixels: np.ndarray, top: int, left: int, size: int, cell: int, colour: np.ndarray,
            thickness: int, inset: int) -> None:
    """Draw a square outline of ``size`` cells at cell ``(top, left)``, ``inset`` pixels inside the cells.

    Sides past the edge of ``pixels`` are drawn along the edge instead.
    """
    y0, x0 = top * cell + inset, left * cell + inset
    y1, x1 = (top + size) * cell - inset, (left + size) * cell - inset
    y1, x1 = min(y1, pixels.shape[0] - 1), min(x1, pixels.shape[1] - 1)
    pixels[y0:y0 + thickness, x0:x1 + 1] = colour
    pixels[y1 - thickness + 1:y1 + 1, x0:x1 + 1] = colour
    pixels[y0:y1 + 1, x0:x0 + thickness] = colour
    pixels[y0:y1 + 1, x1 - thickness + 1:x1 + 1] = colour


def blank(cell: int) -> np.ndarray:
    """A white RGB ``uint8`` square the size of one cell: the picture of an output that does not exist."""
    return np.full((cell + 1, cell + 1, 3), 255, dtype=np.uint8)
