"""Tests for course.grader.cli that start no grading: what reaches the instructor's terminal."""

from course.grader.cli import printable


def test_printable_escapes_terminal_control_sequences():
    """Check that ANSI and OSC escapes, bells and bidi overrides are shown as text, not obeyed"""
    hostile = "p01_\x1b]0;pwned\x07\x1b[31mred\x1b[0m\r\u202eevil\x9b"
    shown = printable(hostile)
    assert all(c.isprintable() for c in shown)
    assert shown == "p01_\\x1b]0;pwned\\x07\\x1b[31mred\\x1b[0m\\r\\u202eevil\\x9b"


def test_printable_keeps_ordinary_text():
    assert printable("김민수: graded (2 of 3 tests), 100%") == "김민수: graded (2 of 3 tests), 100%"
    assert printable(ValueError("bad id")) == "bad id"
