"""Generated 1-D regression data and the small fits that notebook 12 and its explorer share.

The data are noisy samples of one smooth curve. A polynomial of a chosen degree is fitted to
them by ridge regression (mean squared error plus ``weight_decay`` times the squared weights),
solved exactly in float64, so every capacity and every weight decay has one answer that
appears in milliseconds. ``mlp_curves`` trains a small network on the same data and records
its training and validation loss after every epoch.
"""

from __future__ import annotations

import torch

__all__ = ["CurveData", "capacity_curves", "decay_curves", "legendre_features", "mlp_curves", "ridge_fit",
           "ridge_predict", "true_function", "wavy_data"]


def true_function(x: torch.Tensor) -> torch.Tensor:
    """The curve behind the data: ``sin(3x) + 0.3x`` on [-1, 1]."""
    return torch.sin(3 * x) + 0.3 * x


class CurveData:
    """Training and validation points of ``true_function`` plus Gaussian noise (float64, shape (N,))."""

    def __init__(self, x_train, y_train, x_val, y_val):
        self.x_train, self.y_train, self.x_val, self.y_val = x_train, y_train, x_val, y_val

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_val, self.y_val))


def wavy_data(n_train: int = 20, n_val: int = 200, noise: float = 0.3, seed: int = 0) -> CurveData:
    """``n_train`` and ``n_val`` noisy points of ``true_function``, x uniform on [-1, 1], from ``seed``."""
    gen = torch.Generator().manual_seed(seed)

    def draw(n):
        x = torch.rand(n, generator=gen, dtype=torch.float64) * 2 - 1
        return x, true_function(x) + noise * torch.randn(n, generator=gen, dtype=torch.float64)

    return CurveData(*draw(n_train), *draw(n_val))


def legendre_features(x: torch.Tensor, degree: int) -> torch.Tensor:
    """Legendre polynomials P0..P_degree at ``x``: shape ``(N, degree + 1)``; P0 is the constant 1.

    On [-1, 1] they stay between -1 and 1, so high degrees stay well conditioned, unlike x**k.
    """
    x = x.double()
    columns = [torch.ones_like(x)]
    if degree >= 1:
        columns.append(x)
    for k in range(1, degree):
        columns.append(((2 * k + 1) * x * columns[k] - k * columns[k - 1]) / (k + 1))
    return torch.stack(columns, dim=1)


def ridge_fit(x: torch.Tensor, y: torch.Tensor, degree: int, weight_decay: float) -> torch.Tensor:
    """Coefficients w (degree + 1,) minimising ``mean((Φw - y)²) + weight_decay · Σ_{k≥1} w_k²``.

    Φ = ``legendre_features(x, degree)``; the constant term w_0 plays the bias and is not penalised.
    """
    return _ridge_many(legendre_features(x, degree), y, [weight_decay])[0]


def _ridge_many(phi: torch.Tensor, y: torch.Tensor, weight_decays) -> torch.Tensor:
    """Ridge coefficients for every weight decay at once: shape ``(len(weight_decays), degree + 1)``."""
    n, k = phi.shape
    decays = torch.tensor([float(v) for v in weight_decays], dtype=torch.float64)
    identity = torch.eye(k, dtype=torch.float64)
    identity[0, 0] = 0.0
    # Setting the gradient to 0: (ΦᵀΦ/n + λ I') w = Φᵀy / n, one system per λ.
    a = phi.T @ phi / n + decays[:, None, None] * identity
    b = (phi.T @ y.double() / n).expand(len(decays), k).unsqueeze(2)
    if bool((decays > 0).all()):
        return torch.linalg.solve(a, b).squeeze(2)
    # λ = 0 with more coefficients than points: ΦᵀΦ is singular; take the least-norm solution.
    return torch.linalg.lstsq(a, b, driver="gelsd").solution.squeeze(2)


def ridge_predict(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The polynomial with Legendre coefficients ``w`` evaluated at ``x``."""
    return legendre_features(x, len(w) - 1) @ w


def _mse(w, x, y) -> float:
    return torch.mean((ridge_predict(w, x) - y) ** 2).item()


def capacity_curves(data: CurveData, degrees, weight_decay: float) -> tuple[list[float], list[float]]:
    """Training and validation mean squared error of the ridge fit for every degree in ``degrees``."""
    train, val = [], []
    for degree in degrees:
        w = ridge_fit(data.x_train, data.y_train, degree, weight_decay)
        train.append(_mse(w, data.x_train, data.y_train))
        val.append(_mse(w, data.x_val, data.y_val))
    return train, val


def decay_curves(data: CurveData, degree: int, weight_decays) -> tuple[list[float], list[float]]:
    """Training and validation mean squared error of the degree-``degree`` fit for every weight decay."""
    phi_train, phi_val = legendre_features(data.x_train, degree), legendre_features(data.x_val, degree)
    w = _ridge_many(phi_train, data.y_train, weight_decays)                 # (len(weight_decays), degree + 1)
    train = ((phi_train @ w.T - data.y_train[:, None]) ** 2).mean(dim=0)
    val = ((phi_val @ w.T - data.y_val[:, None]) ** 2).mean(dim=0)
    return train.tolist(), val.tolist()


def mlp_curves(data: CurveData, width: int = 64, epochs: int = 1500, lr: float = 0.01,
               weight_decay: float = 0.0, seed: int = 0) -> tuple[list[float], list[float]]:
    """Train ``Linear(1, width), Tanh, Linear(width, width), Tanh, Linear(width, 1)`` with AdamW.

    Every epoch is one full-batch step on the training points; returns the training and
    validation mean squared error after each epoch (float32 model, seeded with ``seed``).
    """
    from torch import nn

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(),
                        nn.Linear(width, 1))
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    xt, yt = data.x_train.float().unsqueeze(1), data.y_train.float().unsqueeze(1)
    xv, yv = data.x_val.float().unsqueeze(1), data.y_val.float().unsqueeze(1)
    train, val = [], []
    for _ in range(epochs):
        loss = torch.mean((net(xt) - yt) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            train.append(torch.mean((net(xt) - yt) ** 2).item())
            val.append(torch.mean((net(xv) - yv) ** 2).item())
    return train, val
