"""Normalisation explorer: which cells of a tensor share one mean and variance in BatchNorm and LayerNorm.

The plain functions at the top build a small fixed example tensor, say which cells form each
normalisation group (``group_mask``), normalise one group by hand and run the real
``nn.BatchNorm1d/2d`` or ``nn.LayerNorm`` on the whole tensor (``compare``). ``NormExplorer`` only
wires the controls to them; the block is drawn straight into pixels.
"""

from __future__ import annotations

import functools
import html

import ipywidgets as widgets
import numpy as np
import torch
from torch import nn

from course.i18n import gettext as _

from ._base import Explorer, column, labelled, picture, row, show_png, single_thread
from ._checks import check_choice, check_int
from ._controls import slider, tag
from ._raster import grid_pixels, png

__all__ = ["KINDS", "LAYOUTS", "NormExplorer", "block_colours", "compare", "example", "group_count",
           "group_mask", "norm_explorer", "torch_layer"]

KINDS = ("batch", "layer")
LAYOUTS = ("image", "sequence", "features")
MAX_N = 6
# (channels or tokens, positions or features per channel/token) of each layout
_SHAPES = {"image": (3, (2, 2)), "sequence": (3, (4,)), "features": (4, ())}
_CELL = 28
_FADE = 0.82            # how far cells outside the group are washed towards white
_SEPARATOR = np.array([20, 20, 20], dtype=np.uint8)


def shape_of(layout: str, n: int) -> tuple[int, ...]:
    """The example tensor's shape: (N, C, H, W), (N, T, D) or (N, C)."""
    blocks, inner = _SHAPES[check_choice("layout", layout, LAYOUTS)]
    return (n, blocks, *inner)


@functools.lru_cache(maxsize=32)
def example(layout: str, n: int) -> torch.Tensor:
    """A fixed example tensor of ``shape_of(layout, n)``: each channel/token has its own offset and spread."""
    full = shape_of(layout, MAX_N)
    g = torch.Generator().manual_seed(10)
    x = torch.randn(full, generator=g)
    scale = torch.tensor([0.5, 2.0, 1.0, 3.0])[: full[1]]
    offset = torch.tensor([3.0, -1.0, 0.0, 5.0])[: full[1]]
    view = (1, full[1]) + (1,) * (len(full) - 2)
    x = x * scale.view(view) + offset.view(view)
    return x[:n].clone()


def _columns(layout: str) -> tuple[int, int]:
    blocks, inner = _SHAPES[layout]
    return blocks, int(np.prod(inner)) if inner else 1


def group_count(kind: str, layout: str, n: int) -> int:
    """How many groups share one mean and variance."""
    blocks, inner = _columns(layout)
    if kind == "batch":
        return inner if layout == "sequence" else blocks       # BatchNorm1d over D features, else per channel
    return n * blocks if layout == "sequence" else n             # LayerNorm(D) per token, else per sample


def group_mask(kind: str, layout: str, n: int, index: int) -> np.ndarray:
    """Boolean ``(N, columns)`` mask of the cells in group ``index``, columns as the block draws them.

    Column ``b * inner + i`` is position/feature ``i`` of channel/token ``b``.
    """
    check_choice("kind", kind, KINDS)
    blocks, inner = _columns(layout)
    check_int("index", index, 0, group_count(kind, layout, n) - 1)
    mask = np.zeros((n, blocks, inner), dtype=bool)
    if kind == "batch" and layout == "sequence":
        mask[:, :, index] = True                 # feature d of every token of every sample
    elif kind == "batch":
        mask[:, index, :] = True                 # channel c: every sample, every position
    elif layout == "sequence":
        mask[index // blocks, index % blocks, :] = True          # one token: its D features
    else:
        mask[index, :, :] = True                 # one sample: everything it has
    return mask.reshape(n, blocks * inner)


def torch_layer(kind: str, layout: str) -> nn.Module:
    """The PyTorch layer the explorer compares with (training mode, default eps)."""
    blocks, inner = _columns(layout)
    if kind == "batch":
        if layout == "image":
            return nn.BatchNorm2d(blocks)
        return nn.BatchNorm1d(inner if layout == "sequence" else blocks)
    shape = {"image": (blocks, *_SHAPES["image"][1]), "sequence": (inner,), "features": (blocks,)}[layout]
    return nn.LayerNorm(shape)


def layer_code(kind: str, layout: str) -> str:
    blocks, inner = _columns(layout)
    if kind == "batch":
        if layout == "image":
            return f"nn.BatchNorm2d({blocks})"
        if layout == "sequence":
            return _("{layer} on x.transpose(1, 2)").format(layer=f"nn.BatchNorm1d({inner})")
        return f"nn.BatchNorm1d({blocks})"
    return {"image": f"nn.LayerNorm(({blocks}, 2, 2))", "sequence": f"nn.LayerNorm({inner})",
            "features": f"nn.LayerNorm({blocks})"}[layout]


def _run_torch(kind: str, layout: str, x: torch.Tensor) -> torch.Tensor:
    layer = torch_layer(kind, layout)
    with torch.no_grad(), single_thread():
        if kind == "batch" and layout == "sequence":
            return layer(x.transpose(1, 2)).transpose(1, 2)
        return layer(x)


def compare(kind: str, layout: str, n: int, index: int) -> dict:
    """Normalise group ``index`` by hand and compare with the real PyTorch layer.

    Returns ``values`` (the group's inputs), ``mean``, ``var`` (biased), ``mine`` and ``theirs``
    (normalised by hand and by PyTorch, in the same order), ``difference`` (largest), or ``error``
    (PyTorch's message) when PyTorch refuses the input.
    """
    x = example(layout, n)
    flat = x.reshape(n, -1)
    mask = torch.from_numpy(group_mask(kind, layout, n, index))
    values = flat[mask]
    mean = values.mean()
    var = ((values - mean) ** 2).mean()
    mine = (values - mean) / torch.sqrt(var + 1e-5)
    result = {"values": values, "mean": mean.item(), "var": var.item(), "mine": mine, "size": int(mask.sum())}
    try:
        theirs = _run_torch(kind, layout, x).reshape(n, -1)[mask]
    except ValueError as error:
        result["error"] = str(error)
        return result
    result["theirs"] = theirs
    result["difference"] = (mine - theirs).abs().max().item()
    return result


def block_colours(kind: str, layout: str, n: int, index: int) -> np.ndarray:
    """RGB ``(N, columns, 3)``: values on a blue-white-red scale, cells outside the group washed out."""
    from matplotlib import colormaps

    x = example(layout, n).reshape(n, -1).numpy()
    top = max(float(np.abs(x).max()), 1e-6)
    rgb = colormaps["coolwarm"](0.5 + 0.5 * x / top)[..., :3]
    inside = group_mask(kind, layout, n, index)[..., None]
    return np.where(inside, rgb, rgb * (1 - _FADE) + _FADE)


def block_pixels(kind: str, layout: str, n: int, index: int) -> np.ndarray:
    """The block picture: grid of cells, thick lines between channels/tokens, the group outlined."""
    blocks, inner = _columns(layout)
    pixels = grid_pixels(block_colours(kind, layout, n, index), _CELL)
    for b in range(1, blocks):
        left = b * inner * _CELL
        pixels[:, max(left - 1, 0):left + 2] = _SEPARATOR
    mask = group_mask(kind, layout, n, index)
    rows, cols = np.nonzero(mask)
    edge = np.array([200, 120, 0], dtype=np.uint8)
    for r, c in zip(rows, cols, strict=True):
        top, left = r * _CELL, c * _CELL
        pixels[top + 1:top + 3, left + 1:left + _CELL] = edge
        pixels[top + _CELL - 2:top + _CELL, left + 1:left + _CELL] = edge
        pixels[top + 1:top + _CELL, left + 1:left + 3] = edge
        pixels[top + 1:top + _CELL, left + _CELL - 2:left + _CELL] = edge
    return pixels


def _numbers(values: torch.Tensor, limit: int = 8) -> str:
    shown = ", ".join(f"{v:.3f}" for v in values[:limit].tolist())
    return shown + (_(", … ({count} in all)").format(count=len(values)) if len(values) > limit else "")


class NormExplorer(Explorer):
    """Toggles for BatchNorm/LayerNorm and the tensor's layout, sliders for N and the group.

    After every change ``x`` (the example tensor), ``mask`` (cells of the chosen group, shape
    ``(N, columns)``), ``cells`` (the colours drawn) and ``result`` (``compare``'s dictionary) hold
    what is shown.
    """

    def __init__(self, kind: str = "batch", layout: str = "image", n: int = 4, group: int = 0):
        check_choice("kind", kind, KINDS)
        check_choice("layout", layout, LAYOUTS)
        check_int("n", n, 1, MAX_N)
        check_int("group", group, 0, group_count(kind, layout, n) - 1)
        super().__init__()
        self.kind = tag(widgets.ToggleButtons(options=[("BatchNorm", "batch"), ("LayerNorm", "layer")],
                                              value=kind, style={"button_width": "90px"}), "kind")
        self.layout = tag(widgets.ToggleButtons(
            options=[("(N, C, H, W)", "image"), ("(N, T, D)", "sequence"), ("(N, C)", "features")],
            value=layout, style={"button_width": "100px"}), "layout")
        self.n = slider(_("N (batch)"), n, 1, MAX_N, css="batch", label_width="70px", width="260px")
        self.group = slider(_("group"), group, 0, group_count(kind, layout, n) - 1, css="group",
                            label_width="70px", width="260px")
        self.caption = widgets.HTML()
        self.image = picture("block_picture")
        self.numbers = tag(widgets.HTML(layout=widgets.Layout(max_width="900px")), "numbers")
        self._watch([self.kind, self.layout, self.n], self.settings_changed)
        self._watch([self.group], self.update)
        toggles = column([labelled(_("layer"), self.kind, "60px"),
                          labelled(_("tensor"), self.layout, "60px")])
        self._finish([row([toggles, column([self.n, self.group])], gap=16),
                      self.caption, self.image],
                     below=[self.numbers])
        self.update()

    def settings_changed(self) -> None:
        """Kind, layout or N changed: the number of groups may change; keep the group in range."""
        last = group_count(self.kind.value, self.layout.value, self.n.value) - 1
        if self.group.value > last:
            self.group.max = last            # pulls the value back and redraws through its callback
            return
        self.group.max = last
        self.update()

    def update(self) -> None:
        kind, layout, n, index = self.kind.value, self.layout.value, self.n.value, self.group.value
        self.x = example(layout, n)
        self.mask = group_mask(kind, layout, n, index)
        self.cells = block_colours(kind, layout, n, index)
        show_png(self.image, png(block_pixels(kind, layout, n, index)))
        blocks, inner = _columns(layout)
        separated = {"image": _("thick lines separate the {blocks} channels"),
                     "sequence": _("thick lines separate the {blocks} tokens"),
                     "features": _("thick lines separate the {blocks} features")}[layout]
        each = {"image": _(", each with {inner} cells, one per position (H·W)"),
                "sequence": _(", each with {inner} cells, one per feature (D)")}
        self.caption.value = _("<small>x of shape {shape}: one row per sample; {separated}{each}. Outlined: "
                               "the cells that share one mean and variance.</small>").format(
            shape=tuple(self.x.shape), separated=separated.format(blocks=blocks),
            each=each[layout].format(inner=inner) if inner > 1 else "")
        self.result = r = compare(kind, layout, n, index)
        count = group_count(kind, layout, n)
        code = layer_code(kind, layout)
        groups = (_("{count} group") if count == 1 else _("{count} groups")).format(count=count)
        cells = (_("{size} cell") if r["size"] == 1 else _("{size} cells")).format(size=r["size"])
        head = _("{name} on {shape}: {groups} of {cells}. Group {index}: mean {mean:.4f}, biased variance "
                 "{var:.4f}.").format(name="BatchNorm" if kind == "batch" else "LayerNorm",
                                      shape=tuple(self.x.shape), groups=groups, cells=cells, index=index,
                                      mean=r["mean"], var=r["var"])
        if "error" in r:
            self._say(_("{head} One value per group has no variance. PyTorch refuses too: {code}: "
                        "{error}").format(head=head, code=code, error=r["error"]), "error")
        elif r["difference"] < 1e-4:
            self._say(_("{head} PyTorch agrees: {code} gives the same normalised values (largest "
                        "difference {difference:.1e}).").format(head=head, code=code,
                                                                 difference=r["difference"]), "ok")
        else:
            self._disagree("explorer", _("{code} differs by {difference:.3g}.").format(
                code=code, difference=r["difference"]))
        rows = [(_("inputs"), _numbers(r["values"])), (_("(x − mean) / √(var + eps)"), _numbers(r["mine"]))]
        if "theirs" in r:
            rows.append((code, _numbers(r["theirs"])))
        self.numbers.value = "<small>" + "<br>".join(f"<b>{html.escape(a)}</b>: {html.escape(b)}"
                                                     for a, b in rows) + "</small>"


def norm_explorer(kind: str = "batch", layout: str = "image", n: int = 4, group: int = 0) -> NormExplorer:
    """Return a normalisation explorer; display it by making it a cell's last line.

    ``kind`` is ``"batch"`` or ``"layer"``; ``layout`` is ``"image"`` (N, C, H, W),
    ``"sequence"`` (N, T, D) or ``"features"`` (N, C); ``n`` is the batch size (1 to 6) and
    ``group`` the group highlighted. The numbers come from a fixed small example and from the
    real ``nn.BatchNorm1d/2d`` or ``nn.LayerNorm``.
    """
    return NormExplorer(kind, layout, n, group)
