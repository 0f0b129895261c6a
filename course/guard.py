"""Keep the test cells' tools honest: undo a submission's monkeypatching before each test.

A grading kernel calls :func:`install` when it starts, before any student code runs.
It records the tools the test cells rely on: the attributes of ``torch``,
``torch.testing``, ``torch.nn.functional``, ``numpy``, ``numpy.testing``, ``math``,
``builtins`` and ``course.checks``, the methods of ``torch.Tensor`` and of the IPython
shell, and the shell's input transformers, AST transformers and event callbacks.
The grader calls :func:`restore` before every grade cell: it puts all of that back,
re-binds the usual names (``torch``, ``np``, ``F``, ``nn``, the ``expect_*`` checks)
in the notebook's namespace, and clears trace and profile hooks.

So ``torch.allclose = lambda *a, **k: True`` in a solution cell, a redefined
``expect_equal``, an AST transformer that empties the tests, or a ``pre_run_cell``
hook that patches things again all stop working by the time a test runs.

**Limits.** This runs inside the student's own process, so a submission that sets
out to defeat *this module* (edits its snapshot, replaces it in ``sys.modules``,
patches C-level state, or tampers with objects the tests receive) can still get
past it. If :func:`restore` itself fails, the grader fails the test cell instead of
running it. The sandbox (:mod:`course.sandbox`) is the real boundary: it keeps the
gradebook, the hidden tests and other students' work out of reach whatever the
code in the kernel does.
"""

from __future__ import annotations

import builtins
import sys

# Bound now, before any student code runs: restore() must not use builtins a submission replaced.
_callable, _delattr, _isinstance = builtins.callable, builtins.delattr, builtins.isinstance
_setattr, _vars, _dict, _list = builtins.setattr, builtins.vars, builtins.dict, builtins.list

__all__ = ["install", "restore"]

_MODULES = ("torch", "torch.testing", "torch.nn", "torch.nn.functional", "numpy", "numpy.testing", "math",
            "builtins", "course.checks")
# Names the notebooks bind in their setup cells, and what they must mean in a test.
_NAMES = {"torch": "torch", "np": "numpy", "numpy": "numpy", "math": "math", "F": "torch.nn.functional",
          "nn": "torch.nn"}
_CHECKS = ("CheckFailure", "expect_close", "expect_equal", "expect_raises", "expect_true")

_snapshot: dict | None = None


def _shell():
    from IPython import get_ipython

    return get_ipython()


def _classes(shell) -> list[type]:
    import torch

    shell_classes = [c for c in type(shell).__mro__ if c.__module__.startswith(("IPython", "ipykernel"))]
    return [torch.Tensor, *shell_classes]


def install() -> None:
    """Record the pristine tools (call once, when the kernel starts)."""
    global _snapshot
    import importlib

    modules = {name: importlib.import_module(name) for name in _MODULES}
    shell = _shell()
    _snapshot = {
        "modules": {name: (module, _dict(_vars(module))) for name, module in modules.items()},
        "classes": [(cls, _dict(_vars(cls))) for cls in _classes(shell)] if shell else [],
        "shell": shell,
        "shell_dict": _dict(_vars(shell)) if shell else {},
        "transformers": (_list(shell.input_transformers_cleanup), _list(shell.input_transformers_post),
                         _list(shell.ast_transformers)) if shell else None,
        "events": {event: _list(callbacks) for event, callbacks in shell.events.callbacks.items()}
        if shell else {},
    }


def restore() -> None:
    """Put back everything :func:`install` recorded; raise RuntimeError if it never ran."""
    if _snapshot is None:
        raise RuntimeError("course.guard.install() did not run when the kernel started")
    sys.settrace(None)
    sys.setprofile(None)
    for name, (module, attributes) in _snapshot["modules"].items():
        sys.modules[name] = module
        current = _vars(module)
        for key, value in attributes.items():
            if current.get(key, _MISSING) is not value:
                _setattr(module, key, value)
    for cls, attributes in _snapshot["classes"]:
        # Only behaviour is put back: data on these classes may change legitimately.
        current = _vars(cls)
        for key in [k for k, v in current.items() if k not in attributes and _callable(v)]:
            _quietly(_delattr, cls, key)
        for key, value in attributes.items():
            if _is_behaviour(value) and current.get(key, _MISSING) is not value:
                _quietly(_setattr, cls, key, value)
    shell = _snapshot["shell"]
    if shell is None:
        return
    for key in [k for k, v in _vars(shell).items() if k not in _snapshot["shell_dict"] and _callable(v)]:
        _delattr(shell, key)
    for key, value in _snapshot["shell_dict"].items():
        if _callable(value) and _vars(shell).get(key, _MISSING) is not value:
            _setattr(shell, key, value)
    cleanup, post, ast = _snapshot["transformers"]
    shell.input_transformers_cleanup[:] = cleanup
    shell.input_transformers_post[:] = post
    shell.ast_transformers[:] = ast
    for event, callbacks in _snapshot["events"].items():
        shell.events.callbacks[event][:] = callbacks
    namespace = shell.user_ns
    for name, module in _NAMES.items():
        if name in namespace:
            namespace[name] = _snapshot["modules"][module][0]
    checks = _snapshot["modules"]["course.checks"][1]
    for name in _CHECKS:
        if name in namespace:
            namespace[name] = checks[name]


_MISSING = object()


def _is_behaviour(value) -> bool:
    return _callable(value) or _isinstance(value, (staticmethod, classmethod, property))


def _quietly(action, *arguments) -> None:
    try:
        action(*arguments)
    except (AttributeError, TypeError):
        pass  # a built-in type's attribute: it cannot have been patched either
