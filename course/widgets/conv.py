"""Convolution explorer: watch a (dilated) kernel slide over a padded input.

The output length comes from PyTorch (``F.conv1d`` with the same settings);
``ConvGeometry`` places the windows it implies and writes the size rule out as text,
``conv_pictures`` colours them, and ``ConvExplorer`` only wires sliders to both.
Every settings change is checked against the real ``nn.Conv1d``/``nn.Conv2d`` the
explorer names, and the explorer says so if the picture and that layer ever disagree.
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

from course.i18n import gettext as _

from ._base import Explorer, column, labelled, picture, row, show_png, single_thread
from ._checks import check_choice, check_sizes
from ._controls import slider, tag
from ._raster import blank, blend, cell_size, grid_pixels, png
from .conv_pictures import input_colours, input_overlay, output_colours

__all__ = ["ConvExplorer", "ConvGeometry", "colour_scale", "conv_explorer", "conv_geometry", "feature_map",
           "named_kernel", "picture_cell", "pytorch_output_shape", "sample_input"]

KERNELS = ("edge", "blur", "sharpen")
_VALUES = ("cells", "image")
# Pixels across each picture may take: the 2-D input and output sit side by side, the 1-D ones stacked.
_WIDTH = {1: 560, 2: 270}


# -- geometry -----------------------------------------------------------------------
@dataclass(frozen=True)
class ConvGeometry:
    """Where a square kernel reads on a square (or 1-D) input, one size for every axis.

    ``out_size`` is the output length along an axis that ``F.conv1d`` gives with these
    settings, 0 where it refuses them; ``conv_geometry`` fills it in.
    """

    dims: int
    size: int
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    out_size: int

    @property
    def padded_size(self) -> int:
        """``n + 2p``: cells along an axis of the padded input."""
        return self.size + 2 * self.padding

    @property
    def valid(self) -> bool:
        """Whether PyTorch gives an output at all."""
        return self.out_size >= 1

    @property
    def problem(self) -> str | None:
        """Why there is no output, in words a student can act on; None when there is one."""
        if self.valid:
            return None
        spanned = len(self.span((0,)))
        return _("No valid output: the dilated kernel spans d·(k − 1) + 1 = {spanned} cells, but the padded "
                 "input has only n + 2p = {padded}. Use a smaller kernel or dilation, or more "
                 "padding.").format(spanned=spanned, padded=self.padded_size)

    @property
    def out_shape(self) -> tuple[int, ...]:
        """The output's spatial shape, ``()`` when there is none."""
        return (self.out_size,) * self.dims if self.valid else ()

    @property
    def steps(self) -> int:
        """How many windows the kernel visits: one per output cell."""
        return self.out_size ** self.dims

    def output_position(self, step: int) -> tuple[int, ...]:
        """The output cell the ``step``-th window writes, in row-major order."""
        if not 0 <= step < self.steps:
            raise IndexError(_("step {step} is outside 0..{last}").format(step=step, last=self.steps - 1))
        return tuple(int(i) for i in np.unravel_index(step, self.out_shape))

    def _axis_taps(self, index: int) -> list[int]:
        return [index * self.stride + a * self.dilation for a in range(self.kernel_size)]

    def taps(self, position: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Padded-input cells the window for output ``position`` reads: ``i·s + a·d`` per axis."""
        return list(itertools.product(*(self._axis_taps(i) for i in position)))

    def span(self, position: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Every padded-input cell from the window's first tap to its last, holes included."""
        per_axis = [range(taps[0], taps[-1] + 1) for taps in map(self._axis_taps, position)]
        return list(itertools.product(*per_axis))

    def layer_code(self) -> str:
        """The PyTorch layer these settings describe."""
        return (f"nn.Conv{self.dims}d(1, 1, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation})")

    def formula(self) -> str:
        """The output-size formula with the current numbers substituted (plain text, for display)."""
        return f"{self.rule()} {self.substituted()}"

    def rule(self) -> str:
        """The output-size rule in letters: ``H_out = ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1``."""
        axis = "L" if self.dims == 1 else "H"
        return f"{axis}_out = ⌊({axis} + 2p − d·(k − 1) − 1) / s⌋ + 1"

    def substituted(self) -> str:
        """The rule with the current numbers: ``= ⌊(7 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ... = 5``."""
        n, k, s, p, d = self.size, self.kernel_size, self.stride, self.padding, self.dilation
        room = n + 2 * p - d * (k - 1) - 1
        text = f"= ⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = ⌊{room} / {s}⌋ + 1 = {room // s + 1}"
        if self.dims == 2:
            text += "   " + _("(W_out the same)")
        return text

    def size_label(self) -> str:
        """``output size: 4 × 4`` (or ``output size: none`` when there is no valid output)."""
        if not self.valid:
            return _("output size: none")
        return _("output size: {size}").format(size=" × ".join(str(o) for o in self.out_shape))


@functools.lru_cache(maxsize=1024)
def _axis_size(size: int, kernel_size: int, stride: int, padding: int, dilation: int) -> int:
    """The output length ``F.conv1d`` gives along one axis; 0 where it refuses the settings."""
    try:
        with torch.no_grad(), single_thread():
            return F.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel_size),  # (N, C, L), (O, C, k)
                            stride=stride, padding=padding, dilation=dilation).shape[-1]
    except RuntimeError:
        return 0


def conv_geometry(dims: int = 2, size: int = 7, kernel_size: int = 3, stride: int = 1,
                  padding: int = 0, dilation: int = 1) -> ConvGeometry:
    """Check the settings and return their ``ConvGeometry``."""
    check_choice("dims", dims, (1, 2), spelled=True)
    check_sizes(size=size, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    out_size = _axis_size(size, kernel_size, stride, padding, dilation)
    return ConvGeometry(dims, size, kernel_size, stride, padding, dilation, out_size)


@functools.lru_cache(maxsize=512)
def pytorch_output_shape(geometry: ConvGeometry) -> tuple[tuple[int, ...] | None, str | None]:
    """Run the real ``nn.Conv1d``/``nn.Conv2d`` of ``geometry.layer_code()`` on zeros.

    Returns ``(output shape, None)`` or ``(None, error)``. The shape leaves out the batch
    and channel axes, so it compares with ``geometry.out_shape``.
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


# -- real values --------------------------------------------------------------------
def named_kernel(name: str, kernel_size: int, dims: int = 2) -> torch.Tensor:
    """A ``(1, 1, k)`` or ``(1, 1, k, k)`` kernel: ``edge`` (centre minus the rest), ``blur``, ``sharpen``."""
    check_choice("kernel", name, KERNELS)
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
    from course.data import digit_picture, load_eeg

    if dims == 2:
        return digit_picture(size)                              # (size, size): a handwritten 3
    trace = load_eeg()[0, 100:164].view(1, 1, -1)               # (N, C, L) = (1, 1, 64)
    picture = F.interpolate(trace, size=size, mode="linear", align_corners=True)[0, 0]
    low, high = picture.min(), picture.max()
    return (picture - low) / (high - low).clamp_min(1e-12)


def feature_map(geometry: ConvGeometry, kernel: str) -> torch.Tensor:
    """The convolution of ``sample_input`` with ``named_kernel``, computed by PyTorch."""
    g = geometry
    x = sample_input(g.dims, g.size).view((1, 1) + (g.size,) * g.dims)  # (N, C, L) or (N, C, H, W)
    conv = F.conv1d if g.dims == 1 else F.conv2d
    with torch.no_grad(), single_thread():
        out = conv(x, named_kernel(kernel, g.kernel_size, g.dims), stride=g.stride,
                   padding=g.padding, dilation=g.dilation)
    return out[0, 0]


def picture_cell(geometry: ConvGeometry) -> int:
    """Pixels per cell of both the input and the output picture.

    It depends only on the padded input's size (and ``dims``), never on the stride, kernel,
    dilation or a caption: the output is drawn at the input's scale, so a shorter output
    looks shorter.
    """
    return cell_size(geometry.padded_size, width=_WIDTH[geometry.dims])


def colour_scale(low: float, high: float, width: int = 150) -> str:
    """HTML of the feature map's colour scale: a black-to-white bar from ``low`` to ``high``."""
    bar = (f'<span style="display:inline-block;width:{width}px;height:12px;vertical-align:middle;'
           'border:1px solid #555;background:linear-gradient(to right,#000,#fff)"></span>')
    return f'<small>{low:.3g} {bar} {high:.3g}</small>'


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
        check_choice("values", values, _VALUES, spelled=True)
        check_choice("kernel", kernel, KERNELS)
        super().__init__()
        self.dims = dims
        self.size = slider(_("input size"), size, 1, 16 if dims == 2 else 32, css="size")
        self.kernel_size = slider(_("kernel size"), kernel_size, 1, 7, css="kernel_size")
        self.stride = slider(_("stride"), stride, 1, 4, css="stride")
        self.padding = slider(_("padding"), padding, 0, 4, css="padding")
        self.dilation = slider(_("dilation"), dilation, 1, 4, css="dilation")
        self.values = tag(widgets.ToggleButtons(options=[(_("cells"), "cells"), (_("image values"), "image")],
                                                value=values, style={"button_width": "115px"}), "values")
        names = {"edge": _("edge"), "blur": _("blur"), "sharpen": _("sharpen")}
        self.kernel = widgets.Dropdown(options=[(names[k], k) for k in KERNELS], value=kernel,
                                       description=_("kernel"), style={"description_width": "90px"},
                                       layout=widgets.Layout(width="220px"))

        self.input_caption, self.output_caption = widgets.HTML(), widgets.HTML()
        self.input_image, self.output_image = picture("input_picture"), picture("output_picture")
        self.scale_text = widgets.HTML()
        self.size_text = tag(widgets.HTML(), "output_size")
        self.formula_text = widgets.HTML()
        self.code_text = widgets.HTML()
        self.input_cells = self.output_cells = np.zeros((0, 0, 3))

        self._watch([self.size, self.kernel_size, self.stride, self.padding, self.dilation,
                     self.values, self.kernel], self.update)
        self._stepper(500, self.redraw)
        self.step.layout.width = "300px"
        controls = column([self.size, self.kernel_size, self.stride, self.padding, self.dilation,
                           labelled(_("show"), self.values), self.kernel, self.play, self.step],
                          width="350px", min_width="350px")
        panels = [column([self.input_caption, self.input_image]),
                  column([self.output_caption, self.output_image, self.scale_text])]
        pictures = row(panels, gap=20) if dims == 2 else column(panels)
        self._finish([row([controls, column([self.size_text, pictures])], gap=16)],
                     below=[self.formula_text, self.code_text])
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
        what = _("padded input") if g.padding else _("input (no padding)")
        self.input_caption.value = f"{what}: {' × '.join([str(g.padded_size)] * g.dims)}"

        self.size_text.value = f"<b>{g.size_label()}</b>"
        self.formula_text.value = f"<code>{g.rule()}</code><br><code>{g.substituted()}</code>"
        self.code_text.value = f"<code>{g.layer_code()}</code>"
        self._compare_shapes(g, (g.size,) * g.dims, *pytorch_output_shape(g))
        self._set_steps(g.steps, g.valid, self.redraw)

    def redraw(self) -> None:
        """The step moved (or settings changed): move the window and fill the output."""
        g = self.geometry
        step = min(self.step.value, max(g.steps - 1, 0))
        self.input_cells = blend(self._input_base, input_overlay(g, step))
        cell = self.cell = picture_cell(g)
        top = 0 if g.dims == 1 else g.padding
        rows = 1 if g.dims == 1 else g.size
        outline = (top, g.padding, rows, g.size)
        show_png(self.input_image, png(grid_pixels(self.input_cells, cell, border=outline)))
        if not g.valid:
            self.output_cells = np.zeros((0, 0, 3))
            self.output_caption.value = _("output: none (see the message below)")
            self.scale_text.value = ""
            show_png(self.output_image, png(blank(cell)))
            return
        self.output_cells = output_colours(g, step, self._feature_levels)[..., :3]
        show_png(self.output_image, png(grid_pixels(self.output_cells, cell)))
        if self._feature is not None:
            low, high = self._feature.min().item(), self._feature.max().item()
            self.scale_text.value = colour_scale(low, high, width=min(150, g.out_size * cell))
        else:
            self.scale_text.value = ""
        position = g.output_position(step)
        caption = _("output: {shape}, writing [{position}]").format(shape=" × ".join(map(str, g.out_shape)),
                                                                     position=", ".join(map(str, position)))
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
