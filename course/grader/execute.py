"""Phase 1 of ``course grade``: run each submission through nbgrader's autograde in a job folder of its own.

A job is one student, in three steps, so that the middle one can run on another machine:

1. :func:`prepare_job` (on the grader): check the submission and decide whether its last run can be
   reused; otherwise pack what the job needs into a :class:`JobPayload`, plain data.
2. :func:`execute_job` (where the job runs): unpack the submission and a copy of the gradebook
   into a job folder and have a :class:`~course.grader.runner.JobRunner` autograde it there, with
   the kernel in the sandbox (:mod:`course.grader.sandbox`); return a :class:`JobOutcome` holding
   the executed notebooks. Locally the job folder is ``.course-grade/<assignment>/jobs/<student>/``;
   on a Dask worker (:mod:`course.grader.cluster`) it is a temporary folder of the worker's.
3. :func:`finish_job` (on the grader): keep the executed notebooks in ``executed/<student>/`` for
   the record phase, the log and the status.

A job whose inputs have not changed since it last finished is reused: the submission, the
settings, the assignment's source (its tests), the course configuration, the code of the
``course`` package, and the versions of the packages that grade.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat

import course as _course_package
from course.grader.config import COURSE_CONFIG
from course.grader.discover import Course, check_notebook
from course.grader.record import RECORD_STAMP
from course.grader.runner import AutogradeRequest, JobRunner
from course.grader.status import Status, StudentResult, status_from_errors

__all__ = ["COURSE_PACKAGE", "GRADING_PACKAGES", "JobOutcome", "JobPayload", "JobSettings", "execute_job",
           "finish_job", "grader_fingerprint", "grader_identity", "job_environment", "prepare_job"]

# Code whose change can change a grade: a job run with other code is not reused.
COURSE_PACKAGE = Path(_course_package.__file__).resolve().parent
GRADING_PACKAGES = ("torch", "numpy", "nbgrader", "nbclient", "nbconvert", "ipykernel", "jupyter_client")
# Time a job may take beyond its cells' time limits: starting the runner's nbgrader and the kernel,
# and nbgrader's own work before and after execution.
JOB_OVERHEAD_SECONDS = 300
# A job's submission travels whole (to a worker, possibly another machine): notebooks and the odd
# data file fit many times over; a submission past this is not graded.
MAX_SUBMISSION_BYTES = 100 * 2**20


@dataclass(frozen=True)
class JobSettings:
    """How every job of one ``course grade`` run is done."""

    sandbox: bool = True
    timeout: int | None = None     # per-cell limit given on the command line; None: the course's
    cell_timeout: int = 60         # the limit that applies: ``timeout`` or the course's Execute.timeout
    force: bool = False            # redo every job, even unchanged ones


@dataclass(frozen=True)
class JobPayload:
    """Everything one student's job needs but the course's configuration and gradebook, as data."""

    assignment: str
    student: str
    notebooks: tuple[str, ...]
    files: dict[str, bytes]        # the submission: path relative to its folder -> content
    settings: JobSettings
    budget: float                  # seconds the runner may take
    fingerprint: str               # the job's: reuse compares it with the last run's


@dataclass(frozen=True)
class JobOutcome:
    """What running a job gave: the executed notebooks (name -> content) and nbgrader's log."""

    finished: bool
    log: str
    executed: dict[str, bytes] = field(default_factory=dict)
    where: str = ""                # the machine (a Dask worker's address) that ran it
    seconds: float = 0.0           # spent in the runner


def job_environment(workers: int) -> dict[str, str]:
    """The environment of one job: the kernels share the cores instead of each taking all of them.

    PyTorch (through OpenMP) starts one thread per core in every kernel. With several kernels
    at once those threads outnumber the cores and spin against each other: measured here,
    two kernels on two cores ran 2.5 times slower than with one thread each.
    """
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    threads = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        environment.setdefault(name, threads)     # an instructor's own setting wins
    return environment


def _digest_folder(digest, folder: Path, pattern: str = "*") -> None:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())


def grader_identity() -> dict[str, str]:
    """The code that grades, by name: each grading package's version, a digest of the ``course`` package."""
    identity = {}
    for name in GRADING_PACKAGES:
        try:
            identity[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            identity[name] = "absent"
    digest = hashlib.sha256()
    _digest_folder(digest, COURSE_PACKAGE, "*.py")
    identity["course"] = digest.hexdigest()
    return identity


def grader_fingerprint() -> str:
    """A digest of :func:`grader_identity`: the ``course`` package's code, the grading packages' versions."""
    return hashlib.sha256(json.dumps(grader_identity(), sort_keys=True).encode()).hexdigest()


def _fingerprint(course: Course, submission: Path, settings: JobSettings, grader: str) -> str:
    digest = hashlib.sha256(json.dumps({"sandbox": settings.sandbox, "timeout": settings.timeout}).encode())
    digest.update(grader.encode())
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


def _submitted_files(folder: Path) -> list[Path]:
    """The regular files under ``folder``. A symbolic link is left out: it could point at any file of the
    grader's machine, which would then travel with the job."""
    def linked(path: Path) -> bool:
        return any(p.is_symlink() for p in (path, *path.parents) if p.is_relative_to(folder) and p != folder)

    return [p for p in sorted(folder.rglob("*")) if p.is_file() and not linked(p)]


def prepare_job(course: Course, student: str, settings: JobSettings,
                grader: str | None = None) -> StudentResult | JobPayload:
    """``student``'s job as a payload, or their result when there is nothing to run.

    That result is ``not a valid notebook`` for a submission nbgrader could not grade, or the
    last run's (``reused``) when nothing has changed since. ``grader`` is
    :func:`grader_fingerprint`, when the caller has it already.
    """
    submission = course.submissions[student]
    executed = course.work / "executed" / student
    problems = [p for n in course.notebooks
                if (p := check_notebook(submission / f"{n}.ipynb", course.source / f"{n}.ipynb"))]
    files = _submitted_files(submission)
    size = sum(p.stat().st_size for p in files)
    if size > MAX_SUBMISSION_BYTES:
        problems.append(f"the submission's files hold {size / 2**20:.0f} MB, over the "
                        f"{MAX_SUBMISSION_BYTES / 2**20:.0f} MB a submission may have")
    if problems:  # nothing nbgrader could grade: no job
        shutil.rmtree(executed, ignore_errors=True)
        return StudentResult(student, Status.INVALID, "; ".join(problems))
    fingerprint = _fingerprint(course, submission, settings, grader or grader_fingerprint())
    stamp = course.work / "jobs" / student / "finished.json"
    complete = all((executed / f"{n}.ipynb").exists() for n in course.notebooks)
    if not settings.force and complete and stamp.exists():
        saved = json.loads(stamp.read_text())
        if saved.get("fingerprint") == fingerprint:
            return StudentResult(student, Status(saved["status"]), saved["detail"], reused=True)
    return JobPayload(course.assignment, student, course.notebooks,
                      {str(p.relative_to(submission)): p.read_bytes() for p in files}, settings,
                      _budget(submission, course.notebooks, settings.cell_timeout), fingerprint)


def execute_job(payload: JobPayload, root: Path, gradebook: Path, job: Path, runner: JobRunner,
                where: str = "") -> JobOutcome:
    """Autograde ``payload`` in the folder ``job`` (emptied first); return the executed notebooks.

    ``root`` holds the course's ``nbgrader_config.py``; ``gradebook`` is copied into the job. Both,
    and the job, are hidden from the sandboxed kernel.
    """
    shutil.rmtree(job, ignore_errors=True)
    folder = job / "submitted" / payload.student / payload.assignment
    for relative, content in payload.files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(gradebook, job / "gradebook.db")
    request = AutogradeRequest(root=str(root), job=str(job), assignment=payload.assignment,
                               student=payload.student, sandbox=payload.settings.sandbox,
                               timeout=payload.settings.timeout,
                               hidden=(str(root),) if job.is_relative_to(root) else (str(root), str(job)))
    started = time.monotonic()
    reply = runner.ask(request, payload.budget)
    seconds = time.monotonic() - started
    graded = job / "autograded" / payload.student / payload.assignment
    executed = {n: (graded / f"{n}.ipynb").read_bytes() for n in payload.notebooks
                if (graded / f"{n}.ipynb").is_file()}
    return JobOutcome(reply.finished, reply.log, executed, where, seconds)


def finish_job(course: Course, payload: JobPayload, outcome: JobOutcome) -> StudentResult:
    """Keep ``outcome``'s executed notebooks and log for the record phase; return the student's result."""
    student = payload.student
    job, executed = course.work / "jobs" / student, course.work / "executed" / student
    job.mkdir(parents=True, exist_ok=True)
    (job / RECORD_STAMP).unlink(missing_ok=True)       # recorded for an earlier run of the job
    (job / "autograde.log").write_text(outcome.log)
    shutil.rmtree(executed, ignore_errors=True)
    executed.mkdir(parents=True)
    for name, content in outcome.executed.items():
        if name in course.notebooks:
            (executed / f"{name}.ipynb").write_bytes(content)
    if not outcome.finished or not all(n in outcome.executed for n in course.notebooks):
        last_line = (outcome.log.strip().splitlines() or ["no output"])[-1]
        result = StudentResult(student, Status.FAILED, last_line[:200])
    else:
        errors = [o.get("ename") for n in course.notebooks
                  for cell in nbformat.reads(outcome.executed[n].decode(), as_version=4).cells
                  for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        result = StudentResult(student, *status_from_errors(errors))
    stamp = {"fingerprint": payload.fingerprint, "status": result.status, "detail": result.detail}
    (job / "finished.json").write_text(json.dumps(stamp))
    return result
