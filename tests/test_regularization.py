"""Tests of course.regularization: the generated data, the ridge fits and the training curves."""

import torch

from course.regularization import (
    capacity_curves,
    decay_curves,
    legendre_features,
    mlp_curves,
    ridge_fit,
    ridge_predict,
    true_function,
    wavy_data,
)


def test_data_is_reproducible_and_in_range():
    """Check that one seed gives the same float64 points on [-1, 1], and another seed others."""
    a, b, c = wavy_data(seed=0), wavy_data(seed=0), wavy_data(seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a.x_train, c.x_train)
    assert a.x_train.dtype == torch.float64 and a.x_train.shape == (20,) and a.x_val.shape == (200,)
    assert a.x_train.abs().max() <= 1
    residual = a.y_val - true_function(a.x_val)
    assert 0.2 < residual.std().item() < 0.4          # noise 0.3


def test_legendre_features_are_the_legendre_polynomials():
    """Check P0..P3 against their closed forms."""
    x = torch.linspace(-1, 1, 11, dtype=torch.float64)
    phi = legendre_features(x, 3)
    expected = torch.stack([torch.ones_like(x), x, (3 * x**2 - 1) / 2, (5 * x**3 - 3 * x) / 2], dim=1)
    torch.testing.assert_close(phi, expected)
    assert legendre_features(x, 0).shape == (11, 1)


def test_ridge_fit_zeroes_the_gradient_of_the_penalised_loss():
    """Check with autograd that the fit is a stationary point of MSE + λ·Σ_{k≥1} w_k²."""
    data = wavy_data()
    for degree, lam in ((1, 0.0), (5, 1e-3), (15, 1e-6), (15, 0.5)):
        w = ridge_fit(data.x_train, data.y_train, degree, lam).requires_grad_(True)
        loss = torch.mean((ridge_predict(w, data.x_train) - data.y_train) ** 2) + lam * (w[1:] ** 2).sum()
        (grad,) = torch.autograd.grad(loss, w)
        assert grad.abs().max() < 1e-8


def test_curves_match_single_fits_and_show_overfitting():
    """Check that the curve helpers agree with single fits, and that degree 12 overfits without decay."""
    data = wavy_data()
    train, val = capacity_curves(data, [3, 12], 0.0)
    w = ridge_fit(data.x_train, data.y_train, 3, 0.0)
    assert abs(val[0] - torch.mean((ridge_predict(w, data.x_val) - data.y_val) ** 2).item()) < 1e-10
    assert val[1] > 100 * val[0] and train[1] < train[0]
    d_train, d_val = decay_curves(data, 12, [0.0, 1e-2])
    assert abs(d_val[0] - val[1]) < 1e-6 * val[1]
    assert d_val[1] < 0.2 and d_train[1] > d_train[0]


def test_mlp_curves_are_reproducible():
    """Check that mlp_curves returns one loss per epoch, the same for the same seed."""
    data = wavy_data()
    a = mlp_curves(data, width=8, epochs=20, seed=3)
    b = mlp_curves(data, width=8, epochs=20, seed=3)
    assert a == b and len(a[0]) == len(a[1]) == 20
    assert a[0][-1] < a[0][0]
