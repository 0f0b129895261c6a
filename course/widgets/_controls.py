"""Controls every explorer builds the same way: sliders, CSS classes and the Play/step pair."""

from __future__ import annotations

import math

import ipywidgets as widgets

from course.i18n import gettext as _

_SLIDERS = {"int": widgets.IntSlider, "float": widgets.FloatSlider, "log": widgets.FloatLogSlider}


def tag(widget, name: str):
    """Give ``widget`` the CSS class ``course-<name>`` (``_`` becomes ``-``) and return it.

    The classes are what the browser tests locate controls by, so every explorer names them alike.
    """
    widget.add_class(f"course-{name.replace('_', '-')}")
    return widget


def slider(description: str, value, low, high, *, kind: str = "int", css: str | None = None,
           label_width: str | None = "90px", width: str = "300px", **options):
    """A slider from ``low`` to ``high``, widened to include ``value``, that acts when released.

    Every value a slider passes through costs a full recomputation, so it reports only
    where the mouse lets go (``continuous_update=False``). ``kind`` is ``"int"``,
    ``"float"`` or ``"log"`` (a base-10 ``FloatLogSlider``, with ``low`` and ``high`` given as
    values, not exponents); ``css`` names its CSS class (see ``tag``); other ``options`` go
    to the widget (``step``, ``readout_format``, ``disabled``, ...).
    """
    low, high = min(low, value), max(high, value)
    if kind == "log":
        low, high = math.log10(low), math.log10(high)
        options.setdefault("base", 10)
    if label_width is not None:
        options["style"] = {"description_width": label_width}
    made = _SLIDERS[kind](value=value, min=low, max=high, description=description, continuous_update=False,
                          layout=widgets.Layout(width=width), **options)
    return tag(made, css) if css else made


def step_controls(interval: int = 500) -> tuple[widgets.Play, widgets.IntSlider]:
    """A Play control linked to a step slider: ``(play, step)``, both 0..0 until the caller sets max.

    The step slider is cheap to redraw, so it follows the mouse. The link is kernel-side,
    so the pair also works headless (tests drive ``play.value``).
    """
    step = tag(widgets.IntSlider(value=0, min=0, max=0, description=_("window"),
                                 style={"description_width": "90px"}, layout=widgets.Layout(width="400px")),
               "step")
    play = widgets.Play(value=0, min=0, max=0, interval=interval, description=_("play"))
    widgets.link((play, "value"), (step, "value"))
    widgets.link((play, "max"), (step, "max"))
    return play, step
