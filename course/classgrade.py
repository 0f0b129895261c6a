"""`course grade ASSIGNMENT`: grade a whole class in parallel, with student code sandboxed.

How it works, from the course root (the folder with ``nbgrader_config.py``):

1. **Execute, in parallel.** Each submission is copied into its own job folder under
   ``.course-grade/<assignment>/`` (with a copy of the gradebook) and run through
   nbgrader's own ``autograde`` there, with the kernel in the sandbox of
   :mod:`course.sandbox`. Up to ``--workers`` jobs run at once, each worker in a
   long-lived nbgrader process (:mod:`course.jobrunner`), with the cores shared out
   among the kernels; one broken job never touches another. A job whose submission
   has not changed since its last finished run is reused, so an interrupted run can
   simply be started again.
2. **Record, once.** Plain ``nbgrader autograde --force`` then runs in the real course
   folder with :class:`course.grading.ReplayExecute` in place of execution: it takes
   each cell's outputs from step 1, and nbgrader writes the gradebook and
   ``autograded/`` exactly as it always does, so the formgrader keeps working.
3. **Report.** Feedback HTML per student (hidden tests replaced by a placeholder),
   ``grades-<assignment>.csv`` (one row per student, one column per graded cell, a
   total), and a status line per student: graded, timed out, crashed, or not a valid
   notebook.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.grading import KERNEL_DIED, KERNEL_STUCK
from course.jobrunner import JobRunner

__all__ = ["GradingError", "StudentResult", "check_course", "grade_class", "submission_count"]

_STATUS_ORDER = ("graded", "timed out", "crashed", "not a valid notebook", "failed")


@dataclass
class StudentResult:
    """What happened to one student's submission."""

    student: str
    status: str = "graded"
    detail: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    reused: bool = False


class GradingError(RuntimeError):
    """A problem with the course or the command line, reported without a traceback."""


# -- discovery ------------------------------------------------------------------------
def _submissions(root: Path, assignment: str) -> dict[str, Path]:
    submitted = root / "submitted"
    if not submitted.is_dir():
        raise GradingError(f"no submitted/ folder in {root}: collect first (`nbgrader collect {assignment}`, "
                           f"or copy each submission to submitted/<student>/{assignment}/)")
    found = {p.parent.name: p for p in sorted(submitted.glob(f"*/{assignment}")) if p.is_dir()}
    if not found:
        raise GradingError(f"no submissions for {assignment!r} under {submitted}/<student>/{assignment}/")
    return found


def submission_count(root: Path, assignment: str) -> int:
    """How many students submitted ``assignment`` (raises GradingError when none can be found)."""
    root = root.resolve()
    check_course(root, assignment)
    return len(_submissions(root, assignment))


def check_course(root: Path, assignment: str) -> list[str]:
    """The assignment's notebook names; GradingError when ``root`` is no course or lacks ``assignment``."""
    if not (root / "nbgrader_config.py").exists():
        raise GradingError(f"no nbgrader_config.py in {root}: run `course grade` from the course root")
    source = root / "source"
    if not (source / assignment).is_dir():
        known = sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if source.is_dir() else []
        raise GradingError(f"unknown assignment {assignment!r}: no folder {source / assignment} "
                           f"(assignments there: {', '.join(known) or 'none'})")
    names = _notebook_names(root, assignment)
    if not (root / "gradebook.db").exists():
        raise GradingError(f"no gradebook.db in {root}: run "
                           f"`nbgrader generate_assignment {assignment}` first")
    return names


def _notebook_names(root: Path, assignment: str) -> list[str]:
    names = sorted(p.stem for p in (root / "source" / assignment).glob("*.ipynb"))
    if not names:
        raise GradingError(f"no source notebooks in {root / 'source' / assignment}")
    return names


def _graded_ids(nb) -> set[str]:
    """grade_ids of the cells nbgrader matches against the gradebook: tests and answers."""
    ids = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or meta.get("solution"):
            ids.add(str(meta.get("grade_id")))
    return ids


def _check_notebook(path: Path, source: Path) -> str | None:
    """Why ``path`` (a submission of the notebook ``source``) cannot be graded, or None."""
    if not path.exists():
        return f"{path.name} is missing"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - any parse failure means the same to the student
        return f"{path.name} is not a valid notebook ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
    # nbgrader fails on test or answer cells it does not know, with a KeyError.
    foreign = sorted(_graded_ids(nb) - _graded_ids(nbformat.read(source, as_version=4)))
    if foreign:
        return (f"{path.name} has test or answer cells that are not in the assignment "
                f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}): another notebook?")
    return None


def _fingerprint(folder: Path, extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# -- step 1: one sandboxed job ----------------------------------------------------------
_JOB_CONFIG = """\
# Written by `course grade`: nbgrader's autograde on one student's copy, kernel sandboxed.
from course.grading import ResilientExecute, SandboxedExecute
from nbgrader.preprocessors import Execute
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.CourseDirectory.root = {job!r}
c.Autograde.autograde_preprocessors = [
    SandboxedExecute if isinstance(p, type) and issubclass(p, Execute) else p
    for p in c.Autograde.autograde_preprocessors]
c.SandboxedKernelManager.hidden = {hidden!r}
c.SandboxedKernelManager.keep = {keep!r}
# Every output is in by then, and the sandbox is thrown away: waiting for a graceful
# shutdown (about 2.5 s after a torch notebook) buys nothing.
c.SandboxedExecute.shutdown_kernel = "immediate"
"""

_JOB_CONFIG_UNSANDBOXED = """\
# Written by `course grade --no-sandbox`: nbgrader's autograde on one student's copy.
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.CourseDirectory.root = {job!r}
"""


def _job_environment(workers: int) -> dict[str, str]:
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


def _run_job(root: Path, work: Path, assignment: str, student: str, submission: Path, names: list[str],
             sandbox: bool, timeout: int | None, force: bool, runner: JobRunner) -> StudentResult:
    result = StudentResult(student)
    source = root / "source" / assignment
    problems = [p for n in names if (p := _check_notebook(submission / f"{n}.ipynb", source / f"{n}.ipynb"))]
    job = work / "jobs" / student
    executed = work / "executed" / student
    if problems:  # nothing nbgrader could grade: no job
        shutil.rmtree(executed, ignore_errors=True)
        result.status, result.detail = "not a valid notebook", "; ".join(problems)
        return result
    # A job is redone when the submission, the settings, the assignment's source (its tests)
    # or the course configuration changed, and when its executed copies are gone.
    settings = json.dumps({"sandbox": sandbox, "timeout": timeout})
    course_state = _fingerprint(source, (root / "nbgrader_config.py").read_text())
    fingerprint = _fingerprint(submission, settings + course_state)
    stamp = job / "finished.json"
    complete = all((executed / f"{n}.ipynb").exists() for n in names)
    if not force and complete and stamp.exists() and \
            json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
        saved = json.loads(stamp.read_text())
        return StudentResult(student, saved["status"], saved["detail"], reused=True)

    shutil.rmtree(job, ignore_errors=True)
    (job / "submitted" / student).mkdir(parents=True)
    shutil.copytree(submission, job / "submitted" / student / assignment, symlinks=True)
    shutil.copy2(root / "gradebook.db", job / "gradebook.db")
    template = _JOB_CONFIG if sandbox else _JOB_CONFIG_UNSANDBOXED
    (job / "nbgrader_config.py").write_text(template.format(
        config=str(root / "nbgrader_config.py"), job=str(job), hidden=[str(root)],
        keep=[]))
    budget = (timeout or 60) * 40 + 300  # generous: a notebook has at most a few dozen cells
    finished, log = runner.autograde(job, assignment, student, timeout, budget)
    (job / "autograde.log").write_text(log)

    shutil.rmtree(executed, ignore_errors=True)
    executed.mkdir(parents=True)
    for name in names:
        graded = job / "autograded" / student / assignment / f"{name}.ipynb"
        if graded.exists():
            shutil.copy2(graded, executed / f"{name}.ipynb")
    outputs = [o for n in names if (executed / f"{n}.ipynb").exists()
               for cell in nbformat.read(executed / f"{n}.ipynb", as_version=4).cells
               for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    enames = {o.get("ename") for o in outputs}
    if not finished or not all((executed / f"{n}.ipynb").exists() for n in names):
        result.status, result.detail = "failed", (log.strip().splitlines() or ["no output"])[-1][:200]
    elif KERNEL_DIED in enames:
        result.status, result.detail = "crashed", "the kernel died; later cells were not run"
    elif KERNEL_STUCK in enames:
        result.status = "timed out"
        result.detail = "a cell ran past the time limit and ignored the interrupt; later cells not run"
    elif "CellTimeoutError" in enames:
        result.status, result.detail = "timed out", "a cell ran past the per-cell time limit"
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "status": result.status,
                                 "detail": result.detail}))
    return result


# -- step 2 and 3: nbgrader's bookkeeping, feedback, CSV ---------------------------------
_REPLAY_CONFIG = """\
# Written by `course grade`: nbgrader's autograde, outputs taken from the sandboxed run.
from course.grading import ReplayExecute
from nbgrader.preprocessors import Execute
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.Autograde.autograde_preprocessors = [
    ReplayExecute if isinstance(p, type) and issubclass(p, Execute) else p
    for p in c.Autograde.autograde_preprocessors]
c.ReplayExecute.executed = {executed!r}
"""


def _record(root: Path, config: Path, assignment: str, students: list[str],
            results: dict[str, StudentResult], timings: dict[str, float]) -> None:
    """Step 2, in this process: nbgrader's autograde with the replay configuration."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    settings = PyFileConfigLoader(config.name, path=str(config.parent)).load_config()
    here = os.getcwd()
    os.chdir(root)  # nbgrader resolves some paths against the working folder
    try:
        with warnings.catch_warnings():
            # nbgrader's gradebook code trips SQLAlchemy 2's autoflush warning for every student;
            # it says nothing about the grades and would bury the status lines.
            warnings.filterwarnings("ignore", message=r".* not in session, add operation along")
            api = NbGraderAPI(CourseDirectory(config=settings), config=settings)
            timings.setdefault("record", 0.0)
            for student in students:
                started = time.monotonic()
                outcome = api.autograde(assignment, student, force=True, create=True)
                timings["record"] += time.monotonic() - started
                if not outcome["success"]:
                    results[student].status = "failed"
                    error = outcome.get("error") or "nbgrader autograde failed"
                    results[student].detail = error.strip()[-300:]
                    continue
    finally:
        os.chdir(here)


def _scores(root: Path, assignment: str, students: list[str]) -> tuple[list[str], dict[str, dict]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        columns, table = [], {}
        for notebook in gradebook.find_assignment(assignment).notebooks:
            columns += [f"{notebook.name}:{cell.name}" for cell in notebook.grade_cells]
        for student in students:
            row = {}
            try:
                submission = gradebook.find_submission(assignment, student)
            except Exception:  # noqa: BLE001 - not recorded: nothing graded
                table[student] = row
                continue
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    row[f"{notebook.name}:{grade.name}"] = grade.score
            table[student] = row
    return columns, table


def _write_csv(path: Path, columns: list[str], results: list[StudentResult]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "status", *columns, "total"])
        for r in results:
            writer.writerow([r.student, r.status, *(r.scores.get(c, 0.0) for c in columns), r.total])


def grade_class(root: Path, assignment: str, workers: int | None = None, sandbox: bool = True,
                timeout: int | None = None, force: bool = False, progress=None,
                timings: dict[str, float] | None = None) -> list[StudentResult]:
    """Grade every submission of ``assignment`` under ``root``; return one result per student.

    ``timings``, when given, receives the seconds each step took ("run", "record", "report").
    """
    timings = {} if timings is None else timings
    started = time.monotonic()
    root = root.resolve()
    names = check_course(root, assignment)
    submissions = _submissions(root, assignment)
    if sandbox:
        from course.sandbox import sandbox_problem

        problem = sandbox_problem()
        if problem:
            raise GradingError(f"no sandbox: {problem}. Install it, or pass --no-sandbox to run student "
                               "code with your own rights (only for code you trust).")
    workers = max(1, workers or os.cpu_count() or 1)
    work = root / ".course-grade" / assignment
    work.mkdir(parents=True, exist_ok=True)

    # One runner process per worker thread, reused from job to job (see course.jobrunner).
    local, runners, environment = threading.local(), [], _job_environment(workers)

    def job(student: str, submission: Path) -> StudentResult:
        if not hasattr(local, "runner"):
            local.runner = JobRunner(environment)
            runners.append(local.runner)
        try:
            return _run_job(root, work, assignment, student, submission, names, sandbox, timeout, force,
                            local.runner)
        except Exception as err:  # noqa: BLE001 - one broken job never stops the batch
            return StudentResult(student, "failed", f"{type(err).__name__}: {err}"[:200])

    def feedback(student: str) -> None:
        if not hasattr(local, "runner"):
            local.runner = JobRunner(environment)
            runners.append(local.runner)
        finished, log = local.runner.feedback(root, config, assignment, student)
        if not finished:
            results[student].detail = (results[student].detail + "; " if results[student].detail else "") + \
                "no feedback: " + (log.strip().splitlines() or ["nbgrader failed"])[-1][:200]

    results: dict[str, StudentResult] = {}
    config = work / "replay_config.py"
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(job, s, p) for s, p in submissions.items()]
            for future in as_completed(futures):
                result = future.result()
                results[result.student] = result
                if progress is not None:
                    progress(result)
            timings["run"] = time.monotonic() - started
            config.write_text(_REPLAY_CONFIG.format(config=str(root / "nbgrader_config.py"),
                                                    executed=str(work / "executed")))
            recordable = [s for s, r in results.items() if r.status != "not a valid notebook"
                          and all((work / "executed" / s / f"{n}.ipynb").exists() for n in names)]
            _record(root, config, assignment, recordable, results, timings)
            # Feedback only reads the gradebook: the runners write it in parallel.
            started = time.monotonic()
            graded = [s for s in recordable if results[s].status != "failed"]
            list(pool.map(feedback, graded))
    finally:
        for runner in runners:
            runner.close()

    columns, table = _scores(root, assignment, list(results))
    ordered = [results[s] for s in sorted(results)]
    for r in ordered:
        r.scores = table.get(r.student, {}) if r.student in recordable else {}
        r.total = float(sum(v or 0.0 for v in r.scores.values()))
    _write_csv(root / f"grades-{assignment}.csv", columns, ordered)
    timings["report"] = time.monotonic() - started
    return ordered
