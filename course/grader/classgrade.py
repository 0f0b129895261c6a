"""`course grade ASSIGNMENT`: grade a whole class in parallel, with student code sandboxed.

:func:`grade_class` runs the phases in order, from a checked :class:`~course.grader.discover.Course`:

1. **Execute, in parallel** (:mod:`course.grader.execute`, :mod:`course.grader.cluster`). Each
   submission becomes one task of a Dask cluster: a ``LocalCluster`` of ``workers`` workers on
   this machine, or the cluster of ``scheduler``. A worker runs it through nbgrader's own
   ``autograde`` in a job folder of its own, with the kernel in the sandbox, in a long-lived
   nbgrader process (:mod:`course.grader.runner`); one broken job never touches another. An
   unchanged job is reused, so an interrupted run can simply be started again.
2. **Record, once** (:mod:`course.grader.record`): nbgrader's autograde in the real course
   folder, replaying the outputs of step 1 into the gradebook and ``autograded/`` (skipped for
   a reused job whose record and feedback are still intact).
3. **Report** (:mod:`course.grader.report`): feedback HTML per student, ``grades-<assignment>.csv``
   and a :class:`~course.grader.status.Status` per student.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from course.grader.cluster import LOCAL, Cluster
from course.grader.config import load_course_config
from course.grader.discover import Course, GradingError
from course.grader.execute import (
    JobOutcome,
    JobPayload,
    JobSettings,
    finish_job,
    grader_fingerprint,
    job_environment,
    prepare_job,
)
from course.grader.record import mark_recorded, record, still_recorded
from course.grader.report import fill_scores, note_feedback, write_csv, write_feedback
from course.grader.runner import JobRunner
from course.grader.status import Status, StudentResult

__all__ = ["grade_class"]


def _cell_timeout(config, timeout: int | None) -> int:
    """The per-cell limit that applies: ``--timeout``, else the course's Execute.timeout, else nbgrader's."""
    if timeout is not None:
        return timeout
    if "timeout" in config.Execute:
        return int(config.Execute.timeout)
    from nbgrader.preprocessors import Execute

    return int(Execute.class_traits()["timeout"].default())


def _failed(course: Course, student: str, error: BaseException) -> StudentResult:
    """The result of a job that ended in ``error`` instead of an outcome; the traceback goes to its log."""
    from distributed.scheduler import KilledWorker

    log = course.work / "jobs" / student / "grader-error.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(traceback.format_exception(error)))
    if isinstance(error, KilledWorker):
        reason = (f"every worker that ran it died ({error.allowed_failures + 1} tries; "
                  "see the workers' logs)")
    else:
        reason = f"{type(error).__name__}: {error}"
    return StudentResult(student, Status.FAILED, f"{reason} (see {log})"[:300])


def grade_class(course: Course, workers: int = 1, sandbox: bool = True, timeout: int | None = None,
                force: bool = False, progress: Callable[[StudentResult], None] | None = None,
                timings: dict[str, float] | None = None, scheduler: str | None = None,
                notice: Callable[[str], None] = lambda message: None) -> list[StudentResult]:
    """Grade every submission of ``course``; return one result per student, sorted by student.

    The jobs run on a ``LocalCluster`` of ``workers`` workers, or on the Dask cluster whose
    scheduler is at ``scheduler`` (see :mod:`course.grader.cluster`). ``progress`` is called with
    each result as its job ends, ``notice`` with each worker that refuses to grade; ``timings``,
    when given, receives the seconds each phase took ("run", "record", "report") and the seconds
    the runners spent in jobs ("jobs", over "tasks" jobs).
    """
    timings = {} if timings is None else timings
    progress = progress or (lambda result: None)
    started = time.monotonic()
    if sandbox and scheduler in (None, LOCAL):
        from course.grader.worker import sandbox_problem_here

        if problem := sandbox_problem_here():     # probed once: this process's workers ask it too
            raise GradingError(f"no sandbox: {problem}. Install it, or pass --no-sandbox to run student "
                               "code with your own rights (only for code you trust).")
    config = load_course_config(course.root)
    settings = JobSettings(sandbox, timeout, _cell_timeout(config, timeout), force)

    with Cluster(scheduler, workers, sandbox, notice) as cluster:
        course.work.mkdir(parents=True, exist_ok=True)
        results: dict[str, StudentResult] = {}

        def finished(result: StudentResult) -> None:
            results[result.student] = result
            progress(result)

        grader = grader_fingerprint()

        def payloads():
            # A generator: the first jobs start while the later submissions are still checked.
            for student in course.submissions:
                try:
                    prepared = prepare_job(course, student, settings, grader)
                except Exception as err:  # noqa: BLE001 - one unreadable submission never stops the batch
                    prepared = _failed(course, student, err)
                if isinstance(prepared, JobPayload):
                    yield prepared
                else:
                    finished(prepared)

        def done(payload: JobPayload, outcome: JobOutcome | BaseException) -> None:
            if isinstance(outcome, BaseException):
                finished(_failed(course, payload.student, outcome))
            else:
                finished(finish_job(course, payload, outcome))

        timings.update(cluster.run(course.root, payloads(), done))
        timings["run"] = time.monotonic() - started
        executed = course.work / "executed"
        recordable = [s for s, r in results.items() if r.status != Status.INVALID
                      and all((executed / s / f"{n}.ipynb").exists() for n in course.notebooks)]
        unchanged = still_recorded(course, [s for s in recordable if results[s].reused])
        fresh = [s for s in recordable if s not in unchanged]
        record(course, config, fresh, results, timings)
        started = time.monotonic()
        graded = [results[s] for s in fresh if results[s].status != Status.FAILED]
        if cluster.local:
            replies = cluster.feedback(course.root, course.assignment, [r.student for r in graded])
            for result in graded:
                note_feedback(result, replies[result.student])
        else:
            _feedback_here(course, graded, workers)
        mark_recorded(course, [r.student for r in graded])

    ordered = [results[s] for s in sorted(results)]
    columns = fill_scores(course, ordered, set(recordable))
    write_csv(course.root / f"grades-{course.assignment}.csv", columns, ordered)
    timings["report"] = time.monotonic() - started
    return ordered


def _feedback_here(course: Course, graded: list[StudentResult], workers: int) -> None:
    """Write each graded student's feedback with runners on this machine, ``workers`` at a time."""
    import threading

    local, runners, environment = threading.local(), [], job_environment(workers)

    def feedback(result: StudentResult) -> None:
        if not hasattr(local, "runner"):
            local.runner = JobRunner(environment)
            runners.append(local.runner)
        write_feedback(course, result, local.runner)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(feedback, graded))
    finally:
        for runner in runners:
            runner.close()
