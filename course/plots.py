"""Small matplotlib figures used across the topic notebooks.

Each function draws into a new figure and returns it, so callers (and tests)
can inspect or close it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import torch

__all__ = ["show_histograms", "show_images", "show_signals"]


def _as_2d(image: torch.Tensor):
    image = image.detach().cpu()
    if image.dim() == 3 and image.shape[0] == 1:
        image = image[0]  # (1, H, W) -> (H, W)
    if image.dim() == 3 and image.shape[0] == 3:
        return image.permute(1, 2, 0).clamp(0, 1).numpy()  # (3, H, W) -> (H, W, 3)
    if image.dim() != 2:
        raise ValueError(f"cannot show a tensor of shape {tuple(image.shape)} as an image; "
                         "pass (H, W), (1, H, W) or (3, H, W)")
    return image.numpy()


def show_images(images: Sequence[torch.Tensor], titles: Sequence[str] | None = None,
                cmap: str = "gray", width: float = 3.0):
    """Show images side by side, each with its title and its (H, W) shape."""
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
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
        raise ValueError(f"got {len(signals)} signals but {len(labels)} labels")
    offsets = offsets or [0] * len(signals)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    for signal, label, offset in zip(signals, labels, offsets, strict=True):
        values = signal.detach().cpu().flatten()
        ax.plot(range(offset, offset + len(values)), values.numpy(), label=label, lw=1)
    ax.set_xlabel("position along the sequence")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def show_histograms(tensors: Sequence[torch.Tensor], titles: Sequence[str], bins: int = 40):
    """Histogram the values of each tensor, one panel each, e.g. after different initialisers."""
    if len(tensors) != len(titles):
        raise ValueError(f"got {len(tensors)} tensors but {len(titles)} titles")
    fig, axes = plt.subplots(1, len(tensors), figsize=(3 * len(tensors), 2.6), squeeze=False)
    for ax, tensor, title in zip(axes[0], tensors, titles, strict=True):
        ax.hist(tensor.detach().cpu().flatten().numpy(), bins=bins, color="tab:blue")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
