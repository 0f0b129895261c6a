"""Tests of the softmax explorer: bars against torch.softmax, and the naive formula's failures, headless."""

import io
import itertools
import math

import pytest
import torch
from PIL import Image

from course.widgets import softmax_explorer
from course.widgets.softmax import softmax_result


def _set(explorer, logits, temperature=1.0):
    for control, z in zip(explorer.logits, logits, strict=True):
        control.value = z
    explorer.temperature.value = temperature


def _heights(bars):
    return [bar.get_height() for bar in bars]


def _float32_exp(logits, temperature=1.0):
    return torch.exp(torch.tensor(logits, dtype=torch.float32) / temperature)


GRID = [(2.0, 1.0, 0.1, -1.0), (0.0, 0.0, 0.0, 0.0), (-20.0, 120.0, 5.0, 5.0), (88.7, 88.8, 0.0, -3.0),
        (30.0, 29.5, -20.0, 10.0), (100.0, 100.0, 100.0, 100.0), (88.0, 88.0, 88.0, 0.0)]


@pytest.mark.parametrize("logits, temperature", list(itertools.product(GRID, [0.05, 0.3, 1.0, 4.0, 20.0])))
def test_bars_are_torch_softmax(logits, temperature):
    """Check that the bar heights and their labels are torch.softmax(z / T) in float32."""
    explorer = softmax_explorer()
    _set(explorer, logits, temperature)
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float32) / temperature, dim=0)
    assert _heights(explorer.bars) == expected.tolist()
    for label, value in zip(explorer.bar_labels, expected.tolist(), strict=True):
        assert label.get_text() == (f"{value:.3f}" if value == 0 or 0.001 <= value else f"{value:.2g}")


@pytest.mark.parametrize("logits, temperature", list(itertools.product(GRID, [0.05, 1.0, 20.0])))
def test_max_subtracted_marks_match_torch_softmax(logits, temperature):
    """Check that the max-subtracted formula (the marks) agrees with torch.softmax, even where naive fails."""
    explorer = softmax_explorer()
    _set(explorer, logits, temperature)
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float32) / temperature, dim=0)
    torch.testing.assert_close(torch.tensor(explorer.shifted_marks.get_ydata()), expected,
                               atol=1e-6, rtol=1e-5)
    assert "largest difference from torch.softmax" in explorer.summary.value


def test_small_temperature_is_nearly_one_hot_and_large_is_nearly_uniform():
    """Check that T = 0.05 puts almost all probability on the largest logit and T = 20 spreads it evenly."""
    explorer = softmax_explorer(logits=(2.0, 1.0, 0.1, -1.0))
    explorer.temperature.value = 0.05
    heights = _heights(explorer.bars)
    assert heights[0] > 0.999 and max(heights[1:]) < 0.001
    explorer.temperature.value = 20.0
    assert max(abs(h - 0.25) for h in _heights(explorer.bars)) < 0.05
    explorer.temperature.value = 1.0
    assert 0.25 < _heights(explorer.bars)[0] < 0.999


@pytest.mark.parametrize("logits", [
    (2.0, 1.0, 0.1, -1.0), (88.0, 1.0, 0.0, 0.0), (88.7, 0.0, 0.0, 0.0), (88.8, 0.0, 0.0, 0.0),
    (100.0, 95.0, 0.0, -20.0), (120.0, 120.0, 120.0, 120.0), (50.0, 60.0, 70.0, 80.0),
    (-20.0, -20.0, -20.0, 90.0),
])
def test_naive_bars_show_nan_exactly_where_float32_exp_overflows(logits):
    """Check that at T = 1 the naive panel has nan bars exactly where float32 exp(z) is inf."""
    explorer = softmax_explorer()
    _set(explorer, logits)
    overflowing = torch.isinf(_float32_exp(logits)).tolist()
    nan_labels = [label.get_text() == "nan" for label in explorer.naive_labels]
    assert nan_labels == overflowing
    for bar, broken in zip(explorer.naive_bars, overflowing, strict=True):
        assert (bar.get_hatch() == "///") == broken
        if broken:
            assert bar.get_height() == 1.0
    assert ("overflows float32" in explorer.message) == any(overflowing)
    if any(overflowing):
        assert "inf/inf is nan" in explorer.message and "subtracts the max" in explorer.message
    else:
        exact = _float32_exp(logits)
        assert _heights(explorer.naive_bars) == (exact / exact.sum()).tolist()


def test_overflowing_sum_gives_zeros_not_nan_and_says_so():
    """Check that when each exp fits but their sum overflows, the naive bars are 0 and the status says why."""
    logits = (88.0, 88.0, 88.0, 0.0)
    assert not torch.isinf(_float32_exp(logits)).any() and torch.isinf(_float32_exp(logits).sum())
    explorer = softmax_explorer(logits=logits)
    assert _heights(explorer.naive_bars) == [0.0] * 4
    assert "nan" not in [label.get_text() for label in explorer.naive_labels]
    assert "sum overflows float32" in explorer.message and "sum to 0" in explorer.message
    assert explorer.status.value.count("#a04000")        # shown as a warning


def test_every_exp_underflowing_gives_nan_without_overflow():
    """Check that with every exp(z / T) rounding to 0 the naive bars are nan and the status says why."""
    logits, temperature = (-10.0, -10.0, -6.0, -7.0), 0.05
    assert (_float32_exp(logits, temperature) == 0).all()
    explorer = softmax_explorer(logits=logits, temperature=temperature)
    assert [label.get_text() for label in explorer.naive_labels] == ["nan"] * 4
    assert "underflows to 0" in explorer.message and "0/0 = nan" in explorer.message
    assert "overflow" not in explorer.message
    assert _heights(explorer.bars) == torch.softmax(torch.tensor(logits) / temperature, dim=0).tolist()


def test_partial_underflow_is_reported_as_inaccurate():
    """Check that a naive result that is finite but off from torch.softmax is called out."""
    logits, temperature = (-5.0, -5.5, -6.0, -7.0), 0.05        # z / T = -100, -110, ...: tiny or 0
    result = softmax_result(logits, temperature)
    assert not result.naive_has_nan and result.naive_error > 1e-6
    explorer = softmax_explorer(logits=logits, temperature=temperature)
    assert "naive formula is off" in explorer.message and "overflow" not in explorer.message


def test_ordinary_logits_say_naive_agrees():
    """Check that for small logits the status says the naive formula agrees and mentions no overflow."""
    explorer = softmax_explorer()
    assert "agrees with torch.softmax" in explorer.message
    assert "overflows" not in explorer.message
    assert explorer.naive_caption.value.count("sum 1.000")


def test_table_shows_the_overflowing_exp():
    """Check that the table of numbers shows exp(100) as inf and the naive value as nan."""
    explorer = softmax_explorer(logits=(100.0, 1.0))
    assert "inf" in explorer.table.value and "nan" in explorer.table.value
    assert "88.7" in explorer.message or "exp(100)" in explorer.message


def test_sliders_cross_the_overflow_and_cover_the_temperatures():
    """Check that the logit sliders reach past 88.72 and the temperature slider spans 0.05 to 20."""
    explorer = softmax_explorer()
    assert len(explorer.logits) == 4
    for control in explorer.logits:
        assert control.min <= -20 and control.max >= 120 and not control.continuous_update
    assert explorer.temperature.base ** explorer.temperature.min == pytest.approx(0.05)
    assert explorer.temperature.base ** explorer.temperature.max == pytest.approx(20)
    wide = softmax_explorer(logits=(200.0, -50.0), temperature=50.0)
    assert wide.logits[0].max >= 200 and wide.logits[1].min <= -50
    assert wide.temperature.value == pytest.approx(50.0)


@pytest.mark.parametrize("kwargs, words", [
    ({"temperature": 0}, "temperature must be a positive"),
    ({"temperature": -1.0}, "temperature must be a positive"),
    ({"temperature": float("nan")}, "temperature must be a positive"),
    ({"logits": ()}, "logits must hold 1 to 8"), ({"logits": tuple(range(9))}, "logits must hold 1 to 8"),
    ({"logits": (1.0, float("nan"))}, "logits must be finite"),
    ({"logits": ("a", "b")}, "sequence of numbers"),
    ({"logits": 3.0}, "sequence of numbers"),
])
def test_bad_arguments_raise_value_error(kwargs, words):
    """Check that bad arguments raise ValueError with a clear message."""
    with pytest.raises(ValueError, match=words):
        softmax_explorer(**kwargs)


def test_softmax_result_matches_pytorch_and_math():
    """Check that softmax_result's naive column is exp / sum and its flags follow float32 exp."""
    r = softmax_result((100.0, 1.0, 0.0))
    assert r.exp_overflows and r.naive_has_nan and not r.sum_overflows and not r.all_underflow
    assert math.isinf(r.exp_sum)
    ok = softmax_result((1.0, 2.0, 3.0), 2.0)
    expected = torch.tensor([0.5, 1.0, 1.5]).exp()
    torch.testing.assert_close(ok.naive, expected / expected.sum())


@pytest.mark.parametrize("temperature", [0.5, 1.0, 1.3, 1.36, 2.0, 10.0])
def test_the_overflow_hint_is_exact_for_every_temperature(temperature):
    """Check that the hint names the logit past which exp(z/T) really overflows, or says it cannot happen"""
    from course.widgets.softmax import EXP_LIMIT, LOGIT_RANGE, naive_problem, softmax_result

    assert torch.isfinite(torch.exp(torch.tensor(EXP_LIMIT))) and torch.isinf(
        torch.exp(torch.nextafter(torch.tensor(EXP_LIMIT), torch.tensor(100.0))))
    message, kind = naive_problem(softmax_result((1.0, 0.0), temperature))
    assert kind == "ok"
    limit = EXP_LIMIT * temperature
    if limit < LOGIT_RANGE[1]:
        assert f"past {limit:.4g}" in message
        above = softmax_result((limit * 1.001, 0.0), temperature)
        below = softmax_result((limit * 0.999, 0.0), temperature)
        assert above.exp_overflows and not below.exp_overflows
    else:
        assert "cannot overflow" in message and f"below {LOGIT_RANGE[1] / EXP_LIMIT:.3g}" in message
        assert not softmax_result((LOGIT_RANGE[1], 0.0), temperature).exp_overflows
    assert "dots" not in message


def test_bars_are_shown_at_their_native_size_and_never_called_dots():
    """Check that each chart's Image widget is as large as its PNG and the captions say bars and marks"""
    explorer = softmax_explorer()
    for image in (explorer.image, explorer.naive_image):
        width, height = Image.open(io.BytesIO(image.value)).size
        assert (image.layout.width, image.layout.height) == (f"{width}px", f"{height}px")
    assert "dots" not in explorer.caption.value and "black marks" in explorer.caption.value
    assert explorer.summary.value.count("largest difference") == 1
    assert "largest difference" not in explorer.message
    explorer.close()
