"""A long-lived process that runs nbgrader's autograde for one ``course grade`` job after another.

Starting ``python -m nbgrader`` costs about 4.5 s of CPU (nbgrader, nbconvert and
SQLAlchemy imports), which a class of hundreds would pay once per student. A runner
pays it once: the grader sends it one request per line on stdin and reads one
:class:`Reply` per line, both JSON. A request is an :class:`AutogradeRequest` (one
student's copy in a job folder), a :class:`FeedbackRequest` or a :class:`PingRequest`.
The runner builds each job's configuration afresh from the course's ``nbgrader_config.py``
(:mod:`course.grader.config`).

A runner that dies or overruns its budget is killed with everything it started, and
the next job gets a new one: a broken submission still cannot stop the batch.

    python -m course.grader.runner      # the runner side; JobRunner below is the grader side
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

__all__ = ["AutogradeRequest", "FeedbackRequest", "JobRunner", "PingRequest", "Reply", "main"]


@dataclass(frozen=True)
class AutogradeRequest:
    """Autograde ``student`` in the job folder ``job``, as ``nbgrader autograde --force`` there would.

    ``root`` is the course root (its ``nbgrader_config.py`` is the base); ``hidden`` are the
    folders a sandboxed kernel must not see.
    """

    root: str
    job: str
    assignment: str
    student: str
    sandbox: bool = True
    timeout: int | None = None
    hidden: tuple[str, ...] = ()
    kind: str = "autograde"


@dataclass(frozen=True)
class FeedbackRequest:
    """Write ``student``'s feedback in the course ``root``, as ``nbgrader generate_feedback`` would."""

    root: str
    assignment: str
    student: str
    kind: str = "feedback"


@dataclass(frozen=True)
class PingRequest:
    """Answer after ``seconds``: proves the runner is alive and serving, without nbgrader."""

    seconds: float = 0.0
    kind: str = "ping"


@dataclass(frozen=True)
class Reply:
    """A runner's answer. ``finished`` is False when the runner died or ran out of its budget."""

    finished: bool
    log: str


Request = AutogradeRequest | FeedbackRequest | PingRequest
_KINDS = {cls.kind: cls for cls in (AutogradeRequest, FeedbackRequest, PingRequest)}


def encode(request: Request) -> str:
    """One JSON line for ``request``."""
    return json.dumps(dataclasses.asdict(request))


def decode(line: str) -> Request:
    """The request a JSON line holds; ValueError for an unknown kind or fields."""
    fields = json.loads(line)
    kind = _KINDS.get(fields.get("kind"))
    if kind is None:
        raise ValueError(f"unknown request kind {fields.get('kind')!r}; expected one of {sorted(_KINDS)}")
    if "hidden" in fields:
        fields["hidden"] = tuple(fields["hidden"])
    return kind(**fields)


class JobRunner:
    """The grader's handle on one runner process, started on first use and again after a failure."""

    def __init__(self, environment: dict[str, str]):
        self._environment = environment
        self._process: subprocess.Popen | None = None

    def ask(self, request: Request, budget: float) -> Reply:
        """Send ``request`` and wait at most ``budget`` seconds for the reply.

        A runner that dies or overruns is closed (a fresh one serves the next request), and the
        reply says what happened with ``finished=False``.
        """
        if self._process is None or self._process.poll() is not None:
            self._start()
        process = self._process
        reply: list[str] = []
        reader = threading.Thread(target=lambda: reply.append(process.stdout.readline()), daemon=True)
        try:
            process.stdin.write(encode(request) + "\n")
            process.stdin.flush()
        except OSError:
            self.close()
            return Reply(False, "the grading process could not be reached")
        reader.start()
        reader.join(budget)
        if reader.is_alive():
            self.close()
            return Reply(False, f"the job ran out of its {budget:.0f} s budget")
        if not reply or not reply[0]:
            code = process.wait()
            self.close()
            return Reply(False, f"the grading process ended (exit status {code})")
        return Reply(**json.loads(reply[0]))

    def close(self) -> None:
        """Stop the runner and every process it started (its kernels too)."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                process.stdin.close()
                process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)   # whatever is left of its session
        except OSError:
            pass
        process.wait()

    def _start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "course.grader.runner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=self._environment, start_new_session=True)


# -- the runner side ------------------------------------------------------------------------
def _api(config, root: str):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    os.chdir(root)           # as the command would be: nbgrader resolves some paths against it
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def _autograde(request: AutogradeRequest) -> Reply:
    from course.grader.config import job_config, load_course_config

    config = job_config(load_course_config(Path(request.root)), Path(request.job),
                        [Path(h) for h in request.hidden], request.sandbox, request.timeout)
    outcome = _api(config, request.job).autograde(request.assignment, request.student, force=True,
                                                  create=True)
    log = outcome.get("log") or ""
    if outcome.get("error"):
        log += "\n" + outcome["error"]
    return Reply(True, log)


def _feedback(request: FeedbackRequest) -> Reply:
    from course.grader.config import load_course_config

    config = load_course_config(Path(request.root))
    outcome = _api(config, request.root).generate_feedback(request.assignment, request.student, force=True)
    return Reply(bool(outcome.get("success")), (outcome.get("log") or "") + (outcome.get("error") or ""))


def _ping(request: PingRequest) -> Reply:
    time.sleep(request.seconds)
    return Reply(True, "pong")


_SERVE = {AutogradeRequest: _autograde, FeedbackRequest: _feedback, PingRequest: _ping}


def _die_with_parent(interval: float = 1.0) -> None:
    """Kill this runner's process group once its parent is gone (a Dask worker killed mid-job, say).

    Without it, an orphaned runner would finish its job for nobody; its kernels die with it
    (bubblewrap's ``--die-with-parent``).
    """
    parent = os.getppid()
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os.killpg(os.getpgrp(), signal.SIGKILL)


def main() -> None:
    """Serve requests from stdin until it closes; replies go to the real stdout, one JSON line each."""
    import logging
    import warnings

    threading.Thread(target=_die_with_parent, daemon=True).start()

    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                      # anything else printed must not garble the replies
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message=r".* not in session, add operation along")
    for line in sys.stdin:
        try:
            request = decode(line)
            reply = _SERVE[type(request)](request)
        except Exception:  # noqa: BLE001 - reported to the grader, which marks the job failed and logs it
            reply = Reply(True, traceback.format_exc())
        replies.write(json.dumps(dataclasses.asdict(reply)) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
