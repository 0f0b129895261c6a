"""Tests for course.jobrunner: the long-lived nbgrader process behind `course grade`'s workers."""

import os
import signal
import threading

import pytest

from course.jobrunner import JobRunner


@pytest.fixture
def runner():
    """A runner with this process's environment, closed after the test."""
    handle = JobRunner(dict(os.environ))
    yield handle
    handle.close()


def _pid(runner):
    return runner._process.pid


def test_a_failing_job_is_reported_and_the_runner_stays(runner, tmp_path):
    """Check that a job nbgrader cannot run comes back with its error, and the same runner serves the next"""
    finished, log = runner.autograde(tmp_path / "missing", "01_parameters", "ann", None, budget=120)
    first = _pid(runner)
    assert finished and "FileNotFoundError" in log
    finished, log = runner.autograde(tmp_path / "missing", "01_parameters", "bob", None, budget=120)
    assert finished and "FileNotFoundError" in log and _pid(runner) == first


def test_a_job_past_its_budget_kills_the_runner(runner, tmp_path):
    """Check that a job that overruns its budget ends its runner, and a fresh one takes the next job"""
    finished, log = runner.autograde(tmp_path / "missing", "01_parameters", "ann", None, budget=0.05)
    assert not finished and "budget" in log and runner._process is None
    finished, log = runner.autograde(tmp_path / "missing", "01_parameters", "ann", None, budget=120)
    assert finished and "FileNotFoundError" in log


def test_a_runner_that_dies_mid_job_is_replaced(runner, tmp_path):
    """Check that a runner killed while it works is reported, and the next job gets a new runner"""
    # A fresh runner's first job imports nbgrader, which takes seconds: the kill lands mid-job.
    victims = []

    def kill():
        victims.append(_pid(runner))
        os.kill(victims[0], signal.SIGKILL)

    killer = threading.Timer(0.5, kill)
    killer.start()
    finished, log = runner.autograde(tmp_path / "missing", "01_parameters", "ann", None, budget=120)
    killer.join()
    assert not finished and "ended" in log, log
    finished, log = runner.autograde(tmp_path / "missing", "01_parameters", "bob", None, budget=120)
    assert finished and "FileNotFoundError" in log and _pid(runner) != victims[0]


def test_close_leaves_no_process(runner, tmp_path):
    """Check that closing a runner ends its process"""
    runner.autograde(tmp_path / "missing", "01_parameters", "ann", None, budget=120)
    pid = _pid(runner)
    runner.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
