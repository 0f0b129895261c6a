"""What every explorer shares: a status line, an Output that shows callback errors, display.

Subclasses build their controls and pictures, wire them with ``_watch`` (and
``_stepper`` for a window that walks step by step) and lay them out with ``_finish``.
Pictures are PNGs in ``ipywidgets.Image`` widgets: either grids drawn straight into
pixels (``_raster``) or a plain matplotlib ``Figure`` (``figure_png``) whose artists are
updated in place, never rebuilt.
"""

from __future__ import annotations

import contextlib
import html
import io

import ipywidgets as widgets

from course.i18n import gettext as _

from ._controls import step_controls, tag

_COLOURS = {"info": "#1f4e79", "ok": "#1b6e20", "warn": "#a04000", "error": "#b00020"}


def new_figure(figsize: tuple[float, float], dpi: int = 72):
    """A matplotlib Figure outside pyplot: it never pops up and never lingers in pyplot's list."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def png_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` in pixels of a PNG, read from its header."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def picture(name: str | None = None) -> widgets.Image:
    """An empty PNG Image widget that ``show_png`` keeps at its native pixel size; ``name`` tags it."""
    image = widgets.Image(format="png", layout=widgets.Layout(flex="0 0 auto"))
    return tag(image, name) if name else image


def show_png(image: widgets.Image, data: bytes) -> None:
    """Show the PNG ``data`` in ``image`` at its own pixel size: never stretched to its box or caption.

    A browser stretches an image in a flex column (the default ``align-items: stretch``), and
    scales one wider than its box down; the fixed width, height and minimum width stop both.
    """
    width, height = png_size(data)
    image.value = data
    layout = image.layout
    if layout.width != f"{width}px" or layout.height != f"{height}px":
        layout.width = layout.min_width = f"{width}px"
        layout.height = layout.min_height = f"{height}px"


def column(children, **layout) -> widgets.VBox:
    """A VBox whose children keep their own width (``align-items: flex-start``)."""
    return widgets.VBox(list(children), layout=widgets.Layout(align_items="flex-start", **layout))


def row(children, gap: int = 0, **layout) -> widgets.HBox:
    """An HBox whose children keep their own height and sit at its top, ``gap`` pixels apart."""
    children = list(children)
    for child in children[1:]:
        if gap:
            child.layout.margin = f"0 0 0 {gap}px"
    return widgets.HBox(children, layout=widgets.Layout(align_items="flex-start", **layout))


def labelled(text: str, control, width: str = "90px") -> widgets.HBox:
    """``control`` (toggle buttons) with ``text`` beside it on the same line, where a slider has its label."""
    label = widgets.HTML(f'<span style="line-height:28px">{html.escape(text)}</span>',
                         layout=widgets.Layout(width=width, min_width=width, flex="0 0 auto"))
    return widgets.HBox([label, control], layout=widgets.Layout(align_items="center"))


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


def shape_text(spatial: tuple[int, ...]) -> str:
    """A batch of one one-channel tensor's shape as PyTorch prints it: ``(1, 1, 7, 7)``."""
    return "(1, 1, " + ", ".join(map(str, spatial)) + ")"


class Explorer:
    """Base class of the explorers.

    Callbacks run inside ``self.errors.capture()``: in a notebook a failing callback
    shows its traceback under the explorer instead of vanishing into the kernel's log;
    outside IPython (tests, scripts) the exception propagates as usual.
    """

    def __init__(self):
        self.status = tag(widgets.HTML(), "status")
        self.errors = widgets.Output()
        self.box: widgets.Box | None = None

    # -- wiring -------------------------------------------------------------------------
    def _watch(self, controls, callback) -> None:
        """Call ``callback()`` whenever any of ``controls`` changes value."""
        wrapped = self.errors.capture()(lambda change: callback())
        for control in controls:
            control.observe(wrapped, names="value")

    def _on_click(self, button: widgets.Button, callback) -> None:
        """Call ``callback()`` whenever ``button`` is pressed."""
        button.on_click(self.errors.capture()(lambda pressed: callback()))

    def _stepper(self, interval: int, redraw) -> widgets.HBox:
        """Make ``self.play`` and ``self.step``, call ``redraw()`` when the step moves; return their row."""
        self.play, self.step = step_controls(interval=interval)
        self._watch([self.step], redraw)
        return widgets.HBox([self.play, self.step])

    def _set_steps(self, steps: int, enabled: bool, redraw) -> None:
        """After a settings change: let the step walk ``steps`` windows and redraw once.

        A step past the new last window moves back to it, and the step's own callback
        redraws; otherwise ``redraw()`` is called here.
        """
        last = max(steps, 1) - 1
        moves = self.step.value > last
        # The link carries max to the step slider, whose new max may already pull its value back
        # (and redraw); setting the value again then changes nothing, so nothing redraws twice.
        self.play.max = last
        self.step.disabled = self.play.disabled = not enabled
        if moves:
            self.step.value = last
        else:
            redraw()

    def _finish(self, rows, below=()) -> None:
        """Lay out ``rows``, then the status line, then ``below`` (text that may be read after moving on)."""
        self.box = tag(column([*rows, self.status, *below, self.errors]), "explorer")

    # -- the status line ----------------------------------------------------------------
    def _say(self, message: str, kind: str = "info") -> None:
        """Show ``message`` in the status line; ``kind`` is info, ok, warn or error."""
        self.status.value = f'<span style="color:{_COLOURS[kind]}">{html.escape(message)}</span>'

    def _agree(self, text: str, problem: str | None = None) -> None:
        """``PyTorch agrees: <text>``; after a ``problem`` (PyTorch agrees there is one) it is a warning."""
        if problem:
            self._say(_("{problem} PyTorch agrees: {text}").format(problem=problem, text=text), "warn")
        else:
            self._say(_("PyTorch agrees: {text}").format(text=text), "ok")

    def _refuse(self, problem: str, error: str) -> None:
        """The settings have no output: say why, and what PyTorch said."""
        self._say(_("{problem} PyTorch refuses too: {error}").format(problem=problem, error=error), "error")

    def _disagree(self, what: str, text: str) -> None:
        """``The <what> and PyTorch disagree: <text>``, a warning that should never be seen.

        ``what`` is ``"picture"``, ``"formula"`` or ``"explorer"``, translated here.
        """
        names = {"picture": _("picture"), "formula": _("formula"), "explorer": _("explorer")}
        self._say(_("The {what} and PyTorch disagree: {text}").format(what=names.get(what, what), text=text),
                  "warn")

    def _compare_shapes(self, geometry, input_shape: tuple[int, ...], torch_shape, torch_error,
                        same_values: str = "") -> None:
        """Compare the picture's ``geometry`` with the output shape (or error) of its real PyTorch layer.

        ``geometry`` has ``valid``, ``out_shape``, ``problem``, ``size_label()`` and
        ``layer_code()``; ``same_values`` is added to the agreement, after the shapes.
        """
        g = geometry
        if g.valid and torch_shape == g.out_shape:
            self._agree(_("{layer} maps {input} to {output}{same_values}.").format(
                layer=g.layer_code(), input=shape_text(input_shape), output=shape_text(torch_shape),
                same_values=same_values))
        elif not g.valid and torch_error is not None:
            self._refuse(g.problem, torch_error)
        else:
            seen = (shape_text(torch_shape) if torch_shape
                    else _("an error ({error})").format(error=torch_error))
            self._disagree("picture", _("the picture has {size}, PyTorch gives {seen}.").format(
                size=g.size_label(), seen=seen))

    @property
    def message(self) -> str:
        """The status line as plain text."""
        text = self.status.value
        return html.unescape(text[text.find(">") + 1:text.rfind("<")]) if text else ""

    # -- display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Close this explorer's widgets."""
        stack = [self.box]
        while stack:
            widget = stack.pop()
            stack.extend(getattr(widget, "children", ()))
            widget.close()
