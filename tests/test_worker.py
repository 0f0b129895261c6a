"""Tests for course.grader.worker: what a Dask worker checks and does before it grades (no cluster).

The real cluster (`dask scheduler` and `dask worker` processes) is in tests/test_cluster.py.
"""

from __future__ import annotations

import pytest

from course.grader.execute import JobPayload, JobSettings, grader_identity
from course.grader.worker import SharedInputs, WorkerRefused, grade_on_worker, worker_problem

FIRST = "01_parameters"


def _payload() -> JobPayload:
    """A job that never gets as far as running: every test here refuses it."""
    files = {f"{FIRST}.ipynb": b"{}"}
    return JobPayload(FIRST, "ann", (FIRST,), files, JobSettings(sandbox=False), 60.0, "no fingerprint")


def test_a_worker_with_the_graders_code_qualifies():
    """Check that a worker running the grader's own code may grade (sandbox not asked for)"""
    assert worker_problem(grader_identity(), sandbox=False) is None


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("torch", "1.0.0", "torch {mine} here, 1.0.0 on the grader"),
    ("nbgrader", "0.1", "nbgrader {mine} here, 0.1 on the grader"),
    ("course", "0" * 64, "the course package's code differs from the grader's"),
])
def test_a_worker_with_other_grading_code_says_what_differs(name, value, expected):
    """Check that a mismatched worker names the package that differs and says how to fix it"""
    identity = {**grader_identity(), name: value}
    expected = expected.format(mine=grader_identity()[name])
    problem = worker_problem(identity, sandbox=False)
    assert problem is not None and expected in problem and "Install the grader's versions" in problem


def test_a_refusing_worker_grades_nothing(tmp_path):
    """Check that the task itself refuses, before writing anything, on a worker with other code"""
    payload = _payload()
    shared = SharedInputs(b"", b"", {**grader_identity(), "torch": "0.0"}, {})
    with pytest.raises(WorkerRefused, match="refused to grade ann: other grading code: torch"):
        grade_on_worker(payload, shared)
