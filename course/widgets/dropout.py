"""Dropout explorer: watch a real ``nn.Dropout`` zero values, scale the rest, and keep the mean.

The plain functions at the top draw from a real ``nn.Dropout`` with a seed of their
own (PyTorch's dropout reads the global random generator, so each draw runs inside
``torch.random.fork_rng`` and leaves that generator as it was), colour the grids and
write the text. ``DropoutExplorer`` only wires the controls to them: the grids are drawn
straight into pixels, the histogram of means is one small matplotlib figure whose
artists are updated in place.
"""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np
import torch
from torch import nn

from course.i18n import gettext as _

from ._base import Explorer, column, figure_png, labelled, new_figure, picture, row, show_png, single_thread
from ._checks import check_bool, check_int, check_number
from ._controls import slider, tag
from ._raster import cell_size, grid_pixels, png

__all__ = ["DRAWS", "DropoutExplorer", "dropout_draw", "dropout_explorer", "dropout_summary", "histogram",
           "mask_colours", "sample_input", "sample_means", "value_colours"]

DRAWS = 1000          # fresh samples behind the histogram of means
_LARGEST_SIZE = 32
_KEPT, _DROPPED = (0.98, 0.98, 0.98), (0.80, 0.10, 0.15)


# -- real values --------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def sample_input(size: int) -> torch.Tensor:
    """A ``(size, size)`` handwritten 3 with values in [0.3, 1]: all positive, so 0 means dropped."""
    from course.data import digit_picture

    return 0.3 + 0.7 * digit_picture(size)


def dropout_draw(x: torch.Tensor, p: float, training: bool = True, seed: int = 0) -> torch.Tensor:
    """Apply a real ``nn.Dropout(p)`` in training or eval mode to ``x``, with its own ``seed``.

    The global random generator is left as it was, so the same seed gives the same draw.
    """
    layer = nn.Dropout(check_number("p", p, 0, 1)).train(training)
    with torch.random.fork_rng(devices=[]), torch.no_grad(), single_thread():
        torch.manual_seed(seed)
        return layer(x)


def sample_means(x: torch.Tensor, p: float, training: bool = True, seed: int = 0,
                 draws: int = DRAWS) -> torch.Tensor:
    """The means of ``draws`` independent outputs of ``nn.Dropout(p)`` on ``x``: shape ``(draws,)``."""
    stacked = x.reshape(1, -1).expand(draws, -1)                # (draws, size * size)
    return dropout_draw(stacked, p, training, seed).mean(dim=1)


@functools.lru_cache(maxsize=256)
def _cached_means(size: int, p: float, training: bool, seed: int) -> torch.Tensor:
    # Moving the p slider back and forth revisits the same settings: draw each histogram once.
    return sample_means(sample_input(size), p, training, seed)


def histogram(values: torch.Tensor, bins: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, edges)`` of ``values``; when they are all equal, one bar around them."""
    values = values.double().numpy()
    low, high = values.min(), values.max()
    if high - low < 1e-9 * max(abs(high), 1.0):
        half = 0.01 * max(abs(high), 0.5)
        edges = np.array([low - half, high + half])
    else:
        edges = np.linspace(low, high, bins + 1)
    counts, edges = np.histogram(values, bins=edges)
    return counts, edges


def dropout_summary(x: torch.Tensor, output: torch.Tensor, p: float, training: bool,
                    average_mean: float, draws: int, means: torch.Tensor) -> tuple[str, str]:
    """``(message, kind)`` for the status line: what this draw did and whether the mean was kept."""
    n = x.numel()
    x_mean, out_mean = x.mean().item(), output.mean().item()
    if not training:
        return (_("Eval mode: nn.Dropout(p={p:g}) hands back its input unchanged (the very same tensor), "
                  "whatever p is. Nothing is dropped or scaled: the output equals the input "
                  "(mean {mean:.4f}).").format(p=p, mean=x_mean), "info")
    if p == 1:
        return (_("p = 1 drops every value: nn.Dropout(p=1) returns all zeros. The factor 1/(1 − p) "
                  "would be 1/0, but nothing is left to scale, so the mean is NOT kept: the output's "
                  "mean is {output:g}, the input's {input:.4f}.").format(output=out_mean, input=x_mean),
                "warn")
    if p == 0:
        return (_("p = 0 drops nothing and 1/(1 − p) = 1: the output equals the input "
                  "(mean {mean:.4f}).").format(mean=x_mean), "info")
    dropped = int((output == 0).sum())
    text = (_("nn.Dropout(p={p:g}) in training mode dropped {dropped} of {n} values and multiplied the "
              "other {kept} by 1/(1 − p) = {factor:.3g}. Means: input {input:.4f}, this sample "
              "{output:.4f}, the average of the {draws} sample so far {average:.4f}, {fresh} fresh samples "
              "{fresh_mean:.4f}.") if draws == 1
            else _("nn.Dropout(p={p:g}) in training mode dropped {dropped} of {n} values and multiplied "
                   "the other {kept} by 1/(1 − p) = {factor:.3g}. Means: input {input:.4f}, this sample "
                   "{output:.4f}, the average of the {draws} samples so far {average:.4f}, {fresh} fresh "
                   "samples {fresh_mean:.4f}."))
    return (text.format(p=p, dropped=dropped, n=n, kept=n - dropped, factor=1 / (1 - p), input=x_mean,
                        output=out_mean, draws=draws, average=average_mean, fresh=len(means),
                        fresh_mean=means.mean().item()), "ok")


# -- pictures -----------------------------------------------------------------------
def value_colours(values: torch.Tensor, top: float) -> np.ndarray:
    """RGB of ``values`` on viridis, 0 dark and ``top`` yellow: shape ``(rows, columns, 3)``."""
    from matplotlib import colormaps

    return colormaps["viridis"](np.clip(values.numpy() / top, 0, 1))[..., :3]


def mask_colours(mask: np.ndarray) -> np.ndarray:
    """RGB of a kept/dropped mask: kept white, dropped red."""
    return np.where(mask[..., None], _KEPT, _DROPPED)


# -- the widget ---------------------------------------------------------------------
class DropoutExplorer(Explorer):
    """A p slider, a train/eval toggle, an input-size slider and a resample button.

    After every change ``input``, ``output`` (tensors), ``mask`` (bool array, True = kept),
    ``average`` (the mean of the ``draws`` outputs drawn since the settings last changed) and
    ``means`` (the means of ``DRAWS`` fresh samples) hold what is shown. The grids drawn are
    ``input_cells``, ``mask_cells``, ``output_cells`` and ``average_cells`` (RGB in [0, 1]); the
    histogram's artists are ``hist`` (a step patch), ``input_mean_line`` and ``sample_mean_line``.
    """

    def __init__(self, p: float = 0.5, size: int = 10, training: bool = True, seed: int = 0):
        p = check_number("p", p, 0, 1)
        check_int("size", size, 1, 64)
        check_bool("training", training)
        check_int("seed", seed)
        super().__init__()
        # The explorer's own generator: every draw's seed comes from it, so a run is reproducible.
        self.generator = torch.Generator().manual_seed(seed)
        self._hist_seed = self._next_seed()
        self._seed = self._next_seed()

        self.p = slider("p", p, 0.0, 1.0, kind="float", step=0.05, readout_format=".2f", css="p",
                        label_width=None, width="320px")
        self.size = slider(_("input size"), size, 1, _LARGEST_SIZE, css="size", label_width="70px",
                           width="320px")
        self.mode = tag(widgets.ToggleButtons(options=[("train()", True), ("eval()", False)], value=training,
                                              style={"button_width": "80px"}), "mode")
        self.resample = tag(widgets.Button(description=_("resample"), icon="refresh",
                                           tooltip=_("draw a new random mask")), "resample")
        self.code_text = widgets.HTML()
        self.means_text = tag(widgets.HTML(), "means")
        # Captions of two lines each, so the four grids sit at the same height.
        self.captions = [widgets.HTML(layout=widgets.Layout(height="36px", width="185px")) for _ in range(4)]
        self.images = [picture(name) for name in ("input_picture", "mask_picture", "output_picture",
                                                  "average_picture")]
        self.hist_caption = widgets.HTML(layout=widgets.Layout(max_width="760px"))
        self.hist_image = picture("histogram")
        self.input_cells = self.mask_cells = self.output_cells = self.average_cells = np.zeros((0, 0, 3))
        self._build_histogram()

        self._watch([self.p, self.size, self.mode], self.update)
        self._on_click(self.resample, self.draw_again)
        panels = [column([caption, image], width="190px")
                  for caption, image in zip(self.captions, self.images, strict=True)]
        self.resample.layout.margin = "0 0 0 94px"
        self._finish([row([column([self.p, self.size]),
                           column([labelled(_("mode"), self.mode), self.resample])], gap=16),
                      row(panels, gap=8)],
                     below=[self.hist_caption, self.hist_image, self.means_text, self.code_text])
        self.update()

    def _next_seed(self) -> int:
        return int(torch.randint(0, 2**62, (1,), generator=self.generator))

    def _build_histogram(self) -> None:
        from matplotlib.ticker import MaxNLocator

        figure = self.figure = new_figure((6.4, 1.7))
        ax = self.hist_axes = figure.add_axes((0.02, 0.2, 0.96, 0.76))
        self.hist = ax.stairs([0], [0, 1], fill=True, color="tab:blue", alpha=0.6)
        self.input_mean_line = ax.axvline(0, color="black", lw=2)
        self.sample_mean_line = ax.axvline(0, color="tab:orange", lw=2, ls="--")
        # Few ticks and no y axis: tick labels are most of a redraw's cost.
        ax.set_yticks([])
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.tick_params(labelsize=10)

    # -- callbacks ----------------------------------------------------------------------
    def update(self) -> None:
        """Settings changed: keep the current seed, redraw, and restart the running average."""
        self.input = sample_input(self.size.value)
        self.draws = 0
        self._total = torch.zeros_like(self.input)
        self.means = _cached_means(self.size.value, self._p(), self.mode.value, self._hist_seed)
        self._draw()

    def draw_again(self) -> None:
        """The resample button: a new seed, a new mask, one more sample in the running average."""
        self._seed = self._next_seed()
        self._draw()

    def _p(self) -> float:
        return round(float(self.p.value), 4)    # slider steps of 0.05 arrive as 0.35000000000000003

    def _draw(self) -> None:
        p, training, x = self._p(), self.mode.value, self.input
        self.resample.disabled = not training
        self.output = dropout_draw(x, p, training, self._seed)
        self.mask = (self.output != 0).numpy()     # the input is positive: 0 means dropped
        self.draws += 1
        self._total += self.output
        self.average = self._total / self.draws
        self.code_text.value = _("{code} on a {rows} × {columns} input of positive values; the three value "
                                 "grids share one colour scale, so scaled-up survivors look brighter").format(
            code=f"<code>nn.Dropout(p={p:g}).{'train' if training else 'eval'}()</code>",
            rows=x.shape[0], columns=x.shape[1])

        # One colour scale for the value grids: the largest value an output can take.
        top = x.max().item() / (1 - p) if training and p < 1 else x.max().item()
        self.input_cells = value_colours(x, top)
        self.mask_cells = mask_colours(self.mask)
        self.output_cells = value_colours(self.output, top)
        self.average_cells = value_colours(self.average, top)
        cell = cell_size(x.shape[1], width=180, smallest=4, largest=18)
        for image, cells in zip(self.images, (self.input_cells, self.mask_cells, self.output_cells,
                                              self.average_cells), strict=True):
            show_png(image, png(grid_pixels(cells, cell)))

        kept = int(self.mask.sum())
        scale = "" if not training or p in (0, 1) else _(", kept × {factor:.3g}").format(factor=1 / (1 - p))
        one = self.draws == 1
        average = (_("average of {draws} output<br>mean {mean:.3f}") if one
                   else _("average of {draws} outputs<br>mean {mean:.3f}"))
        captions = [_("input<br>mean {mean:.3f}").format(mean=x.mean().item()),
                    _("mask: {kept} kept (white)<br>{dropped} dropped (red)").format(
                        kept=kept, dropped=self.mask.size - kept),
                    _("output{scale}<br>mean {mean:.3f}").format(scale=scale, mean=self.output.mean().item()),
                    average.format(draws=self.draws, mean=self.average.mean().item())]
        for widget, text in zip(self.captions, captions, strict=True):
            widget.value = f'<div style="line-height:1.3"><small>{text}</small></div>'
        self._draw_histogram()

        message, kind = dropout_summary(x, self.output, p, training, self.average.mean().item(),
                                        self.draws, self.means)
        self._say(message, kind)
        means = (_("<b>mean of the input {input:.4f} · this sample {output:.4f} · average of {draws} sample "
                   "{average:.4f} · {fresh} fresh samples {fresh_mean:.4f}</b>") if one
                 else _("<b>mean of the input {input:.4f} · this sample {output:.4f} · average of {draws} "
                        "samples {average:.4f} · {fresh} fresh samples {fresh_mean:.4f}</b>"))
        self.means_text.value = means.format(input=x.mean().item(), output=self.output.mean().item(),
                                             draws=self.draws, average=self.average.mean().item(),
                                             fresh=len(self.means), fresh_mean=self.means.mean().item())

    def _draw_histogram(self) -> None:
        counts, edges = histogram(self.means)
        self.hist.set_data(counts, edges)
        x_mean, out_mean = self.input.mean().item(), self.output.mean().item()
        self.input_mean_line.set_xdata([x_mean, x_mean])
        self.sample_mean_line.set_xdata([out_mean, out_mean])
        low, high = min(edges[0], x_mean, out_mean), max(edges[-1], x_mean, out_mean)
        pad = max(0.05 * (high - low), 0.1 * x_mean)    # room around a single bar (eval, p = 0)
        self.hist_axes.set_xlim(low - pad, high + pad)
        self.hist_axes.set_ylim(0, counts.max() * 1.1)
        show_png(self.hist_image, figure_png(self.figure))
        self.hist_caption.value = _("<small>means of {fresh} fresh samples (blue): their average is "
                                    "{fresh_mean:.4f}; black line: the input's mean {input:.4f}; orange "
                                    "dashes: this sample's mean {output:.4f}</small>").format(
            fresh=len(self.means), fresh_mean=self.means.mean().item(), input=x_mean, output=out_mean)


def dropout_explorer(p: float = 0.5, size: int = 10, training: bool = True, seed: int = 0) -> DropoutExplorer:
    """Return a dropout explorer; display it by making it a cell's last line.

    A real ``nn.Dropout(p)`` in training (``training=True``) or eval mode acts on a
    ``size`` × ``size`` picture of positive values (a handwritten 3). The masks come from
    the explorer's own generator seeded with ``seed``, so the same arguments give the same
    pictures, and the global random generator is left alone.
    """
    return DropoutExplorer(p, size, training, seed)
