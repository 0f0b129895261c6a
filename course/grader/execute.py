"""Phase 1 of ``course grade``: run each submission through nbgrader's autograde in a job folder of its own.

A job is one student: their submission and a copy of the gradebook, in
``.course-grade/<assignment>/jobs/<student>/``, autograded by a :class:`~course.grader.runner.JobRunner`
with the kernel in the sandbox (:mod:`course.grader.sandbox`). Its executed notebooks are kept in
``executed/<student>/`` for the record phase. A job whose inputs have not changed since it last
finished is reused: the submission, the settings, the assignment's source (its tests), the course
configuration, the code of the ``course`` package, and the versions of the packages that grade.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat

import course as _course_package
from course.grader.config import COURSE_CONFIG
from course.grader.discover import Course, check_notebook
from course.grader.runner import AutogradeRequest, JobRunner
from course.grader.status import Status, StudentResult, status_from_errors

__all__ = ["COURSE_PACKAGE", "GRADING_PACKAGES", "JobSettings", "grader_fingerprint", "job_environment",
           "run_job"]

# Code whose change can change a grade: a job run with other code is not reused.
COURSE_PACKAGE = Path(_course_package.__file__).resolve().parent
GRADING_PACKAGES = ("torch", "numpy", "nbgrader", "nbclient", "nbconvert", "ipykernel", "jupyter_client")
# Time a job may take beyond its cells' time limits: starting the runner's nbgrader and the kernel,
# and nbgrader's own work before and after execution.
JOB_OVERHEAD_SECONDS = 300


@dataclass(frozen=True)
class JobSettings:
    """How every job of one ``course grade`` run is done."""

    sandbox: bool = True
    timeout: int | None = None     # per-cell limit given on the command line; None: the course's
    cell_timeout: int = 60         # the limit that applies: ``timeout`` or the course's Execute.timeout
    force: bool = False            # redo every job, even unchanged ones


def job_environment(workers: int) -> dict[str, str]:
    """The environment of one job: the kernels share the cores instead of each taking all of them.

    PyTorch (through OpenMP) starts one thread per core in every kernel. With several kernels
    at once those threads outnumber the cores and spin against each other: measured here,
    two kernels on two cores ran 2.5 times slower than with one thread each.
    """
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        environment.setdefault(name, threads)     # an instructor's own setting wins
    return environment


def _digest_folder(digest, folder: Path, pattern: str = "*") -> None:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())


def grader_fingerprint() -> str:
    """A digest of the code that grades: the ``course`` package's sources, the grading packages' versions."""
    digest = hashlib.sha256()
    for name in GRADING_PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}=={version}\n".encode())
    _digest_folder(digest, COURSE_PACKAGE, "*.py")
    return digest.hexdigest()


def _fingerprint(course: Course, submission: Path, settings: JobSettings) -> str:
    digest = hashlib.sha256(json.dumps({"sandbox": settings.sandbox, "timeout": settings.timeout}).encode())
    digest.update(grader_fingerprint().encode())
    digest.update((course.root / COURSE_CONFIG).read_bytes())
    _digest_folder(digest, course.source)
    digest.update(b"\0submission\0")
    _digest_folder(digest, submission)
    return digest.hexdigest()


def _budget(submission: Path, notebooks: tuple[str, ...], cell_timeout: int) -> float:
    """Seconds a job may take: every code cell at its time limit, plus the overhead."""
    cells = sum(c.cell_type == "code" for n in notebooks
                for c in nbformat.read(submission / f"{n}.ipynb", as_version=4).cells)
    return cell_timeout * max(cells, 1) + JOB_OVERHEAD_SECONDS


def run_job(course: Course, student: str, settings: JobSettings, runner: JobRunner) -> StudentResult:
    """Run ``student``'s job (or reuse its last run, when nothing changed); return what happened."""
    submission = course.submissions[student]
    job, executed = course.work / "jobs" / student, course.work / "executed" / student
    problems = [p for n in course.notebooks
                if (p := check_notebook(submission / f"{n}.ipynb", course.source / f"{n}.ipynb"))]
    if problems:  # nothing nbgrader could grade: no job
        shutil.rmtree(executed, ignore_errors=True)
        return StudentResult(student, Status.INVALID, "; ".join(problems))
    fingerprint = _fingerprint(course, submission, settings)
    stamp = job / "finished.json"
    complete = all((executed / f"{n}.ipynb").exists() for n in course.notebooks)
    if not settings.force and complete and stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("fingerprint") == fingerprint:
            return StudentResult(student, Status(saved["status"]), saved["detail"], reused=True)

    shutil.rmtree(job, ignore_errors=True)
    (job / "submitted" / student).mkdir(parents=True)
    shutil.copytree(submission, job / "submitted" / student / course.assignment, symlinks=True)
    shutil.copy2(course.gradebook, job / "gradebook.db")
    request = AutogradeRequest(root=str(course.root), job=str(job), assignment=course.assignment,
                               student=student, sandbox=settings.sandbox, timeout=settings.timeout,
                               hidden=(str(course.root),))
    reply = runner.ask(request, _budget(submission, course.notebooks, settings.cell_timeout))
    (job / "autograde.log").write_text(reply.log)

    shutil.rmtree(executed, ignore_errors=True)
    executed.mkdir(parents=True)
    for name in course.notebooks:
        graded = job / "autograded" / student / course.assignment / f"{name}.ipynb"
        if graded.exists():
            shutil.copy2(graded, executed / f"{name}.ipynb")
    if not reply.finished or not all((executed / f"{n}.ipynb").exists() for n in course.notebooks):
        last_line = (reply.log.strip().splitlines() or ["no output"])[-1]
        result = StudentResult(student, Status.FAILED, last_line[:200])
    else:
        errors = [o.get("ename") for n in course.notebooks
                  for cell in nbformat.read(executed / f"{n}.ipynb", as_version=4).cells
                  for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        result = StudentResult(student, *status_from_errors(errors))
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "status": result.status,
                                 "detail": result.detail}))
    return result
