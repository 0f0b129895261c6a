"""The overfitting explorer's picture: one matplotlib figure of three panels, updated in place.

Left, the training and validation points with the true curve and the fitted polynomial;
middle, training and validation error against the degree at the chosen weight decay;
right, the same errors against the weight decay at the chosen degree. The figure's words (title,
legend, axis labels) stay English in every language: its font, DejaVu Sans, has no Hangul, and the
explorer explains them in a caption (``overfitting.figure_key``) in other languages.
"""

from __future__ import annotations

import numpy as np

from ._base import new_figure

__all__ = ["CurvesFigure", "GRID_X", "clip_errors"]

GRID_X = np.linspace(-1, 1, 121)      # where the fitted function is drawn
_TOP_ERROR = 10.0                     # errors above this are drawn at the top edge
_BOTTOM_ERROR = 1e-3


def clip_errors(values) -> np.ndarray:
    """Errors clipped to the panels' log scale, [1e-3, 10], so a wild fit does not squash the others."""
    return np.clip(np.asarray(values, dtype=float), _BOTTOM_ERROR, _TOP_ERROR)


class CurvesFigure:
    """The three panels and the artists that ``update`` moves: lines are set, never rebuilt."""

    def __init__(self, data, true_y, degrees, decays):
        self.figure = figure = new_figure((10.6, 2.9), dpi=72)
        self.fit_axes = fit = figure.add_axes((0.045, 0.16, 0.27, 0.72))
        self.degree_axes = by_degree = figure.add_axes((0.385, 0.16, 0.27, 0.72))
        self.decay_axes = by_decay = figure.add_axes((0.715, 0.16, 0.27, 0.72))
        (self.val_points,) = fit.plot(data.x_val.numpy(), data.y_val.numpy(), ".", color="tab:orange", ms=3,
                                      alpha=0.5, label="validation")
        (self.train_points,) = fit.plot(data.x_train.numpy(), data.y_train.numpy(), "o", color="tab:blue",
                                        ms=5, label="training")
        fit.plot(GRID_X, true_y, color="0.4", lw=1, ls="--", label="true curve")
        (self.fit_line,) = fit.plot(GRID_X, np.zeros_like(GRID_X), color="tab:red", lw=2, label="fit")
        fit.set_ylim(-2.4, 3.2)                       # room above the data for the legend
        fit.set_xlim(-1.02, 1.02)
        fit.legend(fontsize=7, loc="upper center", ncol=4, handlelength=1.2, columnspacing=0.8)
        fit.set_title("data and fitted polynomial", fontsize=10)
        (self.degree_train,) = by_degree.plot(degrees, np.ones(len(degrees)), "o-", color="tab:blue", ms=3,
                                              label="training")
        (self.degree_val,) = by_degree.plot(degrees, np.ones(len(degrees)), "o-", color="tab:orange", ms=3,
                                            label="validation")
        self.degree_marker = by_degree.axvline(0, color="tab:red", lw=1.5)
        by_degree.set(yscale="log", ylim=(_BOTTOM_ERROR * 0.8, _TOP_ERROR * 1.25), xlabel="degree")
        by_degree.set_title("error as capacity grows", fontsize=10)
        by_degree.legend(fontsize=8, loc="upper left")
        (self.decay_train,) = by_decay.plot(decays, np.ones(len(decays)), "-", color="tab:blue")
        (self.decay_val,) = by_decay.plot(decays, np.ones(len(decays)), "-", color="tab:orange")
        self.decay_marker = by_decay.axvline(1e-3, color="tab:red", lw=1.5)
        by_decay.set(xscale="log", yscale="log", ylim=(_BOTTOM_ERROR * 0.8, _TOP_ERROR * 1.25),
                     xlabel="weight decay λ")
        by_decay.set_title("error as weight decay grows", fontsize=10)
        self.moving = [self.val_points, self.train_points, self.fit_line, self.degree_train, self.degree_val,
                       self.degree_marker, self.decay_train, self.decay_val, self.decay_marker]
        for artist in self.moving:
            artist.set_animated(True)
        self._background = None
        for ax in (fit, by_degree, by_decay):
            ax.tick_params(labelsize=8)
            ax.xaxis.label.set_size(9)

    def show_data(self, data) -> None:
        """Move the training and validation points to ``data`` (a ``CurveData``)."""
        self.train_points.set_data(data.x_train.numpy(), data.y_train.numpy())
        self.val_points.set_data(data.x_val.numpy(), data.y_val.numpy())

    def update(self, fitted_y, degree, degree_errors, weight_decay, decay_errors) -> None:
        """Move the fitted curve, both pairs of error curves and the two red markers."""
        self.fit_line.set_ydata(np.clip(fitted_y, -3, 3))
        self.degree_train.set_ydata(clip_errors(degree_errors[0]))
        self.degree_val.set_ydata(clip_errors(degree_errors[1]))
        self.degree_marker.set_xdata([degree, degree])
        self.decay_train.set_ydata(clip_errors(decay_errors[0]))
        self.decay_val.set_ydata(clip_errors(decay_errors[1]))
        self.decay_marker.set_xdata([weight_decay, weight_decay])

    def png(self) -> bytes:
        """The figure as PNG: the still parts are drawn once and kept, only the moving artists are redrawn."""
        from ._raster import png

        canvas = self.figure.canvas
        if self._background is None:
            canvas.draw()                    # skips the animated (moving) artists
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.moving:
            artist.axes.draw_artist(artist)
        return png(np.asarray(canvas.buffer_rgba())[..., :3])
