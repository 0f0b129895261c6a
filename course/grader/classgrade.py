"""`course grade ASSIGNMENT`: grade a whole class in parallel, with student code sandboxed.

:func:`grade_class` runs the phases in order, from a checked :class:`~course.grader.discover.Course`:

1. **Execute, in parallel** (:mod:`course.grader.execute`). Each submission is copied into its
   own job folder and run through nbgrader's own ``autograde`` there, with the kernel in the
   sandbox. Up to ``workers`` jobs run at once, each worker in a long-lived nbgrader process
   (:mod:`course.grader.runner`), with the cores shared out among the kernels; one broken job
   never touches another. An unchanged job is reused, so an interrupted run can simply be
   started again.
2. **Record, once** (:mod:`course.grader.record`): nbgrader's autograde in the real course
   folder, replaying the outputs of step 1 into the gradebook and ``autograded/`` (skipped for
   a reused job whose record and feedback are still intact).
3. **Report** (:mod:`course.grader.report`): feedback HTML per student, ``grades-<assignment>.csv``
   and a :class:`~course.grader.status.Status` per student.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from course.grader.config import load_course_config
from course.grader.discover import Course, GradingError
from course.grader.execute import JobSettings, job_environment, run_job
from course.grader.record import mark_recorded, record, still_recorded
from course.grader.report import fill_scores, write_csv, write_feedback
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


def grade_class(course: Course, workers: int = 1, sandbox: bool = True, timeout: int | None = None,
                force: bool = False, progress: Callable[[StudentResult], None] | None = None,
                timings: dict[str, float] | None = None) -> list[StudentResult]:
    """Grade every submission of ``course``; return one result per student, sorted by student.

    ``progress`` is called with each result as its job ends; ``timings``, when given, receives
    the seconds each phase took ("run", "record", "report").
    """
    timings = {} if timings is None else timings
    started = time.monotonic()
    if sandbox:
        from course.grader.sandbox import sandbox_problem

        if problem := sandbox_problem():
            raise GradingError(f"no sandbox: {problem}. Install it, or pass --no-sandbox to run student "
                               "code with your own rights (only for code you trust).")
    config = load_course_config(course.root)
    settings = JobSettings(sandbox, timeout, _cell_timeout(config, timeout), force)
    course.work.mkdir(parents=True, exist_ok=True)

    # One runner process per worker thread, reused from job to job.
    local, runners, environment = threading.local(), [], job_environment(workers)

    def runner() -> JobRunner:
        if not hasattr(local, "runner"):
            local.runner = JobRunner(environment)
            runners.append(local.runner)
        return local.runner

    def job(student: str) -> StudentResult:
        try:
            return run_job(course, student, settings, runner())
        except Exception as err:  # noqa: BLE001 - one broken job never stops the batch
            log = course.work / "jobs" / student / "grader-error.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc())
            return StudentResult(student, Status.FAILED, f"{type(err).__name__}: {err} (see {log})"[:300])

    results: dict[str, StudentResult] = {}
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in as_completed([pool.submit(job, s) for s in course.submissions]):
                result = future.result()
                results[result.student] = result
                if progress is not None:
                    progress(result)
            timings["run"] = time.monotonic() - started
            executed = course.work / "executed"
            recordable = [s for s, r in results.items() if r.status != Status.INVALID
                          and all((executed / s / f"{n}.ipynb").exists() for n in course.notebooks)]
            unchanged = still_recorded(course, [s for s in recordable if results[s].reused])
            fresh = [s for s in recordable if s not in unchanged]
            record(course, config, fresh, results, timings)
            started = time.monotonic()
            graded = [results[s] for s in fresh if results[s].status != Status.FAILED]
            list(pool.map(lambda r: write_feedback(course, r, runner()), graded))
            mark_recorded(course, [r.student for r in graded])
    finally:
        for handle in runners:
            handle.close()

    ordered = [results[s] for s in sorted(results)]
    columns = fill_scores(course, ordered, set(recordable))
    write_csv(course.root / f"grades-{course.assignment}.csv", columns, ordered)
    timings["report"] = time.monotonic() - started
    return ordered
