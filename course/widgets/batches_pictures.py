"""The batch explorer's picture: where each sample of each epoch sits, and its pixels.

``batch_layout`` lays out the batches a DataLoader yielded, one row per epoch;
``cell_colours`` and ``picture_pixels`` are pure functions of that layout. Counts such
as the steps per epoch are read off the layout, that is off what the loader yielded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course.i18n import gettext as _

from ._raster import cell_size
from ._text import font

__all__ = ["BAND", "BatchLayout", "batch_layout", "cell_colours", "picture_pixels", "sample_colours"]

# Consecutive steps get different colours, so each batch boundary shows as a colour change.
_STEP_COLOURS = np.array([(0.62, 0.78, 0.92), (1.0, 0.80, 0.55), (0.65, 0.86, 0.65), (0.82, 0.72, 0.92)])
_DROPPED = np.array((0.86, 0.86, 0.86))
_CROSS = np.array([165, 165, 165], dtype=np.uint8)
_LINE = np.array([85, 85, 85], dtype=np.uint8)
_BOUNDARY = np.array([20, 20, 20], dtype=np.uint8)
_TEXT = (30, 30, 30)
_MARGIN, _STRIP, _GAP = 62, 15, 5   # pixels: epoch labels, step labels above a row, space below it
BAND = 6                             # pixels: the band under a row that shades each sample by its number
# The band's ramp, from sample 0 to the last one: pale yellow to dark blue.
_FIRST, _LAST = np.array((1.0, 0.93, 0.55)), np.array((0.12, 0.20, 0.55))


@dataclass(frozen=True)
class BatchLayout:
    """Where every sample sits in the picture: one row per epoch, one column per position.

    ``order[e, p]`` is the sample at position ``p`` of epoch ``e``: the samples in the order
    the DataLoader yielded them, then the dropped ones in increasing order. ``batch[e, p]``
    is the batch (step within the epoch, from 0) and ``step[e, p]`` the global step (from 1);
    both are -1 for a dropped sample. ``sizes[e]`` are the sizes of epoch ``e``'s batches.
    """

    order: np.ndarray      # (epochs, N)
    batch: np.ndarray      # (epochs, N)
    step: np.ndarray       # (epochs, N)
    sizes: tuple[tuple[int, ...], ...]

    @property
    def dropped(self) -> np.ndarray:
        """``(epochs, N)`` bool: positions of samples the epoch left out."""
        return self.batch < 0

    @property
    def steps_counted(self) -> tuple[int, ...]:
        """Batches the loop over the DataLoader yielded in each epoch."""
        return tuple(len(s) for s in self.sizes)

    @property
    def steps_per_epoch(self) -> int:
        """Batches the loop yielded in the first epoch (every epoch yields as many)."""
        return self.steps_counted[0] if self.sizes else 0

    @property
    def total_steps(self) -> int:
        """Batches the loop yielded over all epochs."""
        return sum(self.steps_counted)

    @property
    def last_batch_size(self) -> int:
        """Samples in the first epoch's last batch; 0 when it has no batch."""
        return self.sizes[0][-1] if self.sizes and self.sizes[0] else 0

    @property
    def dropped_per_epoch(self) -> int:
        """Samples the first epoch left out (every epoch leaves out as many)."""
        return int(self.dropped[0].sum()) if self.sizes else 0

    def first_step(self, epoch: int) -> int:
        """Global number of epoch ``epoch``'s first step (counting from 1)."""
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
            raise ValueError(_("epoch {epoch} does not use each of the {samples} samples at most "
                               "once").format(epoch=e + 1, samples=num_samples))
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


def sample_colours(layout: BatchLayout) -> np.ndarray:
    """RGB in [0, 1] of the band under each row, ``(epochs, N, 3)``: each sample shaded by its number.

    In the data set's order the band is a smooth ramp; shuffled, it is speckled, whatever the
    cell width, so the order within each batch stays visible even when a cell is a few pixels.
    """
    n = layout.order.shape[1]
    share = layout.order[..., None] / max(n - 1, 1)
    return _FIRST + (_LAST - _FIRST) * share


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
    dropped, and their sample number. A band of ``BAND`` pixels under each row shades every
    sample by its number (``sample_colours``), so shuffling shows at any cell width.
    """
    from PIL import Image, ImageDraw

    epochs, n = layout.order.shape
    cell = cell_size(n, width=800, smallest=3, largest=36)
    height = max(cell, 16)
    block = _STRIP + height + 1 + BAND + 1 + _GAP
    canvas = np.full((epochs * block + _GAP, _MARGIN + n * cell + 3, 3), 255, dtype=np.uint8)
    band = np.round(sample_colours(layout) * 255).astype(np.uint8)
    for e in range(epochs):
        top = e * block + _STRIP
        canvas[top:top + height + 1, _MARGIN:_MARGIN + n * cell + 1] = _row_pixels(
            cells[e], layout.batch[e], layout.dropped[e], cell, height)
        below = top + height + 1
        canvas[below:below + BAND, _MARGIN:_MARGIN + n * cell] = np.repeat(band[e], cell, axis=0)
        canvas[below + BAND, _MARGIN:_MARGIN + n * cell + 1] = _LINE
        canvas[below:below + BAND, [_MARGIN, _MARGIN + n * cell]] = _LINE

    image = Image.fromarray(canvas)
    # Pillow's compact font: the labels were sized to it. It has no Hangul, so the words drawn here
    # (epoch, step, dropped) stay English in every language; the explorer's legend explains them.
    draw, small = ImageDraw.Draw(image), font(11, builtin=True)
    numbers = cell >= 16 and small.getlength(str(n - 1)) <= cell - 4
    for e in range(epochs):
        top = e * block + _STRIP
        draw.text((4, top + height / 2), f"epoch {e + 1}", fill=_TEXT, font=small, anchor="lm")
        starts = np.flatnonzero(np.r_[True, layout.batch[e, 1:] != layout.batch[e, :-1]])
        ends = np.r_[starts[1:], n]
        kept = layout.batch[e, starts] >= 0
        steps = layout.step[e, starts[kept]]
        room = (ends - starts) * cell - 4                   # pixels for each batch's label
        # One label style per row, chosen for the narrowest batch and the longest number.
        style = next((s for s in ("step {}", "{}") if not kept.any()
                      or small.getlength(s.format(steps.max())) <= room[kept].min()), None)
        labels = []
        if style is None:
            labels.append((n / 2, f"steps {steps.min()} to {steps.max()}"))
        else:
            labels.extend(((a + b) / 2, style.format(s)) for a, b, s in zip(starts[kept], ends[kept], steps,
                                                                            strict=True))
        if not kept.all() and small.getlength("dropped") <= room[~kept][0]:
            labels.append(((starts[~kept][0] + n) / 2, "dropped"))
        for middle, text in labels:
            draw.text((_MARGIN + middle * cell, top - 2), text, fill=_TEXT, font=small, anchor="md")
        if numbers:
            for p in range(n):
                draw.text((_MARGIN + p * cell + cell / 2 + 1, top + height / 2 + 1), str(layout.order[e, p]),
                          fill=_TEXT, font=small, anchor="mm")
    return np.asarray(image)
