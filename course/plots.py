"""Small matplotlib figures used across the topic notebooks.

Each ``show_*`` function draws into a new figure and returns it, so callers (and tests)
can inspect or close it; each ``draw_*`` function draws into the axes it is given, one panel
of a figure the notebook lays out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle

from course.i18n import gettext as _

__all__ = ["draw_read_counts", "draw_reads", "draw_windows", "read_counts", "show_curves", "show_histograms",
           "show_images", "show_signals"]


def _as_2d(image: torch.Tensor):
    image = image.detach().cpu()
    if image.dim() == 3 and image.shape[0] == 1:
        image = image[0]  # (1, H, W) -> (H, W)
    if image.dim() == 3 and image.shape[0] == 3:
        return image.permute(1, 2, 0).clamp(0, 1).numpy()  # (3, H, W) -> (H, W, 3)
    if image.dim() != 2:
        raise ValueError(_("cannot show a tensor of shape {shape} as an image; "
                           "pass (H, W), (1, H, W) or (3, H, W)").format(shape=tuple(image.shape)))
    return image.numpy()


def show_images(images: Sequence[torch.Tensor], titles: Sequence[str] | None = None,
                cmap: str = "gray", width: float = 3.0):
    """Show images side by side, each with its title and its (H, W) shape."""
    if titles is not None and len(titles) != len(images):
        raise ValueError(_("got {images} images but {titles} titles").format(images=len(images),
                                                                               titles=len(titles)))
    fig, axes = plt.subplots(1, len(images), figsize=(width * len(images), width), squeeze=False)
    for i, (ax, image) in enumerate(zip(axes[0], images, strict=True)):
        pixels = _as_2d(image)
        ax.imshow(pixels, cmap=cmap)
        label = titles[i] if titles else ""
        ax.set_title(f"{label}\n{pixels.shape[0]}×{pixels.shape[1]}".strip(), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


def show_signals(signals: Sequence[torch.Tensor], labels: Sequence[str],
                 title: str = "", offsets: Sequence[int] | None = None):
    """Plot 1-D signals on one axis; ``offsets`` shifts each one right (e.g. a conv's trim)."""
    if len(signals) != len(labels):
        raise ValueError(_("got {signals} signals but {labels} labels").format(signals=len(signals),
                                                                                 labels=len(labels)))
    offsets = offsets or [0] * len(signals)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    for signal, label, offset in zip(signals, labels, offsets, strict=True):
        values = signal.detach().cpu().flatten()
        ax.plot(range(offset, offset + len(values)), values.numpy(), label=label, lw=1)
    ax.set_xlabel(_("position along the sequence"))
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def show_histograms(tensors: Sequence[torch.Tensor], titles: Sequence[str], bins: int = 40):
    """Histogram the values of each tensor, one panel each, e.g. after different initialisers."""
    if len(tensors) != len(titles):
        raise ValueError(_("got {tensors} tensors but {titles} titles").format(tensors=len(tensors),
                                                                                 titles=len(titles)))
    fig, axes = plt.subplots(1, len(tensors), figsize=(3 * len(tensors), 2.6), squeeze=False)
    for ax, tensor, title in zip(axes[0], tensors, titles, strict=True):
        ax.hist(tensor.detach().cpu().flatten().numpy(), bins=bins, color="tab:blue")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def show_curves(panels: Sequence[Mapping], width: float = 5.0, height: float = 3.4):
    """Plot labelled curves in panels side by side, e.g. losses and accuracies during training.

    Each panel is a dict. Its ``curves`` map a label to ``(x, y)`` or to ``(x, y, style)``, where
    ``style`` holds line settings (``color``, ``ls``, ``marker``, ``lw``, ...); ``legend`` holds
    settings for the legend; every other key (``title``, ``xlabel``, ``ylabel``, ``yscale``,
    ``ylim``, ``xticks``, ...) is an axis setting.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        settings = dict(panel)
        curves, legend = settings.pop("curves"), {"fontsize": 8, **settings.pop("legend", {})}
        for label, (x, y, *style) in curves.items():
            ax.plot(list(x), list(y), label=label, **(style[0] if style else {}))
        ax.set(**settings)
        ax.legend(**legend)
    fig.tight_layout()
    return fig


def _pair(value) -> tuple[int, int]:
    """(height, width) from one int or a pair, as Conv2d reads its settings."""
    return (value, value) if isinstance(value, int) else tuple(value)


def _cells_read(in_size, kernel_size, stride, padding, dilation, out_index):
    """Mask over the padded input of the cells that output ``out_index`` reads, and the output size.

    Autograd finds them: with a kernel of ones, exactly those cells get a nonzero gradient.
    """
    (h, w), (ph, pw) = in_size, _pair(padding)
    padded = torch.rand(1, 1, h + 2 * ph, w + 2 * pw, requires_grad=True)
    out = F.conv2d(padded, torch.ones(1, 1, *_pair(kernel_size)), stride=stride, dilation=dilation)
    out[0, 0][out_index].backward()
    return padded.grad[0, 0] != 0, tuple(out.shape[-2:])


def read_counts(in_size, kernel_size, stride=1, padding=0, dilation=1) -> torch.Tensor:
    """For every cell of an ``in_size`` input, how many outputs of a Conv2d with these settings read it.

    It is the gradient of the sum of all outputs of a kernel of ones.
    """
    x = torch.zeros(1, 1, *in_size, requires_grad=True)
    kernel = torch.ones(1, 1, *_pair(kernel_size))
    F.conv2d(x, kernel, stride=stride, padding=padding, dilation=dilation).sum().backward()
    return x.grad[0, 0]


# One colour per marked output, each shifted a little so that the marks of a shared cell stay visible.
_MARKS = [("tab:blue", -0.2, -0.2), ("tab:orange", 0.2, -0.2), ("tab:green", -0.2, 0.2),
          ("tab:red", 0.2, 0.2)]


def draw_reads(ax, in_size, kernel_size, stride=1, padding=0, dilation=1, outputs=((0, 0),), title=""):
    """Draw the padded input as a grid (the border grey) and, in one colour per output, the cells
    each output (row, column) of ``outputs`` (at most four) reads."""
    if len(outputs) > len(_MARKS):
        raise ValueError(_("can mark at most {most} outputs, got {count}").format(most=len(_MARKS),
                                                                                    count=len(outputs)))
    (h, w), (ph, pw) = in_size, _pair(padding)
    border = torch.ones(h + 2 * ph, w + 2 * pw)
    border[ph:ph + h, pw:pw + w] = 0
    ax.pcolormesh(border, cmap="Greys", vmin=0, vmax=4, edgecolors="0.55", linewidth=0.6)
    for (color, dx, dy), index in zip(_MARKS, outputs, strict=False):
        mask, out_size = _cells_read(in_size, kernel_size, stride, padding, dilation, index)
        rows, cols = torch.nonzero(mask, as_tuple=True)
        ax.scatter(cols + 0.5 + dx, rows + 0.5 + dy, s=26, color=color,
                   label=_("output {index}").format(index=index))
    ax.set_xticks([pw + c + 0.5 for c in range(w)], [str(c) for c in range(w)], fontsize=6)
    ax.set_yticks([ph + r + 0.5 for r in range(h)], [str(r) for r in range(h)], fontsize=6)
    ax.tick_params(length=0)
    ax.set(xlim=(0, w + 2 * pw), ylim=(h + 2 * ph, 0), aspect="equal")
    sizes = _("input {height}×{width} → output {out_height}×{out_width}").format(
        height=h, width=w, out_height=out_size[0], out_width=out_size[1])
    ax.set_title(f"{title}\n{sizes}", fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, fontsize=7, frameon=False,
              handletextpad=0.1, columnspacing=0.8)


def draw_read_counts(ax, counts: torch.Tensor, title: str = ""):
    """Draw ``read_counts`` as a heat map with the count in every cell; cells no output reads in red."""
    ax.imshow(counts.detach().cpu().numpy(), cmap="Blues", vmin=0)
    top = counts.max().item()
    for (r, c), value in zip(torch.cartesian_prod(torch.arange(counts.shape[0]),
                                                  torch.arange(counts.shape[1])).tolist(),
                             counts.flatten().tolist(), strict=True):
        ax.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=7,
                color="red" if value == 0 else ("white" if value > top / 2 else "black"))
    ax.set_xticks(range(counts.shape[1]), [str(c) for c in range(counts.shape[1])], fontsize=6)
    ax.set_yticks(range(counts.shape[0]), [str(r) for r in range(counts.shape[0])], fontsize=6)
    ax.tick_params(length=0)
    ax.set_title(title, fontsize=9)


def draw_windows(ax, size: int, kernel: int, stride: int, padding: int):
    """Draw a padded 1-D input as boxes and, below it, every pooling window floor or ceil mode would
    consider: kept by both (blue), kept only by ``ceil_mode`` (green, dashed), dropped because it
    would start in the right-hand padding (red, dotted)."""
    pad = _("pad")
    cells = [None] * padding + [f"x{i}" for i in range(size)] + [None] * padding   # None: padding
    for i, label in enumerate(cells):
        shade = "0.88" if label is None else "white"
        ax.add_patch(Rectangle((i, 0), 1, 1, facecolor=shade, edgecolor="k",
                               hatch="//" if label is None else None))
        ax.text(i + 0.5, 0.5, pad if label is None else label, ha="center", va="center", fontsize=9,
                backgroundcolor=shade)
    notes_at = max(8.4, len(cells) + 1.4)  # the notes start at the same place in panels of up to 7 cells
    room = size + 2 * padding - kernel
    n_floor, n_ceil = math.floor(room / stride) + 1, math.ceil(room / stride) + 1
    for w in range(n_ceil):
        start = w * stride
        if w < n_floor:
            color, style, note = "tab:blue", "-", _("kept by floor and by ceil")
        elif start < size + padding:
            color, style, note = "tab:green", "--", _("ceil_mode only: kept, sticks out past the end")
        else:
            color, style, note = "tab:red", ":", _("ceil_mode: dropped, starts in the right padding")
        y = -0.55 - 0.5 * w
        ax.add_patch(Rectangle((start + 0.05, y), kernel - 0.1, 0.35, fill=False, lw=2,
                               edgecolor=color, linestyle=style))
        ax.text(notes_at, y + 0.17, _("window {index}: {note}").format(index=w, note=note), va="center",
                fontsize=8, color=color)
    ax.set_xlim(-0.2, notes_at + 6.1)
    ax.set_ylim(-0.7 - 0.5 * n_ceil, 1.1)
    ax.axis("off")
    ax.set_title(f"L={size}, kernel={kernel}, stride={stride}, padding={padding}", fontsize=9, loc="left")
