"""Tests of the overfitting explorer: what it draws against real PyTorch, headless."""

import io

import numpy as np
import pytest
import torch
from PIL import Image
from widgethelpers import images

from course.regularization import legendre_features, ridge_fit, ridge_predict, wavy_data
from course.widgets import overfitting_explorer
from course.widgets.overfitting import DECAYS, DEGREES, fit_state, gradient_at_fit
from course.widgets.overfitting_pictures import GRID_X, clip_errors


@pytest.mark.parametrize("degree, weight_decay", [(3, 1e-8), (12, 1e-2), (0, 1.0)])
def test_the_fit_is_the_minimum_that_autograd_and_an_optimizer_agree_on(degree, weight_decay):
    """Check that the drawn fit minimises MSE + λ·Σw² (constant term free): zero gradient, Adam no lower."""
    data = wavy_data(n_train=20, seed=0)
    state = fit_state(20, degree, weight_decay)
    assert gradient_at_fit(20, degree, weight_decay) < 1e-8
    phi = legendre_features(data.x_train, degree)

    def objective(w):
        return torch.mean((phi @ w - data.y_train) ** 2) + weight_decay * (w[1:] ** 2).sum()

    w = torch.zeros(degree + 1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        objective(w).backward()
        optimizer.step()
    assert objective(state["weights"]).item() <= objective(w).item() + 1e-9
    torch.testing.assert_close(torch.from_numpy(state["fitted"]),
                               ridge_predict(state["weights"], torch.from_numpy(GRID_X)))


def test_errors_shown_are_mean_squared_errors_of_the_fit():
    """Check that the status line's errors equal F.mse_loss of the fit on both sets."""
    explorer = overfitting_explorer(degree=5, weight_decay=1e-4)
    data = wavy_data(n_train=20, seed=0)
    w = ridge_fit(data.x_train, data.y_train, 5, 1e-4)
    train = torch.nn.functional.mse_loss(ridge_predict(w, data.x_train), data.y_train).item()
    val = torch.nn.functional.mse_loss(ridge_predict(w, data.x_val), data.y_val).item()
    assert explorer.state["train"] == pytest.approx(train)
    assert explorer.state["val"] == pytest.approx(val)
    assert f"training MSE {train:.4f}" in explorer.message
    assert f"validation MSE {val:.4f}" in explorer.message
    explorer.close()


def test_the_error_curves_follow_the_sliders():
    """Check that the middle panel follows λ and the right panel follows the degree, marker included."""
    explorer = overfitting_explorer(degree=3, weight_decay=1e-8)
    curves = explorer.curves
    assert list(curves.degree_train.get_xdata()) == DEGREES
    assert list(curves.decay_train.get_xdata()) == DECAYS
    explorer.degree.value = 12
    assert curves.degree_marker.get_xdata()[0] == 12
    by_decay = explorer.state["by_decay"]
    np.testing.assert_allclose(curves.decay_val.get_ydata(), clip_errors(by_decay[1]))
    explorer.weight_decay.value = 1e-2
    assert curves.decay_marker.get_xdata()[0] == pytest.approx(1e-2)
    np.testing.assert_allclose(curves.degree_val.get_ydata(), clip_errors(explorer.state["by_degree"][1]))
    explorer.close()


def test_high_degree_without_decay_overfits_and_decay_or_more_data_cures_it():
    """Check the lesson: degree 12 overfits at λ = 1e-8, not at λ = 1e-2 nor with 80 points."""
    explorer = overfitting_explorer(degree=12, weight_decay=1e-8)
    assert explorer.state["val"] > 10 * explorer.state["train"]
    assert "overfitting" in explorer.message
    explorer.weight_decay.value = 1e-2
    assert explorer.state["val"] < 0.2
    explorer.weight_decay.value = 1e-8
    explorer.n_train.value = 80
    assert explorer.state["val"] < 0.2
    explorer.close()


def test_the_picture_is_laid_out_at_its_png_size_and_fits_the_screen():
    """Check that the picture keeps its PNG size before and after a change, and fits 1366 × 768."""
    explorer = overfitting_explorer()
    changes = (lambda: setattr(explorer.degree, "value", 9), lambda: setattr(explorer.n_train, "value", 40))
    for change in changes:
        (image,) = images(explorer)
        width, height = Image.open(io.BytesIO(image.value)).size
        assert (image.layout.width, image.layout.height) == (f"{width}px", f"{height}px")
        assert width <= 1100 and height <= 320
        change()
    explorer.close()


def test_bad_arguments_are_refused():
    """Check that out-of-range arguments raise ValueError."""
    for kwargs in ({"degree": 16}, {"weight_decay": 0.0}, {"n_train": 5}, {"degree": 2.5}):
        with pytest.raises(ValueError):
            overfitting_explorer(**kwargs)
