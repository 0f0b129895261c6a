"""Tests of the optimizer explorer: the path is torch.optim's, native-size picture, divergence."""

import io

import pytest
import torch
from PIL import Image

from course.widgets import optimizer_explorer
from course.widgets.optimizers import HEIGHT, SURFACES, WIDTH, background, draw_path, optimizer_path


def _reference(surface, make, steps):
    s = SURFACES[surface]
    p = torch.tensor(s.start, requires_grad=True)
    optimizer = make([p])
    points = [p.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        a, b = p[0], p[1]
        loss = a ** 2 + 25 * b ** 2 if surface == "bowl" else (1 - a) ** 2 + 100 * (b - a ** 2) ** 2
        loss.backward()
        optimizer.step()
        points.append(p.detach().clone())
    return torch.stack(points)


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("name, lr, make", [
    ("SGD", 0.001, lambda ps: torch.optim.SGD(ps, lr=0.001)),
    ("momentum", 0.001, lambda ps: torch.optim.SGD(ps, lr=0.001, momentum=0.8)),
    ("Nesterov", 0.001, lambda ps: torch.optim.SGD(ps, lr=0.001, momentum=0.8, nesterov=True)),
    ("Adam", 0.05, lambda ps: torch.optim.Adam(ps, lr=0.05)),
])
def test_path_equals_torch_optim(surface, name, lr, make):
    """Check that every point of the path is exactly where torch.optim puts the parameter"""
    path = optimizer_path(surface, name, lr, 0.8, 60)
    expected = _reference(surface, make, 60)
    if surface == "bowl":
        assert torch.equal(path.points, expected)       # 2·a and 50·b are exact: bit for bit
    else:
        torch.testing.assert_close(path.points, expected, atol=1e-5, rtol=1e-4)
    assert path.points.shape == (61, 2)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_hand_written_gradient_is_autograds(surface):
    """Check that the surface's gradient formula agrees with autograd at many points"""
    s = SURFACES[surface]
    for point in torch.randn(20, 2, generator=torch.Generator().manual_seed(0)):
        p = point.clone().requires_grad_(True)
        s.loss(p).backward()
        torch.testing.assert_close(s.gradient(point), p.grad, atol=1e-5, rtol=1e-5)


def test_explorer_path_and_status_follow_the_controls():
    """Check that changing the optimizer, lr and step updates the path, the picture and the status"""
    explorer = optimizer_explorer(steps=50)
    assert explorer.step.value == 50
    assert "PyTorch agrees" in explorer.message and "after 50 steps" in explorer.message
    before = explorer.image.value
    explorer.optimizer.value = "Adam"
    explorer.lr.value = 0.1
    assert torch.equal(explorer.path.points, _reference("bowl", lambda ps: torch.optim.Adam(ps, lr=0.1), 50))
    assert torch.equal(explorer.fresh, explorer.path.points)
    assert explorer.image.value != before and "torch.optim.Adam(lr=0.1)" in explorer.message
    assert explorer.momentum.disabled
    explorer.optimizer.value = "momentum"
    assert not explorer.momentum.disabled
    drawn = explorer.image.value
    explorer.step.value = 10
    assert "after 10 steps" in explorer.message and explorer.image.value != drawn
    explorer.surface.value = "Rosenbrock"
    assert explorer.path.surface == "Rosenbrock" and "Rosenbrock" in explorer.caption.value
    explorer.close()


@pytest.mark.parametrize("surface, lr", [("bowl", 0.05), ("bowl", 1.0), ("Rosenbrock", 0.01)])
def test_divergence_is_reported(surface, lr):
    """Check that SGD past its stable learning rate is reported as diverged, and a small rate is not"""
    explorer = optimizer_explorer(surface=surface, optimizer="SGD", lr=lr, steps=100)
    assert "Diverged" in explorer.message and explorer.status.value.count("#a04000")
    explorer.lr.value = 0.0005 if surface == "Rosenbrock" else 0.03
    assert "Diverged" not in explorer.message and "PyTorch agrees" in explorer.message
    explorer.close()


def test_bowl_sgd_limit_is_two_over_the_steepest_curvature():
    """Check that on a² + 25·b² (curvature 50 along b) SGD converges below lr = 0.04 and diverges above"""
    assert not optimizer_path("bowl", "SGD", 0.039, 0.0, 200).diverged(200)
    assert optimizer_path("bowl", "SGD", 0.041, 0.0, 200).diverged(200)


def test_picture_is_shown_at_its_png_size():
    """Check that the Image widget's layout is its PNG's size, before and after a change"""
    explorer = optimizer_explorer()
    for change in (lambda: None, lambda: setattr(explorer.surface, "value", "Rosenbrock")):
        change()
        width, height = Image.open(io.BytesIO(explorer.image.value)).size
        assert (width, height) == (WIDTH, HEIGHT)
        assert (explorer.image.layout.width, explorer.image.layout.height) == (f"{width}px", f"{height}px")
    explorer.close()


def test_background_is_cached_and_non_finite_paths_still_draw():
    """Check that the contour background is computed once per surface and a nan path draws without error"""
    assert background("bowl") is background("bowl")
    path = optimizer_path("Rosenbrock", "SGD", 1.0, 0.0, 30)
    assert not torch.isfinite(path.points[-1]).all() and path.diverged(30)
    assert Image.open(io.BytesIO(draw_path(path, 30))).size == (WIDTH, HEIGHT)


@pytest.mark.parametrize("kwargs, words", [
    ({"surface": "saddle"}, "surface must be"), ({"optimizer": "RMSprop"}, "optimizer must be"),
    ({"lr": 0}, "lr must be a number"), ({"lr": 5.0}, "lr must be a number"),
    ({"momentum": 1.0}, "momentum must be"), ({"steps": 0}, "steps must be"),
    ({"optimizer": "Nesterov", "momentum": 0.0}, "Nesterov needs a momentum"),
])
def test_bad_arguments_raise_value_error(kwargs, words):
    """Check that bad arguments raise ValueError with a clear message"""
    with pytest.raises(ValueError, match=words):
        optimizer_explorer(**kwargs)


def test_nesterov_with_zero_momentum_is_refused_in_the_status():
    """Check that moving the momentum to 0 under Nesterov says why, as torch.optim.SGD does"""
    explorer = optimizer_explorer(optimizer="Nesterov")
    explorer.momentum.value = 0.0
    assert "Nesterov needs a momentum above 0" in explorer.message
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.0, nesterov=True)
    explorer.close()
