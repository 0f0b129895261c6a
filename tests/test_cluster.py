"""Tests for course.grader.cluster: `course grade --scheduler` on a real Dask cluster.

The cluster is made of the real command-line processes an instructor would start: one
`dask scheduler` and `dask worker`s, on 127.0.0.1. Two workers run the grader's own code; a third
runs a copy of the course package with one line changed, and must refuse to grade. Students of the
session's class (tests/classroom.py, the same files) are graded through the cluster while one of
the good workers is killed in the middle of a job. Every per-cell score must be the one an honest
grader gives, which tests/test_classgrade.py asserts of the local `course grade` of the same
students: the two runs score alike cell by cell.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from classroom import COURSE, FIRST, TIMEOUT, build_class, expected_scores, scores, submit

from course.grader.cluster import QUIET_WORKERS
from course.grader.execute import COURSE_PACKAGE, JobPayload, JobSettings, grader_identity
from course.grader.worker import SharedInputs, WorkerRefused, grade_on_worker

DASK = Path(sys.executable).parent / "dask"
# Students of the session's class whose files need nothing of that run's machine (ports, paths):
# full, no and partial marks, restored and pasted tests, lies, modules of their own, a crash.
CLASS = ["reference", "untouched", "partial", "edited-tests", "pasted-test", "lying-values", "shadow-modules",
         "kill-self"]
GRADING_KEY = "course-grade-"


# -- a real cluster -------------------------------------------------------------------------------
class _Cluster:
    def __init__(self, folder: Path):
        self.folder, self.processes, self.address, self.client = folder, {}, None, None

    def start(self, name: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w")
        process = subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
                                   env={**os.environ, **QUIET_WORKERS, **(env or {})},
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def logs(self) -> str:
        logs = sorted(self.folder.glob("*.log"))
        return "\n".join(f"--- {p.name} ---\n{p.read_text()[-3000:]}" for p in logs)

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()


def _mismatched_package(folder: Path) -> Path:
    """A copy of the course package with one comment added: other code, as after a forgotten update."""
    copy = folder / "course"
    shutil.copytree(COURSE_PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "checks.py").write_text((copy / "checks.py").read_text() + "\n# a fix the grader does not have\n")
    return folder


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A `dask scheduler` and three `dask worker`s: ``good-1``, ``good-2`` and ``mismatched``."""
    from distributed import Client

    cluster = _Cluster(tmp_path_factory.mktemp("dask"))
    scheduler_file = cluster.folder / "scheduler.json"
    try:
        cluster.start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                      "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), cluster.logs()
        time.sleep(0.2)     # the file is written whole, but give the writer its close
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        worker = ("worker", cluster.address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name")
        cluster.start("good-1", *worker, "good-1")
        cluster.start("good-2", *worker, "good-2")
        other = _mismatched_package(cluster.folder / "other")
        cluster.start("mismatched", *worker, "mismatched", env={"PYTHONPATH": str(other)})
        cluster.client = Client(cluster.address, timeout=60)
        cluster.client.wait_for_workers(3, timeout=120)
        yield cluster
    finally:
        cluster.stop()


def _workers(cluster) -> dict[str, str]:
    """``{worker name: address}``."""
    workers = cluster.client.scheduler_info(n_workers=-1)["workers"]
    return {info["name"]: address for address, info in workers.items()}


def _class(generated: Path, folder: Path) -> tuple[Path, dict]:
    """A copy of the generated course in which the CLASS students of the session's class have handed in."""
    root = folder / "course"
    shutil.copytree(generated, root)
    students = build_class(root, 0, {"copy": "", "socket": "", "abstract": ""})   # CLASS uses none of them
    for student in CLASS:
        submit(root, student, students[student])
    return root, {s: students[s] for s in CLASS}


def _kill_mid_job(cluster, grading: subprocess.Popen, good: list[str], after: int) -> dict:
    """Once the good workers have finished ``after`` jobs, wait until one of them executes a grading
    task, let it get well into the job, then kill that worker."""
    import psutil

    pids = cluster.client.run(os.getpid, workers=good)
    deadline = time.monotonic() + 300
    while grading.poll() is None and time.monotonic() < deadline:
        executed = cluster.client.run(lambda dask_worker: dask_worker.state.executed_count, workers=good)
        executing = cluster.client.run(lambda dask_worker: [str(t.key) for t in dask_worker.state.executing],
                                       workers=good)
        busy = [(address, key) for address, keys in executing.items() for key in keys
                if key.startswith(GRADING_KEY)]
        if busy and sum(executed.values()) >= after:
            address, key = busy[0]
            time.sleep(2)          # its runner and kernel have started
            still = cluster.client.run(lambda dask_worker: [str(t.key) for t in dask_worker.state.executing],
                                       workers=[address])
            if key not in still.get(address, []):
                continue           # finished meanwhile: take the next one
            children = psutil.Process(pids[address]).children(recursive=True)
            os.kill(pids[address], signal.SIGKILL)
            return {"address": address, "key": key, "children": children,
                    "grading_running": grading.poll() is None}
        time.sleep(0.2)
    raise AssertionError("no grading task was seen executing on a good worker")


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_a_class_graded_on_a_dask_cluster_scores_as_graded_locally_even_when_a_worker_dies(
        dask_cluster, generated_course, tmp_path):
    """Check a class graded through `dask scheduler`/`dask worker` processes, one killed mid-job

    Every per-cell score equals the local `course grade` of the same files; every student is
    graded and recorded exactly once; the mismatched worker refuses and grades nothing; the killed
    worker's runner and kernel do not outlive it; a second run reuses every job.
    """
    root, students = _class(generated_course, tmp_path)
    honest = {s: expected_scores(what.passes) for s, what in students.items()}
    names = _workers(dask_cluster)
    good, mismatched = [names["good-1"], names["good-2"]], names["mismatched"]
    command = [*COURSE, "grade", FIRST, f"--scheduler={dask_cluster.address}", f"--timeout={TIMEOUT}",
               "--workers=1"]
    grading = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Late in the run, so that only the last jobs wait for the one worker left.
        killed = _kill_mid_job(dask_cluster, grading, good, after=len(CLASS) // 2)
        stdout, stderr = grading.communicate(timeout=600)
    finally:
        if grading.poll() is None:
            grading.kill()
    report = f"{stdout}\n{stderr[-4000:]}\n{dask_cluster.logs()}"
    assert killed["grading_running"], report
    assert grading.returncode == 0, report

    # The honest per-cell scores and statuses (the local run's), for every student, once each.
    assert scores(root) == honest, report
    with open(root / f"grades-{FIRST}.csv", newline="") as handle:
        rows = {row["student"]: row["status"] for row in csv.DictReader(handle)}
    assert rows == {s: what.status for s, what in students.items()}, rows
    for student in CLASS:
        assert (root / "feedback" / student / FIRST / f"{FIRST}.html").exists(), student
    # The killed worker's task was one of this class, and its runner and kernel died with it.
    assert killed["key"].startswith(f"{GRADING_KEY}{FIRST}-"), killed
    time.sleep(1.5)
    alive = [p for p in killed["children"] if p.is_running() and p.status() != "zombie"]
    assert not alive, killed["children"]
    # Run again (as after an interruption): every job is reused, nothing changes.
    again = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (again.stdout + again.stderr).count("[reused]") == len(CLASS), again.stdout + again.stderr
    assert scores(root) == honest
    # The mismatched worker said why it refused, and ran no task.
    refusal = f"worker {mismatched} refused: other grading code: the course package's code differs"
    assert refusal in stderr, report
    executed = dask_cluster.client.run(lambda dask_worker: dask_worker.state.executed_count,
                                       workers=[mismatched])
    assert executed == {mismatched: 0}, report


@pytest.mark.slow
@pytest.mark.xdist_group("dask")      # where the cluster already runs
def test_a_task_sent_to_the_mismatched_worker_is_refused(dask_cluster):
    """Check that the mismatched worker refuses a task sent to it alone, saying what differs"""
    names = _workers(dask_cluster)
    files = {f"{FIRST}.ipynb": b"{}"}
    payload = JobPayload(FIRST, "ann", (FIRST,), files, JobSettings(sandbox=False), 60.0, "no fingerprint")
    shared = SharedInputs(b"", b"", grader_identity(), {})
    future = dask_cluster.client.submit(grade_on_worker, payload, shared, workers=[names["mismatched"]],
                                        allow_other_workers=False, pure=False)
    with pytest.raises(WorkerRefused, match=r"refused to grade ann: other grading code: the course package's "
                                            r"code differs.*Install the grader's versions"):
        future.result(timeout=60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(generated_course, tmp_path):
    """Check that a scheduler nobody listens at stops `course grade` before anything is written"""
    root = tmp_path / "course"
    shutil.copytree(generated_course, root)
    submission = root / "submitted" / "ann" / FIRST
    submission.mkdir(parents=True)
    shutil.copy(root / "release" / FIRST / f"{FIRST}.ipynb", submission)
    before = hashlib.sha256((root / "gradebook.db").read_bytes()).hexdigest()
    address = f"tcp://127.0.0.1:{_free_port()}"
    run = subprocess.run([*COURSE, "grade", FIRST, f"--scheduler={address}"], cwd=root, capture_output=True,
                         text=True, timeout=120,
                         env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"cannot reach the Dask scheduler at {address}" in run.stderr, run.stderr
    assert "nothing was graded" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    assert hashlib.sha256((root / "gradebook.db").read_bytes()).hexdigest() == before
    assert not (root / "autograded").exists() and not (root / f"grades-{FIRST}.csv").exists()
    assert not (root / ".course-grade").exists()
