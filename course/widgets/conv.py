"""Convolution explorer: watch a (dilated) kernel slide over a padded input.

The plain functions at the top turn settings into geometry, colours and text;
``ConvExplorer`` only wires sliders to them. Every settings change is checked
against a real ``nn.Conv1d``/``nn.Conv2d``, and the explorer says so if the
picture and PyTorch ever disagree.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._base import Explorer, single_thread, step_controls
from ._raster import blend, cell_size, grid_pixels, png

__all__ = ["ConvExplorer", "ConvGeometry", "conv_explorer", "conv_geometry", "input_overlay",
           "named_kernel", "output_colours", "pytorch_output_shape", "sample_input"]

KERNELS = ("edge", "blur", "sharpen")

# RGBA colours of the picture.
_INPUT = (1.0, 1.0, 1.0)
_PADDING = (0.80, 0.82, 0.90)
_TAP = (1.0, 0.55, 0.0, 0.70)       # a cell the kernel reads
_HOLE = (1.0, 0.55, 0.0, 0.18)      # inside the window's span but skipped by dilation
_DONE = (0.62, 0.78, 0.92, 1.0)
_CURRENT = (1.0, 0.55, 0.0, 1.0)
_PENDING = (1.0, 1.0, 1.0, 1.0)


# -- geometry -----------------------------------------------------------------------
@dataclass(frozen=True)
class ConvGeometry:
    """Where a square kernel reads on a square (or 1-D) input, one size for every axis."""

    dims: int
    size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int

    @property
    def effective_kernel_size(self) -> int:
        """Input cells one dilated window spans: ``d * (k - 1) + 1``."""
        return self.dilation * (self.kernel_size - 1) + 1

    @property
    def padded_size(self) -> int:
        return self.size + 2 * self.padding

    @property
    def out_size(self) -> int:
        """``floor((n + 2p - d(k - 1) - 1) / s) + 1``; zero or less means no valid output."""
        room = self.size + 2 * self.padding - self.dilation * (self.kernel_size - 1) - 1
        return room // self.stride + 1

    @property
    def valid(self) -> bool:
        return self.out_size >= 1

    @property
    def problem(self) -> str | None:
        """Why there is no output, in words a student can act on; None when there is one."""
        if self.valid:
            return None
        return (f"No valid output: the dilated kernel spans d·(k − 1) + 1 = {self.effective_kernel_size} "
                f"cells, but the padded input has only n + 2p = {self.padded_size}. "
                "Use a smaller kernel or dilation, or more padding.")

    @property
    def out_shape(self) -> tuple[int, ...]:
        return (self.out_size,) * self.dims if self.valid else ()

    @property
    def steps(self) -> int:
        """How many windows the kernel visits: one per output cell."""
        return max(self.out_size, 0) ** self.dims

    def output_position(self, step: int) -> tuple[int, ...]:
        """The output cell the ``step``-th window writes, in row-major order."""
        if not 0 <= step < self.steps:
            raise IndexError(f"step {step} is outside 0..{self.steps - 1}")
        return tuple(int(i) for i in np.unravel_index(step, self.out_shape))

    def taps(self, position: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Padded-input cells the window for output ``position`` reads: ``i·s + a·d`` per axis."""
        per_axis = [[i * self.stride + a * self.dilation for a in range(self.kernel_size)]
                    for i in position]
        return list(itertools.product(*per_axis))

    def span(self, position: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Every padded-input cell inside the window's span, holes included."""
        per_axis = [range(i * self.stride, i * self.stride + self.effective_kernel_size) for i in position]
        return list(itertools.product(*per_axis))

    def layer_code(self) -> str:
        """The PyTorch layer these settings describe."""
        return (f"nn.Conv{self.dims}d(1, 1, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation})")

    def formula(self) -> str:
        """The output-size formula with the current numbers substituted (plain text)."""
        axis = "L" if self.dims == 1 else "H"
        n, k, s, p, d = self.size, self.kernel_size, self.stride, self.padding, self.dilation
        room = n + 2 * p - d * (k - 1) - 1
        text = (f"{axis}_out = ⌊({axis} + 2p − d·(k − 1) − 1) / s⌋ + 1 "
                f"= ⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = ⌊{room} / {s}⌋ + 1 = {self.out_size}")
        if self.dims == 2:
            text += "   (W_out the same)"
        return text

    def size_label(self) -> str:
        """``output size: 4 × 4`` (or ``output size: none`` when there is no valid output)."""
        if not self.valid:
            return "output size: none"
        return "output size: " + " × ".join(str(o) for o in self.out_shape)


def conv_geometry(dims: int = 2, size: int = 7, kernel_size: int = 3, stride: int = 1,
                  padding: int = 0, dilation: int = 1) -> ConvGeometry:
    """Check the settings and return their ``ConvGeometry``."""
    if dims not in (1, 2):
        raise ValueError(f"dims must be 1 or 2, got {dims!r}")
    for name, value, least in [("size", size, 1), ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                               ("padding", padding, 0), ("dilation", dilation, 1)]:
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{name} must be an int of at least {least}, got {value!r}")
    return ConvGeometry(dims, size, kernel_size, stride, padding, dilation)


@functools.lru_cache(maxsize=512)
def pytorch_output_shape(geometry: ConvGeometry) -> tuple[tuple[int, ...] | None, str | None]:
    """Run a real ``nn.Conv1d``/``nn.Conv2d`` on zeros: ``(output shape, None)`` or ``(None, error)``.

    The shape leaves out the batch and channel axes, so it compares with ``geometry.out_shape``.
    """
    g = geometry
    layer = (nn.Conv1d if g.dims == 1 else nn.Conv2d)(
        1, 1, kernel_size=g.kernel_size, stride=g.stride, padding=g.padding, dilation=g.dilation)
    x = torch.zeros((1, 1) + (g.size,) * g.dims)  # (N, C, L) or (N, C, H, W)
    try:
        with torch.no_grad(), single_thread():
            return tuple(layer(x).shape[2:]), None
    except RuntimeError as err:
        return None, str(err).strip().splitlines()[0]


# -- pictures -----------------------------------------------------------------------
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
    """RGB of the padded input: padding shaded, input white (or grey levels of ``values`` in [0, 1])."""
    g = geometry
    rows = 1 if g.dims == 1 else g.padded_size
    picture = np.empty((rows, g.padded_size, 3))
    picture[:] = _PADDING
    inner = (slice(None) if g.dims == 1 else slice(g.padding, g.padding + g.size),
             slice(g.padding, g.padding + g.size))
    if values is None:
        picture[inner] = _INPUT
    else:
        grey = np.asarray(values, dtype=float).reshape(-1 if g.dims == 1 else g.size, g.size)
        if g.dims == 1:
            grey = grey.reshape(1, g.size)
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


# -- real values --------------------------------------------------------------------
def named_kernel(name: str, kernel_size: int, dims: int = 2) -> torch.Tensor:
    """A ``(1, 1, k)`` or ``(1, 1, k, k)`` kernel: ``edge`` (centre minus the rest), ``blur``, ``sharpen``."""
    if name not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {name!r}")
    shape = (kernel_size,) * dims
    cells = kernel_size ** dims
    blur = torch.full(shape, 1.0 / cells)
    centre = torch.zeros(shape)
    centre[(kernel_size // 2,) * dims] = 1.0
    kernel = {"blur": blur,
              "edge": cells * centre - torch.ones(shape),   # sums to zero: flat regions give 0
              "sharpen": 2 * centre - blur}[name]
    return kernel.view(1, 1, *shape)


@functools.lru_cache(maxsize=64)
def sample_input(dims: int, size: int) -> torch.Tensor:
    """Real values in [0, 1]: a handwritten digit (2-D) or an EEG trace (1-D), resized to ``size``."""
    from course.data import load_digits, load_eeg

    if dims == 2:
        images, _ = load_digits()
        digit = images[3:4]                                    # (1, 1, 8, 8): a handwritten 3
        picture = F.interpolate(digit, size=(size, size), mode="bilinear", align_corners=True)[0, 0]
    else:
        trace = load_eeg()[0, 100:164].view(1, 1, -1)          # (1, 1, 64)
        picture = F.interpolate(trace, size=size, mode="linear", align_corners=True)[0, 0]
    low, high = picture.min(), picture.max()
    return (picture - low) / (high - low).clamp_min(1e-12)


def feature_map(geometry: ConvGeometry, kernel: str) -> torch.Tensor:
    """The convolution of ``sample_input`` with ``named_kernel``, computed by PyTorch."""
    g = geometry
    x = sample_input(g.dims, g.size).view((1, 1) + (g.size,) * g.dims)
    conv = F.conv1d if g.dims == 1 else F.conv2d
    with torch.no_grad(), single_thread():
        out = conv(x, named_kernel(kernel, g.kernel_size, g.dims), stride=g.stride,
                   padding=g.padding, dilation=g.dilation)
    return out[0, 0]


def _unit_range(values: torch.Tensor) -> np.ndarray:
    levels = values.numpy().astype(float)
    low, high = levels.min(), levels.max()
    return (levels - low) / max(high - low, 1e-12)


# -- the widget ---------------------------------------------------------------------
class ConvExplorer(Explorer):
    """Sliders for input size, kernel size, stride, padding and dilation; a Play control and step slider.

    After every change ``input_cells`` and ``output_cells`` hold the cell colours just drawn
    (RGB in [0, 1]), which is what the headless tests inspect.
    """

    def __init__(self, dims: int = 2, size: int = 7, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, dilation: int = 1, values: str = "cells", kernel: str = "edge"):
        conv_geometry(dims, size, kernel_size, stride, padding, dilation)  # reject bad settings early
        if values not in ("cells", "image"):
            raise ValueError(f"values must be 'cells' or 'image', got {values!r}")
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
        super().__init__()
        self.dims = dims
        slider = functools.partial(widgets.IntSlider, continuous_update=False,
                                   style={"description_width": "90px"},
                                   layout=widgets.Layout(width="300px"))
        largest_size = 16 if dims == 2 else 32
        self.size = slider(value=size, min=1, max=max(largest_size, size), description="input size")
        self.kernel_size = slider(value=kernel_size, min=1, max=max(7, kernel_size),
                                  description="kernel size")
        self.stride = slider(value=stride, min=1, max=max(4, stride), description="stride")
        self.padding = slider(value=padding, min=0, max=max(4, padding), description="padding")
        self.dilation = slider(value=dilation, min=1, max=max(4, dilation), description="dilation")
        for name in ("size", "kernel_size", "stride", "padding", "dilation"):
            getattr(self, name).add_class(f"course-{name.replace('_', '-')}")
        self.values = widgets.ToggleButtons(options=[("cells", "cells"), ("image values", "image")],
                                            value=values, description="show")
        self.kernel = widgets.Dropdown(options=KERNELS, value=kernel, description="kernel",
                                       layout=widgets.Layout(width="200px"))
        self.play, self.step = step_controls(interval=500)

        self.input_caption, self.output_caption = widgets.HTML(), widgets.HTML()
        self.input_image, self.output_image = widgets.Image(format="png"), widgets.Image(format="png")
        self.size_text = widgets.HTML()
        self.size_text.add_class("course-output-size")
        self.formula_text = widgets.HTML()
        self.code_text = widgets.HTML()
        self.input_cells = self.output_cells = np.zeros((0, 0, 3))

        self._watch([self.size, self.kernel_size, self.stride, self.padding, self.dilation,
                     self.values, self.kernel], self.update)
        self._watch([self.step], self.redraw)
        panels = [widgets.VBox([self.input_caption, self.input_image]),
                  widgets.VBox([self.output_caption, self.output_image])]
        self._finish([
            widgets.HBox([widgets.VBox([self.size, self.kernel_size, self.stride]),
                          widgets.VBox([self.padding, self.dilation, self.values, self.kernel])]),
            widgets.HBox([self.play, self.step]),
            self.size_text, self.formula_text, self.code_text,
            widgets.HBox(panels) if dims == 2 else widgets.VBox(panels),
        ])
        self.geometry: ConvGeometry
        self._feature: torch.Tensor | None = None
        self._feature_levels: np.ndarray | None = None
        self._input_base = np.zeros((0, 0, 3))
        self.update()

    # -- callbacks ----------------------------------------------------------------------
    def update(self) -> None:
        """Settings changed: recompute the geometry, check it against PyTorch, redraw everything."""
        g = self.geometry = conv_geometry(self.dims, self.size.value, self.kernel_size.value,
                                          self.stride.value, self.padding.value, self.dilation.value)
        image_mode = self.values.value == "image"
        self.kernel.disabled = not image_mode
        self._feature = feature_map(g, self.kernel.value) if image_mode and g.valid else None
        self._feature_levels = _unit_range(self._feature) if self._feature is not None else None
        self._input_base = input_colours(g, sample_input(g.dims, g.size).numpy() if image_mode else None)
        what = "padded input" if g.padding else "input (no padding)"
        self.input_caption.value = f"{what}: {' × '.join([str(g.padded_size)] * g.dims)}"

        self.size_text.value = f"<b>{g.size_label()}</b>"
        self.formula_text.value = f"<code>{g.formula()}</code>"
        self.code_text.value = f"<code>{g.layer_code()}</code>"
        self._check_against_pytorch(g)

        steps = max(g.steps, 1)
        self.play.max = steps - 1          # the link carries it to the step slider
        self.step.disabled = self.play.disabled = not g.valid
        if self.step.value > steps - 1:
            self.step.value = steps - 1    # its own callback redraws
        else:
            self.redraw()

    def _check_against_pytorch(self, g: ConvGeometry) -> None:
        torch_shape, torch_error = pytorch_output_shape(g)
        shape = lambda dims: "(1, 1, " + ", ".join(map(str, dims)) + ")"  # noqa: E731
        if g.valid and torch_shape == g.out_shape:
            self._say(f"PyTorch agrees: {g.layer_code()} maps {shape((g.size,) * g.dims)} "
                      f"to {shape(torch_shape)}.", "ok")
        elif not g.valid and torch_error is not None:
            self._say(f"{g.problem} PyTorch refuses too: {torch_error}", "error")
        else:
            seen = shape(torch_shape) if torch_shape else f"an error ({torch_error})"
            self._say(f"The picture and PyTorch disagree: the picture has {g.size_label()}, "
                      f"PyTorch gives {seen}.", "warn")

    def redraw(self) -> None:
        """The step moved (or settings changed): move the window and fill the output."""
        g = self.geometry
        step = min(self.step.value, max(g.steps - 1, 0))
        self.input_cells = blend(self._input_base, input_overlay(g, step))
        cell = cell_size(max(g.padded_size, g.out_size))
        top = 0 if g.dims == 1 else g.padding
        rows = 1 if g.dims == 1 else g.size
        outline = (top, g.padding, rows, g.size)
        self.input_image.value = png(grid_pixels(self.input_cells, cell, border=outline))
        if not g.valid:
            self.output_cells = np.zeros((0, 0, 3))
            self.output_caption.value = "output: none (see the message below)"
            self.output_image.value = png(np.full((cell + 1, cell + 1, 3), 255, dtype=np.uint8))
            return
        self.output_cells = output_colours(g, step, self._feature_levels)[..., :3]
        self.output_image.value = png(grid_pixels(self.output_cells, cell))
        position = g.output_position(step)
        caption = f"output: {' × '.join(map(str, g.out_shape))}, writing [{', '.join(map(str, position))}]"
        if self._feature is not None:
            caption += f" = {self._feature[position].item():.3g}"
        self.output_caption.value = caption


def conv_explorer(dims: int = 2, size: int = 7, kernel_size: int = 3, stride: int = 1, padding: int = 0,
                  dilation: int = 1, values: str = "cells", kernel: str = "edge") -> ConvExplorer:
    """Return a convolution explorer (``dims`` 1 or 2); display it by making it a cell's last line.

    ``values="image"`` starts in the mode with real values: a handwritten digit (2-D) or an
    EEG trace (1-D), convolved with the ``kernel`` named (``edge``, ``blur`` or ``sharpen``).
    """
    return ConvExplorer(dims, size, kernel_size, stride, padding, dilation, values, kernel)
