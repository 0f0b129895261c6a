"""Tests for course.checks: each check passes on right values and explains wrong ones."""

import pytest
import torch

from course.checks import CheckFailure, expect_close, expect_equal, expect_raises, expect_true


def test_expect_equal_accepts_equal_values():
    expect_equal(3, 3, call="f()")
    expect_equal((1, 2), (1, 2), call="f()")
    expect_equal(0.1 + 0.2, 0.3, call="f()")


def test_expect_equal_message_names_call_values_and_hint():
    with pytest.raises(CheckFailure) as info:
        expect_equal(4, 5, call="conv_output_size(7, 3)", hint="forgot the +1")
    message = str(info.value)
    assert "conv_output_size(7, 3)" in message
    assert "returned 4" in message and "expected 5" in message
    assert "Hint: forgot the +1" in message


@pytest.mark.parametrize("wrong", [torch.tensor(3), True, 3.0, "3"])
def test_expect_equal_rejects_lookalikes_of_an_int(wrong):
    expected = 1 if wrong is True else 3
    with pytest.raises(CheckFailure):
        expect_equal(wrong, expected, call="f()")


def test_expect_equal_accepts_any_integer_type_where_an_int_is_expected():
    import numpy as np

    expect_equal(np.int64(7), 7, call="f()")
    with pytest.raises(CheckFailure, match=r"returned np.int64\(8\); expected 7"):
        expect_equal(np.int64(8), 7, call="f()")


def test_expect_equal_rejects_a_list_where_a_tuple_is_expected():
    with pytest.raises(CheckFailure, match="type list"):
        expect_equal([1, 2], (1, 2), call="f()")


def test_expect_close_accepts_close_tensors_and_matching_nans():
    expected = torch.tensor([1.0, float("nan"), float("-inf")])
    expect_close(expected + torch.tensor([1e-7, 0.0, 0.0]), expected, call="f()")


def test_expect_close_reports_shape_before_values():
    with pytest.raises(CheckFailure, match=r"returned shape \(2, 3\); expected shape \(3, 2\)"):
        expect_close(torch.zeros(2, 3), torch.zeros(3, 2), call="f()")


def test_expect_close_points_at_the_worst_element():
    actual = torch.zeros(2, 3)
    actual[1, 2] = 5.0
    with pytest.raises(CheckFailure, match=r"index \(1, 2\) it returned 5 but expected 0"):
        expect_close(actual, torch.zeros(2, 3), call="f()")


def test_expect_close_rejects_a_non_tensor():
    with pytest.raises(CheckFailure, match="expected a tensor"):
        expect_close([0.0], torch.zeros(1), call="f()")


def test_expect_raises_returns_the_error_and_rejects_no_error_or_the_wrong_error():
    error = expect_raises(ValueError, int, "x", call="int('x')")
    assert isinstance(error, ValueError)
    with pytest.raises(CheckFailure, match="returned 3; expected it to raise ValueError"):
        expect_raises(ValueError, int, "3", call="int('3')")
    with pytest.raises(CheckFailure, match="raised TypeError"):
        expect_raises(ValueError, int, None, call="int(None)")


def test_expect_raises_lets_not_implemented_through():
    def stub():
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        expect_raises(ValueError, stub, call="stub()")


def test_expect_true():
    expect_true(True, call="f()", detail="unused")
    with pytest.raises(CheckFailure, match="f\\(\\): the mask is not binary"):
        expect_true(False, call="f()", detail="the mask is not binary")
