"""Tests for course.grader.execute: one student's job, when it is redone, and what it reports.

A stand-in runner plays nbgrader's part (it copies the submission as if executed), so no
kernel or nbgrader starts.
"""

import shutil
from importlib import metadata

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course.grader import execute
from course.grader.discover import find_course
from course.grader.execute import (
    JOB_OVERHEAD_SECONDS,
    MAX_SUBMISSION_BYTES,
    JobPayload,
    JobSettings,
    execute_job,
    finish_job,
    prepare_job,
)
from course.grader.runner import Reply
from course.grader.status import CELL_TIMEOUT, KERNEL_DIED, Status

FIRST = "01_parameters"


class FakeRunner:
    """nbgrader's part of a job: copy the submission as the executed notebook, adding ``outputs``."""

    def __init__(self, outputs=(), finished=True):
        self.requests, self.budgets, self.outputs, self.finished = [], [], list(outputs), finished

    def ask(self, request, budget):
        self.requests.append(request)
        self.budgets.append(budget)
        if self.finished:
            job = execute.Path(request.job)
            graded = job / "autograded" / request.student / request.assignment
            graded.mkdir(parents=True)
            nb = nbformat.read(job / "submitted" / request.student / request.assignment / f"{FIRST}.ipynb", 4)
            nb.cells[0].outputs = self.outputs
            nbformat.write(nb, graded / f"{FIRST}.ipynb")
        return Reply(self.finished, "" if self.finished else "the job ran out of its budget")


def run_job(course, student, settings, runner):
    """``student``'s job as ``course grade`` runs it, minus Dask: here, with ``runner``."""
    payload = prepare_job(course, student, settings)
    if not isinstance(payload, JobPayload):
        return payload
    outcome = execute_job(payload, course.root, course.gradebook, course.work / "jobs" / student, runner)
    return finish_job(course, payload, outcome)


@pytest.fixture
def course(tmp_path):
    """A one-notebook course with one submission (ann's), ready to grade."""
    root = tmp_path / "course"
    (root / "source" / FIRST).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n")
    (root / "gradebook.db").touch()
    source = root / "source" / FIRST / f"{FIRST}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("y = 2")]), str(source))
    submission = root / "submitted" / "ann" / FIRST
    submission.mkdir(parents=True)
    shutil.copy(source, submission)
    return find_course(root, FIRST)


def _job(course, runner, **settings):
    return run_job(course, "ann", JobSettings(sandbox=False, timeout=10, cell_timeout=10, **settings), runner)


def test_jobs_are_reused_only_while_nothing_changed(course):
    """Check that a finished job is reused, and redone when its results, the submission or the tests change"""
    runner = FakeRunner()
    assert [_job(course, runner).reused, _job(course, runner).reused] == [False, True]
    assert len(runner.requests) == 1
    shutil.rmtree(course.work / "executed" / "ann")
    assert not _job(course, runner).reused and _job(course, runner).reused and len(runner.requests) == 2
    source = course.source / f"{FIRST}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 2")]), str(source))   # the tests changed
    assert not _job(course, runner).reused and len(runner.requests) == 3
    answer = course.submissions["ann"] / f"{FIRST}.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 3")]), str(answer))
    result = _job(course, runner)
    assert not result.reused and result.status == Status.GRADED and len(runner.requests) == 4
    assert _job(course, runner, force=True).reused is False and len(runner.requests) == 5


def test_a_job_is_redone_after_the_grading_code_or_its_packages_change(course, tmp_path, monkeypatch):
    """Check that no result is reused after a fix to the course package, or another torch or nbgrader"""
    runner = FakeRunner()
    _job(course, runner)
    assert _job(course, runner).reused
    # A fixed check: the course package's code differs.
    package = tmp_path / "package"
    shutil.copytree(execute.COURSE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(execute, "COURSE_PACKAGE", package)
    assert _job(course, runner).reused
    (package / "checks.py").write_text((package / "checks.py").read_text() + "\n# a fix\n")
    assert not _job(course, runner).reused and _job(course, runner).reused
    # An upgraded torch, then nbgrader.
    real_version = metadata.version
    for upgraded in ("torch", "nbgrader"):
        monkeypatch.setattr(metadata, "version",
                            lambda name, up=upgraded: "99.0" if name == up else real_version(name))
        assert not _job(course, runner).reused and _job(course, runner).reused
    assert len(runner.requests) == 4


def test_the_budget_follows_the_cell_time_limit(course):
    """Check that a job may take its code cells' time limits plus the overhead, not a fixed 60 s each"""
    runner = FakeRunner()
    run_job(course, "ann", JobSettings(sandbox=False, cell_timeout=7), runner)
    run_job(course, "ann", JobSettings(sandbox=False, timeout=3, cell_timeout=3, force=True), runner)
    assert runner.budgets == [2 * 7 + JOB_OVERHEAD_SECONDS, 2 * 3 + JOB_OVERHEAD_SECONDS]


def test_the_request_carries_the_settings_and_hides_the_course(course):
    """Check that the runner is asked to grade ann in her job folder, sandboxed, with the course hidden"""
    runner = FakeRunner()
    run_job(course, "ann", JobSettings(sandbox=True, timeout=5, cell_timeout=5), runner)
    request, = runner.requests
    assert (request.root, request.student, request.assignment) == (str(course.root), "ann", FIRST)
    assert request.job == str(course.work / "jobs" / "ann") and request.hidden == (str(course.root),)
    assert request.sandbox and request.timeout == 5


@pytest.mark.parametrize(("outputs", "status"), [
    ([], Status.GRADED),
    ([new_output("error", ename="AssertionError", evalue="wrong", traceback=[])], Status.GRADED),
    ([new_output("error", ename=KERNEL_DIED, evalue="", traceback=[])], Status.CRASHED),
    ([new_output("error", ename=CELL_TIMEOUT, evalue="", traceback=[])], Status.TIMED_OUT),
])
def test_the_status_comes_from_the_errors_in_the_executed_notebook(course, outputs, status):
    """Check that a crash or a timeout in a cell gives the job its status, and a failed test does not"""
    assert _job(course, FakeRunner(outputs)).status == status


def test_a_job_the_runner_did_not_finish_fails_and_says_why(course):
    """Check that a runner that gave up leaves the student failed, with the runner's reason"""
    result = _job(course, FakeRunner(finished=False))
    assert result.status == Status.FAILED and "budget" in result.detail


def test_an_invalid_notebook_gets_no_job(course):
    """Check that a broken submission is reported as not a valid notebook, without asking the runner"""
    (course.submissions["ann"] / f"{FIRST}.ipynb").write_text("{not json")
    runner = FakeRunner()
    result = _job(course, runner)
    assert result.status == Status.INVALID and "not a valid notebook" in result.detail and not runner.requests


def test_a_job_runs_from_its_payload_alone_anywhere(course, tmp_path):
    """Check that a payload carries the submission as data, and its job runs far from the course"""
    (course.submissions["ann"] / "helpers.py").write_text("X = 1\n")
    payload = prepare_job(course, "ann", JobSettings(sandbox=False, timeout=10, cell_timeout=10))
    assert isinstance(payload, JobPayload) and set(payload.files) == {f"{FIRST}.ipynb", "helpers.py"}
    shutil.rmtree(course.root / "submitted")           # nothing of the course is needed any more
    elsewhere = tmp_path / "worker"
    (elsewhere / "inputs").mkdir(parents=True)
    shutil.copy(course.root / "nbgrader_config.py", elsewhere / "inputs")
    shutil.copy(course.gradebook, elsewhere / "inputs" / "gradebook.db")
    runner = FakeRunner()
    outcome = execute_job(payload, elsewhere / "inputs", elsewhere / "inputs" / "gradebook.db",
                          elsewhere / "job", runner, where="worker-1")
    request, = runner.requests
    assert request.root == str(elsewhere / "inputs") and request.job == str(elsewhere / "job")
    assert set(request.hidden) == {str(elsewhere / "inputs"), str(elsewhere / "job")}
    assert (elsewhere / "job" / "submitted" / "ann" / FIRST / "helpers.py").read_text() == "X = 1\n"
    assert outcome.finished and set(outcome.executed) == {FIRST} and outcome.where == "worker-1"
    result = finish_job(course, payload, outcome)
    assert result.status == Status.GRADED
    assert (course.work / "executed" / "ann" / f"{FIRST}.ipynb").read_bytes() == outcome.executed[FIRST]


def test_a_symbolic_link_in_a_submission_never_travels(course, tmp_path):
    """Check that a link to a file of the grader's machine is left out of the job, not its target sent"""
    secret = tmp_path / "secret.txt"
    secret.write_text("the grader's private key")
    (course.submissions["ann"] / "notes.txt").symlink_to(secret)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "key.txt").write_text("another secret")
    (course.submissions["ann"] / "linked").symlink_to(tmp_path / "folder", target_is_directory=True)
    payload = prepare_job(course, "ann", JobSettings(sandbox=False))
    assert set(payload.files) == {f"{FIRST}.ipynb"}
    assert not any(b"secret" in content for content in payload.files.values())


def test_an_oversized_submission_gets_no_job(course):
    """Check that a submission too large to send to a worker is refused before any of it is read"""
    with open(course.submissions["ann"] / "data.bin", "wb") as handle:
        handle.truncate(MAX_SUBMISSION_BYTES + 1)            # sparse: no disk, and never read
    runner = FakeRunner()
    result = _job(course, runner)
    assert result.status == Status.INVALID and "MB a submission may have" in result.detail
    assert not runner.requests
