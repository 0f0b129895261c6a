"""The pooling explorer's pictures: settings and values in, cell colours and RGB pixels out.

Everything here is a pure function of a ``PoolGeometry``, the values and the current
step; no widget is touched. What stays the same while the step moves (hatching, the
numbers written in the cells) is drawn once per settings and cached, so stepping only
moves the window and fills the output.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from ._raster import blank, blend, cell_size, grid_pixels, hatch, outline
from ._text import glyph, ink, text_layer, write
from .pooling_geometry import PoolGeometry

__all__ = ["input_colours", "input_picture", "numbers_fit", "outside_mask", "output_colours",
           "output_picture", "picture_cell", "unread_mask", "value_text", "window_overlay"]

# Colours of the picture, RGB(A) in [0, 1].
_PADDING = (0.80, 0.82, 0.90)
_OUTSIDE = (0.97, 0.97, 0.97)
_READ = (1.0, 0.55, 0.0, 0.60)        # a cell the current window reads
_OVERHANG = (1.0, 0.55, 0.0, 0.22)    # part of the current window past the padded input: not read
_CURRENT = (1.0, 0.55, 0.0)
_PENDING = (1.0, 1.0, 1.0)
_WRITTEN = (0.62, 0.78, 0.92)
_DROPPED_CELL = (0.93, 0.93, 0.93)
# Pixel colours (uint8) of lines drawn on top of the cells.
_WINDOW_LINE = np.array([230, 110, 0], dtype=np.uint8)
_DROPPED_LINE = np.array([200, 0, 0], dtype=np.uint8)
_UNREAD_HATCH = np.array([200, 30, 30], dtype=np.uint8)
_OUTSIDE_HATCH = np.array([150, 150, 150], dtype=np.uint8)


def value_text(value: float) -> str:
    """A pooled value as the pictures and captions write it: ``2.75``, ``3``, or ``−∞``."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if np.isfinite(value) else "−∞"


# -- cell colours -------------------------------------------------------------------
def _grey(values: np.ndarray) -> np.ndarray:
    """Grey levels for values 0..9: light enough for black digits, never the white of a pending output."""
    level = 0.98 - 0.04 * np.clip(np.asarray(values, dtype=float), 0, 9)    # 9 is still light grey
    return np.repeat(level[..., None], 3, axis=-1)


def input_colours(geometry: PoolGeometry, values: np.ndarray) -> np.ndarray:
    """RGB ``(E, E, 3)`` of the picture's grid: grey-level input, shaded padding, pale 'outside' cells.

    ``E`` is ``geometry.extent``: the padded input plus how far a drawn window sticks out past it.
    """
    g = geometry
    picture = np.empty((g.extent, g.extent, 3))
    picture[:] = _OUTSIDE
    picture[:g.padded_size, :g.padded_size] = _PADDING
    inner = slice(g.padding, g.padding + g.size)
    picture[inner, inner] = _grey(values)
    return picture


def outside_mask(geometry: PoolGeometry) -> np.ndarray:
    """``(E, E)`` bool: cells past the padded input (drawn only because a window sticks out there)."""
    g = geometry
    mask = np.ones((g.extent, g.extent), dtype=bool)
    mask[:g.padded_size, :g.padded_size] = False
    return mask


def unread_mask(geometry: PoolGeometry) -> np.ndarray:
    """``(n, n)`` bool: real input cells no computed window reads; none when PyTorch refuses the padding."""
    g = geometry
    return g.unread() if g.padding_ok else np.zeros((g.size, g.size), dtype=bool)


def window_overlay(geometry: PoolGeometry, position: tuple[int, int] | None) -> np.ndarray:
    """RGBA ``(E, E, 4)``: cells window ``position`` reads strong, its part past the padded input faint."""
    g = geometry
    overlay = np.zeros((g.extent, g.extent, 4))
    if position is None:
        return overlay
    top, left = (g.start(i) for i in position)
    overlay[top:top + g.kernel_size, left:left + g.kernel_size] = _OVERHANG
    rows, columns = (g.inside(i) for i in position)
    overlay[rows.start:rows.stop, columns.start:columns.stop] = _READ
    return overlay


def output_colours(geometry: PoolGeometry, step: int, values: np.ndarray | None = None) -> np.ndarray:
    """RGB ``(C, C, 3)`` of the output, dropped row and column included.

    Cells written before ``step`` show their grey level (``values``, the pooled output) or a
    plain fill, ``step`` itself is highlighted, later ones are white, dropped ones pale grey.
    """
    g = geometry
    kept = np.empty((g.steps, 3))              # row-major, like the steps
    kept[:] = _PENDING
    if values is None:
        kept[:step] = _WRITTEN
    else:
        kept[:step] = _grey(np.asarray(values).reshape(-1)[:step])
    if g.steps:
        kept[step] = _CURRENT
    picture = np.empty((g.candidates, g.candidates, 3))
    picture[:] = _DROPPED_CELL
    picture[:g.kept, :g.kept] = kept.reshape(g.kept, g.kept, 3)
    return picture


# -- pixels -------------------------------------------------------------------------
def picture_cell(geometry: PoolGeometry) -> int:
    """Pixels per cell of both the input and the output picture.

    It depends on the padded size and the kernel size only, never on the stride, ``ceil_mode``
    or a caption, so the output is drawn at the input's scale before and after such a change.
    """
    return cell_size(geometry.padded_size + geometry.kernel_size - 1, width=360)


def numbers_fit(geometry: PoolGeometry) -> bool:
    """Whether the cells are large enough to write a value in them in a readable font."""
    return glyph("0", picture_cell(geometry)) is not None


class _Layers(NamedTuple):
    """What a picture keeps while the step moves: colours, hatching and inked numbers."""

    cell: int
    base: np.ndarray
    hatches: tuple[tuple[np.ndarray, np.ndarray], ...]    # (pixel mask, colour) pairs
    ink: tuple[np.ndarray, ...]


def _frozen(*arrays: np.ndarray) -> None:
    for array in arrays:
        array.flags.writeable = False      # shared by the caches


@functools.lru_cache(maxsize=64)
def _input_layers(geometry: PoolGeometry, raw: bytes) -> _Layers:
    g = geometry
    values = np.frombuffer(raw).reshape(g.size, g.size)
    cell = picture_cell(g)
    unread = np.zeros((g.extent, g.extent), dtype=bool)
    unread[g.padding:g.padding + g.size, g.padding:g.padding + g.size] = unread_mask(g)
    pad_text = "−∞" if g.kind == "max" else "0"
    inner = range(g.padding, g.padding + g.size)
    texts = {(r, c): str(int(values[r - g.padding, c - g.padding])) if r in inner and c in inner else pad_text
             for r in range(g.padded_size) for c in range(g.padded_size)}
    shape = (g.extent * cell + 1, g.extent * cell + 1)
    hatches = ((hatch(outside_mask(g), cell, 5), _OUTSIDE_HATCH), (hatch(unread, cell, 4), _UNREAD_HATCH))
    inked = ink(text_layer(texts, shape, cell), cell, g.extent)
    layers = _Layers(cell, input_colours(g, values), hatches, inked)
    _frozen(layers.base, *(mask for mask, _ in layers.hatches), *layers.ink)
    return layers


@functools.lru_cache(maxsize=64)
def _output_layers(geometry: PoolGeometry, raw: bytes) -> _Layers:
    g = geometry
    values = np.frombuffer(raw).reshape(g.kept, g.kept)
    cell = picture_cell(g)                     # the input's cell size: the two grids line up
    dropped = np.ones((g.candidates, g.candidates), dtype=bool)
    dropped[:g.kept, :g.kept] = False
    texts = {(r, c): value_text(values[r, c]) for r in range(g.kept) for c in range(g.kept)}
    shape = (g.candidates * cell + 1, g.candidates * cell + 1)
    layers = _Layers(cell, np.zeros((0, 0, 3)), ((hatch(dropped, cell, 4), _UNREAD_HATCH),),
                     ink(text_layer(texts, shape, cell), cell, g.candidates))
    _frozen(*(mask for mask, _ in layers.hatches), *layers.ink)
    return layers


def _position(geometry: PoolGeometry, step: int) -> tuple[int, int] | None:
    return geometry.output_position(step) if geometry.steps else None


def input_picture(geometry: PoolGeometry, values: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """The padded input with window ``step`` current: ``(cells, pixels)``.

    ``cells`` is RGB ``(E, E, 3)`` in [0, 1]; ``pixels`` the RGB ``uint8`` picture: the grid,
    the real input outlined, cells outside the padded input grey-hatched, input cells no
    window reads red-hatched, dropped windows outlined in red, the current window in orange,
    and the values (``−∞`` or ``0`` in the padding) written in cells large enough.
    ``values`` is the ``(n, n)`` input; without windows (``geometry.steps == 0``) none is current.
    """
    g = geometry
    layers = _input_layers(g, np.ascontiguousarray(values, dtype=float).tobytes())
    position = _position(g, step)
    cells = blend(layers.base, window_overlay(g, position))
    pixels = grid_pixels(cells, layers.cell, border=(g.padding, g.padding, g.size, g.size))
    for mask, colour in layers.hatches:
        pixels[mask] = colour
    for top, left in g.dropped_windows():
        outline(pixels, top, left, g.kernel_size, layers.cell, _DROPPED_LINE, 2, 3)
    if position is not None:
        outline(pixels, g.start(position[0]), g.start(position[1]), g.kernel_size, layers.cell,
                _WINDOW_LINE, 3, 0)
    write(pixels, layers.ink)
    return cells, pixels


def output_picture(geometry: PoolGeometry, step: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The output after window ``step``: ``(cells, pixels)``.

    ``cells`` is ``output_colours`` (``(0, 0, 3)`` when no window is drawn at all); ``pixels``
    the RGB ``uint8`` picture with the dropped row and column hatched and the ``(out, out)``
    pooled ``values`` written in the cells filled so far.
    """
    g = geometry
    if g.candidates == 0:
        return np.zeros((0, 0, 3)), blank(picture_cell(g))
    layers = _output_layers(g, np.ascontiguousarray(values, dtype=float).tobytes())
    cells = output_colours(g, step, values)
    pixels = grid_pixels(cells, layers.cell)
    for mask, colour in layers.hatches:
        pixels[mask] = colour
    written = np.zeros((g.candidates, g.candidates), dtype=bool)
    written[:g.kept, :g.kept] = (np.arange(g.steps) <= step).reshape(g.kept, g.kept)
    write(pixels, layers.ink, written.reshape(-1))
    return cells, pixels
