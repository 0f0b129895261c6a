"""The course's execute preprocessors: nbgrader's ``Execute``, hardened, sandboxed or replayed.

``nbgrader_config.py`` puts :class:`ResilientExecute` in nbgrader's autograde pipeline (see
:mod:`course.grader.pipelines`); ``course grade`` uses :class:`SandboxedExecute` for its jobs and
:class:`ReplayExecute` to record their results. Nothing here runs on import.

Problems of plain nbgrader 0.9 fixed here (the outputs' side is in :mod:`course.grader.outputs`):

* **The stderr trap.** nbgrader scores a grade cell 0 when it wrote anything to stderr. Grading
  kernels load :mod:`course.grader.stderr`, which publishes stderr as stdout.
* **The dead kernel.** When student code kills its kernel (``os._exit``, a segfault, the
  out-of-memory killer), nbgrader drops the whole submission and grades nothing.
  :class:`ResilientExecute` records the crash in the cell that caused it, marks every later
  cell as not run, and lets nbgrader grade the notebook: cells that ran before the crash keep
  their results, later grade cells score 0, and the rest of the class is graded as usual. A
  cell that ignores the interrupt at its time limit is handled the same way.
* **Tampering with the tests' tools.** Grading kernels load :mod:`course.grader.guard`, which
  records the tools when the kernel starts; before every grade cell the guard puts them back.
* **The kernel's word.** A grade cell passes only when the kernel also returns a random
  number that IPython evaluates only after a cell ran without error, and the kernel runs
  in an empty folder of its own, never in the folder of the submission's files.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Unicode

from course.grader.guard import RESTORE_EXPRESSION
from course.grader.status import GUARD_FAILED, KERNEL_DIED, KERNEL_STUCK, NOT_CONFIRMED

__all__ = ["ReplayExecute", "ResilientExecute", "SandboxedExecute", "kernel_arguments"]

# IPython extensions a grading kernel loads at start-up, in this order, before any student code:
# stderr is renamed first, so that the guard records sys.stderr as it must stay.
STDERR_EXTENSION, GUARD_EXTENSION = "course.grader.stderr", "course.grader.guard"


def kernel_arguments(stderr_as_stdout: bool = True) -> list[str]:
    """Extra command-line arguments for grading kernels: they load the stderr and guard extensions.

    ``stderr_as_stdout=False`` leaves stderr alone (the tests use it to see what a cell writes there).
    """
    extensions = [STDERR_EXTENSION] * stderr_as_stdout + [GUARD_EXTENSION]
    return [f"--IPKernelApp.extensions={name}" for name in extensions]


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class ResilientExecute(Execute):
    """nbgrader's ``Execute``, hardened against submissions that break or fool the kernel.

    * A kernel that dies fails the cell it died in and every later cell, instead of the
      whole submission; cells before it keep their results.
    * A cell that runs past the time limit and ignores the interrupt (it blocks SIGINT, or
      sits in a C call) is treated the same way: the kernel is killed, not waited for.
    * Before each grade cell, ``course.grader.guard.restore()`` runs in the kernel, so monkeypatching
      of the tests' tools is undone first; if that fails, the grade cell fails unrun.
    * A grade cell passes only if the kernel *also* returns a per-cell random number that a
      line appended after the test's last line sets, and that IPython reads back only after a
      cell ran without error. A submission that hides error messages, rewrites replies to
      ``ok`` or clears IPython's record of the error fails the cell.
    * The kernel starts in an empty folder of its own: files handed in with the notebook
      (a ``course/`` package of its own, say) are never on its import path.
    """

    def _restore_test_tools(self) -> str | None:
        # Sent as a user expression, which IPython evaluates with plain eval(): a submission's
        # input or AST transformers, which would rewrite a cell, never see it.
        msg_id = self.kc.execute("", silent=True, store_history=False,
                                 user_expressions={"guard": RESTORE_EXPRESSION})
        reply = self.wait_for_reply(msg_id)
        result = ((reply or {}).get("content", {}).get("user_expressions") or {}).get("guard", {})
        if result.get("status") != "ok":
            reason = f"{result.get('ename')}: {result.get('evalue', '')}" if result else "no reply"
            return f"the tests' guard could not run ({reason}); this test cell was not run"
        return None

    async def async_start_new_kernel(self, **kwargs):
        self._kernel_folder = tempfile.mkdtemp(prefix="course-kernel-cwd-")
        kwargs["cwd"] = self._kernel_folder
        return await super().async_start_new_kernel(**kwargs)

    # nbclient binds the synchronous name to its own coroutine: point it at this one.
    start_new_kernel = run_sync(async_start_new_kernel)

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died_in, self._died_how, self._kernel_folder = None, KERNEL_DIED, None
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            # Raised again while shutting the dead kernel down; the cells already say what happened.
            if self._kernel_died_in is None:
                raise
            return self.nb, self.resources
        finally:
            if self._kernel_folder:
                shutil.rmtree(self._kernel_folder, ignore_errors=True)

    def on_cell_executed(self, **kwargs):
        self._last_reply = kwargs.get("execute_reply")
        return super().on_cell_executed(**kwargs)

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_died_in is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error_output(self._died_how, f"not run: the kernel {self._how_it_ended()} "
                                              f"while running cell {self._kernel_died_in}")]
            return cell, resources
        grade = cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("grade"))
        try:
            if not grade:
                return super().preprocess_cell(cell, resources, index)
            problem = self._restore_test_tools()
            if problem:
                cell.outputs = [_error_output(GUARD_FAILED, problem)]
                self.nb.cells[index] = cell
                return cell, resources
            return self._run_confirmed(cell, resources, index)
        except DeadKernelError:
            self._kernel_died_in = index
            self.log.warning("The kernel died while running cell %d; later cells are not run.", index)
            cell.outputs.append(_error_output(
                KERNEL_DIED,
                "the kernel died while running this cell (os._exit, a crash, or too much memory)"))
            return cell, resources
        except CellTimeoutError:
            # The interrupt did not stop the cell: nothing more can be run in this kernel.
            self._kernel_died_in, self._died_how = index, KERNEL_STUCK
            self.log.warning("Cell %d did not stop when interrupted; the kernel is killed.", index)
            self._kill_kernel()
            cell.outputs.append(_error_output(
                KERNEL_STUCK, f"this cell ran past the {self.timeout} s limit and did not stop when "
                "interrupted (it blocks the interrupt, or waits in a call that cannot be interrupted); "
                "the kernel was stopped"))
            return cell, resources

    def _how_it_ended(self) -> str:
        return "was stopped" if self._died_how == KERNEL_STUCK else "died"

    def _run_confirmed(self, cell, resources, index):
        """Run a grade cell, asking the kernel for a number only a cell that finished cleanly returns."""
        nonce = secrets.randbelow(10**18) + 10**18
        done = f"_course_done_{nonce}"
        send = self.kc.execute

        # The number is set by a line after the test's last one, so a cell that stopped at an
        # error never sets it, even if the submission makes IPython report the cell as "ok".
        def execute(code, **kwargs):
            return send(f"{code}\n{done} = {nonce}\n", **kwargs, user_expressions={"course_done": done})

        self.kc.execute, self._last_reply = execute, None
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            del self.kc.execute     # the instance attribute only; the client's method shows again
        content = (self._last_reply or {}).get("content", {})
        answer = (content.get("user_expressions") or {}).get("course_done", {})
        confirmed = content.get("status") == "ok" and answer.get("status") == "ok" and \
            answer.get("data", {}).get("text/plain") == str(nonce)
        if not confirmed and not any(o.get("output_type") == "error" for o in cell.outputs):
            cell.outputs.append(_error_output(
                NOT_CONFIRMED, "the kernel did not confirm that this test cell ran to its end without an "
                "error, so it does not count as passed"))
        return cell, resources

    def _kill_kernel(self) -> None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()


# -- `course grade`: parallel, sandboxed execution, then nbgrader's own bookkeeping ------------

class SandboxedExecute(ResilientExecute):
    """``ResilientExecute`` whose kernel runs in the sandbox of :mod:`course.grader.sandbox`."""

    def __init__(self, *args, **kwargs):
        from course.grader.kernelmanager import SandboxedKernelManager

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
