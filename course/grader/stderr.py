"""An IPython extension for grading kernels: everything written to stderr is published as stdout.

nbgrader scores a grade cell 0 when it wrote anything to stderr, so a correct answer that
triggers a PyTorch ``UserWarning`` would earn nothing. ipykernel publishes each stream under
its ``name``; renaming the stderr stream re-labels Python ``warnings``,
``print(file=sys.stderr)`` and C-level writes to file descriptor 2 alike. The text still
shows in the graded notebook and the feedback; only an exception fails a cell.

Loaded by the kernel at start-up (see :func:`course.grader.preprocessors.kernel_arguments`),
before :mod:`course.grader.guard` records ``sys.stderr`` as it must stay.
"""

from __future__ import annotations

import sys

__all__ = ["load_ipython_extension"]


def load_ipython_extension(shell) -> None:
    """Publish this kernel's stderr stream as stdout."""
    sys.stderr.name = "stdout"
