"""Helpers for 08_activations_mlp: the XOR points, a short training loop and decision-boundary plots."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

XOR_X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = torch.tensor([0.0, 1.0, 1.0, 0.0])


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 500,
        lr: float = 0.05) -> list[float]:
    """Train ``model`` (one logit per row of ``x``) on the 0/1 labels ``y`` with Adam and binary
    cross-entropy on the whole batch for ``steps`` steps; return the loss after each step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(x).reshape(-1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows whose logit has the sign of its 0/1 label (logit > 0 means class 1)."""
    with torch.no_grad():
        return ((model(x).reshape(-1) > 0).float() == y).float().mean().item()


def probability_grid(model: nn.Module, xlim, ylim, n: int = 48):
    """``sigmoid(model(point))`` on an ``n`` x ``n`` grid over ``xlim`` x ``ylim``: a tensor (n, n),
    row 0 at ``ylim[0]``, column 0 at ``xlim[0]``."""
    xs = torch.linspace(xlim[0], xlim[1], n)
    ys = torch.linspace(ylim[0], ylim[1], n)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)
    with torch.no_grad():
        return torch.sigmoid(model(grid).reshape(n, n))


def draw_boundary(ax, model: nn.Module, x: torch.Tensor, y: torch.Tensor, title: str = "", n: int = 100):
    """Colour ``ax`` by the model's probability of class 1, draw the 0.5 line (the decision
    boundary, left out when the model says 0.5 everywhere) and the points ``x`` coloured by their
    labels ``y``."""
    pad = 0.5
    xlim = (x[:, 0].min().item() - pad, x[:, 0].max().item() + pad)
    ylim = (x[:, 1].min().item() - pad, x[:, 1].max().item() + pad)
    prob = probability_grid(model, xlim, ylim, n)
    extent = (*xlim, *ylim)
    ax.imshow(prob.numpy(), origin="lower", extent=extent, cmap="RdBu", vmin=0, vmax=1, alpha=0.5,
              aspect="auto")
    if prob.min() < 0.5 - 1e-3 and prob.max() > 0.5 + 1e-3:   # no line through rounding noise
        ax.contour(prob.numpy(), levels=[0.5], origin="lower", extent=extent, colors="k", linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu", vmin=0, vmax=1, edgecolors="k", s=18)
    ax.set(xlim=xlim, ylim=ylim, title=title)
    ax.set_xticks([])
    ax.set_yticks([])
