"""Tests of _controls: the slider factory, CSS tags and the Play/step pair."""

import ipywidgets as widgets
import pytest

from course.widgets._controls import slider, step_controls, tag


def test_tag_adds_a_course_class_with_dashes():
    """Check that tag names the class course-<name> with dashes and returns the widget itself."""
    box = widgets.HTML()
    assert tag(box, "ceil_mode") is box
    assert "course-ceil-mode" in box._dom_classes


def test_slider_acts_when_released_and_widens_its_range_to_the_value():
    """Check continuous_update=False, the range widened to include the value, and the layout options."""
    made = slider("stride", 9, 1, 4, css="stride")
    assert isinstance(made, widgets.IntSlider) and not made.continuous_update
    assert (made.value, made.min, made.max) == (9, 1, 9)
    assert made.description == "stride" and "course-stride" in made._dom_classes
    assert made.style.description_width == "90px" and made.layout.width == "300px"
    plain = slider("p", 0.5, 0.0, 1.0, kind="float", step=0.05, label_width=None, width="320px")
    assert isinstance(plain, widgets.FloatSlider) and plain.step == 0.05
    assert plain.style.description_width == "" and plain._dom_classes == ()


def test_log_slider_takes_its_range_as_values():
    """Check that a log slider's low and high are values (turned into exponents), widened as well."""
    made = slider("T", 50.0, 0.05, 20.0, kind="log", step=0.01)
    assert isinstance(made, widgets.FloatLogSlider) and not made.continuous_update
    assert made.base ** made.min == pytest.approx(0.05) and made.base ** made.max == pytest.approx(50.0)
    assert made.value == pytest.approx(50.0)


def test_play_drives_the_step_and_carries_its_max():
    """Check that the Play control and step slider are linked in value and max, and the step is tagged."""
    play, step = step_controls(interval=300)
    assert play.interval == 300 and "course-step" in step._dom_classes
    play.max = 5
    assert step.max == 5
    play.value = 3
    assert step.value == 3
