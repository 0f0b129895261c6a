"""Pooling explorer: watch a max or average pooling window walk over a padded input.

``pooling_geometry`` gets the output sizes and values from PyTorch's own pooling and
places the windows; ``pooling_pictures`` draws them; ``PoolingExplorer`` only wires the
controls to both. The output size follows PyTorch's rule exactly, ``ceil_mode``
included: round up, then drop a last window that would start in the right (bottom)
padding. Every settings change is checked against the real ``nn.MaxPool2d``/
``nn.AvgPool2d`` the explorer names, shape and values, and the explorer says so if
the picture and that layer ever disagree.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course.i18n import gettext

from ._base import Explorer, column, labelled, picture, row, show_png
from ._controls import slider, tag
from ._raster import png
from .pooling_geometry import (
    LARGEST_SIZE,
    PoolGeometry,
    notes_text,
    pool_geometry,
    pytorch_pool,
    pytorch_values,
    sample_values,
    window_sums,
)
from .pooling_pictures import input_picture, numbers_fit, output_picture, unread_mask, value_text

__all__ = ["PoolingExplorer", "pooling_explorer"]

def _legend() -> str:
    """The key to the pictures' colours and hatching, in the reader's language."""
    return ('<span style="font-size:90%">'
            '<span style="background:#ffb366;padding:0 6px">&nbsp;</span> '
            + gettext("current window") + ' &nbsp; '
            '<span style="background:#ccd1e6;padding:0 6px">&nbsp;</span> ' + gettext("padding") + ' &nbsp; '
            '<span style="background:repeating-linear-gradient(45deg,#f7f7f7 0 3px,#969696 3px 4px);'
            'padding:0 6px">&nbsp;</span> ' + gettext("outside the padded input") + ' &nbsp; '
            '<span style="background:repeating-linear-gradient(45deg,#fff 0 3px,#c81e1e 3px 4px);'
            'padding:0 6px">&nbsp;</span> ' + gettext("never read / dropped output") + ' &nbsp; '
            '<span style="border:2px solid #c80000;padding:0 5px">&nbsp;</span> '
            + gettext("dropped window") + '</span>')


def _rows_text(r: range) -> str:
    return f"{r.start}" if len(r) == 1 else f"{r.start}–{r.stop - 1}"


class PoolingExplorer(Explorer):
    """Controls for max/average, input size, kernel size, stride, padding and ``ceil_mode``; a step slider.

    After every change these hold what was just drawn, for the headless tests:
    ``input_cells`` and ``output_cells`` (cell colours, RGB in [0, 1]), ``input_pixels``
    (the picture as ``uint8``), ``window`` (``(top, left)`` of the current window in the padded
    input, or None), ``dropped`` (``(top, left)`` of each dropped window), ``unread`` (real input
    cells no window reads) and ``output_values`` (PyTorch's pooling of the input).
    """

    def __init__(self, kind: str = "max", size: int = 7, kernel_size: int = 2, stride: int | None = None,
                 padding: int = 0, ceil_mode: bool = False):
        geometry = pool_geometry(kind, size, kernel_size, stride, padding, ceil_mode)  # reject bad settings
        super().__init__()
        self.kind = tag(widgets.ToggleButtons(options=[(gettext("max"), "max"), (gettext("average"), "avg")],
                                              value=kind, tooltips=["nn.MaxPool2d", "nn.AvgPool2d"],
                                              style={"button_width": "100px"}), "kind")
        self.size = slider(gettext("input size"), size, 1, LARGEST_SIZE, css="size")
        self.kernel_size = slider(gettext("kernel size"), kernel_size, 1, 7, css="kernel_size")
        self.stride = slider(gettext("stride"), geometry.stride, 1, 7, css="stride", disabled=stride is None)
        self.stride_is_kernel = tag(widgets.Checkbox(value=stride is None, indent=False,
                                                     description=gettext("stride=None (the kernel size)")),
                                    "stride_none")
        self.padding = slider(gettext("padding"), padding, 0, 3, css="padding")
        self.ceil_mode = tag(widgets.Checkbox(value=ceil_mode, description="ceil_mode", indent=False),
                             "ceil_mode")

        # Captions of a fixed width, so their length never moves or resizes the pictures.
        self.input_caption = widgets.HTML(layout=widgets.Layout(width="250px"))
        self.output_caption = widgets.HTML(layout=widgets.Layout(width="220px"))
        self.input_image, self.output_image = picture("input_picture"), picture("output_picture")
        self.size_text = tag(widgets.HTML(), "output_size")
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
        self._stepper(600, self.redraw)
        self.step.layout.width = "300px"
        self.stride_is_kernel.layout.margin = self.ceil_mode.layout.margin = "0 0 0 94px"
        controls = column([labelled(gettext("pooling"), self.kind), self.size, self.kernel_size, self.stride,
                           self.stride_is_kernel, self.padding, self.ceil_mode, self.play, self.step],
                          width="320px", min_width="320px")
        pictures = row([column([self.input_caption, self.input_image]),
                        column([self.output_caption, self.output_image])], gap=20, flex_flow="row wrap")
        self._finish([row([controls, column([self.size_text, pictures])], gap=16)],
                     below=[widgets.HTML(_legend()), self.formula_text, self.code_text, self.notes_text])
        self.geometry = geometry
        self._values = np.zeros((0, 0))
        self._sums = np.zeros((0, 0))
        self.update()

    # -- callbacks ----------------------------------------------------------------------
    def update(self) -> None:
        """Settings changed: recompute the geometry and values, check them against PyTorch, redraw."""
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
        self.output_values = pytorch_values(g, self._values) if g.valid else np.zeros((0, 0))
        self._sums = window_sums(g, self._values) if g.valid and g.kind == "avg" else np.zeros((0, 0))
        self.unread = unread_mask(g)
        self.dropped = g.dropped_windows()

        self.size_text.value = f"<b>{g.size_label()}</b>"
        # One short line each: the rule, its numbers, and what happens to a window that starts in the padding.
        rule, _, numbers = g.formula().partition(" + 1 = ")
        lines = [f"{rule} + 1", *(f"= {numbers}").split("; ")]
        self.formula_text.value = "<br>".join(f"<code>{line}</code>" for line in lines)
        self.code_text.value = f"<code>{g.layer_code()}</code>"
        self.notes_text.value = notes_text(g)
        what = gettext("padded input") if g.padding else gettext("input (no padding)")
        caption = f"{what}: {g.padded_size} × {g.padded_size}"
        if g.extent > g.padded_size:
            caption += gettext(", drawn {wider} wider where a window sticks out").format(
                wider=g.extent - g.padded_size)
        if not numbers_fit(g):
            caption += ('<div style="line-height:1.3"><small>'
                        + gettext("(cells too small to write the values in: the caption of the output gives "
                                  "each window's)") + "</small></div>")
        self.input_caption.value = f'<div style="line-height:1.3">{caption}</div>'
        self._check_against_pytorch(g)
        self._set_steps(g.steps, g.valid, self.redraw)

    def _check_against_pytorch(self, g: PoolGeometry) -> None:
        torch_out, torch_error = pytorch_pool(g)
        torch_shape = None if torch_out is None else tuple(torch_out.shape)
        if g.valid and torch_shape == g.out_shape and not np.allclose(torch_out, self.output_values,
                                                                      rtol=1e-6, atol=1e-5):
            worst = float(np.abs(torch_out - self.output_values).max())
            self._disagree("picture", gettext("same shape, but values differ by up to {worst:.3g}.").format(
                worst=worst))
            return
        self._compare_shapes(g, (g.size, g.size), torch_shape, torch_error, gettext(", with the same values"))

    def redraw(self) -> None:
        """The step moved (or settings changed): move the window and fill the output."""
        g = self.geometry
        step = min(self.step.value, max(g.steps - 1, 0))
        position = g.output_position(step) if g.steps else None
        self.window = None if position is None else (g.start(position[0]), g.start(position[1]))
        self.input_cells, self.input_pixels = input_picture(g, self._values, step)
        show_png(self.input_image, png(self.input_pixels))
        self.output_cells, pixels = output_picture(g, step, self.output_values)
        show_png(self.output_image, png(pixels))
        if g.candidates == 0:
            self.output_caption.value = gettext("output: none (see the message below)")
        else:
            self.output_caption.value = self._output_caption(g, position)

    def _output_caption(self, g: PoolGeometry, position: tuple[int, int] | None) -> str:
        shape = (gettext("output: {size}").format(size=f"{g.kept} × {g.kept}") if g.kept
                 else gettext("output: none"))
        if g.dropped_index is not None:
            shape += gettext(" (+ dropped row and column {index}, hatched)").format(index=g.dropped_index)
        if position is None:
            return shape
        rows, columns = (g.inside(i) for i in position)
        result = float(self.output_values[position])
        where = gettext("window [{row}, {column}] reads padded rows {rows}, columns {columns}").format(
            row=position[0], column=position[1], rows=_rows_text(rows), columns=_rows_text(columns))
        if g.kind == "max":
            value = gettext("max = {value}").format(value=value_text(result))
        else:
            cells = len(rows) * len(columns)
            value = gettext("mean = {sum} / {cells} = {value}").format(
                sum=value_text(float(self._sums[position])), cells=cells, value=value_text(result))
            if cells < g.kernel_size ** 2:
                value += gettext(" ({count} window cells past the padded input not counted)").format(
                    count=g.kernel_size ** 2 - cells)
        return f'<div style="line-height:1.3">{shape}<br>{where}: {value}</div>'


def pooling_explorer(kind: str = "max", size: int = 7, kernel_size: int = 2, stride: int | None = None,
                     padding: int = 0, ceil_mode: bool = False) -> PoolingExplorer:
    """Return a 2-D pooling explorer; display it by making it a cell's last line.

    ``kind`` is ``"max"`` (``nn.MaxPool2d``) or ``"avg"`` (``nn.AvgPool2d``); ``stride=None``
    means the kernel size, as in PyTorch; ``size`` is at most 16. Settings that PyTorch refuses
    (padding above ``kernel_size // 2``, a window larger than the padded input) are allowed
    and explained in the status line.
    """
    return PoolingExplorer(kind, size, kernel_size, stride, padding, ceil_mode)
