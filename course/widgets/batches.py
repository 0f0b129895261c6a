"""Epoch, batch and step explorer: watch a real DataLoader cut a data set into steps, epoch after epoch.

Every count shown is read off what a real ``DataLoader`` yields: ``batches_pictures``
lays its batches out and draws them, and ``BatchExplorer`` only wires the controls to
that. The step-count formula is written out as text, and every change compares its
number with ``len(DataLoader)`` and with the batches counted in the loop.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from course.i18n import gettext as _

from ._base import Explorer, column, picture, row, show_png
from ._checks import check_bool, check_int
from ._controls import slider, tag
from ._raster import png
from .batches_pictures import BatchLayout, batch_layout, cell_colours, picture_pixels

__all__ = ["BatchExplorer", "BatchPlan", "batch_explorer", "batch_plan", "epoch_lines", "loader_length",
           "make_loader", "real_batches"]

MAX_SAMPLES, MAX_BATCH_SIZE, MAX_EPOCHS = 200, 64, 10


def _quotient(numerator: int, denominator: int, round_up: bool) -> int:
    return -(-numerator // denominator) if round_up else numerator // denominator


@dataclass(frozen=True)
class BatchPlan:
    """A data set of ``num_samples`` examples, cut into batches for ``epochs`` epochs."""

    num_samples: int
    batch_size: int
    epochs: int
    drop_last: bool
    shuffle: bool
    seed: int

    def formula(self) -> str:
        """``⌈10 / 4⌉ = 3`` (or ``⌊10 / 4⌋ = 2`` with ``drop_last``), for display."""
        left, right = ("⌊", "⌋") if self.drop_last else ("⌈", "⌉")
        steps = _quotient(self.num_samples, self.batch_size, not self.drop_last)
        return f"{left}{self.num_samples} / {self.batch_size}{right} = {steps}"

    def no_step_problem(self) -> str:
        """Why training makes no step when the loader yields no batch, in words a student can act on."""
        return _("No step at all: every sample is dropped. With drop_last=True only full batches count, "
                 "and {samples} samples do not fill one batch of {batch_size}. "
                 "Lower the batch size or untick drop_last.").format(samples=self.num_samples,
                                                                     batch_size=self.batch_size)

    def loader_code(self) -> str:
        """The DataLoader these settings describe."""
        return (f"DataLoader(TensorDataset(torch.arange({self.num_samples})), batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"generator=torch.Generator().manual_seed({self.seed}))")


def batch_plan(num_samples: int = 10, batch_size: int = 4, epochs: int = 2, drop_last: bool = False,
               shuffle: bool = False, seed: int = 0) -> BatchPlan:
    """Check the settings and return their ``BatchPlan``."""
    check_int("num_samples", num_samples, 1, MAX_SAMPLES)
    check_int("batch_size", batch_size, 1, MAX_BATCH_SIZE)
    check_int("epochs", epochs, 1, MAX_EPOCHS)
    check_bool("drop_last", drop_last)
    check_bool("shuffle", shuffle)
    check_int("seed", seed, 0)
    return BatchPlan(num_samples, batch_size, epochs, drop_last, shuffle, seed)


# -- the real DataLoader ------------------------------------------------------------
def make_loader(plan: BatchPlan) -> DataLoader:
    """A fresh ``DataLoader`` over the sample numbers ``0 .. N-1``, as ``plan.loader_code()`` reads."""
    return DataLoader(TensorDataset(torch.arange(plan.num_samples)), batch_size=plan.batch_size,
                      shuffle=plan.shuffle, drop_last=plan.drop_last,
                      generator=torch.Generator().manual_seed(plan.seed))


class _LoaderRun:
    """One DataLoader and the epochs drawn from it so far.

    Epoch ``e`` of a run is the same whether the run goes on for 2 epochs or 10 (the
    generator only moves forward), so more epochs only cost the new ones.
    """

    def __init__(self, plan: BatchPlan):
        self.loader = make_loader(plan)
        self.epochs: list[tuple[tuple[int, ...], ...]] = []

    def first(self, epochs: int) -> tuple[tuple[tuple[int, ...], ...], ...]:
        """The batches of the first ``epochs`` epochs, looping over the loader for any not drawn yet."""
        while len(self.epochs) < epochs:
            self.epochs.append(tuple(tuple(batch.tolist()) for (batch,) in self.loader))
        return tuple(self.epochs[:epochs])


@functools.lru_cache(maxsize=64)
def _run(num_samples: int, batch_size: int, drop_last: bool, shuffle: bool, seed: int) -> _LoaderRun:
    return _LoaderRun(BatchPlan(num_samples, batch_size, 1, drop_last, shuffle, seed))


def _run_of(plan: BatchPlan) -> _LoaderRun:
    return _run(plan.num_samples, plan.batch_size, plan.drop_last, plan.shuffle, plan.seed)


def real_batches(plan: BatchPlan) -> tuple[tuple[tuple[int, ...], ...], ...]:
    """The sample numbers of every batch a real DataLoader yields: ``[epoch][step in epoch]``."""
    return _run_of(plan).first(plan.epochs)


def loader_length(plan: BatchPlan) -> int:
    """``len(DataLoader(...))`` for these settings: the batches PyTorch says one epoch has."""
    return len(_run_of(plan).loader)


# -- text ---------------------------------------------------------------------------
def _sizes_text(sizes: tuple[int, ...]) -> str:
    if len(sizes) <= 4:
        return _("batch sizes {sizes}").format(sizes=", ".join(map(str, sizes)))
    if len(set(sizes)) == 1:
        return _("{count} batches of {size}").format(count=len(sizes), size=sizes[0])
    return _("{count} batches of {size}, then one of {last}").format(count=len(sizes) - 1, size=sizes[0],
                                                                     last=sizes[-1])


def epoch_lines(plan: BatchPlan, layout: BatchLayout) -> list[str]:
    """One line per epoch: its global step numbers, its batch sizes and what it dropped."""
    lines = []
    for e, sizes in enumerate(layout.sizes):
        first, dropped = layout.first_step(e), int(layout.dropped[e].sum())
        if not sizes:
            lines.append(_("epoch {epoch}: no step; all {dropped} samples dropped").format(epoch=e + 1,
                                                                                          dropped=dropped))
            continue
        steps = (_("step {first}").format(first=first) if len(sizes) == 1
                 else _("steps {first}–{last}").format(first=first, last=first + len(sizes) - 1))
        line = _("epoch {epoch}: {steps} · {sizes}").format(epoch=e + 1, steps=steps,
                                                            sizes=_sizes_text(sizes))
        if dropped:
            line += (_(" · {dropped} sample dropped") if dropped == 1
                     else _(" · {dropped} samples dropped")).format(dropped=dropped)
        lines.append(line)
    return lines


# -- the widget ---------------------------------------------------------------------
class BatchExplorer(Explorer):
    """Sliders for data-set size, batch size and epochs; check boxes for drop_last and shuffle.

    After every change ``plan``, ``batches`` (what the real DataLoader yielded), ``layout``
    and ``cells`` (the RGB colours drawn, ``(epochs, N, 3)``) describe the picture, which is
    what the headless tests inspect.
    """

    def __init__(self, num_samples: int = 10, batch_size: int = 4, epochs: int = 2, drop_last: bool = False,
                 shuffle: bool = False, seed: int = 0):
        batch_plan(num_samples, batch_size, epochs, drop_last, shuffle, seed)  # reject bad settings early
        super().__init__()
        self.seed = seed
        wide = {"label_width": "110px", "width": "340px"}
        self.num_samples = slider(_("data set size"), num_samples, 1, MAX_SAMPLES, css="num_samples", **wide)
        self.batch_size = slider(_("batch size"), batch_size, 1, MAX_BATCH_SIZE, css="batch_size", **wide)
        self.epochs = slider(_("epochs"), epochs, 1, MAX_EPOCHS, css="epochs", **wide)
        self.drop_last = tag(widgets.Checkbox(value=drop_last, description="drop_last", indent=False),
                             "drop_last")
        self.shuffle = tag(widgets.Checkbox(value=shuffle, description="shuffle", indent=False), "shuffle")

        self.steps_text = tag(widgets.HTML(), "steps_per_epoch")
        self.total_text = tag(widgets.HTML(), "total_steps")
        self.details_text = widgets.HTML()
        self.code_text = widgets.HTML()
        self.image = picture("batches_picture")
        self.caption = widgets.HTML()

        self._watch([self.num_samples, self.batch_size, self.epochs, self.drop_last, self.shuffle],
                    self.update)
        self._finish([row([column([self.num_samples, self.batch_size, self.epochs], min_width="345px"),
                           column([self.drop_last, self.shuffle], min_width="110px"),
                           column([self.steps_text, self.total_text, self.details_text])], gap=16),
                      self.image],
                     below=[self.caption, self.code_text])
        self.plan: BatchPlan
        self.batches: tuple[tuple[tuple[int, ...], ...], ...] = ()
        self.layout: BatchLayout
        self.cells = np.zeros((0, 0, 3))
        self.lines: list[str] = []
        self.update()

    def update(self) -> None:
        """Settings changed: loop over the real DataLoader again, check the counts, redraw."""
        p = self.plan = batch_plan(self.num_samples.value, self.batch_size.value, self.epochs.value,
                                   self.drop_last.value, self.shuffle.value, self.seed)
        self.batches = real_batches(p)
        layout = self.layout = batch_layout(p.num_samples, self.batches)
        self.cells = cell_colours(layout)
        show_png(self.image, png(picture_pixels(layout, self.cells)))
        self.lines = epoch_lines(p, layout)

        steps, last, dropped = layout.steps_per_epoch, layout.last_batch_size, layout.dropped_per_epoch
        if steps:
            self.steps_text.value = _("<b>steps per epoch: {steps}</b> = {formula}").format(
                steps=steps, formula=p.formula())
        else:
            self.steps_text.value = _("<b>steps per epoch: 0</b> = {formula}: no step at all, every sample "
                                      "is dropped").format(formula=p.formula())
        total = (_("<b>total steps: {total}</b> = {epochs} epoch × {steps}") if p.epochs == 1
                 else _("<b>total steps: {total}</b> = {epochs} epochs × {steps}"))
        self.total_text.value = total.format(total=layout.total_steps, epochs=p.epochs, steps=steps)
        last_text = ((_("{count} sample") if last == 1 else _("{count} samples")).format(count=last) if last
                     else _("none"))
        dropped_text = (_("all {dropped}").format(dropped=dropped) if dropped == p.num_samples
                        else str(dropped))
        self.details_text.value = _("last batch of an epoch: {last} · samples dropped per epoch: "
                                    "{dropped}").format(last=last_text, dropped=dropped_text)
        self.code_text.value = f"<code>{p.loader_code()}</code>"
        # The picture's words (epoch, step, dropped) stay English, in a font without Hangul: the
        # translations of this legend say what they mean.
        legend = (_("One row per epoch, samples shuffled anew in every epoch; each colour is one step (one "
                    "batch), and the number above it is the step's global number. The band under each row "
                    "shades every sample by its number, from pale (sample 0) to dark (sample {last}): in "
                    "order it is a smooth ramp, shuffled it is speckled.") if p.shuffle
                  else _("One row per epoch, samples in the data set's order; each colour is one step (one "
                         "batch), and the number above it is the step's global number. The band under each "
                         "row shades every sample by its number, from pale (sample 0) to dark (sample "
                         "{last}): in order it is a smooth ramp, shuffled it is speckled.")
                  ).format(last=p.num_samples - 1)
        if dropped:
            legend += (_(" Grey cells were dropped (drawn at the end in increasing order; the DataLoader "
                         "never yields them).") if p.shuffle else _(" Grey cells were dropped."))
        self.caption.value = "<br>".join([legend, *self.lines])
        self._check_against_pytorch(p, layout)

    def _check_against_pytorch(self, p: BatchPlan, layout: BatchLayout) -> None:
        length = loader_length(p)
        formula_steps = _quotient(p.num_samples, p.batch_size, not p.drop_last)
        agree = length == formula_steps and set(layout.steps_counted) == {length}
        what = f"len(DataLoader(...)) = {length}"
        if agree and not length:
            self._agree(_("{what}, and the loop yields no batch.").format(what=what),
                        problem=p.no_step_problem())
        elif agree:
            made = (_("{what}, the same as {formula} steps per epoch, and looping over the DataLoader for "
                      "{epochs} epoch made {total} steps.") if p.epochs == 1
                    else _("{what}, the same as {formula} steps per epoch, and looping over the DataLoader "
                           "for {epochs} epochs made {total} steps."))
            self._agree(made.format(what=what, formula=p.formula(), epochs=p.epochs,
                                    total=layout.total_steps))
        else:
            loop = ", ".join(map(str, layout.steps_counted))
            self._disagree("formula", _("{formula} steps per epoch, but {what} and the loop yielded {loop} "
                                        "batches per epoch.").format(formula=p.formula(), what=what,
                                                                     loop=loop))


def batch_explorer(num_samples: int = 10, batch_size: int = 4, epochs: int = 2, drop_last: bool = False,
                   shuffle: bool = False, seed: int = 0) -> BatchExplorer:
    """Return an epoch / batch / step explorer; display it by making it a cell's last line.

    Each change builds a real ``DataLoader(TensorDataset(torch.arange(num_samples)), ...)``
    (its generator seeded with ``seed``) and draws the batches it yields, epoch after epoch.
    ``num_samples`` is 1 to 200, ``batch_size`` 1 to 64 and ``epochs`` 1 to 10.
    """
    return BatchExplorer(num_samples, batch_size, epochs, drop_last, shuffle, seed)
