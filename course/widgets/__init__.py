"""Interactive explorers for the topic notebooks, built on ipywidgets.

Each explorer is a function that returns an object which displays itself in a
notebook. The logic that turns the controls' state into a picture lives in plain
functions (a geometry module, a ``*_pictures`` module), so it can be tested without a
browser; sizes and values come from PyTorch itself. What the explorers share is in the
private modules: ``_base`` (the Explorer class, its status line and step tail),
``_controls`` (sliders, CSS classes, Play/step), ``_checks`` (argument checks),
``_raster`` (grids drawn into pixels) and ``_text`` (fonts and text on those pixels).

Importing this package imports nothing heavy: each explorer's module loads only
when the explorer is first used.
"""

from importlib import import_module

__all__ = ["attention_explorer", "batch_explorer", "conv_explorer", "dropout_explorer",
           "feature_map_explorer", "mlp_explorer", "norm_explorer", "optimizer_explorer",
           "overfitting_explorer", "pooling_explorer", "softmax_explorer"]

_MODULE_OF = {
    "attention_explorer": "attention",
    "batch_explorer": "batches",
    "conv_explorer": "conv",
    "dropout_explorer": "dropout",
    "feature_map_explorer": "feature_maps",
    "mlp_explorer": "mlp",
    "norm_explorer": "normalization",
    "optimizer_explorer": "optimizers",
    "overfitting_explorer": "overfitting",
    "pooling_explorer": "pooling",
    "softmax_explorer": "softmax",
}


def __getattr__(name):
    if name in _MODULE_OF:
        return getattr(import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
