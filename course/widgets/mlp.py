"""MLP explorer: pick an activation and a hidden width, train a small MLP live, watch its boundary.

The plain functions at the top do the work and are tested without a browser: ``make_points``
(XOR corners with a little noise, or scikit-learn's moons), ``make_model`` (a real
``nn.Sequential(nn.Linear(2, h), activation, nn.Linear(h, 1))``), ``probability_grid`` (the
model's sigmoid output on a coarse grid) and ``boundary_pixels`` (that grid and the points,
drawn straight into pixels). ``MlpTrainer`` trains with Adam a few steps per frame and keeps
every frame's weights, so the step slider can also go back. ``MlpExplorer`` only wires the
controls to them.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.i18n import gettext as _

from ._base import Explorer, column, labelled, picture, row, show_png, single_thread
from ._checks import check_choice, check_int
from ._controls import slider, tag
from ._raster import png

__all__ = ["ACTIVATIONS", "DATASETS", "MlpExplorer", "MlpTrainer", "boundary_pixels", "make_model",
           "make_points", "mlp_explorer", "probability_grid"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
               "identity": nn.Identity}
DATASETS = ("xor", "moons")
GRID = 48                      # the grid is GRID x GRID points
CELL = 5                       # pixels per grid point: a 240 x 240 picture
LIMITS = {"xor": ((-0.6, 1.6), (-0.6, 1.6)), "moons": ((-1.6, 2.6), (-1.2, 1.7))}
STEPS_PER_FRAME = 10
FRAMES = 60
LEARNING_RATE = 0.05

_BLUE = np.array([33, 102, 172], dtype=np.float32)
_RED = np.array([178, 24, 43], dtype=np.float32)
_WHITE = np.array([247, 247, 247], dtype=np.float32)


def make_points(dataset: str = "xor", seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)``: float32 points (n, 2) and 0/1 labels (n,). ``"xor"``: 10 points around each
    corner of the unit square (noise 0.1), label 1 where exactly one coordinate is near 1;
    ``"moons"``: 100 points of ``make_moons(noise=0.15)``."""
    check_choice("dataset", dataset, DATASETS)
    gen = torch.Generator().manual_seed(seed)
    if dataset == "xor":
        corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]).repeat_interleave(10, dim=0)
        x = corners + 0.1 * torch.randn(corners.shape, generator=gen)
        y = (corners[:, 0] != corners[:, 1]).float()
        return x, y
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=100, noise=0.15, random_state=seed)
    return torch.tensor(points, dtype=torch.float32), torch.tensor(labels, dtype=torch.float32)


def make_model(activation: str = "relu", hidden: int = 4, seed: int = 0) -> nn.Sequential:
    """``nn.Sequential(nn.Linear(2, hidden), <activation>, nn.Linear(hidden, 1))``, initialised from
    ``seed`` without touching the global random generator."""
    check_choice("activation", activation, tuple(ACTIVATIONS))
    check_int("hidden", hidden, 1, 64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(2, hidden), ACTIVATIONS[activation](), nn.Linear(hidden, 1))


def grid_points(dataset: str, n: int = GRID) -> torch.Tensor:
    """The (n * n, 2) points of the picture's grid, row by row from the top (largest y) down."""
    (x0, x1), (y0, y1) = LIMITS[dataset]
    xs = torch.linspace(x0, x1, n)
    ys = torch.linspace(y1, y0, n)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)


def probability_grid(model: nn.Module, dataset: str, n: int = GRID) -> torch.Tensor:
    """``sigmoid(model(point))`` for every grid point, shape (n, n), top row first."""
    with torch.no_grad():
        return torch.sigmoid(model(grid_points(dataset, n))).reshape(n, n)


def boundary_pixels(prob: torch.Tensor, x: torch.Tensor, y: torch.Tensor, dataset: str,
                    cell: int = CELL) -> np.ndarray:
    """An RGB picture: each grid point a ``cell``-pixel block from red (class 0) through white to
    blue (class 1), the 0.5 boundary in black, and the points as squares in their label's colour."""
    p = prob.numpy()[..., None].astype(np.float32)
    colours = np.where(p >= 0.5, _WHITE + (2 * p - 1) * (_BLUE - _WHITE) * 0.6,
                       _WHITE + (1 - 2 * p) * (_RED - _WHITE) * 0.6)
    side = p[..., 0] >= 0.5
    edge = np.zeros_like(side)
    edge[:-1] |= side[:-1] != side[1:]
    edge[:, :-1] |= side[:, :-1] != side[:, 1:]
    colours[edge] = 0
    pixels = np.repeat(np.repeat(colours, cell, axis=0), cell, axis=1)
    n = prob.shape[0]
    (x0, x1), (y0, y1) = LIMITS[dataset]
    size = n * cell
    cols = ((x[:, 0].numpy() - x0) / (x1 - x0) * (size - 1)).round().astype(int)
    rows = ((y1 - x[:, 1].numpy()) / (y1 - y0) * (size - 1)).round().astype(int)
    for r, c, label in zip(rows, cols, y.numpy(), strict=True):
        if 0 <= r < size and 0 <= c < size:
            pixels[max(r - 3, 0):r + 4, max(c - 3, 0):c + 4] = 0
            pixels[max(r - 2, 0):r + 3, max(c - 2, 0):c + 3] = _BLUE if label > 0.5 else _RED
    return pixels.astype(np.uint8)


class MlpTrainer:
    """A model, its Adam optimizer and the weights after every frame of ``STEPS_PER_FRAME`` steps."""

    def __init__(self, dataset: str = "xor", activation: str = "relu", hidden: int = 4, seed: int = 0):
        self.dataset = dataset
        self.x, self.y = make_points(dataset, seed)
        self.model = make_model(activation, hidden, seed)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.frames = [self._snapshot()]

    def _snapshot(self) -> dict:
        # Only the weights: going back loads them; going on trains from the last frame, whose
        # optimizer state is the optimizer's own.
        return {k: v.clone() for k, v in self.model.state_dict().items()}

    def loss(self) -> float:
        with torch.no_grad():
            return F.binary_cross_entropy_with_logits(self.model(self.x).reshape(-1), self.y).item()

    def accuracy(self) -> float:
        with torch.no_grad():
            return ((self.model(self.x).reshape(-1) > 0).float() == self.y).float().mean().item()

    def go_to(self, frame: int) -> None:
        """Put the weights of ``frame`` into the model, training on from the last frame kept."""
        if frame < len(self.frames):
            self.model.load_state_dict(self.frames[frame])
            return
        self.model.load_state_dict(self.frames[-1])
        while len(self.frames) <= frame:
            for _step in range(STEPS_PER_FRAME):
                loss = F.binary_cross_entropy_with_logits(self.model(self.x).reshape(-1), self.y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            self.frames.append(self._snapshot())


class MlpExplorer(Explorer):
    """Dataset and activation buttons, a hidden-units slider, a seed slider and play/step.

    After every change ``trainer`` holds the real model and ``prob`` the grid of its outputs.
    """

    def __init__(self, dataset="xor", activation="relu", hidden=4, seed=0):
        check_choice("dataset", dataset, DATASETS)
        check_choice("activation", activation, tuple(ACTIVATIONS))
        check_int("hidden", hidden, 1, 32)
        check_int("seed", seed, 0, 20)
        super().__init__()
        self.dataset = tag(widgets.ToggleButtons(options=DATASETS, value=dataset,
                                                 style={"button_width": "70px"}), "dataset")
        self.activation = tag(widgets.ToggleButtons(options=tuple(ACTIVATIONS), value=activation,
                                                    style={"button_width": "70px"}), "activation")
        self.hidden = slider(_("hidden units"), hidden, 1, 32, css="hidden", width="330px")
        self.seed = slider(_("seed"), seed, 0, 20, css="seed", width="330px")
        self.image = picture("mlp_picture")
        steps = self._stepper(150, self._redraw)
        self.step.description = _("frame")
        controls = column([labelled(_("data"), self.dataset), labelled(_("activation"), self.activation),
                           self.hidden, self.seed, steps])
        self._watch([self.dataset, self.activation, self.hidden, self.seed], self._restart)
        self._finish([row([self.image, controls], gap=12)])
        self._restart()

    def _restart(self) -> None:
        self.trainer = MlpTrainer(self.dataset.value, self.activation.value, self.hidden.value,
                                  self.seed.value)
        if self.step.value != 0:
            self.step.value = 0           # its callback redraws
            self.play.max = FRAMES
        else:
            self.play.max = FRAMES
            self._redraw()

    def _redraw(self) -> None:
        with single_thread():
            frame = self.step.value
            self.trainer.go_to(frame)
            self.prob = probability_grid(self.trainer.model, self.dataset.value)
            show_png(self.image, png(boundary_pixels(self.prob, self.trainer.x, self.trainer.y,
                                                     self.dataset.value)))
            loss, acc = self.trainer.loss(), self.trainer.accuracy()
        h = self.hidden.value
        activation = type(self.trainer.model[1]).__name__
        model = f"nn.Sequential(nn.Linear(2, {h}), {activation}(), nn.Linear({h}, 1))"
        self._say(_("Adam step {step} of {model}: binary cross-entropy {loss:.3f}, accuracy {accuracy:.0%} "
                    "on {points} points.").format(step=frame * STEPS_PER_FRAME, model=model, loss=loss,
                                                  accuracy=acc, points=len(self.trainer.y)),
                  "ok" if acc == 1 else "info")


def mlp_explorer(dataset: str = "xor", activation: str = "relu", hidden: int = 4,
                 seed: int = 0) -> MlpExplorer:
    """Return an MLP explorer; display it by making it a cell's last line.

    It trains a real ``nn.Sequential(nn.Linear(2, hidden), activation, nn.Linear(hidden, 1))``
    with Adam on ``dataset`` (``"xor"`` or ``"moons"``), ten steps per frame, and draws its
    decision boundary on a 48 x 48 grid. ``seed`` fixes the data and the initial weights.
    """
    return MlpExplorer(dataset, activation, hidden, seed)
