"""Grade a synthetic class with plain nbgrader and with `course grade`, side by side.

    python scripts/benchmark_grading.py [--students 40] [--assignments 01_parameters ...] [--workers N]
                                        [--cluster N] [--baseline CHECKOUT] [--repeat 1]

1. Builds a temporary course from source/: every assignment generated, and
   ``--students`` students who hand in, in turn, the reference solution, the untouched
   release (blank answers) and a half-solved notebook (wrong answers).
2. Copies it once per grader and grades each copy, one assignment at a time, as an instructor
   would, and each grader in turn (``--repeat`` rounds; medians are reported):
   - plain ``nbgrader autograde`` (then ``nbgrader generate_feedback``, timed separately, since
     ``course grade`` writes feedback too);
   - ``course grade --workers N``: a Dask LocalCluster of N worker processes (sandbox on);
   - with ``--cluster N``: ``course grade --scheduler ADDRESS`` on a real cluster of this machine,
     one ``dask scheduler`` and N ``dask worker`` processes (one thread each) started for the run;
   - with ``--baseline CHECKOUT``: the ``course grade`` of another checkout of this repository
     (say, the last commit before Dask: ``git worktree add /tmp/before <commit>``), for a
     before/after comparison in one run.
3. Checks that every student's score on every graded cell is identical across graders.
4. Prints each grader's wall time, its ratio to plain nbgrader and, for the Dask ones, the
   per-task overhead: (run phase × workers − runner time) / jobs, i.e. the time a worker spends on a
   job outside nbgrader (Dask, unpacking the job, idle at the end). Exits 1 if any score differs.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def _run(root: Path, *command: str) -> None:
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode not in (0, 1):  # course grade exits 1 when a submission could not be graded
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")


def _half_solved(release, source):
    """The release with the first half of its answer cells replaced by the solutions."""
    nb = copy.deepcopy(release)
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    for i in answers[: len(answers) // 2]:
        nb.cells[i].source = source.cells[i].source
    return nb


def _build(root: Path, assignments: list[str], students: int) -> None:
    shutil.copy(REPO / "nbgrader_config.py", root)
    for assignment in assignments:
        shutil.copytree(REPO / "source" / assignment, root / "source" / assignment)
        _run(root, sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--log-level=ERROR")
        source = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
        release = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        kinds = [source, release, _half_solved(release, source)]
        for number in range(students):
            folder = root / "submitted" / f"student{number:03d}" / assignment
            folder.mkdir(parents=True)
            nbformat.write(kinds[number % 3], folder / f"{assignment}.ipynb")


def _scores(root: Path, assignments: list[str]) -> dict:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        for assignment in assignments:
            for submission in gradebook.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        scores[submission.student.id, assignment, notebook.name, grade.name] = grade.score
    return scores


_SUMMARY = re.compile(r"running the notebooks ([\d.]+) s \((\d+) jobs run, ([\d.]+) s of runner time\)")


def _course_grade(root: Path, assignment: str, command: list[str], option: str, env: dict | None) -> dict:
    """Run ``course grade``; its wall time and, when it prints them, its run-phase figures."""
    started = time.perf_counter()
    result = subprocess.run([*command, "grade", assignment, option], cwd=root, capture_output=True, text=True,
                            env=env)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"course grade failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    found = _SUMMARY.search(result.stdout)
    run, tasks, jobs = (float(found[1]), int(found[2]), float(found[3])) if found else (None, None, None)
    return {"seconds": seconds, "run": run, "tasks": tasks, "jobs": jobs}


class _LocalDaskCluster:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1, for one benchmark run."""

    def __init__(self, folder: Path, workers: int):
        from course.grader.cluster import QUIET_WORKERS

        bin_dir = Path(sys.executable).parent
        folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = folder / "scheduler.json"
        log = (folder / "dask.log").open("w")
        common = {"stdout": log, "stderr": subprocess.STDOUT, "start_new_session": True,
                  "env": {**os.environ, **QUIET_WORKERS}}
        scheduler = [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(scheduler_file)]
        self.processes = [subprocess.Popen(scheduler, **common)]
        for _ in range(workers):
            self.processes.append(subprocess.Popen([str(bin_dir / "dask"), "worker", "--scheduler-file",
                                                    str(scheduler_file), "--nthreads", "1", "--no-dashboard"],
                                                   **common))
        from distributed import Client

        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
            process.wait()


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignments", nargs="+",
                        default=sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir()))
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--cluster", type=int, default=0, metavar="N",
                        help="also grade on a real dask scheduler with N dask workers of this machine")
    parser.add_argument("--baseline", type=Path, default=None, metavar="CHECKOUT",
                        help="also time the `course grade` of another checkout of this repository")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every grader (medians are reported)")
    parser.add_argument("--no-plain", action="store_true", help="skip plain nbgrader")
    args = parser.parse_args(argv)
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]  # nbgrader runs alembic by name
    course = [str(Path(bin_dir) / "course")]

    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as scratch:
        scratch = Path(scratch)
        base = scratch / "base"
        base.mkdir()
        print(f"building {args.students} students × {len(args.assignments)} assignments ...", flush=True)
        _build(base, args.assignments, args.students)
        cluster = _LocalDaskCluster(scratch / "dask", args.cluster) if args.cluster else None
        graders = {}
        if not args.no_plain:
            graders["plain nbgrader autograde"] = None
        if args.baseline is not None:
            graders[f"baseline course grade ({args.workers} workers)"] = (
                [sys.executable, "-m", "course.grader.cli"], f"--workers={args.workers}",
                {**os.environ, "PYTHONPATH": str(args.baseline.resolve())})
        graders[f"course grade, LocalCluster ({args.workers} workers)"] = (
            course, f"--workers={args.workers}", None)
        if cluster is not None:
            graders[f"course grade --scheduler ({args.cluster} dask workers)"] = (
                course, f"--scheduler={cluster.address}", None)
        seconds = {name: [] for name in graders}
        feedback_seconds, overheads, scores = [], {name: [] for name in graders}, {}
        try:
            for round_ in range(args.repeat):
                for number, (name, how) in enumerate(graders.items()):
                    root = scratch / f"round{round_}-{number}"
                    shutil.copytree(base, root)  # the config's root is its own folder, so copies stay apart
                    start = time.perf_counter()
                    if how is None:
                        for assignment in args.assignments:
                            _run(root, sys.executable, "-m", "nbgrader", "autograde", assignment,
                                 "--log-level=ERROR")
                        seconds[name].append(time.perf_counter() - start)
                        for assignment in args.assignments:
                            _run(root, sys.executable, "-m", "nbgrader", "generate_feedback", assignment,
                                 "--log-level=ERROR")
                        feedback_seconds.append(time.perf_counter() - start)
                    else:
                        command, option, env = how
                        workers = args.cluster if "--scheduler" in option else args.workers
                        for assignment in args.assignments:
                            figures = _course_grade(root, assignment, command, option, env)
                            if figures["tasks"]:
                                outside = figures["run"] * workers - figures["jobs"]
                                overheads[name].append(outside / figures["tasks"])
                        seconds[name].append(time.perf_counter() - start)
                    scores[name] = _scores(root, args.assignments)
                    print(f"  round {round_ + 1}: {name}: {seconds[name][-1]:.1f} s", flush=True)
        finally:
            if cluster is not None:
                cluster.close()

        reference_name = next(iter(graders))
        expected = scores[reference_name]
        differing = sorted({(name, k) for name, got in scores.items()
                            for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)})
        notebooks = args.students * len(args.assignments)
        print(f"\nnotebooks graded: {notebooks} per grader ({len(expected)} graded cells); "
              f"medians of {args.repeat} round(s)")
        first = _median(seconds[reference_name])
        for name in graders:
            median = _median(seconds[name])
            line = f"{name:<46} {median:8.1f} s  ({median / notebooks:.2f} s per notebook"
            if name != reference_name:
                line += f", {first / median:.2f} × the speed of {reference_name}"
            if overheads[name]:
                line += f"; overhead per job {_median(overheads[name]):.2f} s"
            print(line + ")")
        if feedback_seconds:
            print(f"{'  plain + generate_feedback':<46} {_median(feedback_seconds):8.1f} s")
        print(f"scores identical: {'yes' if not differing else f'NO, {len(differing)} cells differ'}")
        for name, key in differing[:20]:
            print(f"  {name}: {key}: {reference_name} {expected.get(key)}, "
                  f"this grader {scores[name].get(key)}")
        return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
