"""The convolution explorer's pictures: settings and values in, cell colours out.

Pure functions of a ``ConvGeometry`` and the current step; the explorer turns the
colours into pixels with ``_raster.grid_pixels``. A 1-D picture is one row of cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .conv import ConvGeometry

__all__ = ["input_colours", "input_overlay", "output_colours"]

# RGB(A) colours of the picture.
_INPUT = (1.0, 1.0, 1.0)
_PADDING = (0.80, 0.82, 0.90)
_TAP = (1.0, 0.55, 0.0, 0.70)       # a cell the kernel reads
_HOLE = (1.0, 0.55, 0.0, 0.18)      # inside the window's span but skipped by dilation
_DONE = (0.62, 0.78, 0.92, 1.0)
_CURRENT = (1.0, 0.55, 0.0, 1.0)
_PENDING = (1.0, 1.0, 1.0, 1.0)


def _as_grid(dims: int, cells: list[tuple[int, ...]]) -> list[tuple[int, int]]:
    return [(0, c[0]) if dims == 1 else c for c in cells]


def input_overlay(geometry: ConvGeometry, step: int) -> np.ndarray:
    """RGBA overlay on the padded input: taps of window ``step`` strong, holes in its span faint.

    Shape ``(P, P, 4)`` for 2-D and ``(1, P, 4)`` for 1-D, with ``P`` the padded size.
    """
    g = geometry
    rows = 1 if g.dims == 1 else g.padded_size
    overlay = np.zeros((rows, g.padded_size, 4))
    if not g.valid:
        return overlay
    position = g.output_position(step)
    for r, c in _as_grid(g.dims, g.span(position)):
        overlay[r, c] = _HOLE
    for r, c in _as_grid(g.dims, g.taps(position)):
        overlay[r, c] = _TAP
    return overlay


def input_colours(geometry: ConvGeometry, values: np.ndarray | None = None) -> np.ndarray:
    """RGB of the padded input: padding shaded, input white; or, with ``values`` in [0, 1], grey levels
    of the values and of the padding's zeros (black)."""
    g = geometry
    rows = 1 if g.dims == 1 else g.padded_size
    picture = np.empty((rows, g.padded_size, 3))
    # With values the padding is what PyTorch adds, zeros, drawn in the values' own grey scale (black).
    picture[:] = _PADDING if values is None else 0.0
    inner = (slice(None) if g.dims == 1 else slice(g.padding, g.padding + g.size),
             slice(g.padding, g.padding + g.size))
    if values is None:
        picture[inner] = _INPUT
    else:
        grey = np.asarray(values, dtype=float).reshape(1 if g.dims == 1 else g.size, g.size)
        picture[inner] = grey[..., None]
    return picture


def output_colours(geometry: ConvGeometry, step: int, values: np.ndarray | None = None) -> np.ndarray:
    """RGBA of the output: cells written before ``step`` filled, ``step`` itself highlighted.

    With ``values`` (the feature map scaled to [0, 1]) filled cells show their grey level.
    """
    g = geometry
    if not g.valid:
        return np.ones((1, 1, 4))
    rows = 1 if g.dims == 1 else g.out_size
    picture = np.empty((rows, g.out_size, 4))
    picture[:] = _PENDING
    flat = picture.reshape(-1, 4)
    if values is None:
        flat[:step] = _DONE
    else:
        grey = np.asarray(values, dtype=float).reshape(-1)[:step]
        flat[:step, :3] = grey[:, None]
        flat[:step, 3] = 1.0
    flat[step] = _CURRENT
    return picture
