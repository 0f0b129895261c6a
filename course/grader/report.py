"""Phase 3 of ``course grade``: feedback per student, the grades CSV, and each student's scores.

Feedback is nbgrader's ``generate_feedback``, run by job runners in parallel (it only reads the
gradebook): the local cluster's, or this machine's own when the jobs ran on a remote cluster. The
scores come from the gradebook; ``grades-<assignment>.csv`` has one row per student, one column per
graded cell, and a total.
"""

from __future__ import annotations

import csv
from pathlib import Path

from course.grader.discover import Course
from course.grader.runner import FeedbackRequest, JobRunner, Reply
from course.grader.status import StudentResult

__all__ = ["FEEDBACK_BUDGET_SECONDS", "fill_scores", "note_feedback", "write_csv", "write_feedback"]

FEEDBACK_BUDGET_SECONDS = 600


def write_feedback(course: Course, result: StudentResult, runner: JobRunner) -> None:
    """Write ``result.student``'s feedback with ``runner``; a failure is added to the result's detail."""
    reply = runner.ask(FeedbackRequest(str(course.root), course.assignment, result.student),
                       FEEDBACK_BUDGET_SECONDS)
    note_feedback(result, reply)


def note_feedback(result: StudentResult, reply: Reply) -> None:
    """Add a feedback run's failure (``reply``, from a runner) to ``result``'s detail."""
    if not reply.finished:
        reason = (reply.log.strip().splitlines() or ["nbgrader failed"])[-1][:200]
        result.detail = (result.detail + "; " if result.detail else "") + "no feedback: " + reason


def _scores(course: Course, students: list[str]) -> tuple[list[str], dict[str, dict[str, float]]]:
    """The graded cells' columns (``notebook:grade_id``), and each recorded student's score per column."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
        columns, table = [], {}
        for notebook in gradebook.find_assignment(course.assignment).notebooks:
            columns += [f"{notebook.name}:{cell.name}" for cell in notebook.grade_cells]
        for student in students:
            row = {}
            try:
                submission = gradebook.find_submission(course.assignment, student)
            except MissingEntry:  # not recorded: nothing graded
                table[student] = row
                continue
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    row[f"{notebook.name}:{grade.name}"] = grade.score
            table[student] = row
    return columns, table


def fill_scores(course: Course, results: list[StudentResult], recorded: set[str]) -> list[str]:
    """Set each result's scores and total from the gradebook (only ``recorded`` students have any).

    Returns the columns, in the gradebook's order.
    """
    columns, table = _scores(course, [r.student for r in results])
    for r in results:
        r.scores = table.get(r.student, {}) if r.student in recorded else {}
        r.total = float(sum(v or 0.0 for v in r.scores.values()))
    return columns


def write_csv(path: Path, columns: list[str], results: list[StudentResult]) -> None:
    """One row per student: the student, the status, a score per column, and the total."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", *columns, "total"])
        for r in results:
            writer.writerow([r.student, r.status, *(r.scores.get(c, 0.0) for c in columns), r.total])
