"""Tests of what the explorers share in _base: the base class, its status line, figures outside pyplot."""

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
import torch
from PIL import Image

import course.widgets
from course.widgets._base import Explorer, figure_png, new_figure, shape_text, single_thread


def test_package_exports_every_explorer_lazily():
    """Check that each advertised explorer resolves and unknown names raise AttributeError"""
    for name in course.widgets.__all__:
        assert callable(getattr(course.widgets, name)), name
    with pytest.raises(AttributeError, match="no attribute 'slider_explorer'"):
        course.widgets.slider_explorer  # noqa: B018


def test_status_message_is_escaped_and_readable_as_text():
    """Check that the status line escapes HTML and .message gives the text back"""
    explorer = Explorer()
    explorer._finish([])
    explorer._say("a < b & 'c'", "warn")
    assert "&lt;" in explorer.status.value and "#a04000" in explorer.status.value
    assert explorer.message == "a < b & 'c'"


def test_watch_runs_the_callback_and_errors_propagate_outside_ipython():
    """Check that watched controls call back on value changes and a failing callback is not swallowed"""
    explorer, calls = Explorer(), []
    slider = widgets.IntSlider()
    explorer._watch([slider], lambda: calls.append(slider.value))
    slider.value = 3
    slider.description = "renamed"  # not a value change
    assert calls == [3]
    explorer._watch([slider], lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        slider.value = 4


def test_close_closes_every_nested_widget():
    """Check that close() closes the whole tree of widgets and nothing else"""
    inner, outside = widgets.IntSlider(), widgets.IntSlider()
    explorer = Explorer()
    explorer._finish([widgets.HBox([inner])])
    explorer.close()
    assert inner.comm is None and explorer.box.comm is None and explorer.status.comm is None
    assert outside.comm is not None


def test_figures_stay_outside_pyplot_and_encode_to_png():
    """Check that new_figure leaves pyplot's figure list alone and figure_png gives the right size"""
    before = plt.get_fignums()
    figure = new_figure((2, 1), dpi=50)
    figure.add_subplot().plot([0, 1])
    assert plt.get_fignums() == before
    assert Image.open(io.BytesIO(figure_png(figure))).size == (100, 50)


def test_single_thread_restores_the_thread_count_even_after_an_error(two_threads):
    """Check that single_thread runs torch on one thread and restores the previous setting"""
    with pytest.raises(RuntimeError), single_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == 2


def test_on_click_runs_the_callback():
    """Check that a button wired with _on_click calls back once per press"""
    explorer, calls = Explorer(), []
    button = widgets.Button()
    explorer._on_click(button, lambda: calls.append(1))
    button.click()
    button.click()
    assert calls == [1, 1]


def test_stepper_and_set_steps_redraw_once_and_clamp_the_step():
    """Check the play/step tail: max follows the steps, a step past the end moves back, one redraw each"""
    explorer, redraws = Explorer(), []
    row = explorer._stepper(400, lambda: redraws.append(explorer.step.value))
    assert isinstance(row, widgets.HBox) and row.children == (explorer.play, explorer.step)
    explorer._set_steps(9, True, lambda: redraws.append("direct"))
    assert explorer.play.max == explorer.step.max == 8 and redraws == ["direct"]
    explorer.step.value = 7
    assert redraws[-1] == 7
    redraws.clear()
    explorer._set_steps(4, True, lambda: redraws.append("direct"))
    assert explorer.step.value == 3 and redraws == [3]
    explorer._set_steps(0, False, lambda: redraws.append("direct"))
    assert explorer.step.disabled and explorer.play.disabled and explorer.step.max == 0


class _Geometry:
    valid, out_shape, problem = True, (3, 3), None

    def size_label(self):
        return "output size: 3 × 3"

    def layer_code(self):
        return "nn.Layer()"


def test_status_helpers_say_agree_refuse_and_disagree():
    """Check the wording and colour of the PyTorch status lines every explorer shares"""
    explorer = Explorer()
    explorer._agree("it fits.")
    assert explorer.message == "PyTorch agrees: it fits." and "#1b6e20" in explorer.status.value
    explorer._agree("no batch.", problem="No step.")
    assert explorer.message == "No step. PyTorch agrees: no batch." and "#a04000" in explorer.status.value
    explorer._refuse("Too small.", "kernel too large")
    assert explorer.message == "Too small. PyTorch refuses too: kernel too large"
    assert "#b00020" in explorer.status.value
    explorer._disagree("formula", "3 against 4.")
    assert explorer.message == "The formula and PyTorch disagree: 3 against 4."


def test_compare_shapes_reports_agreement_refusal_and_disagreement():
    """Check _compare_shapes against a stand-in geometry for each of its three outcomes"""
    explorer, g = Explorer(), _Geometry()
    explorer._compare_shapes(g, (7, 7), (3, 3), None, ", with the same values")
    assert explorer.message == ("PyTorch agrees: nn.Layer() maps (1, 1, 7, 7) to (1, 1, 3, 3), "
                                "with the same values.")
    explorer._compare_shapes(g, (7, 7), (4, 4), None)
    assert explorer.message == ("The picture and PyTorch disagree: the picture has output size: 3 × 3, "
                                "PyTorch gives (1, 1, 4, 4).")
    g.valid, g.problem = False, "No valid output."
    explorer._compare_shapes(g, (7, 7), None, "too small")
    assert explorer.message == "No valid output. PyTorch refuses too: too small"
    assert shape_text((5,)) == "(1, 1, 5)"
