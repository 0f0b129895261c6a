"""Epoch, batch and step explorer: watch a real DataLoader cut a data set into steps, epoch after epoch.

The plain functions at the top turn settings into counts, layouts, colours and text;
``BatchExplorer`` only wires the controls to them. The batches drawn are the ones a
real ``DataLoader`` yields, and every change compares the step count of the formula
with ``len(DataLoader)`` and with the batches counted in the loop.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from ._base import Explorer
from ._raster import cell_size, png

__all__ = ["BatchExplorer", "BatchLayout", "BatchPlan", "batch_explorer", "batch_layout", "batch_plan",
           "cell_colours", "epoch_lines", "loader_length", "make_loader", "picture_pixels", "real_batches"]

MAX_SAMPLES, MAX_BATCH_SIZE, MAX_EPOCHS = 200, 64, 10

# Consecutive steps get different colours, so each batch boundary shows as a colour change.
_STEP_COLOURS = np.array([(0.62, 0.78, 0.92), (1.0, 0.80, 0.55), (0.65, 0.86, 0.65), (0.82, 0.72, 0.92)])
_DROPPED = np.array((0.86, 0.86, 0.86))
_CROSS = np.array([165, 165, 165], dtype=np.uint8)
_LINE = np.array([85, 85, 85], dtype=np.uint8)
_BOUNDARY = np.array([20, 20, 20], dtype=np.uint8)
_TEXT = (30, 30, 30)
_MARGIN, _STRIP, _GAP = 62, 15, 5   # pixels: epoch labels, step labels above a row, space below it


# -- counts -------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchPlan:
    """A data set of ``num_samples`` examples, cut into batches for ``epochs`` epochs."""

    num_samples: int
    batch_size: int
    epochs: int
    drop_last: bool
    shuffle: bool
    seed: int

    @property
    def full_batches(self) -> int:
        return self.num_samples // self.batch_size

    @property
    def remainder(self) -> int:
        """Samples left over after the full batches: ``N mod B``."""
        return self.num_samples % self.batch_size

    @property
    def steps_per_epoch(self) -> int:
        """``⌈N / B⌉``, or ``⌊N / B⌋`` with ``drop_last``: one step per batch."""
        if self.drop_last:
            return self.full_batches
        return -(-self.num_samples // self.batch_size)

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    @property
    def last_batch_size(self) -> int:
        """Samples in an epoch's last batch; 0 when the epoch has no batch."""
        if self.steps_per_epoch == 0:
            return 0
        if self.remainder and not self.drop_last:
            return self.remainder
        return self.batch_size

    @property
    def dropped_per_epoch(self) -> int:
        return self.remainder if self.drop_last else 0

    @property
    def problem(self) -> str | None:
        """Why training would make no step, in words a student can act on; None when it makes some."""
        if self.steps_per_epoch:
            return None
        return (f"No step at all: every sample is dropped. With drop_last=True only full batches count, "
                f"and {self.num_samples} samples do not fill one batch of {self.batch_size}. "
                "Lower the batch size or untick drop_last.")

    def formula(self) -> str:
        """``⌈10 / 4⌉ = 3`` (or ``⌊10 / 4⌋ = 2`` with ``drop_last``)."""
        left, right = ("⌊", "⌋") if self.drop_last else ("⌈", "⌉")
        return f"{left}{self.num_samples} / {self.batch_size}{right} = {self.steps_per_epoch}"

    def loader_code(self) -> str:
        """The DataLoader these settings describe."""
        return (f"DataLoader(TensorDataset(torch.arange({self.num_samples})), batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"generator=torch.Generator().manual_seed({self.seed}))")


def batch_plan(num_samples: int = 10, batch_size: int = 4, epochs: int = 2, drop_last: bool = False,
               shuffle: bool = False, seed: int = 0) -> BatchPlan:
    """Check the settings and return their ``BatchPlan``."""
    for name, value, least, most in [("num_samples", num_samples, 1, MAX_SAMPLES),
                                     ("batch_size", batch_size, 1, MAX_BATCH_SIZE),
                                     ("epochs", epochs, 1, MAX_EPOCHS)]:
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise ValueError(f"{name} must be an int from {least} to {most}, got {value!r}")
    for name, value in [("drop_last", drop_last), ("shuffle", shuffle)]:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an int of at least 0, got {seed!r}")
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


# -- layout and pictures ------------------------------------------------------------
@dataclass(frozen=True)
class BatchLayout:
    """Where every sample sits in the picture: one row per epoch, one column per position.

    ``order[e, p]`` is the sample at position ``p`` of epoch ``e``: the samples in the order
    the DataLoader yielded them, then the dropped ones in increasing order. ``batch[e, p]``
    is the batch (step within the epoch, from 0) and ``step[e, p]`` the global step (from 1);
    both are -1 for a dropped sample.
    """

    order: np.ndarray      # (epochs, N)
    batch: np.ndarray      # (epochs, N)
    step: np.ndarray       # (epochs, N)
    sizes: tuple[tuple[int, ...], ...]

    @property
    def dropped(self) -> np.ndarray:
        return self.batch < 0

    @property
    def steps_counted(self) -> tuple[int, ...]:
        """Batches the loop over the DataLoader yielded in each epoch."""
        return tuple(len(s) for s in self.sizes)

    def first_step(self, epoch: int) -> int:
        return 1 + sum(self.steps_counted[:epoch])


def batch_layout(num_samples: int, batches) -> BatchLayout:
    """Lay out ``batches[epoch][step]`` (sample numbers) as rows of ``num_samples`` positions."""
    epochs = len(batches)
    order = np.empty((epochs, num_samples), dtype=int)
    batch = np.full((epochs, num_samples), -1)
    step = np.full((epochs, num_samples), -1)
    first = 1
    for e, epoch in enumerate(batches):
        used = [s for b in epoch for s in b]
        seen = set(used)
        if len(seen) != len(used) or not seen <= set(range(num_samples)):
            raise ValueError(f"epoch {e + 1} does not use each of the {num_samples} samples at most once")
        order[e] = used + [s for s in range(num_samples) if s not in seen]
        position = 0
        for k, b in enumerate(epoch):
            batch[e, position:position + len(b)] = k
            step[e, position:position + len(b)] = first + k
            position += len(b)
        first += len(epoch)
    return BatchLayout(order, batch, step, tuple(tuple(len(b) for b in epoch) for epoch in batches))


def cell_colours(layout: BatchLayout) -> np.ndarray:
    """RGB in [0, 1] of every position, ``(epochs, N, 3)``: a colour per step of the epoch, dropped grey."""
    colours = _STEP_COLOURS[layout.batch % len(_STEP_COLOURS)]
    colours[layout.dropped] = _DROPPED
    return colours


@functools.cache
def _font():
    from PIL import ImageFont

    return ImageFont.load_default(size=11)


def _row_pixels(colours: np.ndarray, batch: np.ndarray, dropped: np.ndarray, cell: int,
                height: int) -> np.ndarray:
    """One epoch's row, ``(height + 1, N * cell + 1, 3)``: cells, their grid, batch boundaries, crosses."""
    n = len(colours)
    rgb = np.round(colours * 255).astype(np.uint8)
    row = np.pad(np.repeat(rgb[None], height, axis=0).repeat(cell, axis=1), ((0, 1), (0, 1), (0, 0)))
    boundaries = (np.flatnonzero(batch[1:] != batch[:-1]) + 1) * cell
    if cell >= 8:
        row[::height] = _LINE
        row[:, ::cell] = _LINE
        for x in boundaries:
            row[:, x - 1:x + 2] = _BOUNDARY
        diagonal = np.arange(2, cell - 1)
        for p in np.flatnonzero(dropped):
            # Diagonals of the top square of the cell; for a square cell, corner to corner.
            row[diagonal, p * cell + diagonal] = _CROSS
            row[diagonal, p * cell + cell - diagonal] = _CROSS
    else:
        # Cells too narrow for a grid: colour changes and thin lines show the batches.
        row[[0, height]] = _LINE
        row[:, [0, n * cell]] = _LINE
        if len(boundaries) and np.diff(np.r_[0, boundaries]).min() >= 8:
            row[:, boundaries] = _BOUNDARY
    return row


def picture_pixels(layout: BatchLayout, cells: np.ndarray) -> np.ndarray:
    """The picture as RGB ``uint8``: per epoch a row of cells under a strip of step numbers.

    Dark lines mark the batch boundaries; cells wide enough get a grid, a cross when
    dropped, and their sample number.
    """
    from PIL import Image, ImageDraw

    epochs, n = layout.order.shape
    cell = cell_size(n, width=800, smallest=3, largest=36)
    height = max(cell, 16)
    block = _STRIP + height + 1 + _GAP
    canvas = np.full((epochs * block + _GAP, _MARGIN + n * cell + 3, 3), 255, dtype=np.uint8)
    for e in range(epochs):
        top = e * block + _STRIP
        canvas[top:top + height + 1, _MARGIN:_MARGIN + n * cell + 1] = _row_pixels(
            cells[e], layout.batch[e], layout.dropped[e], cell, height)

    image = Image.fromarray(canvas)
    draw, font = ImageDraw.Draw(image), _font()
    numbers = cell >= 16 and font.getlength(str(n - 1)) <= cell - 4
    for e in range(epochs):
        top = e * block + _STRIP
        draw.text((4, top + height / 2), f"epoch {e + 1}", fill=_TEXT, font=font, anchor="lm")
        starts = np.flatnonzero(np.r_[True, layout.batch[e, 1:] != layout.batch[e, :-1]])
        ends = np.r_[starts[1:], n]
        kept = layout.batch[e, starts] >= 0
        steps = layout.step[e, starts[kept]]
        room = (ends - starts) * cell - 4                   # pixels for each batch's label
        # One label style per row, chosen for the narrowest batch and the longest number.
        style = next((s for s in ("step {}", "{}") if not kept.any()
                      or font.getlength(s.format(steps.max())) <= room[kept].min()), None)
        labels = []
        if style is None:
            labels.append((n / 2, f"steps {steps.min()} to {steps.max()}"))
        else:
            labels.extend(((a + b) / 2, style.format(s)) for a, b, s in zip(starts[kept], ends[kept], steps,
                                                                            strict=True))
        if not kept.all() and font.getlength("dropped") <= room[~kept][0]:
            labels.append(((starts[~kept][0] + n) / 2, "dropped"))
        for middle, text in labels:
            draw.text((_MARGIN + middle * cell, top - 2), text, fill=_TEXT, font=font, anchor="md")
        if numbers:
            for p in range(n):
                draw.text((_MARGIN + p * cell + cell / 2 + 1, top + height / 2 + 1), str(layout.order[e, p]),
                          fill=_TEXT, font=font, anchor="mm")
    return np.asarray(image)


# -- text ---------------------------------------------------------------------------
def _sizes_text(sizes: tuple[int, ...]) -> str:
    if len(sizes) <= 4:
        return "batch sizes " + ", ".join(map(str, sizes))
    if len(set(sizes)) == 1:
        return f"{len(sizes)} batches of {sizes[0]}"
    return f"{len(sizes) - 1} batches of {sizes[0]}, then one of {sizes[-1]}"


def epoch_lines(plan: BatchPlan, layout: BatchLayout) -> list[str]:
    """One line per epoch: its global step numbers, its batch sizes and what it dropped."""
    lines = []
    for e, sizes in enumerate(layout.sizes):
        first, dropped = layout.first_step(e), int(layout.dropped[e].sum())
        if not sizes:
            lines.append(f"epoch {e + 1}: no step; all {dropped} samples dropped")
            continue
        steps = f"step {first}" if len(sizes) == 1 else f"steps {first}–{first + len(sizes) - 1}"
        line = f"epoch {e + 1}: {steps} · {_sizes_text(sizes)}"
        if dropped:
            line += f" · {dropped} sample{'s' * (dropped != 1)} dropped"
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
        # Every change loops over a real DataLoader, so sliders act when released.
        slider = functools.partial(widgets.IntSlider, continuous_update=False,
                                   style={"description_width": "110px"},
                                   layout=widgets.Layout(width="340px"))
        self.num_samples = slider(value=num_samples, min=1, max=MAX_SAMPLES, description="data set size")
        self.batch_size = slider(value=batch_size, min=1, max=MAX_BATCH_SIZE, description="batch size")
        self.epochs = slider(value=epochs, min=1, max=MAX_EPOCHS, description="epochs")
        self.drop_last = widgets.Checkbox(value=drop_last, description="drop_last", indent=False)
        self.shuffle = widgets.Checkbox(value=shuffle, description="shuffle", indent=False)
        for name in ("num_samples", "batch_size", "epochs", "drop_last", "shuffle"):
            getattr(self, name).add_class(f"course-{name.replace('_', '-')}")

        self.steps_text = widgets.HTML()
        self.steps_text.add_class("course-steps-per-epoch")
        self.total_text = widgets.HTML()
        self.total_text.add_class("course-total-steps")
        self.details_text = widgets.HTML()
        self.code_text = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.caption = widgets.HTML()

        self._watch([self.num_samples, self.batch_size, self.epochs, self.drop_last, self.shuffle],
                    self.update)
        self._finish([
            widgets.HBox([widgets.VBox([self.num_samples, self.batch_size, self.epochs]),
                          widgets.VBox([self.drop_last, self.shuffle])]),
            self.steps_text, self.total_text, self.details_text, self.code_text,
            self.image, self.caption,
        ])
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
        self.image.value = png(picture_pixels(layout, self.cells))
        self.lines = epoch_lines(p, layout)

        if p.problem:
            self.steps_text.value = (f"<b>steps per epoch: 0</b> = {p.formula()}: "
                                     "no step at all, every sample is dropped")
        else:
            self.steps_text.value = f"<b>steps per epoch: {p.steps_per_epoch}</b> = {p.formula()}"
        self.total_text.value = (f"<b>total steps: {p.total_steps}</b> = {p.epochs} "
                                 f"epoch{'s' * (p.epochs != 1)} × {p.steps_per_epoch}")
        last = (f"{p.last_batch_size} sample{'s' * (p.last_batch_size != 1)}" if p.last_batch_size
                else "none")
        dropped = (f"all {p.dropped_per_epoch}" if p.dropped_per_epoch == p.num_samples
                   else str(p.dropped_per_epoch))
        self.details_text.value = f"last batch of an epoch: {last} · samples dropped per epoch: {dropped}"
        self.code_text.value = f"<code>{p.loader_code()}</code>"
        order = "shuffled anew in every epoch" if p.shuffle else "in the data set's order"
        legend = (f"One row per epoch, samples {order}; each colour is one step (one batch), and the "
                  "number above it is the step's global number.")
        if p.dropped_per_epoch:
            legend += " Grey cells were dropped" + (
                " (drawn at the end in increasing order; the DataLoader never yields them)."
                if p.shuffle else ".")
        self.caption.value = "<br>".join([legend, *self.lines])
        self._check_against_pytorch(p, layout)

    def _check_against_pytorch(self, p: BatchPlan, layout: BatchLayout) -> None:
        length = loader_length(p)
        counted = set(layout.steps_counted)
        agree = length == p.steps_per_epoch and counted == {length}
        what = f"len(DataLoader(...)) = {length}"
        if agree and p.problem:
            self._say(f"{p.problem} PyTorch agrees: {what}, and the loop yields no batch.", "warn")
        elif agree:
            self._say(f"PyTorch agrees: {what}, the same as {p.formula()} steps per epoch, and looping "
                      f"over the DataLoader for {p.epochs} epoch{'s' * (p.epochs != 1)} made "
                      f"{sum(layout.steps_counted)} steps.", "ok")
        else:
            loop = ", ".join(map(str, layout.steps_counted))
            self._say(f"The formula and PyTorch disagree: {p.formula()} steps per epoch, but {what} "
                      f"and the loop yielded {loop} batches per epoch.", "warn")


def batch_explorer(num_samples: int = 10, batch_size: int = 4, epochs: int = 2, drop_last: bool = False,
                   shuffle: bool = False, seed: int = 0) -> BatchExplorer:
    """Return an epoch / batch / step explorer; display it by making it a cell's last line.

    Each change builds a real ``DataLoader(TensorDataset(torch.arange(num_samples)), ...)``
    (its generator seeded with ``seed``) and draws the batches it yields, epoch after epoch.
    ``num_samples`` is 1 to 200, ``batch_size`` 1 to 64 and ``epochs`` 1 to 10.
    """
    return BatchExplorer(num_samples, batch_size, epochs, drop_last, shuffle, seed)
