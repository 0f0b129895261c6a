"""What happened to a submission: the status ``course grade`` reports, and the error names behind it.

The grader writes its own errors into the cells of a graded notebook (a dead kernel, a stuck cell, a
guard that could not run, a test the kernel did not confirm); nbclient writes ``CellTimeoutError``
into a cell that ran past its time limit. :func:`status_from_errors` turns the error names found in
a student's executed notebooks into one :class:`Status`, which the command line, the CSV and the
tests all read.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["CELL_TIMEOUT", "GUARD_FAILED", "KERNEL_DIED", "KERNEL_STUCK", "NOT_CONFIRMED", "Status",
           "StudentResult", "status_from_errors"]

# Error names in graded cells. The first four are the grader's own (course.grader.preprocessors).
KERNEL_DIED = "KernelDied"            # the kernel died in this cell; later cells were not run
KERNEL_STUCK = "KernelStuck"          # the cell ignored the interrupt at its time limit; kernel killed
GUARD_FAILED = "TestGuardError"       # the tests' guard could not run; the test cell was not run
NOT_CONFIRMED = "TestNotConfirmed"    # the kernel did not confirm the test cell ran to its end
CELL_TIMEOUT = "CellTimeoutError"     # nbclient's: the cell ran past the time limit and was interrupted


class Status(enum.StrEnum):
    """One submission's outcome, as the command line and the grades CSV print it."""

    GRADED = "graded"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    INVALID = "not a valid notebook"
    FAILED = "failed"          # the grader itself could not finish the job: see the job's log


@dataclass
class StudentResult:
    """What happened to one student's submission."""

    student: str
    status: Status = Status.GRADED
    detail: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    reused: bool = False


def status_from_errors(error_names: Iterable[str]) -> tuple[Status, str]:
    """The status of a submission whose notebooks ran to the end, from the error names in their cells.

    A crash outranks a stuck cell, which outranks an ordinary timeout; any other error is the
    student's own (a failed test, say) and leaves the submission ``graded``.
    """
    names = set(error_names)
    if KERNEL_DIED in names:
        return Status.CRASHED, "the kernel died; later cells were not run"
    if KERNEL_STUCK in names:
        return Status.TIMED_OUT, ("a cell ran past the time limit and ignored the interrupt; "
                                  "later cells not run")
    if CELL_TIMEOUT in names:
        return Status.TIMED_OUT, "a cell ran past the per-cell time limit"
    return Status.GRADED, ""
