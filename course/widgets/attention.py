"""Attention explorer: the attention maps of a trained tiny transformer, per layer and head.

The model is ``course.transformer.trained_reverser()``: two layers of two heads each, trained to
reverse digit sequences, trained once and cached. The explorer runs it on a sequence the learner
types or picks, with the padding mask and a causal mask switched on or off, and draws the weights
that its ``nn.MultiheadAttention`` layers return (``average_attn_weights=False``).
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course.i18n import gettext as _

from ._base import Explorer, column, labelled, picture, row, show_png, single_thread
from ._checks import check_bool
from ._controls import tag
from ._raster import png
from .attention_pictures import map_pixels, token_labels

__all__ = ["EXAMPLES", "AttentionExplorer", "attention_explorer", "read_digits"]

EXAMPLES = ("31415", "12345678", "7117", "90", "2468024", "5")


def read_digits(text: str, longest: int) -> tuple[str | None, str]:
    """``(digits, problem)``: the digits of ``text`` (spaces ignored), or None and what is wrong."""
    digits = "".join(str(text).split())
    if not digits:
        return None, _("Type 1 to 8 digits.")
    if not digits.isdigit() or not digits.isascii():
        return None, _("Only the digits 0-9 can be typed, not {digits}.").format(digits=repr(digits))
    if len(digits) > longest:
        return None, _("At most {longest} digits: the model was trained on sequences of up to "
                       "{longest}.").format(longest=longest)
    return digits, ""


class AttentionExplorer(Explorer):
    """A sequence box, a menu of examples, and padding-mask and causal-mask switches.

    After every change ``tokens`` (1, T), ``prediction`` (T,) and ``maps`` (a list per layer of
    (heads, T, T) weights, rows = queries) hold what is drawn; ``pixels`` holds the four pictures,
    layer 1 head 1 first.
    """

    def __init__(self, sequence: str = "31415", padding_mask: bool = True, causal: bool = False):
        from course.transformer import MAX_LEN, PAD, trained_reverser

        check_bool("padding_mask", padding_mask)
        check_bool("causal", causal)
        digits, problem = read_digits(sequence, MAX_LEN)
        if digits is None:
            raise ValueError(problem)
        super().__init__()
        self.model, self._max_len, self._pad = trained_reverser()[0], MAX_LEN, PAD
        self.sequence = tag(widgets.Text(value=digits, description=_("sequence"), continuous_update=False,
                                         style={"description_width": "70px"},
                                         layout=widgets.Layout(width="200px")), "sequence")
        self.example = tag(widgets.Dropdown(options=[(_("examples…"), "")] + [(e, e) for e in EXAMPLES],
                                            value="", layout=widgets.Layout(width="120px")), "example")
        self.padding_mask = tag(widgets.ToggleButtons(options=[(_("on"), True), (_("off"), False)],
                                                      value=padding_mask, style={"button_width": "48px"}),
                                "padding-mask")
        self.causal = tag(widgets.ToggleButtons(options=[(_("off"), False), (_("on"), True)], value=causal,
                                                style={"button_width": "48px"}), "causal")
        self.captions = [widgets.HTML(layout=widgets.Layout(width="205px")) for _ in range(4)]
        self.images = [picture(f"map-{layer}-{head}") for layer in (1, 2) for head in (1, 2)]
        self.answer = tag(widgets.HTML(), "answer")
        self.pixels: list[np.ndarray] = []

        self._watch([self.sequence, self.padding_mask, self.causal], self.update)
        self._watch([self.example], self._pick)
        panels = [column([caption, image], width="210px")
                  for caption, image in zip(self.captions, self.images, strict=True)]
        self._finish([row([self.sequence, self.example,
                           labelled(_("padding mask"), self.padding_mask, "100px"),
                           labelled(_("causal mask"), self.causal, "90px")], gap=12),
                      row(panels, gap=6)],
                     below=[self.answer])
        self.update()

    def _pick(self) -> None:
        if self.example.value:
            self.sequence.value = self.example.value       # redraws through the sequence's callback
            self.example.value = ""

    def update(self) -> None:
        """Read the controls, run the model, redraw the four maps and the status line."""
        from course.transformer import attention_maps, encode, reverse_targets

        digits, problem = read_digits(self.sequence.value, self._max_len)
        if digits is None:
            self._say(problem, "error")
            return
        with single_thread():
            self.tokens = encode(digits, self._max_len)
            self.prediction, self.maps = attention_maps(self.model, self.tokens, self.padding_mask.value,
                                                        self.causal.value)
            target = reverse_targets(self.tokens)[0]
        labels = token_labels(self.tokens[0].tolist(), self._pad)
        n = len(digits)
        self.pixels = []
        for index, (layer, head) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            weights = self.maps[layer][head].numpy()
            self.pixels.append(map_pixels(weights, labels))
            show_png(self.images[index], png(self.pixels[-1]))
            top = weights[0].argmax()
            self.captions[index].value = _("<small><b>layer {layer}, head {head}</b>: query 0 → key {top} "
                                           "({weight:.2f})</small>").format(
                layer=layer + 1, head=head + 1, top=top, weight=weights[0, top])
        guess = "".join(str(t) for t in self.prediction[:n].tolist())
        right = "".join(str(t) for t in target[:n].tolist())
        correct = sum(a == b for a, b in zip(guess, right, strict=True))
        masks = _("padding mask {padding}, causal mask {causal}").format(
            padding=_("on") if self.padding_mask.value else _("off"),
            causal=_("on") if self.causal.value else _("off"))
        self.answer.value = _("<code>input {digits} → model {guess} · reversed {right}</code> "
                              "<small>(rows: queries, columns: keys, · = padding; each row sums to "
                              "1)</small>").format(digits=digits, guess=guess, right=right)
        kind = "ok" if correct == n else "warn"
        self._say(_("{masks}: the model reverses {digits} into {guess}, {correct} of {n} digits right "
                    "(the answer is {right}).").format(masks=masks, digits=digits, guess=guess,
                                                       correct=correct, n=n, right=right), kind)


def attention_explorer(sequence: str = "31415", padding_mask: bool = True,
                       causal: bool = False) -> AttentionExplorer:
    """Return an attention explorer; display it by making it a cell's last line.

    It shows the attention weights of every layer and head of the tiny transformer of
    ``course.transformer`` (trained to reverse digit sequences, trained once and cached) on
    ``sequence`` (1 to 8 digits), with the padding mask and a causal mask on or off.
    """
    return AttentionExplorer(sequence, padding_mask, causal)
