"""Tests of the overfitting explorer's figure: clipping, and that the fast redraw matches a full one."""

import io

import numpy as np
import torch
from PIL import Image

from course.regularization import true_function, wavy_data
from course.widgets.overfitting import DECAYS, DEGREES, fit_state
from course.widgets.overfitting_pictures import GRID_X, CurvesFigure, clip_errors


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


def test_clip_errors_keeps_the_log_panels_readable():
    """Check that errors are clipped to [1e-3, 10] and others pass unchanged."""
    np.testing.assert_allclose(clip_errors([1e-9, 0.05, 1e6]), [1e-3, 0.05, 10.0])


def test_the_fast_redraw_matches_a_full_redraw():
    """Check that restoring the kept background and drawing the moving artists gives the full picture."""
    data = wavy_data(n_train=20)
    figure = CurvesFigure(data, true_function(torch.from_numpy(GRID_X)).numpy(), DEGREES, DECAYS)
    first = fit_state(20, 3, 1e-8)
    figure.update(first["fitted"], 3, first["by_degree"], 1e-8, first["by_decay"])
    figure.png()                                            # keeps the background
    state = fit_state(20, 12, 1e-2)
    figure.update(state["fitted"], 12, state["by_degree"], 1e-2, state["by_decay"])
    fast = _pixels(figure.png())
    for artist in figure.moving:
        artist.set_animated(False)
    figure.figure.canvas.draw()
    full = np.asarray(figure.figure.canvas.buffer_rgba())[..., :3].astype(float)
    assert fast.shape == full.shape
    assert np.mean(np.abs(fast - full) > 1) < 0.01          # the same picture, up to antialiasing
