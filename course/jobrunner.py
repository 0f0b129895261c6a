"""A long-lived process that runs nbgrader's autograde for one ``course grade`` job after another.

Starting ``python -m nbgrader`` costs about 4.5 s of CPU (nbgrader, nbconvert and
SQLAlchemy imports), which a class of hundreds would pay once per student. A runner
pays it once: the grader sends it one job per line on stdin (JSON: an autograde in a
job folder, or a student's feedback) and reads one JSON reply per line. The job's own
``nbgrader_config.py`` (sandboxed kernels and all) is loaded fresh for every job.

A runner that dies or overruns its budget is killed with everything it started, and
the next job gets a new one: a broken submission still cannot stop the batch.

    python -m course.jobrunner      # the runner side; JobRunner below is the grader side
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["JobRunner", "main"]


class JobRunner:
    """The grader's handle on one runner process, started on first use and again after a failure."""

    def __init__(self, environment: dict[str, str]):
        self._environment = environment
        self._process: subprocess.Popen | None = None

    def autograde(self, job: Path, assignment: str, student: str, timeout: int | None,
                  budget: float) -> tuple[bool, str]:
        """Autograde ``student`` in the job folder ``job``; return (finished, log).

        ``finished`` is False when the runner died or ran past ``budget`` seconds; the
        runner is then replaced for the next job.
        """
        return self._ask({"kind": "autograde", "job": str(job), "assignment": assignment,
                          "student": student, "timeout": timeout}, budget)

    def _ask(self, request: dict, budget: float) -> tuple[bool, str]:
        if self._process is None or self._process.poll() is not None:
            self._start()
        process = self._process
        reply: list[str] = []
        reader = threading.Thread(target=lambda: reply.append(process.stdout.readline()), daemon=True)
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:
            self.close()
            return False, "the grading process could not be reached"
        reader.start()
        reader.join(budget)
        if reader.is_alive():
            self.close()
            return False, f"the job ran out of its {budget:.0f} s budget"
        if not reply or not reply[0]:
            code = process.wait()
            self.close()
            return False, f"the grading process ended (exit status {code})"
        answer = json.loads(reply[0])
        return answer["finished"], answer["log"]

    def feedback(self, root: Path, config: Path, assignment: str, student: str,
                 budget: float = 600) -> tuple[bool, str]:
        """Write ``student``'s feedback with nbgrader's generate_feedback and ``config``."""
        return self._ask({"kind": "feedback", "root": str(root), "config": str(config),
                          "assignment": assignment, "student": student}, budget)

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
            [sys.executable, "-m", "course.jobrunner"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=self._environment, start_new_session=True)


def _feedback(request: dict) -> dict:
    """Feedback for one student, as ``nbgrader generate_feedback`` with ``request["config"]`` would."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = Path(request["config"])
    os.chdir(request["root"])
    settings = PyFileConfigLoader(config.name, path=str(config.parent)).load_config()
    api = NbGraderAPI(CourseDirectory(config=settings), config=settings)
    outcome = api.generate_feedback(request["assignment"], request["student"], force=True)
    log = (outcome.get("log") or "") + (outcome.get("error") or "")
    return {"finished": bool(outcome.get("success")), "log": log}


def _autograde(request: dict) -> dict:
    """One job, as ``nbgrader autograde ASSIGNMENT --student=S --force`` run in the job folder would."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    job = Path(request["job"])
    os.chdir(job)            # as the command would be: nbgrader resolves some paths against it
    settings = PyFileConfigLoader("nbgrader_config.py", path=str(job)).load_config()
    if request["timeout"] is not None:
        settings.Execute.timeout = request["timeout"]
    api = NbGraderAPI(CourseDirectory(config=settings), config=settings)
    outcome = api.autograde(request["assignment"], request["student"], force=True, create=True)
    log = outcome.get("log") or ""
    if outcome.get("error"):
        log += "\n" + outcome["error"]
    return {"finished": True, "log": log}


def main() -> None:
    """Serve jobs from stdin until it closes; replies go to the real stdout, one JSON line each."""
    import logging
    import warnings

    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                      # anything else printed must not garble the replies
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message=r".* not in session, add operation along")
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = (_feedback if request.get("kind") == "feedback" else _autograde)(request)
        except Exception as err:  # noqa: BLE001 - reported to the grader, which marks the job failed
            reply = {"finished": True, "log": f"{type(err).__name__}: {err}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
