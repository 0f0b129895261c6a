"""Small real data sets that ship inside installed packages, so the course works offline.

Every loader returns a float32 tensor in PyTorch's channels-first layout.
"""

from __future__ import annotations

import numpy as np
import torch

from course.i18n import gettext

__all__ = ["load_digits", "load_eeg", "load_photo", "moving_square_video"]


def _sample_path(name: str) -> str:
    from matplotlib import cbook

    return str(cbook.get_sample_data(name, asfileobj=False))


def load_eeg() -> torch.Tensor:
    """Return matplotlib's sample EEG recording as a ``(4, 800)`` tensor: 4 electrodes, 800 samples.

    Each channel is already standardised (mean 0, standard deviation 1).
    """
    raw = np.fromfile(_sample_path("eeg.dat"), dtype=np.float64).reshape(800, 4)
    return torch.from_numpy(raw.T.copy()).float()  # (C, L) = (4, 800)


def load_photo(gray: bool = True) -> torch.Tensor:
    """Return matplotlib's sample photograph of Grace Hopper, scaled to [0, 1].

    Shape ``(1, 600, 512)`` when ``gray`` (the default), else ``(3, 600, 512)``.
    """
    from matplotlib import image

    rgb = image.imread(_sample_path("grace_hopper.jpg")).astype(np.float32) / 255.0  # (H, W, 3)
    picture = torch.from_numpy(rgb).permute(2, 0, 1).contiguous()  # (3, H, W)
    if gray:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
        picture = (picture * weights).sum(dim=0, keepdim=True)  # (1, H, W)
    return picture


def load_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """Return scikit-learn's 1,797 handwritten digits as ``(images, labels)``.

    ``images`` has shape ``(1797, 1, 8, 8)`` with values in [0, 1]; ``labels`` has shape ``(1797,)``.
    """
    from sklearn.datasets import load_digits as _sklearn_digits

    bunch = _sklearn_digits()
    images = torch.from_numpy(bunch.images / 16.0).float().unsqueeze(1)  # (N, 1, 8, 8)
    labels = torch.from_numpy(bunch.target).long()
    return images, labels


def moving_square_video(frames: int = 8, size: int = 16, square: int = 4,
                        step: int = 1) -> torch.Tensor:
    """Return a ``(1, frames, size, size)`` clip of a bright square drifting right and down.

    The clip is a video-like volume ``(C, D, H, W)`` for Conv3d: D is time.
    """
    if square > size:
        raise ValueError(gettext("square={square} does not fit in a {size}x{size} frame").format(
            square=square, size=size))
    if frames < 1 or step < 0:
        raise ValueError(gettext("frames must be at least 1 and step must not be negative"))
    clip = torch.zeros(1, frames, size, size)
    for t in range(frames):
        top = min(t * step, size - square)
        clip[0, t, top:top + square, top:top + square] = 1.0
    return clip


# -- single pictures for the explorers (course.widgets) ---------------------------------
__all__ += ["digit_picture"]


def digit_picture(size: int = 8, index: int = 3) -> torch.Tensor:
    """Return digit number ``index`` of ``load_digits`` as a ``(size, size)`` tensor stretched to [0, 1].

    The 8 × 8 image is resized bilinearly (corners aligned), then shifted and scaled so its
    darkest pixel is 0 and its brightest 1 (all 0 when it is flat, as at ``size=1``).
    The default, number 3, is a handwritten 3.
    """
    import torch.nn.functional as F

    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(gettext("size must be an int of at least 1, got {size}").format(size=repr(size)))
    images, _ = load_digits()
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(images):
        raise ValueError(gettext("index must be an int from 0 to {last}, got {index}").format(
            last=len(images) - 1, index=repr(index)))
    digit = images[index:index + 1]                                   # (1, 1, 8, 8)
    picture = F.interpolate(digit, size=(size, size), mode="bilinear", align_corners=True)[0, 0]
    low, high = picture.min(), picture.max()
    return (picture - low) / (high - low).clamp_min(1e-12)


# -- the topic notebooks' split of the digits into training and held-out images ----------
__all__ += ["split_digits"]


def split_digits(*sizes: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Return the digits flattened to ``X`` of shape ``(1797, 64)``, their ``labels``, then index tensors.

    The 1,797 images are put in one random order (``torch.randperm`` with a generator seeded by
    ``seed``); the first ``sizes[0]`` indices of that order make the first part, the next ``sizes[1]``
    the second, and so on, and the indices left over make the last part:
    ``X, labels, train_idx, val_idx = split_digits(1300)`` keeps 1,300 images for training and 497.
    """
    images, labels = load_digits()
    X = images.flatten(1)  # (1797, 64): one row of 64 pixels per image
    if any(size < 0 for size in sizes) or sum(sizes) > len(X):
        raise ValueError(gettext("sizes {sizes} do not fit into the {count} digits").format(
            sizes=sizes, count=len(X)))
    order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    return (X, labels, *torch.split(order, [*sizes, len(X) - sum(sizes)]))
