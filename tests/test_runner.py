"""Tests for course.grader.runner: the long-lived process behind `course grade`'s workers.

They talk to a real runner process with cheap requests (a ping, or a job whose course does
not exist); nbgrader itself is never started.
"""

import os
import signal
import threading

import pytest

from course.grader.runner import (
    AutogradeRequest,
    FeedbackRequest,
    JobRunner,
    PingRequest,
    Reply,
    decode,
    encode,
)


@pytest.fixture
def runner():
    """A runner with this process's environment, closed after the test."""
    handle = JobRunner(dict(os.environ))
    yield handle
    handle.close()


def _pid(runner):
    return runner._process.pid


def _missing_course(tmp_path, student="ann"):
    return AutogradeRequest(root=str(tmp_path / "missing"), job=str(tmp_path / "job"),
                            assignment="01_parameters", student=student)


@pytest.mark.parametrize("request_", [
    AutogradeRequest("/course", "/course/.course-grade/a/jobs/ann", "a", "ann", True, 7, ("/course",)),
    FeedbackRequest("/course", "a", "ann"), PingRequest(0.5)])
def test_requests_survive_the_trip_through_json(request_):
    """Check that every request kind decodes to an equal request of the same type"""
    assert decode(encode(request_)) == request_ and type(decode(encode(request_))) is type(request_)


def test_an_unknown_request_kind_is_refused():
    """Check that decode names the kinds it knows when given another"""
    with pytest.raises(ValueError, match="unknown request kind 'format-disk'.*autograde"):
        decode('{"kind": "format-disk"}')


def test_a_ping_is_answered(runner):
    """Check that a runner answers a ping, and keeps serving from the same process"""
    assert runner.ask(PingRequest(), budget=60) == Reply(True, "pong")
    first = _pid(runner)
    assert runner.ask(PingRequest(), budget=60) == Reply(True, "pong") and _pid(runner) == first


def test_a_failing_job_is_reported_with_its_traceback_and_the_runner_stays(runner, tmp_path):
    """Check that a job that raises comes back with its traceback, and the same runner serves the next"""
    reply = runner.ask(_missing_course(tmp_path), budget=120)
    first = _pid(runner)
    assert reply.finished and "Traceback (most recent call last)" in reply.log
    assert "nbgrader_config.py" in reply.log
    reply = runner.ask(_missing_course(tmp_path, "bob"), budget=120)
    assert reply.finished and "Traceback" in reply.log and _pid(runner) == first


def test_a_job_past_its_budget_kills_the_runner(runner):
    """Check that a job that overruns its budget ends its runner, and a fresh one takes the next job"""
    reply = runner.ask(PingRequest(seconds=30), budget=0.5)
    assert not reply.finished and "budget" in reply.log and runner._process is None
    assert runner.ask(PingRequest(), budget=60) == Reply(True, "pong")


def test_a_runner_that_dies_mid_job_is_replaced(runner):
    """Check that a runner killed while it works is reported, and the next job gets a new runner"""
    assert runner.ask(PingRequest(), budget=60).finished
    victim = _pid(runner)
    killer = threading.Timer(0.5, os.kill, (victim, signal.SIGKILL))
    killer.start()
    reply = runner.ask(PingRequest(seconds=30), budget=120)
    killer.join()
    assert not reply.finished and "ended" in reply.log, reply.log
    assert runner.ask(PingRequest(), budget=60).finished and _pid(runner) != victim


def test_close_leaves_no_process(runner):
    """Check that closing a runner ends its process"""
    runner.ask(PingRequest(), budget=60)
    pid = _pid(runner)
    runner.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_runner_whose_parent_dies_mid_job_ends_too(tmp_path):
    """Check that a runner orphaned in the middle of a job (its Dask worker killed) does not work on"""
    import subprocess
    import sys
    import time

    # The parent: starts a runner, gives it a long job, says the runner's pid, and waits to be killed.
    parent = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, threading\n"
        "from course.grader.runner import JobRunner, PingRequest\n"
        "runner = JobRunner(dict(os.environ))\n"
        "runner.ask(PingRequest(), budget=60)\n"
        "threading.Thread(target=runner.ask, args=(PingRequest(seconds=120), 300), daemon=True).start()\n"
        "print(runner._process.pid, flush=True)\n"
        "threading.Event().wait()\n")], stdout=subprocess.PIPE, text=True)
    try:
        orphan = int(parent.stdout.readline())
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(orphan, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    with pytest.raises(ProcessLookupError):
        os.kill(orphan, 0)
