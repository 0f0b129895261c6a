"""What every explorer shares: a status line, an Output that shows callback errors, display.

Subclasses build their controls and pictures, wire them with ``_watch`` and lay
them out with ``_finish``. Pictures are PNGs in ``ipywidgets.Image`` widgets:
either grids drawn straight into pixels (``_raster``) or a plain matplotlib
``Figure`` (``figure_png``) whose artists are updated in place, never rebuilt.
"""

from __future__ import annotations

import contextlib
import html
import io

import ipywidgets as widgets

_COLOURS = {"info": "#1f4e79", "ok": "#1b6e20", "warn": "#a04000", "error": "#b00020"}


def new_figure(figsize: tuple[float, float], dpi: int = 72):
    """A matplotlib Figure outside pyplot: it never pops up and never lingers in pyplot's list."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def figure_png(figure) -> bytes:
    """Draw ``figure`` and encode it as PNG, favouring speed over size."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


@contextlib.contextmanager
def single_thread():
    """Run PyTorch on one thread for the duration, then restore the setting.

    The explorers' tensors are tiny: handing them to a second thread costs more than
    the work, and on a busy machine that hand-off is what makes a redraw stall.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def step_controls(interval: int = 500):
    """A Play control linked to a step slider: ``(play, step)``, both 0..0 until the caller sets max.

    The step slider is cheap to redraw, so it follows the mouse. The link is kernel-side,
    so the pair also works headless (tests drive ``play.value``).
    """
    step = widgets.IntSlider(value=0, min=0, max=0, description="window",
                             style={"description_width": "90px"}, layout=widgets.Layout(width="400px"))
    step.add_class("course-step")
    play = widgets.Play(value=0, min=0, max=0, interval=interval, description="play")
    widgets.link((play, "value"), (step, "value"))
    widgets.link((play, "max"), (step, "max"))
    return play, step


class Explorer:
    """Base class of the explorers.

    Callbacks run inside ``self.errors.capture()``: in a notebook a failing callback
    shows its traceback under the explorer instead of vanishing into the kernel's log;
    outside IPython (tests, scripts) the exception propagates as usual.
    """

    def __init__(self):
        self.status = widgets.HTML()
        self.status.add_class("course-status")
        self.errors = widgets.Output()
        self.box: widgets.Box | None = None

    def _watch(self, controls, callback) -> None:
        """Call ``callback()`` whenever any of ``controls`` changes value."""
        wrapped = self.errors.capture()(lambda change: callback())
        for control in controls:
            control.observe(wrapped, names="value")

    def _finish(self, rows) -> None:
        self.box = widgets.VBox([*rows, self.status, self.errors])
        self.box.add_class("course-explorer")

    def _say(self, message: str, kind: str = "info") -> None:
        """Show ``message`` in the status line; ``kind`` is info, ok, warn or error."""
        self.status.value = f'<span style="color:{_COLOURS[kind]}">{html.escape(message)}</span>'

    @property
    def message(self) -> str:
        """The status line as plain text."""
        text = self.status.value
        return html.unescape(text[text.find(">") + 1:text.rfind("<")]) if text else ""

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Close this explorer's widgets."""
        stack = [self.box]
        while stack:
            widget = stack.pop()
            stack.extend(getattr(widget, "children", ()))
            widget.close()
