"""Optimizer explorer: pick a surface, an optimizer and a learning rate; walk its path step by step.

The plain functions at the top run the real ``torch.optim`` optimizer (SGD, SGD with
momentum, Nesterov, Adam) on a 2-element float32 parameter over a 2-D loss surface (an
elongated bowl or Rosenbrock's valley) and draw the path into pixels on top of a contour
background that is computed once per surface and cached. ``OptimizerExplorer`` only
wires the controls to them; its status line checks the shown point against a fresh
``torch.optim`` run of the same number of steps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch

from course.i18n import gettext as _

from ._base import Explorer, column, labelled, picture, row, show_png, single_thread
from ._checks import check_choice, check_int, check_number
from ._controls import slider, tag
from ._raster import png

__all__ = ["OPTIMIZERS", "SURFACES", "OptimizerExplorer", "OptimizerPath", "draw_path", "fresh_points",
           "optimizer_explorer", "optimizer_path"]

OPTIMIZERS = ("SGD", "momentum", "Nesterov", "Adam")
LR_RANGE = (1e-4, 1.0)
MOMENTUM_RANGE = (0.0, 0.99)
MAX_STEPS = 200
WIDTH, HEIGHT = 420, 280          # the picture's size in pixels


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: its formula, start point, minimum and the window the picture shows."""

    name: str
    formula: str
    start: tuple[float, float]
    minimum: tuple[float, float]
    window: tuple[float, float, float, float]          # a from, a to, b from, b to

    def loss(self, p):
        """The loss at ``p`` (a tensor whose last dimension is (a, b))."""
        a, b = p[..., 0], p[..., 1]
        if self.name == "bowl":
            return a ** 2 + 25 * b ** 2
        return (1 - a) ** 2 + 100 * (b - a ** 2) ** 2

    def gradient(self, p: torch.Tensor) -> torch.Tensor:
        """The gradient ``(df/da, df/db)`` at ``p`` (2,), written out; autograd agrees to rounding."""
        a, b = p[0], p[1]
        if self.name == "bowl":
            return torch.stack([2 * a, 50 * b])
        inner = b - a ** 2
        return torch.stack([-2 * (1 - a) - 400 * a * inner, 200 * inner])


SURFACES = {
    "bowl": Surface("bowl", "a² + 25·b²", (-4.0, 1.0), (0.0, 0.0), (-4.5, 4.5, -1.5, 1.5)),
    "Rosenbrock": Surface("Rosenbrock", "(1 − a)² + 100·(b − a²)²", (-1.2, 1.0), (1.0, 1.0),
                          (-2.0, 2.0, -1.0, 3.0)),
}


def make_optimizer(params, optimizer: str, lr: float, momentum: float):
    """The real ``torch.optim`` optimizer these settings name (momentum is ignored by SGD and Adam).

    ``foreach=False`` picks the per-tensor loop, which is faster for one tiny tensor; the
    numbers are the same.
    """
    if optimizer == "SGD":
        return torch.optim.SGD(params, lr=lr, foreach=False)
    if optimizer == "Adam":
        return torch.optim.Adam(params, lr=lr, foreach=False)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=optimizer == "Nesterov", foreach=False)


def _check(surface, optimizer, lr, momentum, steps):
    check_choice("surface", surface, tuple(SURFACES))
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_number("lr", lr, *LR_RANGE)
    check_number("momentum", momentum, *MOMENTUM_RANGE)
    if optimizer == "Nesterov" and momentum == 0:
        raise ValueError(_("Nesterov needs a momentum above 0 (torch.optim.SGD refuses nesterov=True with "
                           "momentum 0)"))
    check_int("steps", steps, 1, MAX_STEPS)


def _run(surface: Surface, optimizer: str, lr: float, momentum: float, steps: int) -> list[torch.Tensor]:
    # The gradient is set by hand rather than by backward(): three times faster, so a redraw stays quick.
    p = torch.tensor(surface.start, requires_grad=True)
    opt = make_optimizer([p], optimizer, lr, momentum)
    points = [p.detach().clone()]
    for _step in range(steps):
        with torch.no_grad():
            p.grad = surface.gradient(p)
        opt.step()
        points.append(p.detach().clone())
    return points


@dataclass(frozen=True)
class OptimizerPath:
    """The points ``(steps + 1, 2)`` a ``torch.optim`` optimizer visits, and the loss at each."""

    surface: str
    optimizer: str
    lr: float
    momentum: float
    points: torch.Tensor
    losses: torch.Tensor

    def diverged(self, step: int) -> bool:
        """By ``step`` the loss is not finite or has grown past 10 times its start."""
        loss = self.losses[step].item()
        return not math.isfinite(loss) or loss > 10 * self.losses[0].item()


def optimizer_path(surface: str = "bowl", optimizer: str = "SGD", lr: float = 0.02, momentum: float = 0.9,
                   steps: int = 100) -> OptimizerPath:
    """Run ``steps`` steps of the real ``torch.optim`` optimizer from the surface's start point."""
    _check(surface, optimizer, lr, momentum, steps)
    s = SURFACES[surface]
    points = torch.stack(_run(s, optimizer, lr, momentum, steps))
    return OptimizerPath(surface, optimizer, lr, momentum, points, s.loss(points))


def fresh_points(path: OptimizerPath) -> torch.Tensor:
    """The points of a second, new optimizer with the path's settings: what the picture is checked against."""
    return torch.stack(_run(SURFACES[path.surface], path.optimizer, path.lr, path.momentum,
                            len(path.points) - 1))


# -- the picture --------------------------------------------------------------------
def _to_pixels(surface: Surface, points: np.ndarray) -> np.ndarray:
    a0, a1, b0, b1 = surface.window
    x = (points[:, 0] - a0) / (a1 - a0) * (WIDTH - 1)
    y = (b1 - points[:, 1]) / (b1 - b0) * (HEIGHT - 1)
    return np.stack([x, y], axis=1)


@functools.lru_cache(maxsize=4)
def background(surface: str) -> np.ndarray:
    """The contour picture of ``surface``, RGB ``uint8`` ``(HEIGHT, WIDTH, 3)``, computed once and cached."""
    from matplotlib import colormaps

    s = SURFACES[surface]
    a0, a1, b0, b1 = s.window
    a = torch.linspace(a0, a1, WIDTH)
    b = torch.linspace(b1, b0, HEIGHT)
    grid = torch.stack(torch.meshgrid(b, a, indexing="ij")[::-1], dim=-1)      # (H, W, 2) of (a, b)
    level = torch.log10(s.loss(grid) + 1e-3).numpy()
    shade = (level - level.min()) / (level.max() - level.min())
    colours = colormaps["viridis"](shade)[..., :3] * 0.45 + 0.55      # light, so the path stands out
    bands = np.floor(level * 3)      # three contours per decade
    lines = np.zeros_like(bands, dtype=bool)
    lines[:, 1:] |= bands[:, 1:] != bands[:, :-1]
    lines[1:, :] |= bands[1:, :] != bands[:-1, :]
    colours[lines] = 0.45
    pixels = np.round(colours * 255).astype(np.uint8)
    pixels.flags.writeable = False          # shared by the cache
    return pixels


def draw_path(path: OptimizerPath, step: int) -> bytes:
    """The PNG of the surface with the path's first ``step`` steps drawn on it."""
    from PIL import Image, ImageDraw

    s = SURFACES[path.surface]
    image = Image.fromarray(background(path.surface))
    draw = ImageDraw.Draw(image)
    (mx, my), = _to_pixels(s, np.array([s.minimum]))
    draw.line([(mx - 6, my), (mx + 6, my)], fill=(255, 255, 255), width=3)
    draw.line([(mx, my - 6), (mx, my + 6)], fill=(255, 255, 255), width=3)
    points = path.points[:step + 1].numpy()
    finite = np.isfinite(points).all(axis=1)
    shown = points[:np.argmin(finite)] if not finite.all() else points
    xy = np.clip(_to_pixels(s, np.clip(shown, -1e6, 1e6)), -10 * WIDTH, 10 * WIDTH)
    pairs = [tuple(p) for p in xy.tolist()]
    if len(pairs) > 1:
        draw.line(pairs, fill=(200, 30, 30), width=2)
    for x, y in pairs[1:-1]:
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=(200, 30, 30))
    x, y = pairs[0]
    draw.ellipse((x - 5, y - 5, x + 5, y + 5), outline=(0, 0, 0), width=2)
    if len(pairs) > 1:
        x, y = pairs[-1]
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=(255, 140, 0), outline=(0, 0, 0))
    return png(np.asarray(image))


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(((a == b) | (a.isnan() & b.isnan())).all())


def _format(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


# -- the widget ---------------------------------------------------------------------
class OptimizerExplorer(Explorer):
    """Surface, optimizer, learning rate, momentum and a step slider over one picture of the path.

    After every change ``path`` (an ``OptimizerPath``) holds the points of the whole run and
    ``step.value`` the step drawn up to; the picture is ``image``.
    """

    def __init__(self, surface="bowl", optimizer="SGD", lr=0.02, momentum=0.9, steps=100):
        _check(surface, optimizer, lr, momentum, steps)
        super().__init__()
        self.steps = steps
        self.surface = tag(widgets.ToggleButtons(options=[(_surface_name(s), s) for s in SURFACES],
                                                 value=surface, style={"button_width": "100px"}), "surface")
        self.optimizer = tag(widgets.ToggleButtons(options=[(o if o != "momentum" else _("momentum"), o)
                                                            for o in OPTIMIZERS], value=optimizer,
                                                   style={"button_width": "80px"}), "optimizer")
        self.lr = slider("lr", lr, *LR_RANGE, kind="log", step=0.05, readout_format=".3g", css="lr",
                         width="400px")
        self.momentum = slider(_("momentum"), momentum, *MOMENTUM_RANGE, kind="float", step=0.01,
                               readout_format=".2f", css="momentum", width="400px")
        self.caption = widgets.HTML()
        self.image = picture("optimizer_picture")
        steps_row = self._stepper(150, self.redraw)
        self.step.description = _("step")
        self._path_key = None
        self._watch([self.surface, self.optimizer, self.lr, self.momentum], self.update)
        controls = column([labelled(_("surface"), self.surface), labelled(_("optimizer"), self.optimizer),
                           self.lr, self.momentum, steps_row])
        self._finish([row([column([self.caption, self.image]), controls], gap=16)])
        self.update()
        self.step.value = steps

    # -- callbacks ----------------------------------------------------------------------
    def update(self) -> None:
        """A setting changed: rerun the optimizer for every step, then redraw."""
        optimizer = self.optimizer.value
        self.momentum.disabled = optimizer in ("SGD", "Adam")
        momentum = self.momentum.value
        if optimizer == "Nesterov" and momentum == 0:
            self._say(_("Nesterov needs a momentum above 0: torch.optim.SGD refuses nesterov=True with "
                        "momentum 0. Raise the momentum."), "error")
            return
        with single_thread():
            self.path = optimizer_path(self.surface.value, optimizer, self.lr.value, momentum, self.steps)
            self.fresh = fresh_points(self.path)
        self._set_steps(self.steps + 1, True, self.redraw)

    def redraw(self) -> None:
        """Draw the path up to the current step and check that point against a fresh torch.optim run."""
        path, step = self.path, self.step.value
        s = SURFACES[path.surface]
        show_png(self.image, draw_path(path, step))
        a0, a1, b0, b1 = s.window
        self.caption.value = _("<b>{name}: f(a, b) = {formula}</b>, a from {a0:g} to {a1:g} (across), b from "
                               "{b0:g} to {b1:g} (up)<br>black ring: start {start}, white cross: minimum "
                               "{minimum}, orange dot: step {step}").format(
            name=_surface_name(s.name), formula=s.formula, a0=a0, a1=a1, b0=b0, b1=b1, start=s.start,
            minimum=s.minimum, step=step)
        fresh = self.fresh[step]
        point = path.points[step]
        loss = path.losses[step].item()
        shown = f"({_format(point[0].item())}, {_format(point[1].item())})"
        if not _same(point, fresh):
            self._disagree("picture", _("after {step} steps the path is at {shown}, a fresh run at "
                                        "{fresh}.").format(step=step, shown=shown,
                                                           fresh=tuple(fresh.tolist())))
            return
        text = _("a fresh {code} reaches {shown} after {step} steps, loss {loss}.").format(
            code=_code(path), shown=shown, step=step, loss=_format(loss))
        if path.diverged(step):
            start = path.losses[0].item()
            self._agree(text, _("Diverged: the loss grew from {start:.4g} to {loss}.").format(
                start=start, loss=_format(loss)))
        else:
            a, b = point.tolist()
            outside = not (a0 <= a <= a1 and b0 <= b <= b1)
            self._agree(text + (_(" The point is outside the picture.") if outside else ""))


def _surface_name(name: str) -> str:
    """The surface's name as the reader's language writes it (Rosenbrock is a name in every language)."""
    return _("bowl") if name == "bowl" else name


def _code(path: OptimizerPath) -> str:
    if path.optimizer == "SGD":
        return f"torch.optim.SGD(lr={path.lr:.3g})"
    if path.optimizer == "Adam":
        return f"torch.optim.Adam(lr={path.lr:.3g})"
    nesterov = ", nesterov=True" if path.optimizer == "Nesterov" else ""
    return f"torch.optim.SGD(lr={path.lr:.3g}, momentum={path.momentum:g}{nesterov})"


def optimizer_explorer(surface: str = "bowl", optimizer: str = "SGD", lr: float = 0.02, momentum: float = 0.9,
                       steps: int = 100) -> OptimizerExplorer:
    """Return an optimizer explorer; display it by making it a cell's last line.

    ``surface`` is ``"bowl"`` (a² + 25·b²) or ``"Rosenbrock"``; ``optimizer`` is ``"SGD"``,
    ``"momentum"``, ``"Nesterov"`` or ``"Adam"``; ``lr`` from 1e-4 to 1, ``momentum`` from 0
    to 0.99 (used by momentum and Nesterov), ``steps`` from 1 to 200.
    """
    return OptimizerExplorer(surface, optimizer, lr, momentum, steps)
