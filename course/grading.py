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

from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute, LimitOutput, NbGraderPreprocessor
from traitlets import Integer, Unicode

__all__ = ["KERNEL_GUARD", "RESTORE", "TEST_GUARD", "HideHiddenTests", "LimitOutputSize", "ReplayExecute",
           "ResilientExecute", "SandboxedExecute", "kernel_arguments"]

# Runs inside the grading kernel at start-up. ipykernel publishes each stream
# under its ``name``; renaming the stderr stream re-labels everything written to it.
KERNEL_GUARD = "import sys; sys.stderr.name = 'stdout'"
# Also at start-up, before student code: record the tools the tests use (see course.guard).
TEST_GUARD = "__import__('course.guard', fromlist=['install']).install()"
# Runs, silently, before every grade cell: undo any monkeypatching of those tools.
RESTORE = "__import__('course.guard', fromlist=['restore']).restore()"


def kernel_arguments() -> list[str]:
    """Extra command-line arguments for grading kernels: they install the stderr and test guards."""
    return [f"--IPKernelApp.exec_lines={KERNEL_GUARD}; {TEST_GUARD}"]


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class ResilientExecute(Execute):
    """nbgrader's ``Execute``, except that a dead kernel fails cells instead of the submission.

    Before each grade cell it also runs ``course.guard.restore()`` in the kernel, so a
    submission's monkeypatching of the tools the tests use is undone first. If that
    fails, the grade cell fails without running.
    """

    def _restore_test_tools(self) -> str | None:
        # Sent as a user expression, which IPython evaluates with plain eval(): a submission's
        # input or AST transformers, which would rewrite a cell, never see it.
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"guard": RESTORE})
        reply = self.wait_for_reply(msg_id)
        result = ((reply or {}).get("content", {}).get("user_expressions") or {}).get("guard", {})
        if result.get("status") != "ok":
            reason = f"{result.get('ename')}: {result.get('evalue', '')}" if result else "no reply"
            return f"the tests' guard could not run ({reason}); this test cell was not run"
        return None

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
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
                problem = self._restore_test_tools()
                if problem:
                    cell.outputs = [_error_output("TestGuardError", problem)]
                    self.nb.cells[index] = cell
                    return cell, resources
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_died_in = index
            self.log.warning("The kernel died while running cell %d; later cells are not run.",
                             index)
            cell.outputs.append(_error_output(
                "KernelDied",
                "the kernel died while running this cell (os._exit, a crash, or too much memory)"))
            return cell, resources



# -- `course grade`: parallel, sandboxed execution, then nbgrader's own bookkeeping ------------

class SandboxedExecute(ResilientExecute):
    """``ResilientExecute`` whose kernel runs in the sandbox of :mod:`course.sandbox`."""

    def __init__(self, *args, **kwargs):
        from course.sandbox import SandboxedKernelManager

        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)


class ReplayExecute(Execute):
    """Take each code cell's outputs from a copy the sandboxed workers already executed.

    nbgrader's autograde then does everything else (scores, gradebook, ``autograded/``)
    exactly as after running the notebook itself. ``executed`` is a folder laid out as
    ``<student>/<notebook>.ipynb``.
    """

    executed = Unicode("", help="folder of executed notebooks: <student>/<notebook>.ipynb").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        student, name = resources["nbgrader"]["student"], resources["nbgrader"]["notebook"]
        done = nbformat.read(Path(self.executed) / student / f"{name}.ipynb", as_version=4)
        pairs = list(zip(nb.cells, done.cells, strict=False))
        if len(done.cells) != len(nb.cells) or any(
                a.cell_type != b.cell_type or a.source != b.source for a, b in pairs):
            raise ValueError(f"{student}/{name}: the executed copy does not match the sanitised notebook")
        for ours, theirs in pairs:
            if ours.cell_type == "code":
                ours.outputs = theirs.outputs
                ours.execution_count = theirs.execution_count
        return nb, resources


class LimitOutputSize(LimitOutput):
    """nbgrader's ``LimitOutput`` (which counts lines), plus a cap on characters per cell.

    One ``print('x' * 20_000_000)`` is a single line, so without this it would keep
    20 MB in the autograded notebook and the feedback.
    """

    max_chars = Integer(100_000, help="characters of stream output kept per cell").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        budget = self.max_chars
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                if len(output.text) > budget:
                    output.text = output.text[:max(budget, 0)] + "\n... Output truncated ...\n"
                budget -= len(output.text)
        return cell, resources


class HideHiddenTests(NbGraderPreprocessor):
    """For feedback: replace hidden-test code with a placeholder and drop tracebacks that quote it.

    The error name and message stay, so a student still learns what was wrong.
    """

    begin = Unicode("### BEGIN HIDDEN TESTS").tag(config=True)
    end = Unicode("### END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or self.begin not in cell.source:
            return cell, resources
        kept, hiding = [], False
        for line in cell.source.splitlines():
            if self.begin in line:
                hiding = True
                kept.append(line[:len(line) - len(line.lstrip())] + "# (hidden tests: not shown in feedback)")
            elif self.end in line:
                hiding = False
            elif not hiding:
                kept.append(line)
        cell.source = "\n".join(kept)
        for output in cell.outputs:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
