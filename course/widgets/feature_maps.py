"""Feature-map explorer: pick a digit and a layer of a trained CNN, see every channel it outputs.

The pictures come from ``feature_maps_pictures`` (pure functions on the model's real
activations); ``FeatureMapExplorer`` wires a digit slider and a layer selector to them. A digit's
activations are computed once and kept, so moving between layers only redraws.
"""

from __future__ import annotations

import ipywidgets as widgets
import torch
from torch import nn

from course.i18n import gettext as _

from ._base import Explorer, column, labelled, picture, row, show_png, single_thread
from ._checks import check_choice, check_int
from ._controls import slider, tag
from ._raster import png
from .feature_maps_pictures import activations, digit_pixels, map_layers, map_tiles

__all__ = ["FeatureMapExplorer", "feature_map_explorer"]

_INPUT_CELL = 12                              # pixels per input pixel: the 8 × 8 digit is 96 × 96
_MAPS_WIDTH = 560                             # about this many pixels for a row of 8 tiles


def _cell_for(width: int, columns: int) -> int:
    return max(2, min(24, (_MAPS_WIDTH // columns) // max(width, 1)))


class FeatureMapExplorer(Explorer):
    """A digit slider and a layer selector over a trained ``nn.Sequential`` CNN of 8 × 8 digits.

    After every change ``outputs`` holds every child's output for the chosen digit, ``maps`` the
    chosen layer's ``(C, H, W)`` maps and ``tiles`` / ``digit`` the RGB pixels shown.
    """

    def __init__(self, model: nn.Sequential, images: torch.Tensor, labels: torch.Tensor,
                 index: int = 0, layer: str | None = None):
        layers = map_layers(model)
        index = check_int("index", index, 0, len(images) - 1)
        layer = check_choice("layer", layer if layer is not None else layers[0], tuple(layers))
        super().__init__()
        self.model, self.images, self.labels = model, images, labels
        self._cache: dict[int, dict[str, torch.Tensor]] = {}
        self.index = slider(_("digit"), index, 0, len(images) - 1, css="index", label_width="50px",
                            width="360px")
        self.layer = tag(widgets.ToggleButtons(options=layers, value=layer, style={"button_width": "64px"}),
                         "layer")
        self.input_image = picture("input_picture")
        self.maps_image = picture("maps_picture")
        self.caption = widgets.HTML()
        self._watch([self.index, self.layer], self.update)
        self._finish([row([self.index, labelled(_("layer"), self.layer, width="44px")], gap=12),
                      row([column([widgets.HTML(_("<small>input</small>")), self.input_image]),
                           column([self.caption, self.maps_image])], gap=16)])
        self.update()

    def _outputs(self, index: int) -> dict[str, torch.Tensor]:
        if index not in self._cache:
            if len(self._cache) > 256:
                self._cache.clear()
            with single_thread():
                self._cache[index] = activations(self.model, self.images[index:index + 1])
        return self._cache[index]

    def update(self) -> None:
        """Redraw for the current digit and layer."""
        index, layer = int(self.index.value), self.layer.value
        self.outputs = self._outputs(index)
        self.maps = self.outputs[layer][0]                       # (C, H, W)
        channels, height, width = self.maps.shape
        columns = min(8, channels)
        self.digit = digit_pixels(self.images[index:index + 1], _INPUT_CELL)
        self.tiles = map_tiles(self.maps, _cell_for(width, columns), columns)
        show_png(self.input_image, png(self.digit))
        show_png(self.maps_image, png(self.tiles))
        self.caption.value = _("<small>{channels} feature maps of {height} × {width} from {layer}, each "
                               "scaled to its own range (black low, white high)</small>").format(
            channels=channels, height=height, width=width, layer=f"<code>{layer}</code>")
        scores = list(self.outputs.values())[-1][0]
        predicted, label = int(scores.argmax()), int(self.labels[index])
        verdict = _("right") if predicted == label else _("wrong")
        self._say(_("digit {index} (label {label}): {layer} outputs {shape}, {channels} feature maps of "
                    "{height} × {width}; the network predicts {predicted} ({verdict}).").format(
                      index=index, label=label, layer=layer, shape=tuple(self.outputs[layer].shape),
                      channels=channels, height=height, width=width, predicted=predicted, verdict=verdict),
                  "ok" if predicted == label else "warn")


def feature_map_explorer(model: nn.Sequential | None = None, index: int = 0,
                         layer: str | None = None) -> FeatureMapExplorer:
    """Return a feature-map explorer over the validation digits; display it as a cell's last line.

    ``model`` is an ``nn.Sequential`` CNN for ``(N, 1, 8, 8)`` digits such as
    ``course.cnn.digits_cnn()`` after training; without one, ``course.cnn.trained_digits_cnn()``
    (trained once, then cached) is used. ``index`` picks a validation digit, ``layer`` a child's name.
    """
    from course.cnn import digit_images, trained_digits_cnn

    images, labels, _, val_idx = digit_images()
    return FeatureMapExplorer(model if model is not None else trained_digits_cnn(), images[val_idx],
                              labels[val_idx], index, layer)
