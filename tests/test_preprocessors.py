"""Tests for course.grader.preprocessors: the stderr guard and the dead-kernel-proof executor."""

import nbformat
import pytest
from attacks import DROP_ERRORS, STUBBORN
from nbformat.v4 import new_code_cell, new_notebook

from course.grader.preprocessors import ResilientExecute, kernel_arguments
from course.grader.status import GUARD_FAILED, KERNEL_DIED, KERNEL_STUCK, NOT_CONFIRMED

pytestmark = pytest.mark.slow


def _notebook(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def _streams(cell):
    return [(o.name, o.text) for o in cell.outputs if o.output_type == "stream"]


def test_kernel_arguments_load_the_stderr_extension_before_the_guard():
    """Check that grading kernels load the stderr extension, then the guard (which records sys.stderr)"""
    assert kernel_arguments() == ["--IPKernelApp.extensions=course.grader.stderr",
                                  "--IPKernelApp.extensions=course.grader.guard"]
    assert kernel_arguments(stderr_as_stdout=False) == ["--IPKernelApp.extensions=course.grader.guard"]


def test_guard_turns_every_kind_of_stderr_into_stdout(monkeypatch):
    # ipykernel does not forward file descriptor 2 when it sees it runs under pytest.
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    nb = _notebook(
        "import warnings, sys, os\n"
        "warnings.warn('a UserWarning')\n"
        "print('python stderr', file=sys.stderr)\n"
        "os.system('echo c-level stderr >&2')\n"
        "import time; time.sleep(0.5)  # ipykernel forwards file descriptor 2 from a thread"
    )
    ResilientExecute(timeout=30, extra_arguments=kernel_arguments()).preprocess(nb, {})
    streams = _streams(nb.cells[0])
    text = "".join(t for _, t in streams)
    assert {name for name, _ in streams} == {"stdout"}
    for piece in ("UserWarning: a UserWarning", "python stderr", "c-level stderr"):
        assert piece in text


def test_without_the_guard_a_warning_is_stderr():
    """The trap the guard exists for: nbgrader scores a cell with stderr output 0."""
    nb = _notebook("import warnings\nwarnings.warn('a UserWarning')")
    ResilientExecute(timeout=30).preprocess(nb, {})
    assert [name for name, _ in _streams(nb.cells[0])] == ["stderr"]


def test_dead_kernel_fails_its_cell_and_the_rest_but_keeps_earlier_results():
    nb = _notebook("x = 41", "print(x + 1)", "import os\nos._exit(1)", "print('after')", "x")
    ResilientExecute(timeout=30).preprocess(nb, {})
    assert _streams(nb.cells[1]) == [("stdout", "42\n")]
    assert nb.cells[2].outputs[-1].ename == KERNEL_DIED
    for cell in nb.cells[3:]:
        assert [o.output_type for o in cell.outputs] == ["error"]
        assert "not run: the kernel died while running cell 2" in cell.outputs[0].evalue
    nbformat.validate(nb)


def test_endless_loop_is_interrupted_and_later_cells_still_run():
    nb = _notebook("while True:\n    pass", "print('still graded')")
    ResilientExecute(timeout=3).preprocess(nb, {})
    assert nb.cells[0].outputs[-1].output_type == "error"
    assert _streams(nb.cells[1]) == [("stdout", "still graded\n")]


def _grade_cell(source):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                 "grade_id": "t", "schema_version": 3}
    return cell


def test_grade_cell_fails_when_the_guard_cannot_run():
    """Check that a grade cell is not run, and fails, when course.grader.guard.restore cannot run"""
    nb = _notebook("import sys\nsys.modules['course.grader.guard'] = None")
    nb.cells.append(_grade_cell("print('ran')"))
    ResilientExecute(timeout=60, extra_arguments=kernel_arguments()).preprocess(nb, {})
    assert [o.ename for o in nb.cells[-1].outputs] == [GUARD_FAILED]


# -- the kernel's word is not enough ----------------------------------------------------------
# Stands in for a submission that got past the guard: the grader's restore expression is made a
# no-op and the guard never installed, as code aimed at the guard itself could do.
_NO_GUARD = "--IPKernelApp.exec_lines=import builtins; builtins.__course_guard_restore__ = lambda: None"

def test_a_grade_cell_whose_error_is_hidden_does_not_pass():
    """Check that a grade cell fails when the kernel hides its error and replies 'ok'"""
    nb = _notebook("x = 1", DROP_ERRORS, "print('a plain cell still runs')")
    nb.cells += [_grade_cell("assert x == 2, 'wrong'"), _grade_cell("assert x == 1")]
    ResilientExecute(timeout=60, extra_arguments=[_NO_GUARD]).preprocess(nb, {})
    failing, passing = nb.cells[-2], nb.cells[-1]
    assert [o.ename for o in failing.outputs if o.output_type == "error"] == [NOT_CONFIRMED]
    assert [o for o in passing.outputs if o.output_type == "error"] == []
    assert _streams(nb.cells[2]) == [("stdout", "a plain cell still runs\n")]


def test_a_grade_cell_whose_error_is_erased_from_ipythons_record_does_not_pass():
    """Check that a test that stopped at an error fails even when IPython is made to report 'ok'"""
    erase = ("def answer():\n    shell = get_ipython()\n    shell._showtraceback = lambda *a, **k: None\n"
             "    shell.events.register('post_run_cell', lambda r: setattr(r, 'error_in_exec', None))\n"
             "    return 1")
    nb = _notebook("import torch", erase)
    nb.cells.append(_grade_cell("assert answer() == 2, 'wrong'"))
    ResilientExecute(timeout=60, extra_arguments=kernel_arguments()).preprocess(nb, {})
    assert [o.ename for o in nb.cells[-1].outputs if o.output_type == "error"] == [NOT_CONFIRMED]


def test_a_passing_grade_cell_is_confirmed_and_keeps_its_outputs():
    """Check that an honest passing grade cell gets no extra error and keeps its printed output"""
    nb = _notebook("import torch")
    nb.cells.append(_grade_cell("print('checked')\nassert torch.ones(1).item() == 1"))
    ResilientExecute(timeout=60, extra_arguments=kernel_arguments()).preprocess(nb, {})
    assert _streams(nb.cells[-1]) == [("stdout", "checked\n")]
    assert [o.output_type for o in nb.cells[-1].outputs] == ["stream"]


# -- a cell that ignores the interrupt ----------------------------------------------------------


def test_a_cell_that_ignores_the_interrupt_fails_alone_and_earlier_cells_keep_their_results():
    """Check that a cell blocking SIGINT past the time limit stops the kernel, not the whole notebook"""
    nb = _notebook("print('before')", STUBBORN, "print('after')")
    nb.cells.insert(1, _grade_cell("assert 1 + 1 == 2"))
    ResilientExecute(timeout=3, extra_arguments=kernel_arguments()).preprocess(nb, {})
    assert _streams(nb.cells[0]) == [("stdout", "before\n")]
    assert [o for o in nb.cells[1].outputs if o.output_type == "error"] == []
    assert nb.cells[2].outputs[-1].ename == KERNEL_STUCK
    assert [o.ename for o in nb.cells[3].outputs] == [KERNEL_STUCK]
    assert "not run: the kernel was stopped while running cell 2" in nb.cells[3].outputs[0].evalue
    nbformat.validate(nb)


# -- the kernel's own folder -----------------------------------------------------------------
def test_files_handed_in_with_the_notebook_are_not_imported(tmp_path):
    """Check that a course/ package next to the notebook is neither imported nor visible to the kernel"""
    shadow = tmp_path / "course"
    shadow.mkdir()
    for name in ("__init__.py", "checks.py", "guard.py"):
        (shadow / name).write_text("SHADOW = True\ndef install(): pass\ndef restore(): pass\n")
    (tmp_path / "answers.ipynb").write_text("{}")
    nb = _notebook("import os, course.checks\nprint(course.checks.__file__)\nprint(sorted(os.listdir('.')))")
    nb.cells.append(_grade_cell("from course.checks import expect_true\n"
                                "expect_true(False, call='t', detail='must fail')"))
    ResilientExecute(timeout=60, extra_arguments=kernel_arguments()).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    printed = "".join(t for _, t in _streams(nb.cells[0]))
    assert str(tmp_path) not in printed and "answers.ipynb" not in printed, printed
    assert printed.splitlines()[1] == "[]"
    assert [o.ename for o in nb.cells[1].outputs if o.output_type == "error"] == ["CheckFailure"]


# -- pipelines -------------------------------------------------------------------------------
