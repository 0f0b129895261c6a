"""Softmax explorer: drag logits and a temperature; watch softmax, and watch the naive formula break.

The plain functions at the top compute, in ``float32`` like a real network, three
versions of softmax(z / T): PyTorch's ``torch.softmax``, the naive
``exp(z) / sum(exp(z))`` and the max-subtracted ``exp(z - max) / sum(exp(z - max))``,
and say in words what went wrong with the naive one. ``SoftmaxExplorer`` only wires the
sliders to them and updates the bars of one small matplotlib figure in place.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch

from course.i18n import gettext as _

from ._base import Explorer, column, figure_png, new_figure, picture, row, show_png
from ._checks import check_numbers, check_positive
from ._controls import slider, tag

__all__ = ["SoftmaxExplorer", "SoftmaxResult", "naive_problem", "softmax_explorer", "softmax_result"]

LOGIT_RANGE = (-20.0, 120.0)          # wide enough to cross float32's exp overflow near 88.72
TEMPERATURE_RANGE = (0.05, 20.0)
MAX_LOGITS = 8
FLOAT32_MAX = torch.finfo(torch.float32).max


def _exp_limit() -> float:
    """The largest float32 x whose ``torch.exp(x)`` is finite in float32 (88.72283)."""
    x = torch.tensor(89.0)
    while torch.isinf(torch.exp(x)):
        x = torch.nextafter(x, torch.tensor(0.0))
    return x.item()


EXP_LIMIT = _exp_limit()

_BAR, _NAIVE, _BROKEN = "tab:blue", "tab:orange", "#f4c7c3"


# -- the numbers --------------------------------------------------------------------
@dataclass(frozen=True)
class SoftmaxResult:
    """Softmax of ``logits / temperature`` three ways, all ``float32`` tensors of shape ``(C,)``."""

    logits: tuple[float, ...]
    temperature: float
    scaled: torch.Tensor        # z / T
    softmax: torch.Tensor       # torch.softmax(z / T)
    exp: torch.Tensor           # exp(z / T): can be inf or 0
    exp_sum: float              # their sum: can be inf or 0
    naive: torch.Tensor         # exp / sum: can be nan
    shifted: torch.Tensor       # exp(z/T - max) / sum(...)

    @property
    def exp_overflows(self) -> bool:
        """Some exp(z/T) is larger than float32 can hold, so it is inf."""
        return bool(torch.isinf(self.exp).any())

    @property
    def sum_overflows(self) -> bool:
        """Every exp(z/T) fits, but their sum does not."""
        return not self.exp_overflows and math.isinf(self.exp_sum)

    @property
    def all_underflow(self) -> bool:
        """Every exp(z/T) is too small for float32 and rounds to 0."""
        return bool((self.exp == 0).all())

    @property
    def naive_has_nan(self) -> bool:
        """Some probability of the naive formula is nan."""
        return bool(torch.isnan(self.naive).any())

    @property
    def shifted_error(self) -> float:
        """Largest difference between the max-subtracted formula and ``torch.softmax``."""
        return (self.shifted - self.softmax).abs().max().item()

    @property
    def naive_error(self) -> float:
        """Largest difference between the naive formula and ``torch.softmax`` (nan if it has nan)."""
        return (self.naive - self.softmax).abs().max().item()


def _check(logits, temperature) -> tuple[tuple[float, ...], float]:
    return check_numbers("logits", logits, 1, MAX_LOGITS), check_positive("temperature", temperature)


def softmax_result(logits, temperature: float = 1.0) -> SoftmaxResult:
    """Compute softmax(logits / temperature) three ways in ``float32``; see ``SoftmaxResult``."""
    logits, temperature = _check(logits, temperature)
    scaled = torch.tensor(logits, dtype=torch.float32) / temperature     # (C,)
    exp = torch.exp(scaled)
    total = exp.sum()
    shifted_exp = torch.exp(scaled - scaled.max())
    return SoftmaxResult(logits, temperature, scaled, torch.softmax(scaled, dim=0), exp, total.item(),
                         exp / total, shifted_exp / shifted_exp.sum())


def naive_problem(result: SoftmaxResult, largest_logit: float = LOGIT_RANGE[1]) -> tuple[str, str]:
    """``(message, kind)`` saying what the naive formula did with these logits, and why.

    When it works, the message says how to break it: exp(z/T) overflows once some z/T passes
    ``EXP_LIMIT``, that is z > 88.72·T, which the sliders (up to ``largest_logit``) reach only
    for T < largest_logit / 88.72.
    """
    r = result
    t = r.temperature
    name = "z" if t == 1 else "z/T"
    top = r.scaled.max().item()
    shift = _("torch.softmax subtracts the max first: every exp(z − max) is at most exp(0) = 1, so it "
              "stays finite and the probabilities sum to 1.")
    if r.exp_overflows:
        which = [i for i, e in enumerate(r.exp.tolist()) if math.isinf(e)]
        text = (_("exp({top:.4g}) overflows float32 (max ≈ 3.4e38) to inf, and inf/inf is nan: the naive "
                  "formula gives nan for classes {which} and 0 for the others. {shift}") if len(which) > 1
                else _("exp({top:.4g}) overflows float32 (max ≈ 3.4e38) to inf, and inf/inf is nan: the "
                       "naive formula gives nan for class {which} and 0 for the others. {shift}"))
        return text.format(top=top, which=", ".join(map(str, which)), shift=shift), "warn"
    if r.sum_overflows:
        return (_("Each exp({name}) fits in float32, but their sum overflows float32 (max ≈ 3.4e38) to inf, "
                  "so the naive formula divides by inf: every probability is 0 and they sum to 0, not 1. "
                  "{shift}").format(name=name, shift=shift), "warn")
    if r.all_underflow:
        return (_("Every exp({name}) underflows to 0 in float32 (the largest {name} is {top:.4g}; "
                  "exp(−104) is already below the smallest float32), so the naive formula computes "
                  "0/0 = nan. {shift}").format(name=name, top=top, shift=shift), "warn")
    if r.naive_error > 1e-6:
        return (_("The naive formula is off by up to {error:.2g}: exp({name}) of the smallest "
                  "logits underflows to 0 or to an imprecise tiny number, while exp(z − max) keeps the "
                  "differences. {shift}").format(error=r.naive_error, name=name, shift=shift), "warn")
    limit = EXP_LIMIT * t
    if t == 1:
        hint = _("Push a logit past {limit:.2f} to see it break: float32's exp is inf there.").format(
            limit=EXP_LIMIT)
    elif limit < largest_logit:
        hint = _("Push a logit past {limit:.4g} to see it break: then z/T = z/{t:.3g} passes "
                 "{exp_limit:.2f}, where float32's exp is inf.").format(limit=limit, t=t, exp_limit=EXP_LIMIT)
    else:
        hint = _("With T = {t:.3g} it cannot overflow here: float32's exp(z/T) is inf only for z/T > "
                 "{exp_limit:.2f}, that is z > {limit:.4g}, beyond the sliders' {largest:g}. "
                 "Lower T below {lowest:.3g} to see it break.").format(
                     t=t, exp_limit=EXP_LIMIT, limit=limit, largest=largest_logit,
                     lowest=largest_logit / EXP_LIMIT)
    return (_("The naive formula agrees with torch.softmax here: every exp({name}) fits in float32. "
              "{hint}").format(name=name, hint=hint), "ok")


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return f"{value:.3f}" if value == 0 or 0.001 <= abs(value) < 1000 else f"{value:.2g}"


def _table(result: SoftmaxResult) -> str:
    """An HTML table of every number behind the bars."""
    r = result
    z_over_t = "z" if r.temperature == 1 else "z / T"
    rows = [(_("class"), list(range(len(r.logits)))),
            (_("logit z"), [f"{z:g}" for z in r.logits])]
    if r.temperature != 1:
        rows.append(("z / T", [f"{v:.4g}" for v in r.scaled.tolist()]))
    rows += [(f"exp({z_over_t})", [f"{v:.3g}" for v in r.exp.tolist()]),
             (_("naive"), [_number(v) for v in r.naive.tolist()]),
             (f"exp({z_over_t} − max)", [f"{v:.3g}" for v in (r.scaled - r.scaled.max()).exp().tolist()]),
             (_("max-subtracted"), [_number(v) for v in r.shifted.tolist()]),
             ("torch.softmax", [_number(v) for v in r.softmax.tolist()])]
    cell = 'style="padding:0 8px;text-align:right"'
    body = "".join(f"<tr><th {cell}>{html.escape(name)}</th>"
                   + "".join(f"<td {cell}>{html.escape(str(v))}</td>" for v in values) + "</tr>"
                   for name, values in rows)
    return (f"<table style='font-size:12px;font-family:monospace'>{body}</table>"
            + _("<small>sum of exp({z}) = {sum:.4g} (float32 holds up to about 3.4e38)</small>").format(
                z=z_over_t, sum=r.exp_sum))


# -- the widget ---------------------------------------------------------------------
class SoftmaxExplorer(Explorer):
    """One slider per logit and a temperature slider; bars of softmax(z / T), naive and safe.

    After every change ``result`` (a ``SoftmaxResult``) holds the numbers; the figure's artists
    are ``bars`` and ``bar_labels`` (torch.softmax), ``shifted_marks`` (the max-subtracted
    formula, one black mark per bar) and ``naive_bars`` and ``naive_labels`` (the naive formula;
    a ``nan`` bar is drawn full height, hatched, and labelled ``nan``).
    """

    def __init__(self, logits=(2.0, 1.0, 0.1, -1.0), temperature: float = 1.0):
        logits, temperature = _check(logits, temperature)
        super().__init__()
        # Every logit slider spans every starting logit, so any one can be dragged past the others.
        low, high = min(LOGIT_RANGE[0], *logits), max(LOGIT_RANGE[1], *logits)
        self.largest_logit = high
        self.logits = [slider(f"z[{i}]", z, low, high, kind="float", step=0.1, readout_format=".1f",
                              css="logit", label_width=None, width="330px") for i, z in enumerate(logits)]
        self.temperature = slider("T", temperature, *TEMPERATURE_RANGE, kind="log", step=0.01,
                                  readout_format=".3g", css="temperature", label_width=None, width="330px")
        self.caption = widgets.HTML(layout=widgets.Layout(width="470px"))
        self.naive_caption = widgets.HTML(layout=widgets.Layout(width="470px"))
        self.image, self.naive_image = picture("softmax_picture"), picture("naive_picture")
        self.summary = tag(widgets.HTML(), "softmax_summary")
        self.table = widgets.HTML()
        self._build_figure(len(logits))

        self._watch([*self.logits, self.temperature], self.update)
        controls = column([*self.logits, self.temperature], width="340px", min_width="340px")
        pictures = column([self.caption, self.image, self.naive_caption, self.naive_image])
        self._finish([row([controls, pictures], gap=16)], below=[self.summary, self.table])
        self.update()

    def _build_figure(self, classes: int) -> None:
        # Two small figures without ticks or titles (their text is most of a redraw's cost):
        # the captions are HTML, the class numbers are in the table below.
        # 6.4 × 1.5 inches at 72 dpi: 461 × 108 pixels, shown at exactly that size.
        self.figure, self.naive_figure = new_figure((6.4, 1.5)), new_figure((6.4, 1.5))
        top = self.figure.add_axes((0.01, 0.04, 0.98, 0.92))
        bottom = self.naive_figure.add_axes((0.01, 0.04, 0.98, 0.92))
        positions = np.arange(classes)
        self.bars = top.bar(positions, np.zeros(classes), color=_BAR, width=0.6)
        (self.shifted_marks,) = top.plot(positions, np.zeros(classes), "_", color="black", ms=24, mew=2)
        self.naive_bars = bottom.bar(positions, np.zeros(classes), color=_NAIVE, width=0.6)
        self.bar_labels = [top.text(i, 0, "", ha="center", va="bottom", fontsize=11) for i in positions]
        self.naive_labels = [bottom.text(i, 0, "", ha="center", va="bottom", fontsize=11) for i in positions]
        for ax in (top, bottom):
            ax.axhline(1.0, color="grey", lw=0.8, ls=":")     # where a probability of 1 reaches
            ax.set_xlim(-0.6, classes - 0.4)
            ax.set_ylim(0, 1.25)
            ax.set_xticks([])
            ax.set_yticks([])

    # -- callbacks ----------------------------------------------------------------------
    def update(self) -> None:
        """A slider moved: recompute the three softmaxes and redraw the bars in place."""
        r = self.result = softmax_result([c.value for c in self.logits], self.temperature.value)
        for bar, label, value in zip(self.bars, self.bar_labels, r.softmax.tolist(), strict=True):
            bar.set_height(value)
            label.set_position((bar.get_x() + bar.get_width() / 2, value + 0.04))
            label.set_text(_number(value))
        self.shifted_marks.set_ydata(r.shifted.numpy())
        for bar, label, value in zip(self.naive_bars, self.naive_labels, r.naive.tolist(), strict=True):
            broken = math.isnan(value)
            bar.set_height(1.0 if broken else value)
            bar.set_facecolor(_BROKEN if broken else _NAIVE)
            bar.set_edgecolor("#b00020" if broken else _NAIVE)
            bar.set_hatch("///" if broken else None)
            label.set_position((bar.get_x() + bar.get_width() / 2, (1.0 if broken else value) + 0.02))
            label.set_text(_number(value))
            label.set_color("#b00020" if broken else "black")
            label.set_fontweight("bold" if broken else "normal")
        z = "z" if r.temperature == 1 else "z / T"
        self.caption.value = _("<b>torch.softmax({z})</b> in float32 (blue bars; the dotted line is 1), and "
                               "the max-subtracted exp({z} − max) / Σ exp({z} − max) (black marks): sum "
                               "{sum:.4f}").format(z=z, sum=r.softmax.sum().item())
        naive_sum = r.naive.sum().item()
        self.naive_caption.value = _("<b>naive exp({z}) / Σ exp({z})</b> in float32: sum {sum} (a hatched "
                                     "red bar is nan)").format(z=z, sum=_number(naive_sum))
        show_png(self.image, figure_png(self.figure))
        show_png(self.naive_image, figure_png(self.naive_figure))

        message, kind = naive_problem(r, self.largest_logit)
        self._say(message, kind)
        largest = int(r.softmax.argmax())
        self.summary.value = _("<b>softmax(z / T) with T = {t:.3g}: class {largest} gets "
                               "{probability:.3f}</b>; largest difference from torch.softmax: max-subtracted "
                               "formula (black marks) {shifted:.2g}, naive formula (orange bars) "
                               "{naive}").format(
            t=r.temperature, largest=largest, probability=r.softmax[largest].item(), shifted=r.shifted_error,
            naive=_number(r.naive_error))
        self.table.value = _table(r)


def softmax_explorer(logits=(2.0, 1.0, 0.1, -1.0), temperature: float = 1.0) -> SoftmaxExplorer:
    """Return a softmax explorer; display it by making it a cell's last line.

    One slider per logit (1 to 8 of them, from -20 to 120 so that exp can overflow float32)
    and a temperature slider; the bars show ``torch.softmax(z / T)`` and the naive
    ``exp(z / T) / sum(exp(z / T))``, both in ``float32``.
    """
    return SoftmaxExplorer(logits, temperature)
