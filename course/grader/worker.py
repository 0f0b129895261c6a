"""The worker side of ``course grade`` on a Dask cluster: what one task does on a worker.

:func:`grade_on_worker` is the task (:mod:`course.grader.cluster` sends it). It carries what it
needs as data: the student's :class:`~course.grader.execute.JobPayload` and the run's
:class:`SharedInputs` (the course's ``nbgrader_config.py`` and gradebook, sent to each worker once).
The worker

* **qualifies first** (:func:`worker_problem`): the same ``course`` package, torch, nbgrader and the
  other grading packages as the grader, and a working sandbox unless ``--no-sandbox``; otherwise it
  refuses with :class:`WorkerRefused`, saying what differs;
* **runs the job in a temporary folder of its own**, through the same
  :func:`~course.grader.execute.execute_job` and :class:`~course.grader.runner.JobRunner` as
  always: one runner per worker thread, so a job past its budget is killed with its runner (which
  Dask cannot do to a running task), with the kernel in the sandbox and its limits;
* **returns the executed notebooks and nbgrader's log** (a :class:`~course.grader.execute.JobOutcome`).
"""

from __future__ import annotations

import atexit
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from course.grader.config import COURSE_CONFIG
from course.grader.execute import (
    GRADING_PACKAGES,
    JobOutcome,
    JobPayload,
    execute_job,
    grader_identity,
    job_environment,
)
from course.grader.runner import FeedbackRequest, JobRunner, Reply

__all__ = ["SharedInputs", "WorkerRefused", "close_runners", "feedback_on_worker", "grade_on_worker",
           "sandbox_problem_here", "worker_problem"]


class WorkerRefused(RuntimeError):
    """A worker that cannot grade as the grader would (other code, or no sandbox), with its address."""

    def __init__(self, address: str, message: str):
        super().__init__(address, message)
        self.address, self.message = address, message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class SharedInputs:
    """What every job of one run needs besides its payload: sent to each worker once."""

    config: bytes                     # the course's nbgrader_config.py
    gradebook: bytes                  # the course's gradebook.db (assignment, cells, hidden tests)
    identity: dict[str, str]          # the grader's grading code (:func:`grader_identity`)
    host_threads: dict[str, int]      # worker threads per host, so kernels share a host's cores


_runners: dict[int, JobRunner] = {}
_runners_lock = threading.Lock()
_identity: dict[str, str] | None = None
_sandbox_works = False
_exit_hook = False


def _own_identity() -> dict[str, str]:
    global _identity
    if _identity is None:
        _identity = grader_identity()
    return _identity


def sandbox_problem_here() -> str | None:
    """:func:`~course.grader.sandbox.sandbox_problem`, probed until it works once (then it keeps working)."""
    global _sandbox_works
    if _sandbox_works:
        return None
    from course.grader.sandbox import sandbox_problem

    problem = sandbox_problem()
    _sandbox_works = problem is None
    return problem


def worker_problem(identity: dict[str, str], sandbox: bool) -> str | None:
    """Why this machine must not grade for a grader with ``identity``, or None when it may."""
    mine = _own_identity()
    differences = []
    for name in sorted(set(identity) | set(mine)):
        if identity.get(name) != mine.get(name):
            if name == "course":
                differences.append("the course package's code differs from the grader's")
            else:
                differences.append(f"{name} {mine.get(name, 'absent')} here, {identity.get(name, 'absent')} "
                                   "on the grader")
    if differences:
        return ("other grading code: " + "; ".join(differences)
                + ". Install the grader's versions on the worker (pip install the same course checkout, "
                  f"and the same {', '.join(GRADING_PACKAGES)})")
    if sandbox and (problem := sandbox_problem_here()) is not None:
        return f"no sandbox: {problem} (or grade with --no-sandbox, only for code you trust)"
    return None


def _worker():
    from distributed import get_worker

    try:
        return get_worker()
    except ValueError:      # not in a worker: called directly (tests)
        return None


def close_runners() -> None:
    """Close this process's runners (a LocalCluster's workers are threads of the grader's process)."""
    with _runners_lock:
        runners = list(_runners.values())
        _runners.clear()
    for runner in runners:
        runner.close()


def _runner(shared: SharedInputs) -> JobRunner:
    """This worker thread's runner, started on first use."""
    ident = threading.get_ident()
    with _runners_lock:
        if ident not in _runners:
            global _exit_hook
            if not _exit_hook:
                _exit_hook = bool(atexit.register(close_runners))
            worker = _worker()
            threads = 1
            if worker is not None:
                from distributed.comm import get_address_host

                threads = shared.host_threads.get(get_address_host(worker.address), worker.state.nthreads)
            _runners[ident] = JobRunner(job_environment(threads))
        return _runners[ident]


def grade_on_worker(payload: JobPayload, shared: SharedInputs) -> JobOutcome:
    """The task: qualify, then run ``payload``'s job in a temporary folder; return its outcome."""
    worker = _worker()
    where = worker.address if worker is not None else "here"
    if (problem := worker_problem(shared.identity, payload.settings.sandbox)) is not None:
        raise WorkerRefused(where, f"worker {where} refused to grade {payload.student}: {problem}")
    with tempfile.TemporaryDirectory(prefix="course-grade-") as folder:
        root = Path(folder)
        (root / COURSE_CONFIG).write_bytes(shared.config)
        (root / "gradebook.db").write_bytes(shared.gradebook)
        return execute_job(payload, root, root / "gradebook.db", root / "job", _runner(shared), where)


def feedback_on_worker(root: str, assignment: str, student: str, shared: SharedInputs) -> Reply:
    """Write ``student``'s feedback in the course ``root`` (a worker on the grader's machine only)."""
    from course.grader.report import FEEDBACK_BUDGET_SECONDS

    return _runner(shared).ask(FeedbackRequest(root, assignment, student), FEEDBACK_BUDGET_SECONDS)
