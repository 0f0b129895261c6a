"""The test harness's own shortcut: ``grade_with(..., only_affected=True)`` reruns exactly the grade
cells a replaced name can reach, and gives every other cell the reference solution's result."""

import textwrap

from nbhelpers import _changed_names, _uses, failing, grade_with


def test_changed_names_are_the_names_a_definition_binds():
    source = ("import math\nfrom torch import nn as torch_nn\n\n"
              "def f(x):\n    'doc'\n    return x\n\ny = 3\n")
    assert _changed_names({"g": None}, source) == {"math", "torch_nn", "f", "y", "g"}


def test_source_that_runs_code_reruns_every_cell():
    """Check that a call at the top level, in a decorator, a default or a class body, runs every cell"""
    for source in ("import torch\ntorch.manual_seed(1)", "x = print('hi')",
                   "@some.decorator()\ndef f():\n    pass", "def f(x=list()):\n    pass",
                   "class A:\n    setup()", "for i in range(3):\n    pass"):
        assert _changed_names(None, source) is None, source


def test_uses_follows_the_functions_and_classes_a_cell_calls():
    namespace = {"__name__": "__main__"}
    exec(textwrap.dedent("""
        def helper():
            return target()

        def entry():
            return helper()

        class Model:
            def forward(self):
                return other()
    """), namespace)
    assert {"entry", "helper", "target"} <= _uses(compile("entry()", "cell", "exec"), namespace)
    assert "other" in _uses(compile("Model().forward()", "cell", "exec"), namespace)
    assert "target" not in _uses(compile("Model()", "cell", "exec"), namespace)


def test_only_affected_gives_the_full_run_s_result():
    """Check a stub whose function another exercise calls: its cells and the caller's fail in both modes"""
    stub = "def dropout(x, p, training=True):\n    raise NotImplementedError()\n"
    full = grade_with("05_dropout", source=stub)
    fast = grade_with("05_dropout", source=stub, only_affected=True)
    assert fast == full
    assert any(g.startswith("d05_module") for g in failing(full)), "the module exercise calls dropout"
    assert not failing(grade_with("05_dropout", source="x_unused = 1", only_affected=True))
