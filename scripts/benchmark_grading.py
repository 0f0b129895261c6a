"""Grade a synthetic class with plain nbgrader and with `course grade`, side by side.

    python scripts/benchmark_grading.py [--students 40] [--assignments 01_parameters ...] [--workers N]

1. Builds a temporary course from source/: every assignment generated, and
   ``--students`` students who hand in, in turn, the reference solution, the untouched
   release (blank answers) and a half-solved notebook (wrong answers).
2. Copies it twice and grades one copy with ``nbgrader autograde`` (one assignment at a
   time, as an instructor would; then ``nbgrader generate_feedback``, timed separately,
   since ``course grade`` writes feedback too) and the other with ``course grade``
   (sandbox on).
3. Checks that every student's score on every graded cell is identical.
4. Prints both wall times and their ratio. Exits 1 if any score differs.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignments", nargs="+",
                        default=sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir()))
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    bin_dir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ["PATH"]  # nbgrader runs alembic by name

    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as scratch:
        base, plain, ours = (Path(scratch) / name for name in ("base", "plain", "ours"))
        base.mkdir()
        print(f"building {args.students} students × {len(args.assignments)} assignments ...", flush=True)
        _build(base, args.assignments, args.students)
        shutil.copytree(base, plain)  # the config's root is its own folder, so copies stay apart
        shutil.copytree(base, ours)

        start = time.perf_counter()
        for assignment in args.assignments:
            _run(plain, sys.executable, "-m", "nbgrader", "autograde", assignment, "--log-level=ERROR")
        plain_seconds = time.perf_counter() - start
        for assignment in args.assignments:  # course grade writes feedback too: time that as well
            _run(plain, sys.executable, "-m", "nbgrader", "generate_feedback", assignment,
                 "--log-level=ERROR")
        plain_feedback_seconds = time.perf_counter() - start

        start = time.perf_counter()
        for assignment in args.assignments:
            _run(ours, str(Path(bin_dir) / "course"), "grade", assignment, f"--workers={args.workers}")
        ours_seconds = time.perf_counter() - start

        expected, got = _scores(plain, args.assignments), _scores(ours, args.assignments)
        differing = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
        notebooks = args.students * len(args.assignments)
        print(f"notebooks graded:        {notebooks} ({len(expected)} graded cells)")
        print(f"plain nbgrader autograde {plain_seconds:8.1f} s  "
              f"({plain_seconds / notebooks:.2f} s per notebook)")
        print(f"  + generate_feedback    {plain_feedback_seconds:8.1f} s  "
              f"({plain_feedback_seconds / notebooks:.2f} s per notebook)")
        print(f"course grade (sandboxed) {ours_seconds:8.1f} s  "
              f"({ours_seconds / notebooks:.2f} s per notebook, {args.workers} workers)")
        print(f"speed-up                 {plain_seconds / ours_seconds:8.2f} × against autograde alone, "
              f"{plain_feedback_seconds / ours_seconds:.2f} × against autograde + generate_feedback")
        print(f"scores identical:        {'yes' if not differing else f'NO, {len(differing)} cells differ'}")
        for key in differing[:20]:
            print(f"  {key}: nbgrader {expected.get(key)}  course grade {got.get(key)}")
        return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
