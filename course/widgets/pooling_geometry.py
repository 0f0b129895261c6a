"""Where the pooling explorer's windows fall, and what PyTorch computes there.

Every size and value here comes from PyTorch itself: the output length along an axis
is the length ``F.max_pool1d``/``F.avg_pool1d`` return with the same settings, and the
pooled values are those of ``F.max_pool2d``/``F.avg_pool2d``. ``PoolGeometry`` only
places the windows those lengths imply, so the picture can show them, and writes the
size rule out as text. ``pytorch_pool`` runs the ``nn`` layer the explorer names, to
check the picture against it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.i18n import gettext as _

from ._base import single_thread
from ._checks import check_at_most, check_bool, check_choice, check_sizes

__all__ = ["KINDS", "LARGEST_SIZE", "PoolGeometry", "notes_text", "pool_geometry", "pytorch_pool",
           "pytorch_values", "sample_values", "window_sums"]

KINDS = ("max", "avg")
LARGEST_SIZE = 16


@dataclass(frozen=True)
class PoolGeometry:
    """Where a square pooling window reads on a square input; every size is the same along both axes.

    Positions along an axis are counted in the padded input: window ``i`` starts at ``i·s``,
    the real input occupies ``p`` to ``n + p − 1``. ``floor_size`` and ``ceil_size`` are the
    output lengths PyTorch gives with ``ceil_mode`` False and True (0 where it refuses).
    """

    kind: str
    size: int
    kernel_size: int
    stride: int
    padding: int
    ceil_mode: bool
    floor_size: int
    ceil_size: int

    @property
    def padded_size(self) -> int:
        """``n + 2p``: cells along an axis of the padded input."""
        return self.size + 2 * self.padding

    @property
    def room(self) -> int:
        """``n + 2p − k``: how far the window can move inside the padded input."""
        return self.padded_size - self.kernel_size

    @property
    def padding_ok(self) -> bool:
        """PyTorch allows at most ``kernel_size // 2`` of padding."""
        return self.padding <= self.kernel_size // 2

    @property
    def out_size(self) -> int:
        """PyTorch's output length along an axis for this ``ceil_mode`` (0 where it refuses)."""
        return self.ceil_size if self.ceil_mode else self.floor_size

    @property
    def valid(self) -> bool:
        """Whether PyTorch gives an output at all."""
        return self.padding_ok and self.out_size >= 1

    @property
    def kept(self) -> int:
        """Windows along one axis that PyTorch computes."""
        return self.out_size if self.padding_ok else 0

    @property
    def candidates(self) -> int:
        """Windows along one axis that the picture draws: the kept ones and at most one dropped one.

        With ``ceil_mode=False`` the dropped one is the window that ``ceil_mode=True`` adds.
        With ``ceil_mode=True`` it is the window after the last kept one when that last one
        leaves cells of the padded input unread: rounding up counts it, but PyTorch drops it
        because it would start in the padding.
        """
        if not self.padding_ok:
            return 0
        if not self.ceil_mode:
            return self.ceil_size
        leaves_cells = self.kept >= 1 and self.start(self.kept - 1) + self.kernel_size < self.padded_size
        return self.kept + 1 if leaves_cells else self.kept

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
        """The output's spatial shape, ``()`` when there is none."""
        return (self.out_size, self.out_size) if self.valid else ()

    def output_position(self, step: int) -> tuple[int, int]:
        """The output cell the ``step``-th window writes, in row-major order."""
        if not 0 <= step < self.steps:
            raise IndexError(_("step {step} is outside 0..{last}").format(step=step, last=self.steps - 1))
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
        """``MaxPool2d`` or ``AvgPool2d``."""
        return "MaxPool2d" if self.kind == "max" else "AvgPool2d"

    def layer_code(self) -> str:
        """The PyTorch layer these settings describe."""
        return (f"nn.{self.layer_name}(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, ceil_mode={self.ceil_mode})")

    def formula(self) -> str:
        """The output-size formula with the current numbers substituted (plain text, for display)."""
        n, k, s, p, room = self.size, self.kernel_size, self.stride, self.padding, self.room
        same = "   " + _("(W_out the same)")
        if not self.ceil_mode:
            return (f"H_out = ⌊(H + 2p − k) / s⌋ + 1 = ⌊({n} + 2·{p} − {k}) / {s}⌋ + 1 "
                    f"= ⌊{room} / {s}⌋ + 1 = {room // s + 1}{same}")
        up = -(-room // s) + 1
        text = (f"H_out = ⌈(H + 2p − k) / s⌉ + 1 = ⌈({n} + 2·{p} − {k}) / {s}⌉ + 1 "
                f"= ⌈{room} / {s}⌉ + 1 = {up}")
        if up >= 1:
            last = (up - 1) * s
            # The explorer shows each part after "; " on a line of its own.
            if last >= n + p:
                text += _("; the last window would start at ({up} − 1)·{s} = {last} ≥ H + p = {limit}, in "
                          "the padding, so it is dropped: H_out = {kept}").format(up=up, s=s, last=last,
                                                                             limit=n + p, kept=up - 1)
            else:
                text += _("; the last window starts at ({up} − 1)·{s} = {last} < H + p = {limit}, so it "
                          "stays").format(up=up, s=s, last=last, limit=n + p)
        return text + same

    def size_label(self) -> str:
        """``output size: 3 × 3`` (or ``output size: none`` when PyTorch gives no output)."""
        return (_("output size: {size}").format(size=f"{self.out_size} × {self.out_size}") if self.valid
                else _("output size: none"))

    @property
    def problem(self) -> str | None:
        """Why PyTorch gives no output, in words a student can act on; None when it gives one."""
        k, p = self.kernel_size, self.padding
        if not self.padding_ok:
            return _("Padding {p} is more than half the kernel size: at most kernel_size // 2 = {most} "
                     "is allowed. Use less padding or a larger kernel.").format(p=p, most=k // 2)
        if self.out_size < 1:
            text = _("No valid output: the {k} × {k} window is larger than the padded input "
                     "({padded} × {padded}).").format(k=k, padded=self.padded_size)
            if not self.ceil_mode and self.ceil_size >= 1:
                text += _(" ceil_mode=True would keep one window that sticks out past the end.")
            return text + _(" Use a smaller kernel or more padding.")
        return None


@functools.lru_cache(maxsize=4096)
def _axis_size(kind: str, size: int, kernel_size: int, stride: int, padding: int, ceil_mode: bool) -> int:
    """The output length ``F.max_pool1d``/``F.avg_pool1d`` give along one axis; 0 where they refuse."""
    pool = F.max_pool1d if kind == "max" else F.avg_pool1d
    try:
        with torch.no_grad(), single_thread():
            return pool(torch.zeros(1, 1, size), kernel_size, stride, padding,  # (N, C, L)
                        ceil_mode=ceil_mode).shape[-1]
    except RuntimeError:
        return 0


def pool_geometry(kind: str = "max", size: int = 7, kernel_size: int = 2, stride: int | None = None,
                  padding: int = 0, ceil_mode: bool = False) -> PoolGeometry:
    """Check the settings and return their ``PoolGeometry``; ``stride=None`` means the kernel size."""
    check_choice("kind", kind, KINDS)
    if stride is None:
        stride = kernel_size
    check_sizes(size=size, kernel_size=kernel_size, stride=stride, padding=padding)
    check_at_most("size", size, LARGEST_SIZE)
    check_bool("ceil_mode", ceil_mode)
    floor, ceil = (_axis_size(kind, size, kernel_size, stride, padding, mode) for mode in (False, True))
    return PoolGeometry(kind, size, kernel_size, stride, padding, ceil_mode, floor, ceil)


@functools.lru_cache(maxsize=32)
def sample_values(size: int) -> torch.Tensor:
    """A fixed ``(size, size)`` float tensor of integers 0..9: the top-left corner of one 16 × 16 draw."""
    generator = torch.Generator().manual_seed(4)
    grid = torch.randint(0, 10, (LARGEST_SIZE, LARGEST_SIZE), generator=generator)
    return grid[:size, :size].float()


def _pool2d(geometry: PoolGeometry, values, **options) -> np.ndarray:
    g = geometry
    x = torch.as_tensor(np.asarray(values)).reshape(1, 1, g.size, g.size)  # (N, C, H, W)
    pool = F.max_pool2d if g.kind == "max" else F.avg_pool2d
    with torch.no_grad(), single_thread():
        out = pool(x, g.kernel_size, g.stride, g.padding, ceil_mode=g.ceil_mode, **options)
    return out[0, 0].numpy()


def pytorch_values(geometry: PoolGeometry, values) -> np.ndarray:
    """``F.max_pool2d``/``F.avg_pool2d`` of the ``(n, n)`` ``values`` with these settings: ``(out, out)``.

    Average pooling counts padding zeros (``count_include_pad=True``, PyTorch's default).
    The settings must be valid (``geometry.valid``).
    """
    return _pool2d(geometry, values)


def window_sums(geometry: PoolGeometry, values) -> np.ndarray:
    """``(out, out)``: each average-pooling window's sum, the numerator PyTorch divides by its cell count.

    It is ``F.avg_pool2d`` with ``divisor_override=1``: padding zeros add nothing, and the
    part of a ``ceil_mode`` window past the padded input is not read.
    """
    return _pool2d(geometry, values, divisor_override=1)


@functools.lru_cache(maxsize=512)
def pytorch_pool(geometry: PoolGeometry) -> tuple[np.ndarray | None, str | None]:
    """Pool ``sample_values`` with the real ``nn.MaxPool2d``/``nn.AvgPool2d`` of ``geometry.layer_code()``.

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


def notes_text(geometry: PoolGeometry) -> str:
    """What the padding is and what ``ceil_mode`` does here, in plain text."""
    g = geometry
    n, p, s = g.size, g.padding, g.stride
    if g.kind == "max":
        pad = _("Max pooling pads with −∞: a padded cell never wins a maximum, it only lets the border "
                "windows exist.")
    else:
        pad = _("Average pooling pads with zeros and, by default (count_include_pad=True), counts them in "
                "the mean; cells of a ceil_mode window past the padded input are not counted.")
    if not g.padding_ok:
        return pad
    index = g.floor_size
    start = g.start(index)
    numbers = {"index": index, "start": start, "limit": n + p, "out": start + g.kernel_size - g.padded_size}
    if g.candidates == 0:
        rule = _("No window fits, whether ceil_mode is True or False.")
    elif g.room % s == 0:
        rule = _("The windows fit exactly: ceil_mode=True and False give the same size.")
    elif not g.ceil_mode and g.ceil_size > g.floor_size:
        rule = _("Dropped (red outline): ceil_mode=True would add window {index}, which starts at padded "
                 "position {start} and sticks out {out} past the padded input; rounding down drops "
                 "it.").format(**numbers)
    elif not g.ceil_mode:
        rule = _("ceil_mode=True would not add a window either: the next one would start at padded position "
                 "{start} ≥ n + p = {limit}, in the padding.").format(**numbers)
    elif g.ceil_size > g.floor_size:
        rule = _("ceil_mode=True keeps window {index}: it starts at padded position {start} < n + p = "
                 "{limit} and sticks out {out} past the padded input (grey hatching: outside, never "
                 "read).").format(**numbers)
    else:
        rule = _("Dropped (red outline): rounding up gives window {index}, but it would start at padded "
                 "position {start} ≥ n + p = {limit}, in the padding, so PyTorch drops it.").format(**numbers)
    unread = int(g.unread().sum())
    if unread:
        rule += _(" No window reads {unread} of the input cells (red hatching).").format(unread=unread)
    return f"{pad} {rule}"
