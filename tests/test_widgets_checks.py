"""Tests of _checks: argument checks that name the argument, what it must be and what it got."""

import math

import pytest

from course.widgets._checks import (
    check_at_most,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_numbers,
    check_positive,
)


def test_check_int_accepts_ints_within_the_bounds_and_returns_them():
    """Check that valid ints come back unchanged, at the bounds too."""
    assert check_int("n", 0) == 0 and check_int("n", 1, 1) == 1 and check_int("n", 64, 1, 64) == 64


@pytest.mark.parametrize("value, least, most, message", [
    (0, 1, None, "n must be an int of at least 1, got 0"),
    (65, 1, 64, "n must be an int from 1 to 64, got 65"),
    (9, None, 8, "n must be an int of at most 8, got 9"),
    (2.0, None, None, "n must be an int, got 2.0"),
    (True, 0, None, "n must be an int of at least 0, got True"),
])
def test_check_int_messages(value, least, most, message):
    """Check the message for each kind of bound, and that floats and bools are refused."""
    with pytest.raises(ValueError) as raised:
        check_int("n", value, least, most)
    assert str(raised.value) == message


def test_check_at_most_and_check_bool():
    """Check the upper limit of a picture and the True-or-False check, with their messages."""
    assert check_at_most("size", 16, 16) == 16
    with pytest.raises(ValueError, match=r"^size must be at most 16, got 17$"):
        check_at_most("size", 17, 16)
    assert check_bool("flag", False) is False
    with pytest.raises(ValueError, match=r"^flag must be True or False, got 1$"):
        check_bool("flag", 1)


def test_check_choice_lists_or_spells_the_options():
    """Check that a wrong choice lists the options as a tuple, or spelled out with 'or'."""
    assert check_choice("kind", "avg", ("max", "avg")) == "avg"
    with pytest.raises(ValueError, match=r"^kind must be one of \('max', 'avg'\), got 'min'$"):
        check_choice("kind", "min", ("max", "avg"))
    with pytest.raises(ValueError, match=r"^dims must be 1 or 2, got 3$"):
        check_choice("dims", 3, (1, 2), spelled=True)


def test_check_number_and_check_positive():
    """Check ranges of floats, refusing bools, strings and nan, and positive finite numbers."""
    assert check_number("p", 1, 0, 1) == 1.0 and isinstance(check_number("p", 1, 0, 1), float)
    for bad in (-0.1, 1.5, "half", True, math.nan):
        with pytest.raises(ValueError, match="^p must be a number from 0 to 1, got "):
            check_number("p", bad, 0, 1)
    assert check_positive("T", 0.05) == 0.05
    for bad in (0, -1.0, math.inf, math.nan, False):
        with pytest.raises(ValueError, match="^T must be a positive number, got "):
            check_positive("T", bad)


def test_check_numbers_counts_and_converts():
    """Check a sequence of numbers: converted to floats, its length bounded, every number finite."""
    assert check_numbers("z", [1, 2.5], 1, 8) == (1.0, 2.5)
    with pytest.raises(ValueError, match="z must be a sequence of numbers"):
        check_numbers("z", 3.0, 1, 8)
    with pytest.raises(ValueError, match="z must be a sequence of numbers"):
        check_numbers("z", ("a",), 1, 8)
    with pytest.raises(ValueError, match="z must hold 1 to 8 numbers, got 0"):
        check_numbers("z", (), 1, 8)
    with pytest.raises(ValueError, match="z must be finite numbers"):
        check_numbers("z", (1.0, math.inf), 1, 8)
