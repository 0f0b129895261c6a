"""Phase 2 of ``course grade``: record every executed submission in the real gradebook, once.

nbgrader's own autograde runs in this process, in the course folder, with
:class:`~course.grader.preprocessors.ReplayExecute` in place of execution
(:func:`course.grader.config.replay_config`): it takes each cell's outputs from phase 1, and
nbgrader writes the gradebook and ``autograded/`` exactly as it always does, so the formgrader
keeps working. This is the only writer of the real gradebook.
"""

from __future__ import annotations

import os
import time
import warnings

from traitlets.config import Config

from course.grader.config import replay_config
from course.grader.discover import Course
from course.grader.status import Status, StudentResult

__all__ = ["record"]


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
