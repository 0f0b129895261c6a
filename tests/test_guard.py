"""Tests for course.guard in this process (no IPython shell): modules and builtins come back."""

import builtins

import numpy as np
import pytest
import torch

import course.checks
from course import guard


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(guard, "_snapshot", None)
    guard.install()
    yield
    guard.restore()


def test_restore_puts_back_patched_functions(installed):
    """Check that patched torch, numpy, builtins and course.checks functions are put back"""
    originals = (torch.allclose, np.testing.assert_allclose, builtins.isinstance, course.checks.expect_equal)
    torch.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    builtins.isinstance = lambda *a: True
    course.checks.expect_equal = lambda *a, **k: None
    guard.restore()
    assert (torch.allclose, np.testing.assert_allclose, builtins.isinstance,
            course.checks.expect_equal) == originals
    assert not torch.allclose(torch.zeros(1), torch.ones(1))


def test_restore_puts_back_deleted_functions_and_replaced_modules(installed, monkeypatch):
    """Check that a deleted function and a module replaced in sys.modules come back"""
    import sys

    del torch.equal
    monkeypatch.setitem(sys.modules, "numpy.testing", object())
    guard.restore()
    assert torch.equal(torch.ones(2), torch.ones(2))
    assert sys.modules["numpy.testing"] is np.testing


def test_restore_before_install_raises(monkeypatch):
    """Check that restore refuses to run when install never did"""
    monkeypatch.setattr(guard, "_snapshot", None)
    with pytest.raises(RuntimeError, match="install"):
        guard.restore()
