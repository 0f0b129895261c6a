"""The ``course`` command: instructor tools. ``course grade ASSIGNMENT`` grades a class."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

__all__ = ["main", "printable"]


def printable(text: object) -> str:
    """``text`` safe for a terminal: control characters (ANSI and OSC escapes among them) escaped.

    Student names, grade ids and error messages come from submissions; printed raw, an escape
    sequence could retitle the terminal, hide lines or, on some terminals, run commands.
    """
    return "".join(c if c.isprintable() or c == " " else ascii(c)[1:-1] for c in str(text))


def _warn_about_caps() -> None:
    from course.grader.sandbox import memory_cap_problem, process_cap_problem

    if (problem := process_cap_problem()) is not None:
        print(f"course grade: warning: no cap on processes: {problem}. Run as an ordinary user, "
              "or give root a writable pids cgroup.", file=sys.stderr)
    if (problem := memory_cap_problem()) is not None:
        print(f"course grade: warning: no memory cgroup: {problem}. Each kernel's address space is "
              "still capped, but memory it holds in memfds is not.", file=sys.stderr)


def _collect(course, downloads: str):
    """Gather the LMS downloads in ``downloads`` into submitted/; return the course with its submissions."""
    from course.grader.discover import GradingError
    from course.grader.zipcollect import ZipCollectError, collect_zip

    try:
        collected = collect_zip(course.root, course.assignment, Path(downloads))
    except ZipCollectError as err:
        raise GradingError(str(err)) from None
    print(f"collected {len(collected.students)} students from {printable(downloads)}: "
          f"{printable(', '.join(collected.students))}", file=sys.stderr)
    if collected.skipped:
        print(f"skipped {len(collected.skipped)} files that match no student and notebook: "
              f"{printable(', '.join(collected.skipped))}", file=sys.stderr)
    return course.with_submissions()


def _grade(args) -> int:
    from tqdm import tqdm

    from course.grader.classgrade import grade_class
    from course.grader.discover import GradingError, find_course
    from course.grader.status import Status

    try:
        course = find_course(Path.cwd(), args.assignment, submissions=args.zip is None)
        if args.zip is not None:
            course = _collect(course, args.zip)
    except GradingError as err:
        print(f"course grade: {printable(err)}", file=sys.stderr)
        return 2
    if not args.no_sandbox and args.scheduler in (None, "local"):
        _warn_about_caps()
    started, timings = time.monotonic(), {}
    workers = args.workers or os.cpu_count() or 1
    with tqdm(total=len(course.submissions), unit="student", desc=f"grading {args.assignment}",
              file=sys.stderr) as bar:
        def progress(result):
            bar.update(1)
            bar.write(f"  {printable(result.student)}: {result.status}"
                      + (f" ({printable(result.detail)})" if result.detail else "")
                      + (" [reused]" if result.reused else ""))
        def notice(message):
            bar.write(f"  {printable(message)}", file=sys.stderr)
        try:
            results = grade_class(course, workers=workers, sandbox=not args.no_sandbox, timeout=args.timeout,
                                  force=args.force, progress=progress, timings=timings,
                                  scheduler=args.scheduler, notice=notice)
        except GradingError as err:
            print(f"course grade: {printable(err)}", file=sys.stderr)
            return 2
    counts = Counter(r.status for r in results)
    print(f"\n{args.assignment}: {len(results)} students in {time.monotonic() - started:.1f} s "
          f"({', '.join(f'{n} {s}' for s, n in counts.items())}); running the notebooks "
          f"{timings.get('run', 0):.1f} s ({timings.get('tasks', 0)} jobs run, "
          f"{timings.get('jobs', 0):.1f} s "
          f"of runner time), gradebook {timings.get('record', 0):.1f} s, "
          f"feedback and CSV {timings.get('report', 0):.1f} s")
    for r in results:
        print(f"  {printable(r.student):<24} {r.total:6.1f}  {r.status}"
              + (f": {printable(r.detail)}" if r.detail else ""))
    print(f"grades: {course.root / f'grades-{args.assignment}.csv'}   feedback: {course.root / 'feedback'}/")
    return 1 if counts.get(Status.FAILED) else 0


def main(argv=None) -> int:
    """Entry point of the ``course`` console script."""
    parser = argparse.ArgumentParser(prog="course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade every submission of an assignment (parallel, sandboxed)",
                                description="Run it from the course root (where nbgrader_config.py is).")
    grade.add_argument("assignment", help="assignment id, e.g. 01_parameters")
    grade.add_argument("--workers", type=int, default=None,
                       help="parallel jobs on this machine: the local Dask cluster's workers, "
                            "and the feedback writers (default: number of cores)")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run the jobs on the Dask cluster whose scheduler is at ADDRESS "
                            "(tcp://host:8786, or tls://... with Dask's security settings); `local` "
                            "(the default) starts a LocalCluster of --workers workers here. Workers must "
                            "run the grader's versions of the course package, torch and nbgrader, and have "
                            "bubblewrap")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code without the sandbox (only for code you trust)")
    grade.add_argument("--timeout", type=int, default=None, help="per-cell time limit in seconds "
                       "(default: nbgrader_config.py's Execute.timeout)")
    grade.add_argument("--force", action="store_true", help="re-run every submission, even unchanged ones")
    grade.add_argument("--zip", metavar="DIR", default=None,
                       help="first gather LMS downloads (zip files or notebooks) in DIR into submitted/ "
                            "with nbgrader's zip_collect; files are matched by name: "
                            "<student>_..._<notebook>.ipynb, or <student>.zip / <student>/ "
                            "holding the notebooks")
    edition = commands.add_parser(
        "edition", help="the course in another language: update its catalogues, build it, check it",
        description="Run it from the course root. update: bring locale/LANGUAGE/*.po in line with source/; "
                    "build: write LANGUAGE/source/ and LANGUAGE/nbgrader_config.py (then `make release`); "
                    "check: list untranslated and stale messages (exit 1 if any).")
    edition.add_argument("action", choices=["update", "build", "check"])
    edition.add_argument("language", help="the edition's language code, e.g. ko")
    edition.add_argument("assignments", nargs="*", help="assignment ids (default: every assignment)")
    args = parser.parse_args(argv)
    if args.command == "edition":
        from course.editions.commands import run

        return run(args.action, args.language, args.assignments)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    return _grade(args)


if __name__ == "__main__":
    sys.exit(main())
