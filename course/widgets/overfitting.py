"""Overfitting explorer: a polynomial's degree (capacity) and weight decay against the validation error.

Noisy points of one smooth curve (``course.regularization.wavy_data``) are fitted by ridge
regression, solved exactly, so every setting has one answer at once: no training to wait for.
The plain functions compute what is shown and are cached per setting; ``OverfittingExplorer``
wires three sliders to them and updates one matplotlib figure in place.
"""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np
import torch

from course.i18n import gettext as _
from course.i18n import language

from ._base import Explorer, column, picture, show_png, single_thread
from ._checks import check_int, check_number
from ._controls import slider

__all__ = ["DECAYS", "DEGREES", "OverfittingExplorer", "figure_key", "fit_state", "gradient_at_fit",
           "overfitting_explorer"]

DEGREES = list(range(0, 16))
DECAYS = [float(v) for v in np.logspace(-8, 0, 33)]


@functools.lru_cache(maxsize=16)
def _data(n_train: int):
    from course.regularization import wavy_data

    return wavy_data(n_train=n_train, n_val=200, noise=0.3, seed=0)


@functools.lru_cache(maxsize=64)
def _degree_errors(n_train: int, weight_decay: float):
    from course.regularization import capacity_curves

    return capacity_curves(_data(n_train), DEGREES, weight_decay)


@functools.lru_cache(maxsize=64)
def _decay_errors(n_train: int, degree: int):
    from course.regularization import decay_curves

    return decay_curves(_data(n_train), degree, DECAYS)


@functools.lru_cache(maxsize=256)
def gradient_at_fit(n_train: int, degree: int, weight_decay: float) -> float:
    """Largest |gradient| that autograd finds for the penalised loss at the ridge fit (≈ 0 at a minimum)."""
    from course.regularization import legendre_features, ridge_fit

    data = _data(n_train)
    with single_thread():
        w = ridge_fit(data.x_train, data.y_train, degree, weight_decay).requires_grad_(True)
        phi = legendre_features(data.x_train, degree)
        loss = torch.mean((phi @ w - data.y_train) ** 2) + weight_decay * (w[1:] ** 2).sum()
        (grad,) = torch.autograd.grad(loss, w)
    return grad.abs().max().item()


def figure_key() -> str:
    """The figure's English words explained in the reader's language; empty in English.

    The figure is drawn with DejaVu Sans, which has no Hangul, so its title, legend and axis labels
    stay English in every language; other languages get this caption under it instead.
    """
    if language() == "en":
        return ""
    return _("<small>The figure's words: left, <i>data and fitted polynomial</i>: the <i>training</i> and "
             "<i>validation</i> points, the <i>true curve</i> and the <i>fit</i>; middle, <i>error as "
             "capacity grows</i>, against the <i>degree</i>; right, <i>error as weight decay grows</i>, "
             "against the <i>weight decay λ</i>. Blue is the training error, orange the validation "
             "error; the red lines mark the chosen degree and λ.</small>")


def fit_state(n_train: int, degree: int, weight_decay: float) -> dict:
    """What the explorer shows for one setting: the fit, its errors and both pairs of error curves."""
    from course.regularization import ridge_fit, ridge_predict

    data = _data(n_train)
    with torch.no_grad(), single_thread():
        w = ridge_fit(data.x_train, data.y_train, degree, weight_decay)
        grid = torch.linspace(-1, 1, 121, dtype=torch.float64)
        train = torch.mean((ridge_predict(w, data.x_train) - data.y_train) ** 2).item()
        val = torch.mean((ridge_predict(w, data.x_val) - data.y_val) ** 2).item()
        return {"weights": w, "fitted": ridge_predict(w, grid).numpy(), "train": train, "val": val,
                "by_degree": _degree_errors(n_train, weight_decay),
                "by_decay": _decay_errors(n_train, degree)}


class OverfittingExplorer(Explorer):
    """Sliders for the degree, the weight decay λ and the number of training points.

    After every change ``state`` holds ``fit_state``'s dictionary and ``curves`` the figure
    (``curves.fit_line``, ``degree_train``, ``degree_val``, ``decay_train``, ``decay_val``).
    """

    def __init__(self, degree: int = 3, weight_decay: float = 1e-8, n_train: int = 20):
        check_int("degree", degree, DEGREES[0], DEGREES[-1])
        check_number("weight_decay", weight_decay, DECAYS[0], DECAYS[-1])
        check_int("n_train", n_train, 10, 80)
        super().__init__()
        from course.regularization import true_function

        from .overfitting_pictures import GRID_X, CurvesFigure

        self.degree = slider(_("degree"), degree, DEGREES[0], DEGREES[-1], css="degree", width="330px")
        self.weight_decay = slider(_("weight decay λ"), weight_decay, DECAYS[0], DECAYS[-1], kind="log",
                                   css="weight_decay", step=0.25, readout_format=".0e", width="330px")
        self.n_train = slider(_("training points"), n_train, 10, 80, css="n_train", step=10, width="330px")
        self.image = picture("curves_picture")
        true_y = true_function(torch.from_numpy(GRID_X)).numpy()
        self.curves = CurvesFigure(_data(n_train), true_y, DEGREES, DECAYS)
        self._watch([self.degree, self.weight_decay, self.n_train], self.update)
        key = figure_key()
        self.key = widgets.HTML(key, layout=widgets.Layout(max_width="760px"))
        self._finish([column([self.degree, self.weight_decay, self.n_train]), self.image,
                      *([self.key] if key else [])])
        self.update()

    def _settings(self) -> tuple[int, int, float]:
        decay = float(f"{self.weight_decay.value:.6g}")     # 10 ** 0.25 steps arrive with rounding noise
        return int(self.n_train.value), int(self.degree.value), decay

    def update(self) -> None:
        """Recompute (or fetch) the fit and both error curves, redraw, and compare with autograd."""
        n_train, degree, decay = self._settings()
        self.curves.show_data(_data(n_train))
        self.state = state = fit_state(n_train, degree, decay)
        self.curves.update(state["fitted"], degree, state["by_degree"], decay, state["by_decay"])
        show_png(self.image, self.curves.png())
        gap = state["val"] / max(state["train"], 1e-12)
        verdict = (_("overfitting: validation error far above training error") if gap > 3 else
                   _("underfitting: both errors high") if state["train"] > 0.15 else _("a reasonable fit"))
        grad = gradient_at_fit(n_train, degree, decay)
        self._say(_("degree {degree}, λ = {decay:.0e}, {n_train} training points: training MSE {train:.4f}, "
                    "validation MSE {val:.4f} ({verdict}). PyTorch agrees this is the minimum of MSE + "
                    "λ·Σw²: autograd's largest gradient there is {gradient:.1e}.").format(
                      degree=degree, decay=decay, n_train=n_train, train=state["train"], val=state["val"],
                      verdict=verdict, gradient=grad),
                  "warn" if gap > 3 else "ok")


def overfitting_explorer(degree: int = 3, weight_decay: float = 1e-8,
                         n_train: int = 20) -> OverfittingExplorer:
    """Return an overfitting explorer; display it by making it a cell's last line.

    A polynomial of ``degree`` (0 to 15) is fitted to ``n_train`` noisy points (10 to 80) by
    ridge regression with weight decay ``weight_decay`` (1e-8 to 1; the constant term is not
    penalised). The picture shows the fit, and the training and validation errors against the
    degree and against the weight decay.
    """
    return OverfittingExplorer(degree, weight_decay, n_train)
