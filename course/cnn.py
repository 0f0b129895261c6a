"""The small convolutional network of 11_cnn_transfer, trained on scikit-learn's 8 × 8 digits.

``digits_cnn`` builds it, ``train_cnn`` trains it with a progress bar, ``digit_images`` and
``few_per_class`` pick the images, and ``trained_digits_cnn`` keeps one trained copy for the explorer.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from course.i18n import gettext as _

__all__ = ["accuracy", "digit_images", "digits_cnn", "few_per_class", "train_cnn", "trained_digits_cnn"]


def digits_cnn(num_classes: int = 10, dropout: float = 0.25, seed: int | None = 0) -> nn.Sequential:
    """Return the course's small CNN for ``(N, 1, 8, 8)`` digits, with named layers.

    conv1 (1 → 8 channels, 3 × 3, padding 1), relu1, pool1 (2 × 2 max), conv2 (8 → 16, 3 × 3,
    padding 1), relu2, pool2, dropout, flatten, fc (16 · 2 · 2 = 64 → ``num_classes``).
    With ``seed`` the initial weights come from a generator seeded with it (same seed, same weights).
    """
    def build():
        return nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(1, 8, 3, padding=1)),      # (N, 8, 8, 8)
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),                    # (N, 8, 4, 4)
            ("conv2", nn.Conv2d(8, 16, 3, padding=1)),     # (N, 16, 4, 4)
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),                    # (N, 16, 2, 2)
            ("dropout", nn.Dropout(dropout)),
            ("flatten", nn.Flatten()),                     # (N, 64)
            ("fc", nn.Linear(64, num_classes)),
        ]))
    if seed is None:
        return build()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def digit_images(seed: int = 0,
                 train: int = 1300) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(images, labels, train_idx, val_idx)``: the digits as ``(1797, 1, 8, 8)`` and the split
    of ``course.data.split_digits(train, seed=seed)``."""
    from course.data import split_digits

    X, labels, train_idx, val_idx = split_digits(train, seed=seed)
    return X.view(-1, 1, 8, 8), labels, train_idx, val_idx


def few_per_class(labels: torch.Tensor, idx: torch.Tensor, classes, per_class: int,
                  seed: int = 0) -> torch.Tensor:
    """Return ``per_class`` indices of ``idx`` for each label in ``classes``, drawn with a seeded
    generator; ValueError if a class has fewer."""
    gen = torch.Generator().manual_seed(seed)
    picked = []
    for c in classes:
        of_class = idx[labels[idx] == c]
        if len(of_class) < per_class:
            raise ValueError(_("only {count} images of class {label}, asked for {wanted}").format(
                count=len(of_class), label=c, wanted=per_class))
        picked.append(of_class[torch.randperm(len(of_class), generator=gen)[:per_class]])
    return torch.cat(picked)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Return the share of ``images`` that ``model`` (in eval mode, without gradients) labels right."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        right = (model(images).argmax(dim=1) == labels).float().mean().item()
    model.train(was_training)
    return right


def train_cnn(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, train_idx: torch.Tensor,
              val_idx: torch.Tensor, epochs: int = 10, lr: float = 0.01, batch_size: int = 32,
              seed: int = 0, progress: bool = True, desc: str | None = None) -> list[dict]:
    """Train ``model`` with Adam on cross-entropy for ``epochs`` epochs and return one dict per epoch.

    Only parameters with ``requires_grad`` are updated. Mini-batches are shuffled by a generator
    seeded with ``seed`` (and dropout draws from a seeded global generator), so the same call gives
    the same result. Each dict holds ``epoch``, ``loss`` (mean training loss), ``train_acc`` and
    ``val_acc``; with ``progress`` a tqdm bar (labelled ``desc``, by default "training" in the
    notebook's language) shows them after each epoch.
    """
    from tqdm.auto import tqdm

    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = []
    desc = _("training") if desc is None else desc
    bar = tqdm(range(1, epochs + 1), desc=desc, disable=not progress, leave=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for epoch in bar:
            model.train()
            order = train_idx[torch.randperm(len(train_idx), generator=gen)]
            total = 0.0
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                loss = F.cross_entropy(model(images[batch]), labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            row = {"epoch": epoch, "loss": total / len(order),
                   "train_acc": accuracy(model, images[train_idx], labels[train_idx]),
                   "val_acc": accuracy(model, images[val_idx], labels[val_idx])}
            history.append(row)
            bar.set_postfix({_("train"): f"{row['train_acc']:.3f}", _("val"): f"{row['val_acc']:.3f}"})
    model.eval()
    return history


@functools.lru_cache(maxsize=1)
def trained_digits_cnn(epochs: int = 6) -> nn.Sequential:
    """Return the course CNN trained on the 1,300 training digits as in 11_cnn_transfer (Adam,
    learning rate 0.01, batches of 64), computed once and then cached; in eval mode."""
    images, labels, train_idx, val_idx = digit_images()
    model = digits_cnn()
    train_cnn(model, images, labels, train_idx, val_idx, epochs=epochs, batch_size=64, lr=0.01,
              progress=False)
    return model.eval()
