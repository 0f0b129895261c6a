"""Tests for course.grader.guard: restore() puts the tools back, the lock refuses what restore could not undo.

install() locks the process it runs in for good, so its tests run in a fresh interpreter each
(or, marked slow, in a grading kernel driven like the grader drives it).
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course.grader import guard

REPO = Path(__file__).resolve().parents[1]


def _run_installed(code: str) -> str:
    """Run ``code`` in a fresh interpreter right after ``guard.install()``; return its stdout."""
    script = "from course.grader import guard\nguard.install()\n" + textwrap.dedent(code)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_restore_puts_back_patched_functions():
    """Check that patched torch, numpy, builtins and course.checks functions are put back"""
    _run_installed("""
        import builtins
        import numpy as np
        import torch
        import course.checks
        originals = (torch.allclose, np.testing.assert_allclose, builtins.isinstance,
                     course.checks.expect_equal)
        torch.allclose = lambda *a, **k: True
        np.testing.assert_allclose = lambda *a, **k: None
        builtins.isinstance = lambda *a: True
        course.checks.expect_equal = lambda *a, **k: None
        torch.nn.Module.parameters = lambda self, recurse=True: iter(())
        guard.restore()
        assert (torch.allclose, np.testing.assert_allclose, builtins.isinstance,
                course.checks.expect_equal) == originals
        assert not torch.allclose(torch.zeros(1), torch.ones(1))
        assert len(list(torch.nn.Linear(3, 2).parameters())) == 2
    """)


def test_restore_puts_back_deleted_functions_and_replaced_modules():
    """Check that a deleted function and a module replaced in sys.modules come back"""
    _run_installed("""
        import sys
        import numpy as np
        import torch
        del torch.equal
        sys.modules["numpy.testing"] = object()
        guard.restore()
        assert torch.equal(torch.ones(2), torch.ones(2))
        assert sys.modules["numpy.testing"] is np.testing
    """)


def test_the_guard_unshadows_every_builtin_the_test_cells_call():
    """A notebook function named like a builtin a test calls is removed before the test (see _TESTS_CALL)"""
    import ast
    import builtins

    from nbhelpers import ASSIGNMENTS, grade_cells, read, source_notebook

    called = set()
    for assignment in ASSIGNMENTS:
        for cell in grade_cells(read(source_notebook(assignment))):
            called |= {node.id for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Name)
                       and isinstance(node.ctx, ast.Load) and callable(getattr(builtins, node.id, None))}
    assert called <= guard._TESTS_CALL, f"add to guard._TESTS_CALL: {sorted(called - guard._TESTS_CALL)}"


def test_restore_before_install_raises():
    """Check that restore refuses to run when install never did (never installed in this process)"""
    with pytest.raises(RuntimeError, match="install"):
        guard.restore()


def test_install_runs_once_per_process():
    _run_installed("""
        try:
            guard.install()
        except RuntimeError as error:
            assert "already installed" in str(error)
        else:
            raise AssertionError("a second install() replaced the first record")
    """)


def test_lock_refuses_to_replace_code_objects_and_defaults_of_the_tools():
    """Check that __code__, __defaults__ and __kwdefaults__ of the checks, the guard and torch stay put"""
    _run_installed("""
        import torch.nn.functional as F
        from course import checks
        from course.grader import snapshot
        noop = (lambda *a, **k: None).__code__
        attempts = [(checks.expect_equal, "__code__", noop), (checks._fail, "__code__", noop),
                    (guard.restore, "__code__", noop), (snapshot.restore, "__code__", noop),
                    (checks.expect_close, "__kwdefaults__", {"rtol": 1e9, "atol": 1e9, "hint": None}),
                    (F.normalize, "__defaults__", (2.0, 1, 1e12, None)), (F.normalize, "__defaults__", None)]
        for func, slot, value in attempts:
            try:
                setattr(func, slot, value)
            except RuntimeError as error:
                assert "course.grader.guard" in str(error)
            else:
                raise AssertionError(f"{func.__qualname__}.{slot} was replaced")
    """)


def test_lock_refuses_gc_introspection_trace_hooks_and_new_audit_hooks():
    """Check the ways around the lock: gc finds the hook, tracing jumps over code, a hook re-patches"""
    _run_installed("""
        import gc, sys
        for call in (gc.get_objects, lambda: gc.get_referrers(guard), lambda: gc.get_referents(guard),
                     lambda: sys.settrace(lambda *a: None), lambda: sys.setprofile(lambda *a: None)):
            try:
                call()
            except RuntimeError:
                pass
            else:
                raise AssertionError("the lock let it through")
        heard = []
        sys.addaudithook(lambda event, args: heard.append(event))
        sys.audit("anything")
        assert heard == [], "a new audit hook was added"
    """)


def test_restore_puts_back_keyword_defaults_closure_cells_and_function_dicts():
    _run_installed("""
        import torch
        import torch.nn.functional as F
        from course.checks import CheckFailure, expect_close
        expect_close.__kwdefaults__.update(rtol=1e9, atol=1e9)
        cell = next(c for c in F.max_pool2d.__closure__ if callable(c.cell_contents))
        cell.cell_contents = lambda *a, **k: torch.zeros(1, 1, 1, 1)
        F.relu.__dict__["__wrapped__"] = print
        guard.restore()
        try:
            expect_close(torch.zeros(2), torch.ones(2), call="t")
        except CheckFailure:
            pass
        else:
            raise AssertionError("the tolerances stayed wide open")
        assert F.max_pool2d(torch.ones(1, 1, 2, 2), 2).item() == 1
        assert "__wrapped__" not in F.relu.__dict__
    """)


@pytest.mark.slow
def test_the_grader_expression_restores_even_if_restore_and_its_builtin_were_replaced():
    """Check that compiling the grader's expression restores first, so that it runs the real restore"""
    _run_installed("""
        import builtins, sys, types
        import torch
        from course.grader.guard import RESTORE_EXPRESSION as RESTORE
        real_import, real_restore = builtins.__import__, guard.restore
        called = []
        builtins.__course_guard_restore__ = lambda: called.append("fake")
        torch.allclose = lambda *a, **k: True
        guard.restore = lambda: None
        vars(guard)["_restore_all"] = lambda *a: None
        sys.audit = lambda *a: None
        fake = types.SimpleNamespace(restore=lambda: None)
        builtins.__import__ = lambda name, *a, **k: (
            fake if name == "course.grader.guard" else real_import(name, *a, **k))
        eval(RESTORE)
        assert builtins.__import__ is real_import and not called
        assert builtins.__course_guard_restore__ is real_restore is guard.restore
        assert not torch.allclose(torch.zeros(1), torch.ones(1))
    """)


@pytest.mark.slow
def test_the_grader_expression_fails_when_the_guard_module_was_replaced():
    _run_installed("""
        import sys, types
        from course.grader.guard import RESTORE_EXPRESSION as RESTORE
        sys.modules["course.grader.guard"] = types.SimpleNamespace(restore=lambda: None)
        try:
            eval(RESTORE)
        except RuntimeError as error:
            assert "replaced in sys.modules" in str(error)
        else:
            raise AssertionError("a replaced guard module passed for the real one")
    """)


def test_restore_pops_torch_function_and_dispatch_modes():
    _run_installed("""
        import torch
        from torch.overrides import TorchFunctionMode
        from torch.utils._python_dispatch import TorchDispatchMode

        class SayClose(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                return True if func is torch.allclose else func(*args, **(kwargs or {}))

        class Passthrough(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                return func(*args, **(kwargs or {}))

        SayClose().__enter__()
        Passthrough().__enter__()
        guard.restore()
        assert torch._C._len_torch_function_stack() == 0 and torch._C._len_torch_dispatch_stack() == 0
        assert not torch.allclose(torch.zeros(1), torch.ones(1))
    """)


# -- In a grading kernel, as the grader drives it ----------------------------------------------------


def _grade(*cells):
    """Run ``cells`` in a grading kernel, the last one as a grade cell; return that cell's outputs."""
    return _grade_all(*cells[:-1], ("t", cells[-1]))["t"]


def _grade_all(*cells):
    """Run ``cells`` in one grading kernel; ``(grade_id, source)`` ones are grade cells.

    Returns ``{grade_id: outputs}`` of the grade cells.
    """
    from nbformat.v4 import new_code_cell, new_notebook

    from course.grader.preprocessors import ResilientExecute, kernel_arguments

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    graded = {}
    for cell in cells:
        grade_id, source = cell if isinstance(cell, tuple) else (None, cell)
        nb.cells.append(new_code_cell(source))
        if grade_id is not None:
            nb.cells[-1].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                                 "points": 1, "grade_id": grade_id, "schema_version": 3}
            graded[grade_id] = nb.cells[-1]
    ResilientExecute(timeout=60, extra_arguments=kernel_arguments()).preprocess(nb, {})
    return {grade_id: cell.outputs for grade_id, cell in graded.items()}


_SETUP = ("import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
          "from course.checks import expect_close, expect_equal, expect_true")
_NOOP = "(lambda *a, **k: None).__code__"

_MUST_FAIL = ("assert not torch.allclose(torch.zeros(1), torch.ones(1))\n"
              "expect_true(False, call='t', detail='must fail')")

# (tampering in a solution cell, a grade cell that fails when the tools are honest)
TAMPERING = {
    "a notebook function shadows the grader's restore builtin": (
        "def __course_guard_restore__():\n    globals()['expect_true'] = lambda *a, **k: None",
        "expect_true(False, call='t', detail='must fail')"),
    "a notebook __import__ shadows the builtin": (
        "def __import__(*a, **k):\n    globals()['expect_true'] = lambda *a, **k: None",
        "expect_true(False, call='t', detail='must fail')"),
    "gc finds the checks and swaps their code": (
        "import gc\nfor o in gc.get_objects():\n"
        "    if getattr(o, '__name__', '').startswith('expect_'):\n"
        f"        o.__code__ = {_NOOP}",
        "expect_true(False, call='t', detail='must fail')"),
    "the checks' code swapped through their module": (
        "from course import checks\n"
        "for f in (checks.expect_equal, checks.expect_close, checks.expect_true, checks._fail):\n"
        "    try:\n"
        f"        f.__code__ = {_NOOP}\n"
        "    except RuntimeError:\n        pass",
        "expect_equal(1, 2, call='t')"),
    "expect_close's tolerances widened in place": (
        "expect_close.__kwdefaults__.update(rtol=1e9, atol=1e9)",
        "expect_close(torch.zeros(2), torch.ones(2), call='t')"),
    "a reference function's defaults replaced": (
        "try:\n    F.normalize.__defaults__ = (2.0, 1, 1e12, None)\nexcept RuntimeError:\n    pass",
        "expect_close(F.normalize(torch.tensor([[3.0, 4.0]])), torch.zeros(1, 2), call='t')"),
    "a reference function's closure cell replaced": (
        "cell = next(c for c in F.max_pool2d.__closure__ if callable(c.cell_contents))\n"
        "cell.cell_contents = lambda *a, **k: torch.zeros(1, 1, 1, 1)",
        "expect_close(F.max_pool2d(torch.ones(1, 1, 2, 2), 2), torch.zeros(1, 1, 1, 1), call='t')"),
    "a library method patched on its class": (
        "nn.Module.parameters = lambda self, recurse=True: iter(())",
        "expect_equal(sum(p.numel() for p in nn.Linear(3, 2).parameters()), 0, call='t')"),
    "a builtin shadowed in the notebook": (
        "def all(values):\n    return True",
        "expect_true(all([False]), call='t', detail='must fail')"),
    "restore itself replaced": (
        "import course.grader.guard\ncourse.grader.guard.restore = lambda: None\n"
        "torch.allclose = lambda *a, **k: True",
        "expect_true(torch.allclose(torch.zeros(1), torch.ones(1)), call='t', detail='must fail')"),
    "torch.allclose patched": ("import torch\ntorch.allclose = lambda *a, **k: True", _MUST_FAIL),
    "a check replaced in its module and in the notebook": (
        "from course import checks\nchecks.expect_true = lambda *a, **k: None\n"
        "expect_true = checks.expect_true", _MUST_FAIL),
    "AssertionError replaced by a harmless exception": (
        "import builtins\nbuiltins.AssertionError = type('Silent', (Exception,), {})", _MUST_FAIL),
    "an AST transformer empties every cell": (
        "import ast\nclass Empty(ast.NodeTransformer):\n    def visit_Module(self, node):\n"
        "        return ast.parse('pass')\nget_ipython().ast_transformers.append(Empty())", _MUST_FAIL),
    "a pre_run_cell hook re-patches before each cell": (
        "def patch(*args):\n    import torch\n    torch.allclose = lambda *a, **k: True\n"
        "get_ipython().events.register('pre_run_cell', patch)", _MUST_FAIL),
}


@pytest.fixture(scope="module")
def tampered_kernel():
    """Every TAMPERING case in turn in one grading kernel, then an honest check: ``{name: outputs}``.

    One kernel instead of one per case (each costs seconds of CPU to start). The cases stay
    independent because the guard puts the kernel back as it was when installed (tools, hooks,
    transformers, builtins) before every grade cell, and so before the next case's tampering. Had
    it not, a case's leftover would make a later grade cell pass or fail some other way, failing
    that case. The last cells show that the kernel still runs cells and grades honestly after all
    of them; its grade cell also writes to stderr, which must reach the notebook as stdout.
    """
    cells = [_SETUP]
    for name in sorted(TAMPERING):
        tampering, grade_cell = TAMPERING[name]
        cells += [tampering, (name, grade_cell)]
    cells += ["still_running = True",
              ("honest", "import sys\nexpect_true(still_running and not torch.allclose(torch.zeros(1), "
                         "torch.ones(1)), call='t', detail='must pass')\n"
                         "print('to stderr', file=sys.stderr)")]
    return _grade_all(*cells)


@pytest.mark.slow
@pytest.mark.xdist_group("guard-kernel")      # one worker starts the shared kernel
@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_a_failing_grade_cell_still_fails_after_tampering(name, tampered_kernel):
    errors = [o for o in tampered_kernel[name] if o.output_type == "error"]
    assert errors, f"the grade cell passed after: {name}"
    assert errors[0].ename in ("AssertionError", "CheckFailure"), (errors[0].ename, errors[0].evalue)


@pytest.mark.slow
@pytest.mark.xdist_group("guard-kernel")
def test_after_every_tampering_an_honest_grade_cell_passes_and_stderr_is_stdout(tampered_kernel):
    """The preprocessors' kernel guard renames sys.stderr before install(): restore must keep that"""
    outputs = tampered_kernel["honest"]
    assert [o for o in outputs if o.output_type == "error"] == []
    assert [(o.name, o.text) for o in outputs if o.output_type == "stream"] == [("stdout", "to stderr\n")]


# Error messages vanish and the execute_reply says ok: the grade cell would look passed.
_DROP_ERRORS = (
    "def is_error(m):\n"
    "    return (m if isinstance(m, str) else m['header']['msg_type']) == 'error'\n"
    "def ok(m, content):\n"
    "    if m == 'execute_reply' and isinstance(content, dict) and content.get('status') == 'error':\n"
    "        return {'status': 'ok', 'execution_count': content.get('execution_count'),\n"
    "                'user_expressions': {}, 'payload': []}\n"
    "    return content\n"
    "k = get_ipython().kernel\n")

MESSAGING = {
    "an instance attribute shadows Session.send": _DROP_ERRORS + (
        "real = k.session.send\n"
        "k.session.send = lambda stream, m, content=None, *a, **kw: (\n"
        "    None if is_error(m) else real(stream, m, ok(m, content), *a, **kw))"),
    "Session.send patched on the class": _DROP_ERRORS + (
        "import jupyter_client.session\nSession = jupyter_client.session.Session\nreal = Session.send\n"
        "def send(self, stream, m, content=None, *a, **kw):\n"
        "    return None if is_error(m) else real(self, stream, m, ok(m, content), *a, **kw)\n"
        "Session.send = send"),
    "the kernel's and display hook's session replaced": _DROP_ERRORS + (
        "class Quiet:\n    def __init__(self, inner):\n        self.inner = inner\n"
        "    def __getattr__(self, name):\n        return getattr(self.inner, name)\n"
        "    def send(self, stream, m, content=None, *a, **kw):\n"
        "        return None if is_error(m) else self.inner.send(stream, m, ok(m, content), *a, **kw)\n"
        "quiet = Quiet(k.session)\nk.session = quiet\nget_ipython().displayhook.session = quiet"),
    "the shell's traceback display silenced and the reply rewritten": _DROP_ERRORS + (
        "get_ipython()._showtraceback = lambda *a, **k: None\n"
        "real = k.session.send\n"
        "k.session.send = lambda stream, m, content=None, *a, **kw: (\n"
        "    real(stream, m, ok(m, content), *a, **kw))"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MESSAGING))
def test_a_grade_cell_s_error_reaches_the_notebook_after_tampering_with_the_kernel(name):
    outputs = _grade(_SETUP, MESSAGING[name], "expect_true(False, call='t', detail='must fail')")
    assert [o.ename for o in outputs if o.output_type == "error"] == ["CheckFailure"], outputs
