"""Where the jobs of ``course grade`` run: the workers of a Dask cluster, in this process or on many machines.

``course grade ASSIGNMENT`` starts a ``LocalCluster`` of ``--workers`` workers in its own process;
``--scheduler ADDRESS`` (``tcp://host:8786``, or ``tls://…`` with Dask's own security settings)
sends the jobs to an existing cluster instead. Either way each student's job is one task
(:func:`course.grader.worker.grade_on_worker`), which carries what it needs as data, qualifies
its worker, and returns the executed notebooks. :class:`Cluster` connects, has the workers
qualify, sends the tasks and hands back each outcome as it arrives.

The grader keeps everything else: recording in the real gradebook, feedback, the CSV. A worker
that dies mid-task has its task run again on another worker by Dask's scheduler; a task whose
workers keep dying (Dask's ``allowed-failures``) fails that student alone. A worker that refuses
gets no more tasks; should every qualified worker go, newcomers are asked to qualify.

Hidden tests travel to the workers inside the gradebook: workers must be machines the instructor
trusts. Student code on them still runs only inside the sandbox, with no network and no view of
the worker's files.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from course.grader.config import COURSE_CONFIG
from course.grader.discover import GradingError
from course.grader.execute import JobOutcome, JobPayload, grader_identity
from course.grader.runner import Reply
from course.grader.worker import (
    SharedInputs,
    WorkerRefused,
    close_runners,
    feedback_on_worker,
    grade_on_worker,
    worker_problem,
)

__all__ = ["LOCAL", "LOCAL_QUIET", "QUIET_WORKERS", "WORKER_WAIT_SECONDS", "Cluster"]

LOCAL = "local"                       # ``--scheduler local``: a LocalCluster on this machine
# How long to wait for the first worker of a cluster (a batch system may take a while to start them),
# or for a worker that qualifies when all that did are gone.
WORKER_WAIT_SECONDS = 120
_POLL_SECONDS = 5
# Dask settings that sample less: the workers' statistical profiler (every 10 ms), the system
# monitor and the event-loop tick watch. Grading jobs spend their time in other processes, which
# these cannot see anyway. Workers started by hand take them as environment variables
# (DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False, see README).
LOCAL_QUIET = {"distributed.worker.profile.enabled": False, "distributed.admin.system-monitor.interval": "5s",
               "distributed.admin.tick.interval": "1s"}
# The same, as the environment of a `dask worker` started by hand (Dask's DASK_A__B_C naming for
# a.b-c), and one thread per kernel.
QUIET_WORKERS = {"DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value)
                 for key, value in LOCAL_QUIET.items()} | {"OMP_NUM_THREADS": "1"}


class Cluster:
    """A connection to the Dask cluster that runs the jobs: a LocalCluster of ``workers``, or ``scheduler``'s.

    Use it as a context manager. On entering, it connects, waits for a worker, and asks every
    worker to qualify (:func:`worker_problem`); ``notice`` is told about each refusal. A
    scheduler that cannot be reached, or no worker that qualifies, raises :class:`GradingError`
    before anything is graded.
    """

    def __init__(self, scheduler: str | None, workers: int, sandbox: bool,
                 notice: Callable[[str], None] = lambda message: None):
        self.scheduler, self.workers, self.sandbox, self.notice = scheduler, workers, sandbox, notice
        self.local = scheduler in (None, LOCAL)
        self.client = self._cluster = None
        self.qualified: list[str] = []
        self.refused: dict[str, str] = {}
        self._shared_inputs: SharedInputs | None = None

    def __enter__(self) -> Cluster:
        try:
            self._connect()
            if self.local:      # this very process: its code is the grader's, its sandbox already checked
                self.qualified = list(self.client.scheduler_info(n_workers=-1)["workers"])
            else:
                self._qualify(grader_identity())
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> None:
        import logging

        from distributed import Client, LocalCluster

        if self.local:
            import dask

            # Workers as threads of this process: each holds a runner (a process of its own, where
            # nbgrader and the kernel run), so worker processes would only add their start-up.
            # Without Dask's own sampling (LOCAL_QUIET), an idle cluster costs 2 % of a core, not 7 %.
            with dask.config.set(LOCAL_QUIET):
                self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=False,
                                             dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
            return
        try:
            self.client = Client(self.scheduler)
        except (OSError, TimeoutError, ValueError) as err:
            raise GradingError(f"cannot reach the Dask scheduler at {self.scheduler}: {type(err).__name__}: "
                               f"{err}. Check the address and that `dask scheduler` runs there (and, for "
                               "tls://, Dask's security settings); nothing was graded.") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise GradingError(f"the Dask scheduler at {self.scheduler} has no workers after "
                               f"{WORKER_WAIT_SECONDS} s: start some (`dask worker {self.scheduler}`); "
                               "nothing was graded.") from None

    def _qualify(self, identity: dict[str, str], workers: list[str] | None = None) -> None:
        answers = self.client.run(worker_problem, identity, self.sandbox, workers=workers, on_error="return")
        for address, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                answer = (f"it cannot run the grader's code ({type(answer).__name__}: {answer}); install the "
                          "course package and its dependencies on the worker")
            if answer is None:
                self.qualified.append(address)
            else:
                self.refused[address] = answer
                self.notice(f"worker {address} refused: {answer}")
        if not self.qualified and workers is None:
            raise GradingError("no Dask worker can grade: "
                               + "; ".join(f"{a}: {why}" for a, why in self.refused.items()))

    def _shared(self, root: Path) -> SharedInputs:
        """The run's shared inputs, read once (the gradebook does not change before the record phase)."""
        if self._shared_inputs is not None:
            return self._shared_inputs
        from distributed.comm import get_address_host

        threads: dict[str, int] = {}
        for address, info in self.client.scheduler_info(n_workers=-1)["workers"].items():
            host = get_address_host(address)
            threads[host] = threads.get(host, 0) + int(info.get("nthreads", 1))
        self._shared_inputs = SharedInputs((root / COURSE_CONFIG).read_bytes(),
                                           (root / "gradebook.db").read_bytes(), grader_identity(), threads)
        return self._shared_inputs

    def run(self, root: Path, payloads: Iterable[JobPayload],
            done: Callable[[JobPayload, JobOutcome | BaseException], None]) -> dict[str, float]:
        """Run every payload's job; ``done`` gets each payload with its outcome, or the error that ended it.

        Returns measurements: ``jobs`` (seconds the runners spent), ``tasks`` (how many ran).
        """
        from distributed import wait

        shared = self._shared(root)
        [shared_future] = self.client.scatter([shared], broadcast=True, hash=False)
        run_id = uuid.uuid4().hex[:8]

        def submit(payload: JobPayload):
            # Strict restrictions once a worker has refused (Dask's work stealing ignores loose ones);
            # none while every worker qualified, so that workers added later take jobs too (each
            # qualifies itself before it grades).
            return self.client.submit(grade_on_worker, payload, shared_future, pure=False,
                                      key=f"course-grade-{payload.assignment}-{payload.student}-{run_id}-"
                                          f"{uuid.uuid4().hex[:6]}",
                                      workers=list(self.qualified) if self.refused else None,
                                      allow_other_workers=False)

        futures = {submit(p): p for p in payloads}
        waiting: list[JobPayload] = []       # refused, with no qualified worker left to send them to
        measured = {"jobs": 0.0, "tasks": 0}
        stranded_since = None
        while futures or waiting:
            finished = set()
            if futures:
                try:
                    finished, _ = wait(list(futures), timeout=_POLL_SECONDS, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    pass
            else:
                time.sleep(_POLL_SECONDS)
            for future in finished:
                payload = futures.pop(future)
                try:
                    outcome = future.result()
                except WorkerRefused as err:       # a worker that joined after the others qualified
                    if err.address not in self.refused:
                        self.refused[err.address] = str(err)
                        self.notice(str(err))
                    self.qualified = [w for w in self.qualified if w != err.address]
                    waiting.append(payload)
                    continue
                except Exception as err:  # noqa: BLE001 - one student's failure never stops the batch
                    done(payload, err)
                    continue
                measured["jobs"] += outcome.seconds
                measured["tasks"] += 1
                done(payload, outcome)
            if self.refused and (waiting or not finished):
                stranded_since = self._rescue(futures, waiting, submit, done, stranded_since)
        return measured

    def _rescue(self, futures: dict, waiting: list, submit, done, since: float | None) -> float | None:
        """Send the waiting jobs, and those restricted to workers that are gone, to workers that qualify.

        Newcomers are asked to qualify first. Returns since when no qualified worker has been
        alive (None: one is); past ``WORKER_WAIT_SECONDS`` of that, every job left fails.
        """
        live = set(self.client.scheduler_info(n_workers=-1)["workers"])
        orphaned = bool(self.qualified) and not live & set(self.qualified)   # the jobs' workers are all gone
        self.qualified = [w for w in self.qualified if w in live]
        if not self.qualified and (newcomers := [w for w in live if w not in self.refused]):
            self._qualify(grader_identity(), newcomers)
        if not self.qualified:
            if since is None:
                return time.monotonic()
            if time.monotonic() - since < WORKER_WAIT_SECONDS:
                return since
            reason = GradingError(f"no worker that qualifies has been left for {WORKER_WAIT_SECONDS} s")
            for future in futures:
                future.cancel()
            stranded = [*futures.values(), *waiting]
            futures.clear()
            waiting.clear()
            for payload in stranded:
                done(payload, reason)
            return None
        stranded = waiting[:]
        waiting.clear()
        if orphaned or since is not None:    # jobs restricted to workers that are gone
            for future, payload in list(futures.items()):
                future.cancel()
                del futures[future]
                stranded.append(payload)
        for payload in stranded:
            futures[submit(payload)] = payload
        return None

    def feedback(self, root: Path, assignment: str, students: list[str]) -> dict[str, Reply]:
        """Each student's feedback reply, written by the local cluster's workers (they share our disk)."""
        if not self.local:
            raise RuntimeError("feedback runs on a local cluster only: a remote worker has no course folder")
        futures = {student: self.client.submit(feedback_on_worker, str(root), assignment, student,
                                               self._shared(root), pure=False) for student in students}
        return {student: future.result() for student, future in futures.items()}

    def close(self) -> None:
        """Disconnect; a LocalCluster is shut down with its workers (and their runners)."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
            close_runners()         # the local workers' runners are this process's

