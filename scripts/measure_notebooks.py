"""Measure every source notebook against the Binder budget: wall time and peak memory.

Usage: python scripts/measure_notebooks.py [--repeat N] [ASSIGNMENT ...]

Each run executes one notebook top to bottom in a fresh kernel, in a fresh
process, the way a student's "Restart and run all" does. Wall time covers the
kernel's start, the imports and every cell; peak memory is the kernel's
maximum resident set size. With --repeat the median of N runs is reported.
Budget: under 20 s and under 1.5 GB per notebook (Binder gives 2 GB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIME_BUDGET_S = 20.0
MEMORY_BUDGET_MB = 1536.0

_CHILD = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
wall = time.perf_counter() - start
errors = sum(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel, once reaped
print(json.dumps({"wall_s": wall, "peak_mb": peak_kib / 1024, "errors": errors}))
"""


def measure(notebook: Path) -> dict:
    """Execute ``notebook`` once in a fresh process; return wall_s, peak_mb and errors."""
    result = subprocess.run([sys.executable, "-c", _CHILD, str(notebook)], capture_output=True,
                            text=True, env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    if result.returncode != 0:
        raise RuntimeError(f"{notebook} did not run:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook (median shown)")
    args = parser.parse_args(argv)
    wanted = args.assignments or sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())
    print(f"{'notebook':32} {'wall s':>8} {'peak MB':>8}  verdict")
    over = 0
    for assignment in wanted:
        notebook = REPO / "source" / assignment / f"{assignment}.ipynb"
        if not notebook.exists():
            parser.error(f"no notebook {notebook.relative_to(REPO)}; choose from source/")
        runs = [measure(notebook) for _ in range(args.repeat)]
        wall = statistics.median(r["wall_s"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        errors = max(r["errors"] for r in runs)
        ok = wall < TIME_BUDGET_S and peak < MEMORY_BUDGET_MB and errors == 0
        over += not ok
        verdict = "ok" if ok else f"OVER BUDGET{f' ({errors} errors)' if errors else ''}"
        print(f"{assignment:32} {wall:8.1f} {peak:8.0f}  {verdict}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
