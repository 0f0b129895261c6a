"""Tests for course.grader.status: one status per submission, from the errors in its cells."""

import pytest

from course.grader.status import (
    CELL_TIMEOUT,
    GUARD_FAILED,
    KERNEL_DIED,
    KERNEL_STUCK,
    NOT_CONFIRMED,
    Status,
    status_from_errors,
)


def test_statuses_print_as_the_cli_and_csv_show_them():
    """Check the words instructors read in the terminal and in the grades CSV"""
    assert [str(s) for s in Status] == ["graded", "timed out", "crashed", "not a valid notebook", "failed"]
    assert f"{Status.TIMED_OUT}" == "timed out" and Status("crashed") is Status.CRASHED


@pytest.mark.parametrize(("errors", "status"), [
    ([], Status.GRADED),
    (["AssertionError", "CheckFailure", GUARD_FAILED, NOT_CONFIRMED], Status.GRADED),
    ([CELL_TIMEOUT], Status.TIMED_OUT),
    ([KERNEL_STUCK], Status.TIMED_OUT),
    ([CELL_TIMEOUT, KERNEL_DIED], Status.CRASHED),
    ([KERNEL_STUCK, KERNEL_DIED, "AssertionError"], Status.CRASHED),
])
def test_a_crash_outranks_a_stuck_cell_which_outranks_a_timeout(errors, status):
    """Check which status a mix of error names gives, and that a failed test leaves a submission graded"""
    assert status_from_errors(errors)[0] is status


def test_each_status_but_graded_says_what_happened():
    """Check that a crash or timeout comes with a detail for the instructor, and a graded one with none"""
    assert status_from_errors([])[1] == ""
    assert "kernel died" in status_from_errors([KERNEL_DIED])[1]
    assert "ignored the interrupt" in status_from_errors([KERNEL_STUCK])[1]
    assert "per-cell time limit" in status_from_errors([CELL_TIMEOUT])[1]
