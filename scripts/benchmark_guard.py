"""Time the grader's guard: how long restoring the tools takes before each grade cell.

    python scripts/benchmark_guard.py [--repeat 101]

The guard (course/grader/guard.py) undoes a submission's tampering before every grade cell, so
its restore runs once per graded cell. The script starts a grading kernel the way `course grade`
does (``ResilientExecute`` with the course's kernel arguments), imports what a topic notebook's
setup cell imports, and times ``RESTORE_EXPRESSION`` there. It prints the median and the 95th
percentile, and compares them with the budget: a median well under 50 ms, so that a notebook's
dozen grade cells add well under a second.
"""

from __future__ import annotations

import argparse
import json

BUDGET_MS = 50.0

_SETUP = ("import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
          "from course.checks import expect_close, expect_equal, expect_true")
_TIMING = ("\nimport json, statistics, time\n"
           "from course.grader.guard import RESTORE_EXPRESSION as RESTORE\ntimes = []\n"
           "for _ in range({repeat}):\n    start = time.perf_counter()\n    eval(RESTORE)\n"
           "    times.append((time.perf_counter() - start) * 1000)\n"
           "times.sort()\n"
           "print(json.dumps([statistics.median(times), times[int(0.95 * (len(times) - 1))]]))")


def measure(repeat: int) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds, of ``repeat`` restores in one grading kernel."""
    from nbformat.v4 import new_code_cell, new_notebook

    from course.grader.preprocessors import ResilientExecute, kernel_arguments

    nb = new_notebook(cells=[new_code_cell(_SETUP + _TIMING.format(repeat=repeat))])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    ResilientExecute(timeout=120, extra_arguments=kernel_arguments()).preprocess(nb, {})
    streams = [o.text for o in nb.cells[0].outputs if o.output_type == "stream"]
    if not streams:
        raise SystemExit(f"the kernel printed no timings: {nb.cells[0].outputs}")
    median, p95 = json.loads(streams[-1].strip().splitlines()[-1])
    return median, p95


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=101, help="restores to time (default 101)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    median, p95 = measure(args.repeat)
    verdict = "within" if median < BUDGET_MS else "OVER"
    print(f"guard restore in a grading kernel ({args.repeat} runs): median {median:.1f} ms, "
          f"p95 {p95:.1f} ms; {verdict} the {BUDGET_MS:.0f} ms budget for the median")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
