"""nbgrader glue: the course's execute preprocessor and its kernel guard.

``nbgrader_config.py`` wires these in; nothing here runs on import.

Two problems of plain nbgrader 0.9 are fixed here:

* **The stderr trap.** nbgrader scores a grade cell 0 when it wrote anything to
  stderr, so a correct answer that triggers a PyTorch ``UserWarning`` would earn
  nothing. :data:`KERNEL_GUARD` runs when the grading kernel starts and makes the
  kernel publish its stderr stream (Python ``warnings``, ``print(file=sys.stderr)``
  and C-level writes to file descriptor 2) as stdout. The text still shows in
  the graded notebook and the feedback; only an exception fails a cell.
* **The dead kernel.** When student code kills its kernel (``os._exit``, a
  segfault, the out-of-memory killer), nbgrader drops the whole submission and
  grades nothing. :class:`ResilientExecute` records the crash in the cell that
  caused it, marks every later cell as not run, and lets nbgrader grade the
  notebook: cells that ran before the crash keep their results, later grade
  cells score 0, and the rest of the class is graded as usual.
"""

from __future__ import annotations

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

__all__ = ["KERNEL_GUARD", "ResilientExecute", "kernel_arguments"]

# Runs inside the grading kernel at start-up. ipykernel publishes each stream
# under its ``name``; renaming the stderr stream re-labels everything written to it.
KERNEL_GUARD = "import sys; sys.stderr.name = 'stdout'"


def kernel_arguments() -> list[str]:
    """Extra command-line arguments for grading kernels: they install the stderr guard."""
    return [f"--IPKernelApp.exec_lines={KERNEL_GUARD}"]


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class ResilientExecute(Execute):
    """nbgrader's ``Execute``, except that a dead kernel fails cells instead of the submission."""

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died_in = None
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            # Raised again while shutting the dead kernel down; the cells already say what happened.
            if self._kernel_died_in is None:
                raise
            return self.nb, self.resources

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_died_in is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error_output(
                    "KernelDied",
                    f"not run: the kernel died while running cell {self._kernel_died_in}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_died_in = index
            self.log.warning("The kernel died while running cell %d; later cells are not run.",
                             index)
            cell.outputs.append(_error_output(
                "KernelDied",
                "the kernel died while running this cell (os._exit, a crash, or too much memory)"))
            return cell, resources
