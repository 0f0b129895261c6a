"""Pure pictures of the feature-map explorer: a digit's activations in a CNN, drawn as grey tiles.

``activations`` runs a digit through an ``nn.Sequential`` CNN one child at a time (eval mode, no
gradients) and keeps every child's output; ``map_tiles`` lays the channels of one output out as a
grid of small grey images, each stretched to its own range; ``digit_pixels`` draws the input.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course.i18n import gettext as _

__all__ = ["GAP", "activations", "digit_pixels", "map_layers", "map_tiles", "scaled", "tile_origin"]

GAP = 3                                      # pixels between two tiles
_BACKGROUND = 255                            # white between the tiles


def map_layers(model: nn.Sequential) -> list[str]:
    """Names of the children of ``model`` whose output is a stack of feature maps (4-D), in order.

    Found by running one zero digit through the model; the names are those of ``named_children()``.
    """
    outputs = activations(model, torch.zeros(1, 1, 8, 8))
    return [name for name, out in outputs.items() if out.dim() == 4]


def activations(model: nn.Sequential, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every child's output for ``image`` of shape ``(1, 1, H, W)``: ``{name: tensor}``, in order.

    The model runs in eval mode without gradients; its own training flag is put back afterwards.
    """
    if image.dim() != 4 or image.shape[0] != 1:
        raise ValueError(_("image must have shape (1, C, H, W), got {shape}").format(
            shape=tuple(image.shape)))
    was_training = model.training
    model.eval()
    outputs, x = {}, image
    try:
        with torch.no_grad():
            for name, child in model.named_children():
                x = child(x)
                outputs[name] = x
    finally:
        model.train(was_training)
    return outputs


def scaled(maps: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` maps as grey levels 0..255, each map stretched from its own minimum to maximum.

    A flat map (all values equal, e.g. all zero after ReLU) is drawn black.
    """
    flat = maps.reshape(maps.shape[0], -1)
    low = flat.min(dim=1).values.view(-1, 1, 1)
    span = (flat.max(dim=1).values.view(-1, 1, 1) - low)
    grey = torch.where(span > 0, (maps - low) / span.clamp_min(1e-12), torch.zeros_like(maps))
    return np.round(grey.numpy() * 255).astype(np.uint8)


def tile_origin(channel: int, columns: int, tile: int) -> tuple[int, int]:
    """``(top, left)`` pixel of the tile of ``channel`` in a grid of ``columns`` tiles of ``tile`` pixels."""
    r, c = divmod(channel, columns)
    return r * (tile + GAP), c * (tile + GAP)


def map_tiles(maps: torch.Tensor, cell: int, columns: int = 8) -> np.ndarray:
    """An RGB ``uint8`` image of the ``(C, H, W)`` maps: channel ``i`` at ``tile_origin(i, ...)``,
    each map pixel a ``cell`` × ``cell`` block, tiles ``GAP`` pixels apart on white."""
    channels, height, width = maps.shape
    columns = max(1, min(columns, channels))
    rows = -(-channels // columns)
    tile_h, tile_w = height * cell, width * cell
    grey = scaled(maps)
    out = np.full((rows * (tile_h + GAP) - GAP, columns * (tile_w + GAP) - GAP), _BACKGROUND, np.uint8)
    for i in range(channels):
        r, c = divmod(i, columns)
        top, left = r * (tile_h + GAP), c * (tile_w + GAP)
        out[top:top + tile_h, left:left + tile_w] = np.kron(grey[i], np.ones((cell, cell), np.uint8))
    return np.repeat(out[..., None], 3, axis=2)


def digit_pixels(image: torch.Tensor, cell: int) -> np.ndarray:
    """The ``(1, 1, H, W)`` input digit as an RGB ``uint8`` image, 0 black and 1 white."""
    grey = np.round(image[0, 0].clamp(0, 1).numpy() * 255).astype(np.uint8)
    return np.repeat(np.kron(grey, np.ones((cell, cell), np.uint8))[..., None], 3, axis=2)
