"""Pooling explorer: watch a max or average pooling window walk over a padded input.

The plain functions at the top turn settings into geometry, values, colours and
text; ``PoolingExplorer`` only wires the controls to them. The output size follows
PyTorch's rule exactly, ``ceil_mode`` included: round up, then drop a last window
that would start in the right (bottom) padding. Every settings change is checked
against a real ``nn.MaxPool2d``/``nn.AvgPool2d``, shape and values, and the explorer
says so if the picture and PyTorch ever disagree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch
from torch import nn

from ._base import Explorer, single_thread, step_controls
from ._raster import blend, cell_size, grid_pixels, png

__all__ = ["PoolGeometry", "PoolingExplorer", "input_colours", "notes_text", "outside_mask", "output_colours",
           "pool_geometry", "pool_values", "pooling_explorer", "pytorch_pool", "sample_values",
           "window_overlay", "window_result"]

KINDS = ("max", "avg")
LARGEST_SIZE = 16

# Colours of the picture, RGB(A) in [0, 1].
_PADDING = (0.80, 0.82, 0.90)
_OUTSIDE = (0.97, 0.97, 0.97)
_READ = (1.0, 0.55, 0.0, 0.60)        # a cell the current window reads
_OVERHANG = (1.0, 0.55, 0.0, 0.22)    # part of the current window past the padded input: not read
_CURRENT = (1.0, 0.55, 0.0)
_PENDING = (1.0, 1.0, 1.0)
_DROPPED_CELL = (0.93, 0.93, 0.93)
# Pixel colours (uint8) of lines drawn on top of the cells.
_WINDOW_LINE = np.array([230, 110, 0], dtype=np.uint8)
_DROPPED_LINE = np.array([200, 0, 0], dtype=np.uint8)
_UNREAD_HATCH = np.array([200, 30, 30], dtype=np.uint8)
_OUTSIDE_HATCH = np.array([150, 150, 150], dtype=np.uint8)


# -- geometry -----------------------------------------------------------------------
@dataclass(frozen=True)
class PoolGeometry:
    """Where a square pooling window reads on a square input; every size is the same along both axes.

    Positions along an axis are counted in the padded input: window ``i`` starts at ``i·s``,
    the real input occupies ``p`` to ``n + p − 1``.
    """

    kind: str
    size: int
    kernel_size: int
    stride: int
    padding: int
    ceil_mode: bool

    @property
    def padded_size(self) -> int:
        return self.size + 2 * self.padding

    @property
    def room(self) -> int:
        """``n + 2p − k``: how far the window can move inside the padded input."""
        return self.padded_size - self.kernel_size

    @property
    def floor_size(self) -> int:
        """``⌊(n + 2p − k) / s⌋ + 1``, PyTorch's size with ``ceil_mode=False`` (≤ 0: no output)."""
        return self.room // self.stride + 1

    @property
    def rounded_up_size(self) -> int:
        """``⌈(n + 2p − k) / s⌉ + 1``, before the rule that drops a window starting in the padding."""
        return -(-self.room // self.stride) + 1

    @property
    def ceil_size(self) -> int:
        """PyTorch's size with ``ceil_mode=True``: rounded up, less 1 if the last window starts in padding."""
        out = self.rounded_up_size
        if (out - 1) * self.stride >= self.size + self.padding:
            out -= 1
        return out

    @property
    def padding_ok(self) -> bool:
        """PyTorch allows at most ``kernel_size // 2`` of padding."""
        return self.padding <= self.kernel_size // 2

    @property
    def out_size(self) -> int:
        return self.ceil_size if self.ceil_mode else self.floor_size

    @property
    def valid(self) -> bool:
        return self.padding_ok and self.out_size >= 1

    @property
    def kept(self) -> int:
        """Windows along one axis that PyTorch computes."""
        return max(self.out_size, 0) if self.padding_ok else 0

    @property
    def candidates(self) -> int:
        """Windows along one axis that the picture draws: the kept ones and at most one dropped one.

        With ``ceil_mode=False`` the dropped one is the window that ``ceil_mode=True`` would add;
        with ``ceil_mode=True`` it is the window removed because it would start in the padding.
        """
        if not self.padding_ok:
            return 0
        return max(self.rounded_up_size if self.ceil_mode else self.ceil_size, 0)

    @property
    def dropped_index(self) -> int | None:
        """Index (along each axis) of the dropped window, or None when there is none."""
        return self.kept if self.candidates > self.kept else None

    @property
    def extent(self) -> int:
        """Cells per axis in the picture: the padded input, plus how far the last drawn window sticks out."""
        if self.candidates < 1:
            return self.padded_size
        return max(self.padded_size, (self.candidates - 1) * self.stride + self.kernel_size)

    @property
    def steps(self) -> int:
        """How many windows are computed: one per output cell."""
        return self.kept ** 2

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.out_size, self.out_size) if self.valid else ()

    def output_position(self, step: int) -> tuple[int, int]:
        """The output cell the ``step``-th window writes, in row-major order."""
        if not 0 <= step < self.steps:
            raise IndexError(f"step {step} is outside 0..{self.steps - 1}")
        return divmod(step, self.kept)

    def start(self, index: int) -> int:
        """Padded position where window ``index`` starts along an axis."""
        return index * self.stride

    def inside(self, index: int) -> range:
        """Padded positions window ``index`` reads along an axis: its cells inside the padded input."""
        start = self.start(index)
        return range(start, min(start + self.kernel_size, self.padded_size))

    def dropped_windows(self) -> list[tuple[int, int]]:
        """``(top, left)`` of every dropped window: those in the dropped row or column of windows."""
        d = self.dropped_index
        if d is None:
            return []
        return [(self.start(r), self.start(c)) for r in range(self.candidates) for c in range(self.candidates)
                if r == d or c == d]

    def read_axis(self) -> np.ndarray:
        """``(n,)`` bool: which real positions along an axis some computed window reads."""
        read = np.zeros(self.size, dtype=bool)
        for i in range(self.kept):
            start = self.start(i) - self.padding
            read[max(start, 0):max(start + self.kernel_size, 0)] = True
        return read

    def unread(self) -> np.ndarray:
        """``(n, n)`` bool: real input cells that no computed window reads."""
        read = self.read_axis()
        return ~np.outer(read, read)

    @property
    def layer_name(self) -> str:
        return "MaxPool2d" if self.kind == "max" else "AvgPool2d"

    def layer_code(self) -> str:
        """The PyTorch layer these settings describe."""
        return (f"nn.{self.layer_name}(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, ceil_mode={self.ceil_mode})")

    def formula(self) -> str:
        """The output-size formula with the current numbers substituted (plain text)."""
        n, k, s, p = self.size, self.kernel_size, self.stride, self.padding
        if not self.ceil_mode:
            return (f"H_out = ⌊(H + 2p − k) / s⌋ + 1 = ⌊({n} + 2·{p} − {k}) / {s}⌋ + 1 "
                    f"= ⌊{self.room} / {s}⌋ + 1 = {self.floor_size}   (W_out the same)")
        up = self.rounded_up_size
        text = (f"H_out = ⌈(H + 2p − k) / s⌉ + 1 = ⌈({n} + 2·{p} − {k}) / {s}⌉ + 1 "
                f"= ⌈{self.room} / {s}⌉ + 1 = {up}")
        if up >= 1:
            last = (up - 1) * s
            if last >= n + p:
                text += (f"; the last window would start at ({up} − 1)·{s} = {last} ≥ H + p = {n + p}, "
                         f"in the padding, so it is dropped: H_out = {up - 1}")
            else:
                text += f"; the last window starts at ({up} − 1)·{s} = {last} < H + p = {n + p}, so it stays"
        return text + "   (W_out the same)"

    def size_label(self) -> str:
        """``output size: 3 × 3`` (or ``output size: none`` when PyTorch gives no output)."""
        return f"output size: {self.out_size} × {self.out_size}" if self.valid else "output size: none"

    @property
    def problem(self) -> str | None:
        """Why PyTorch gives no output, in words a student can act on; None when it gives one."""
        k, p = self.kernel_size, self.padding
        if not self.padding_ok:
            return (f"Padding {p} is more than half the kernel size: at most kernel_size // 2 = {k // 2} "
                    f"is allowed. Use less padding or a larger kernel.")
        if self.out_size < 1:
            text = (f"No valid output: the {k} × {k} window is larger than the padded input "
                    f"({self.padded_size} × {self.padded_size}).")
            if not self.ceil_mode and self.ceil_size >= 1:
                text += " ceil_mode=True would keep one window that sticks out past the end."
            return text + " Use a smaller kernel or more padding."
        return None


def pool_geometry(kind: str = "max", size: int = 7, kernel_size: int = 2, stride: int | None = None,
                  padding: int = 0, ceil_mode: bool = False) -> PoolGeometry:
    """Check the settings and return their ``PoolGeometry``; ``stride=None`` means the kernel size."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if stride is None:
        stride = kernel_size
    for name, value, least in [("size", size, 1), ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                               ("padding", padding, 0)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an int of at least {least}, got {value!r}")
    if size > LARGEST_SIZE:
        raise ValueError(f"size must be at most {LARGEST_SIZE}, got {size!r}")
    if not isinstance(ceil_mode, bool):
        raise ValueError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    return PoolGeometry(kind, size, kernel_size, stride, padding, ceil_mode)


# -- values -------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def sample_values(size: int) -> torch.Tensor:
    """A fixed ``(size, size)`` float tensor of integers 0..9: the top-left corner of one 16 × 16 draw."""
    generator = torch.Generator().manual_seed(4)
    grid = torch.randint(0, 10, (LARGEST_SIZE, LARGEST_SIZE), generator=generator)
    return grid[:size, :size].float()


def _padded(geometry: PoolGeometry, values: np.ndarray) -> np.ndarray:
    """The padded input as PyTorch pads it: −∞ for max pooling, zeros for average pooling."""
    g = geometry
    fill = -np.inf if g.kind == "max" else 0.0
    padded = np.full((g.padded_size, g.padded_size), fill)
    padded[g.padding:g.padding + g.size, g.padding:g.padding + g.size] = values
    return padded


def window_result(geometry: PoolGeometry, padded: np.ndarray, position: tuple[int, int]
                  ) -> tuple[float, float, int]:
    """``(result, sum, cells)`` of one window: its max or mean over the cells inside the padded input.

    Average pooling divides by the number of window cells inside the padded input: padding
    zeros count (``count_include_pad=True``), cells a ``ceil_mode`` window has past the padded
    input do not, exactly as PyTorch does.
    """
    rows, columns = (geometry.inside(i) for i in position)
    cells = padded[rows.start:rows.stop, columns.start:columns.stop]
    total = float(cells.sum()) if geometry.kind == "avg" else float("nan")
    result = float(cells.max()) if geometry.kind == "max" else total / cells.size
    return result, total, cells.size


def pool_values(geometry: PoolGeometry, values: np.ndarray) -> np.ndarray:
    """The explorer's own pooling of the ``(n, n)`` ``values``, window by window: ``(out, out)``."""
    g = geometry
    padded = _padded(g, np.asarray(values, dtype=float))
    out = np.empty((g.kept, g.kept))
    for r in range(g.kept):
        for c in range(g.kept):
            out[r, c] = window_result(g, padded, (r, c))[0]
    return out


@functools.lru_cache(maxsize=512)
def pytorch_pool(geometry: PoolGeometry) -> tuple[np.ndarray | None, str | None]:
    """Pool ``sample_values`` with a real ``nn.MaxPool2d``/``nn.AvgPool2d``.

    Returns ``(output, None)`` or ``(None, error)``; the output is ``(H_out, W_out)``, without
    the batch and channel axes.
    """
    g = geometry
    layer_class = nn.MaxPool2d if g.kind == "max" else nn.AvgPool2d
    x = sample_values(g.size).view(1, 1, g.size, g.size)  # (N, C, H, W)
    try:
        layer = layer_class(kernel_size=g.kernel_size, stride=g.stride, padding=g.padding,
                            ceil_mode=g.ceil_mode)
        with torch.no_grad(), single_thread():
            out = layer(x)[0, 0].numpy().astype(float)
        out.flags.writeable = False        # shared by the cache
        return out, None
    except RuntimeError as err:
        return None, str(err).strip().splitlines()[0]


# -- pictures -----------------------------------------------------------------------
def _grey(values: np.ndarray) -> np.ndarray:
    """Grey levels for values 0..9: light enough for black digits, never the white of a pending output."""
    level = 0.95 - 0.065 * np.clip(np.asarray(values, dtype=float), 0, 9)
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
        kept[:step] = (0.62, 0.78, 0.92)
    else:
        kept[:step] = _grey(np.asarray(values).reshape(-1)[:step])
    if g.steps:
        kept[step] = _CURRENT
    picture = np.empty((g.candidates, g.candidates, 3))
    picture[:] = _DROPPED_CELL
    picture[:g.kept, :g.kept] = kept.reshape(g.kept, g.kept, 3)
    return picture


# -- drawing on pixels ----------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _font_file() -> str | None:
    # matplotlib ships DejaVu Sans, which has '−' and '∞'; find it without importing matplotlib.
    spec = find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return str(path) if path.exists() else None


@functools.lru_cache(maxsize=64)
def _font(size: int):
    from PIL import ImageFont

    path = _font_file()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


@functools.lru_cache(maxsize=1024)
def _glyph(text: str, cell: int) -> np.ndarray | None:
    """Alpha ``(cell − 1, cell − 1)`` of ``text`` centred in a cell, or None if it does not fit."""
    from PIL import Image, ImageDraw

    # Longer numbers (averages such as 2.75) get a smaller font before giving up.
    fonts = [_font(max(7, int(cell * share))) for share in (0.42, 0.34, 0.28)]
    font = next((f for f in fonts if f.getlength(text) <= cell - 3), None)
    if font is None:
        return None
    image = Image.new("L", (cell - 1, cell - 1), 0)
    ImageDraw.Draw(image).text(((cell - 1) / 2, (cell - 1) / 2), text, fill=255, font=font, anchor="mm")
    return np.asarray(image, dtype=float) / 255


def _text_layer(texts: dict[tuple[int, int], str], shape: tuple[int, int], cell: int) -> np.ndarray:
    """Alpha ``(H, W)`` of a picture with ``texts[(row, column)]`` written in those cells."""
    layer = np.zeros(shape)
    if cell < 14:
        return layer                            # too small to read: the captions give the numbers
    for (r, c), text in texts.items():
        glyph = _glyph(text, cell)
        if glyph is not None:
            layer[r * cell + 1:(r + 1) * cell, c * cell + 1:(c + 1) * cell] = glyph
    return layer


def _ink(layer: np.ndarray, cell: int, columns: int) -> tuple[np.ndarray, ...]:
    """Where a text layer has ink: pixel rows, pixel columns, ``1 − alpha`` there, and each pixel's cell."""
    rows, cols = np.nonzero(layer)
    return rows, cols, 1.0 - layer[rows, cols, None], (rows // cell) * columns + cols // cell


def _write(pixels: np.ndarray, ink: tuple[np.ndarray, ...], cells: np.ndarray | None = None) -> None:
    """Darken ``pixels`` where the text ``ink`` is, only in the flat ``cells`` mask if given."""
    rows, cols, keep, cell_of = ink
    if cells is not None:
        chosen = cells[cell_of]
        rows, cols, keep = rows[chosen], cols[chosen], keep[chosen]
    pixels[rows, cols] = (pixels[rows, cols] * keep).astype(np.uint8)


def _cell_pixels(mask: np.ndarray, cell: int) -> np.ndarray:
    """Pixel-level ``(H, W)`` version of a cell mask, grid lines left out."""
    pixels = np.repeat(np.repeat(mask, cell, axis=0), cell, axis=1)
    pixels = np.pad(pixels, ((0, 1), (0, 1)))
    pixels[::cell, :] = False
    pixels[:, ::cell] = False
    return pixels


def _hatch(mask: np.ndarray, cell: int, spacing: int) -> np.ndarray:
    """Pixel-level ``(H, W)`` diagonal lines over the cells of ``mask``."""
    pixels = _cell_pixels(mask, cell)
    return pixels & _diagonals(pixels.shape, spacing)


@functools.lru_cache(maxsize=16)
def _diagonals(shape: tuple[int, int], spacing: int) -> np.ndarray:
    lines = (np.arange(shape[0])[:, None] + np.arange(shape[1])) % spacing == 0
    lines.flags.writeable = False          # shared by the cache
    return lines


def _outline(pixels: np.ndarray, top: int, left: int, size: int, cell: int, colour: np.ndarray,
             thickness: int, inset: int) -> None:
    """Draw a square outline of ``size`` cells at cell ``(top, left)``, ``inset`` pixels inside the cells."""
    y0, x0 = top * cell + inset, left * cell + inset
    y1, x1 = (top + size) * cell - inset, (left + size) * cell - inset
    y1, x1 = min(y1, pixels.shape[0] - 1), min(x1, pixels.shape[1] - 1)
    pixels[y0:y0 + thickness, x0:x1 + 1] = colour
    pixels[y1 - thickness + 1:y1 + 1, x0:x1 + 1] = colour
    pixels[y0:y1 + 1, x0:x0 + thickness] = colour
    pixels[y0:y1 + 1, x1 - thickness + 1:x1 + 1] = colour


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if np.isfinite(value) else "−∞"


def _rows_text(r: range) -> str:
    return f"{r.start}" if len(r) == 1 else f"{r.start}–{r.stop - 1}"


def notes_text(geometry: PoolGeometry) -> str:
    """What the padding is and what ``ceil_mode`` does here, in plain text."""
    g = geometry
    n, p, s = g.size, g.padding, g.stride
    if g.kind == "max":
        pad = ("Max pooling pads with −∞: a padded cell never wins a maximum, it only lets the border "
               "windows exist.")
    else:
        pad = ("Average pooling pads with zeros and, by default (count_include_pad=True), counts them in the "
               "mean; cells of a ceil_mode window past the padded input are not counted.")
    if not g.padding_ok:
        return pad
    index = g.floor_size
    start = g.start(index)
    if g.room % s == 0:
        rule = "The windows fit exactly: ceil_mode=True and False give the same size."
    elif not g.ceil_mode and g.ceil_size > g.floor_size:
        rule = (f"Dropped (red outline): ceil_mode=True would add window {index}, which starts at padded "
                f"position {start} and sticks out {start + g.kernel_size - g.padded_size} past the padded "
                "input; rounding down drops it.")
    elif not g.ceil_mode:
        rule = (f"ceil_mode=True would not add a window either: the next one would start at padded position "
                f"{start} ≥ n + p = {n + p}, in the padding.")
    elif g.ceil_size > g.floor_size:
        rule = (f"ceil_mode=True keeps window {index}: it starts at padded position {start} "
                f"< n + p = {n + p} and sticks out {start + g.kernel_size - g.padded_size} past the padded "
                "input (grey hatching: outside, never read).")
    else:
        rule = (f"Dropped (red outline): rounding up gives window {index}, but it would start at padded "
                f"position {start} ≥ n + p = {n + p}, in the padding, so PyTorch drops it.")
    unread = int(g.unread().sum())
    if unread:
        rule += f" No window reads {unread} of the input cells (red hatching)."
    return f"{pad} {rule}"


_LEGEND = ('<span style="font-size:90%">'
           '<span style="background:#ffb366;padding:0 6px">&nbsp;</span> current window &nbsp; '
           '<span style="background:#ccd1e6;padding:0 6px">&nbsp;</span> padding &nbsp; '
           '<span style="background:repeating-linear-gradient(45deg,#f7f7f7 0 3px,#969696 3px 4px);'
           'padding:0 6px">&nbsp;</span> outside the padded input &nbsp; '
           '<span style="background:repeating-linear-gradient(45deg,#fff 0 3px,#c81e1e 3px 4px);'
           'padding:0 6px">&nbsp;</span> never read / dropped output &nbsp; '
           '<span style="border:2px solid #c80000;padding:0 5px">&nbsp;</span> dropped window</span>')


# -- the widget ---------------------------------------------------------------------
class PoolingExplorer(Explorer):
    """Controls for max/average, input size, kernel size, stride, padding and ``ceil_mode``; a step slider.

    After every change these hold what was just drawn, for the headless tests:
    ``input_cells`` and ``output_cells`` (cell colours, RGB in [0, 1]), ``input_pixels``
    (the picture as ``uint8``), ``window`` (``(top, left)`` of the current window in the padded
    input, or None), ``dropped`` (``(top, left)`` of each dropped window), ``unread`` (real input
    cells no window reads) and ``output_values`` (the explorer's own pooling).
    """

    def __init__(self, kind: str = "max", size: int = 7, kernel_size: int = 2, stride: int | None = None,
                 padding: int = 0, ceil_mode: bool = False):
        geometry = pool_geometry(kind, size, kernel_size, stride, padding, ceil_mode)  # reject bad settings
        super().__init__()
        slider = functools.partial(widgets.IntSlider, continuous_update=False,
                                   style={"description_width": "90px"},
                                   layout=widgets.Layout(width="300px"))
        self.kind = widgets.ToggleButtons(options=[("max pooling", "max"), ("average pooling", "avg")],
                                          value=kind, description="pooling",
                                          style={"button_width": "120px"})
        self.size = slider(value=size, min=1, max=LARGEST_SIZE, description="input size")
        self.kernel_size = slider(value=kernel_size, min=1, max=max(7, kernel_size),
                                  description="kernel size")
        self.stride = slider(value=geometry.stride, min=1, max=max(7, geometry.stride), description="stride",
                             disabled=stride is None)
        self.stride_is_kernel = widgets.Checkbox(value=stride is None, indent=False,
                                                 description="stride=None (the kernel size)")
        self.padding = slider(value=padding, min=0, max=max(3, padding), description="padding")
        self.ceil_mode = widgets.Checkbox(value=ceil_mode, description="ceil_mode", indent=False)
        for name in ("kind", "size", "kernel_size", "stride", "padding", "ceil_mode"):
            getattr(self, name).add_class(f"course-{name.replace('_', '-')}")
        self.stride_is_kernel.add_class("course-stride-none")
        self.play, self.step = step_controls(interval=600)

        self.input_caption, self.output_caption = widgets.HTML(), widgets.HTML()
        self.input_image, self.output_image = widgets.Image(format="png"), widgets.Image(format="png")
        self.size_text = widgets.HTML()
        self.size_text.add_class("course-output-size")
        self.formula_text, self.code_text = widgets.HTML(), widgets.HTML()
        self.notes_text = widgets.HTML(layout=widgets.Layout(max_width="760px"))
        self.input_cells = self.output_cells = np.zeros((0, 0, 3))
        self.input_pixels = np.zeros((0, 0, 3), dtype=np.uint8)
        self.window: tuple[int, int] | None = None
        self.dropped: list[tuple[int, int]] = []
        self.unread = np.zeros((0, 0), dtype=bool)
        self.output_values = np.zeros((0, 0))

        self._syncing = False
        self._watch([self.kind, self.size, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                     self.stride_is_kernel], self.update)
        self._watch([self.step], self.redraw)
        self._finish([
            self.kind,
            widgets.HBox([widgets.VBox([self.size, self.kernel_size, self.padding]),
                          widgets.VBox([self.stride, self.stride_is_kernel, self.ceil_mode])]),
            widgets.HBox([self.play, self.step]),
            self.size_text, self.formula_text, self.code_text,
            widgets.HBox([widgets.VBox([self.input_caption, self.input_image]),
                          widgets.VBox([self.output_caption, self.output_image],
                                       layout=widgets.Layout(margin="0 0 0 24px"))]),
            widgets.HTML(_LEGEND), self.notes_text,
        ])
        self.geometry = geometry
        self._values = np.zeros((0, 0))
        self._static: dict = {}
        self.update()

    # -- callbacks ----------------------------------------------------------------------
    def update(self) -> None:
        """Settings changed: recompute the geometry, check it against PyTorch, redraw everything."""
        if self._syncing:
            return
        if self.stride_is_kernel.value and self.stride.value != self.kernel_size.value:
            self._syncing = True               # one update for the pair of changes, not two
            try:
                self.stride.value = self.kernel_size.value
            finally:
                self._syncing = False
        self.stride.disabled = self.stride_is_kernel.value
        g = self.geometry = pool_geometry(self.kind.value, self.size.value, self.kernel_size.value,
                                          self.stride.value, self.padding.value, self.ceil_mode.value)
        self._values = sample_values(g.size).numpy().astype(float)
        self.output_values = pool_values(g, self._values)
        self.unread = g.unread() if g.padding_ok else np.zeros((g.size, g.size), dtype=bool)
        self.dropped = g.dropped_windows()

        self.size_text.value = f"<b>{g.size_label()}</b>"
        self.formula_text.value = f"<code>{g.formula()}</code>"
        self.code_text.value = f"<code>{g.layer_code()}</code>"
        self.notes_text.value = notes_text(g)
        self._prepare_pictures(g)
        self._check_against_pytorch(g)

        steps = max(g.steps, 1)
        self.play.max = steps - 1          # the link carries it to the step slider
        self.step.disabled = self.play.disabled = not g.valid
        if self.step.value > steps - 1:
            self.step.value = steps - 1    # its own callback redraws
        else:
            self.redraw()

    def _prepare_pictures(self, g: PoolGeometry) -> None:
        """What stays the same while the step moves: base colours, hatching, numbers."""
        cell = cell_size(g.extent)
        base = input_colours(g, self._values)
        unread = np.zeros((g.extent, g.extent), dtype=bool)
        unread[g.padding:g.padding + g.size, g.padding:g.padding + g.size] = self.unread
        pad_text = "−∞" if g.kind == "max" else "0"
        texts = {}
        for r in range(g.padded_size):
            for c in range(g.padded_size):
                real = g.padding <= r < g.padding + g.size and g.padding <= c < g.padding + g.size
                texts[(r, c)] = str(int(self._values[r - g.padding, c - g.padding])) if real else pad_text
        shape = (g.extent * cell + 1, g.extent * cell + 1)
        dropped_cells = np.ones((g.candidates, g.candidates), dtype=bool)
        dropped_cells[:g.kept, :g.kept] = False
        out_texts = {(r, c): _number(self.output_values[r, c]) for r in range(g.kept) for c in range(g.kept)}
        out_shape = (g.candidates * cell + 1, g.candidates * cell + 1)
        self._static = {
            "cell": cell, "base": base,
            "outside_hatch": _hatch(outside_mask(g), cell, 5),
            "unread_hatch": _hatch(unread, cell, 4),
            "ink": _ink(_text_layer(texts, shape, cell), cell, g.extent),
            "out_ink": _ink(_text_layer(out_texts, out_shape, cell), cell, g.candidates),
            "out_dropped_hatch": _hatch(dropped_cells, cell, 4),
        }
        what = "padded input" if g.padding else "input (no padding)"
        caption = f"{what}: {g.padded_size} × {g.padded_size}"
        if g.extent > g.padded_size:
            caption += f", drawn {g.extent - g.padded_size} wider where a window sticks out"
        self.input_caption.value = caption

    def _check_against_pytorch(self, g: PoolGeometry) -> None:
        torch_out, torch_error = pytorch_pool(g)
        n = g.size
        if g.valid and torch_out is not None and torch_out.shape == g.out_shape:
            if np.allclose(torch_out, self.output_values, rtol=1e-6, atol=1e-5):
                self._say(f"PyTorch agrees: {g.layer_code()} maps (1, 1, {n}, {n}) to "
                          f"(1, 1, {g.out_size}, {g.out_size}), with the same values.", "ok")
            else:
                worst = float(np.abs(torch_out - self.output_values).max())
                self._say(f"The picture and PyTorch disagree: same shape, but values differ by up to "
                          f"{worst:.3g}.", "warn")
        elif not g.valid and torch_error is not None:
            self._say(f"{g.problem} PyTorch refuses too: {torch_error}", "error")
        else:
            seen = f"(1, 1, {torch_out.shape[0]}, {torch_out.shape[1]})" if torch_out is not None \
                else f"an error ({torch_error})"
            self._say(f"The picture and PyTorch disagree: the picture has {g.size_label()}, "
                      f"PyTorch gives {seen}.", "warn")

    def redraw(self) -> None:
        """The step moved (or settings changed): move the window and fill the output."""
        g, static = self.geometry, self._static
        cell = static["cell"]
        step = min(self.step.value, max(g.steps - 1, 0))
        position = g.output_position(step) if g.steps else None
        self.window = None if position is None else (g.start(position[0]), g.start(position[1]))

        self.input_cells = blend(static["base"], window_overlay(g, position))
        pixels = grid_pixels(self.input_cells, cell, border=(g.padding, g.padding, g.size, g.size))
        pixels[static["outside_hatch"]] = _OUTSIDE_HATCH
        pixels[static["unread_hatch"]] = _UNREAD_HATCH
        for top, left in self.dropped:
            _outline(pixels, top, left, g.kernel_size, cell, _DROPPED_LINE, 2, 3)
        if self.window is not None:
            _outline(pixels, *self.window, g.kernel_size, cell, _WINDOW_LINE, 3, 0)
        _write(pixels, static["ink"])
        self.input_pixels = pixels
        self.input_image.value = png(pixels)

        if g.candidates == 0:
            self.output_cells = np.zeros((0, 0, 3))
            self.output_caption.value = "output: none (see the message below)"
            self.output_image.value = png(np.full((cell + 1, cell + 1, 3), 255, dtype=np.uint8))
            return
        self.output_cells = output_colours(g, step, self.output_values)
        out = grid_pixels(self.output_cells, cell)
        out[static["out_dropped_hatch"]] = _UNREAD_HATCH
        written = np.zeros((g.candidates, g.candidates), dtype=bool)
        written[:g.kept, :g.kept] = (np.arange(g.steps) <= step).reshape(g.kept, g.kept)
        _write(out, static["out_ink"], written.reshape(-1))
        self.output_image.value = png(out)
        self.output_caption.value = self._output_caption(g, position)

    def _output_caption(self, g: PoolGeometry, position: tuple[int, int] | None) -> str:
        shape = f"output: {g.kept} × {g.kept}" if g.kept else "output: none"
        if g.dropped_index is not None:
            shape += f" (+ dropped row and column {g.dropped_index}, hatched)"
        if position is None:
            return shape
        rows, columns = (g.inside(i) for i in position)
        result, total, cells = window_result(g, _padded(g, self._values), position)
        where = (f"[{position[0]}, {position[1]}] reads padded rows {_rows_text(rows)}, "
                 f"columns {_rows_text(columns)}")
        if g.kind == "max":
            value = f"max = {_number(result)}"
        else:
            value = f"mean = {_number(total)} / {cells} = {_number(result)}"
            if cells < g.kernel_size ** 2:
                value += f" ({g.kernel_size ** 2 - cells} window cells past the padded input not counted)"
        return f"{shape}<br>window {where}: {value}"


def pooling_explorer(kind: str = "max", size: int = 7, kernel_size: int = 2, stride: int | None = None,
                     padding: int = 0, ceil_mode: bool = False) -> PoolingExplorer:
    """Return a 2-D pooling explorer; display it by making it a cell's last line.

    ``kind`` is ``"max"`` (``nn.MaxPool2d``) or ``"avg"`` (``nn.AvgPool2d``); ``stride=None``
    means the kernel size, as in PyTorch; ``size`` is at most 16. Settings that PyTorch refuses
    (padding above ``kernel_size // 2``, a window larger than the padded input) are allowed
    and explained in the status line.
    """
    return PoolingExplorer(kind, size, kernel_size, stride, padding, ceil_mode)
