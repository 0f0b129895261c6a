"""Phase 2 of ``course grade``: record every executed submission in the real gradebook, once.

nbgrader's own autograde runs in this process, in the course folder, with
:class:`~course.grader.preprocessors.ReplayExecute` in place of execution
(:func:`course.grader.config.replay_config`): it takes each cell's outputs from phase 1, and
nbgrader writes the gradebook and ``autograded/`` exactly as it always does, so the formgrader
keeps working. This is the only writer of the real gradebook.

A student whose job was reused (nothing changed since the last run) is not recorded again while
what the last record and feedback wrote is still there, unchanged: its ``autograded/`` notebooks,
its feedback pages and its submission in the gradebook (:func:`still_recorded`;
:func:`mark_recorded` writes what that check compares). A re-run after one late submission then
records and writes feedback for that one student only. Anything missing or changed, or a job run
again, is recorded afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from pathlib import Path

from traitlets.config import Config

from course.grader.config import replay_config
from course.grader.discover import Course
from course.grader.status import Status, StudentResult

__all__ = ["RECORD_STAMP", "mark_recorded", "record", "still_recorded"]

RECORD_STAMP = "recorded.json"     # in a job folder: what the last record and feedback wrote


def record(course: Course, config: Config, students: list[str], results: dict[str, StudentResult],
           timings: dict[str, float]) -> None:
    """Record ``students`` with ``config`` (the course's); a student nbgrader fails on is marked failed."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    settings = replay_config(config, course.work / "executed")
    here = os.getcwd()
    os.chdir(course.root)  # nbgrader resolves some paths against the working folder
    try:
        with warnings.catch_warnings():
            # nbgrader's gradebook code trips SQLAlchemy 2's autoflush warning for every student;
            # it says nothing about the grades and would bury the status lines.
            warnings.filterwarnings("ignore", message=r".* not in session, add operation along")
            api = NbGraderAPI(CourseDirectory(config=settings), config=settings)
            timings.setdefault("record", 0.0)
            for student in students:
                started = time.monotonic()
                outcome = api.autograde(course.assignment, student, force=True, create=True)
                timings["record"] += time.monotonic() - started
                if not outcome["success"]:
                    error = outcome.get("error") or "nbgrader autograde failed"
                    results[student].status, results[student].detail = Status.FAILED, error.strip()[-300:]
    finally:
        os.chdir(here)


def _outputs(course: Course, student: str) -> list[Path]:
    """What recording and feedback write for ``student``: autograded notebooks and feedback pages."""
    folder = Path(student) / course.assignment
    return [course.root / top / folder / f"{name}{suffix}" for name in course.notebooks
            for top, suffix in (("autograded", ".ipynb"), ("feedback", ".html"))]


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _job_fingerprint(course: Course, student: str) -> str | None:
    try:
        return json.loads((course.work / "jobs" / student / "finished.json").read_text())["fingerprint"]
    except (OSError, ValueError, KeyError):
        return None


def mark_recorded(course: Course, students: list[str]) -> None:
    """Note, for each of ``students`` whose record and feedback are complete, what they wrote."""
    for student in students:
        outputs = {str(p.relative_to(course.root)): _digest(p) for p in _outputs(course, student)}
        fingerprint = _job_fingerprint(course, student)
        if fingerprint is not None and all(outputs.values()):
            stamp = {"fingerprint": fingerprint, "outputs": outputs}
            (course.work / "jobs" / student / RECORD_STAMP).write_text(json.dumps(stamp))


def still_recorded(course: Course, students: list[str]) -> set[str]:
    """Those of ``students`` whose last record and feedback, for the job as it is now, are intact."""
    from nbgrader.api import Gradebook, MissingEntry

    candidates = {}
    for student in students:
        try:
            stamp = json.loads((course.work / "jobs" / student / RECORD_STAMP).read_text())
        except (OSError, ValueError):
            continue
        if stamp.get("fingerprint") == _job_fingerprint(course, student) and all(
                _digest(course.root / path) == digest for path, digest in stamp.get("outputs", {}).items()):
            candidates[student] = stamp
    if not candidates:
        return set()
    intact = set()
    with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
        for student in candidates:
            try:
                gradebook.find_submission(course.assignment, student)
            except MissingEntry:
                continue
            intact.add(student)
    return intact
