"""The attention explorer's pictures: one attention map drawn straight into pixels.

A map is a grid of ``T + 1`` by ``T + 1`` cells: the top row names the keys, the left column the
queries (a digit, or ``·`` for padding), and every other cell is a weight in [0, 1] on a
white-to-blue scale. ``map_pixels`` returns the RGB image; ``weight_colours`` the cell colours alone.
"""

from __future__ import annotations

import functools

import numpy as np

from ._raster import grid_pixels
from ._text import ink, text_layer, write

__all__ = ["CELL", "PAD_LABEL", "map_pixels", "token_labels", "weight_colours"]

CELL = 22                     # pixels per cell: 9 cells make a 199-pixel map
PAD_LABEL = "·"
_LOW = np.array([1.0, 1.0, 1.0])           # weight 0: white
_HIGH = np.array([0.03, 0.19, 0.42])       # weight 1: dark blue
_LABEL = np.array([0.93, 0.93, 0.93])      # the label row and column


def token_labels(tokens: list[int], pad: int) -> list[str]:
    """The label of every token: its digit, or ``PAD_LABEL`` for the padding token ``pad``."""
    return [PAD_LABEL if t == pad else str(t) for t in tokens]


def weight_colours(weights: np.ndarray) -> np.ndarray:
    """RGB ``(T, T, 3)`` of the weights ``(T, T)``: 0 white, 1 dark blue, linear in between."""
    w = np.clip(np.asarray(weights, dtype=float), 0, 1)[..., None]
    return _LOW * (1 - w) + _HIGH * w


@functools.lru_cache(maxsize=64)
def _labels_ink(labels: tuple[str, ...]):
    size = len(labels) + 1
    texts = {(0, i + 1): label for i, label in enumerate(labels)}
    texts.update({(i + 1, 0): label for i, label in enumerate(labels)})
    layer = text_layer(texts, (size * CELL + 1, size * CELL + 1), CELL)
    return ink(layer, CELL, size)


def map_pixels(weights: np.ndarray, labels: list[str]) -> np.ndarray:
    """RGB ``uint8`` picture of one attention map (rows queries, columns keys) with its token labels."""
    size = len(labels) + 1
    colours = np.empty((size, size, 3))
    colours[0, :] = _LABEL
    colours[:, 0] = _LABEL
    colours[1:, 1:] = weight_colours(weights)
    pixels = grid_pixels(colours, CELL)
    # Label text only: the weights are read from the colour, and the caption names the largest.
    write(pixels, _labels_ink(tuple(labels)))
    return pixels
