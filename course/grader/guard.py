"""Keep the test cells' tools honest: undo a submission's tampering before each test, and lock what we can.

A grading kernel loads this module as an IPython extension when it starts, which calls
:func:`install` before any student code runs. It records the tools the test cells rely on and
the objects that carry results back to the grader:

* every attribute of the *core* modules (``torch``, ``torch.nn``, ``torch.nn.functional``,
  ``torch.testing``, ``numpy``, ``numpy.testing``, ``math``, ``copy``, ``builtins``, ``course.*``),
  and the behaviour (functions, classes, descriptors, submodules) of every loaded module of
  ``torch``, ``numpy``, ``IPython``, ``ipykernel``, ``jupyter_client``, ``traitlets``, ``zmq`` and
  a few standard modules, less the parts eager CPU code never reaches (``_UNREACHED``); the
  behaviour in every class found there, in their bases and in their metaclasses;
* for every Python function found there (also inside descriptors and closures): its keyword
  defaults' values and the closure cells that hold behaviour; for the core modules' functions,
  and for those with attributes, their ``__dict__``; for the core modules' functions, the
  identity of ``__code__``, ``__defaults__`` and ``__kwdefaults__``;
* the IPython shell, the ipykernel ``Kernel``, its ``Session``, IOPub socket and thread, shell
  streams, display hook and publisher, ``sys.stdout``/``sys.stderr`` and their classes: an
  instance attribute that shadows a method (``kernel.session.send = ...``) or replaces one of
  these objects (``kernel.session = ...``) is undone, and so is a changed ``__class__``;
* the shell's transformers and event callbacks, ``sys``'s attributes (``sys.stderr`` keeps the
  name :mod:`course.grader.stderr` gave it), ``gc.callbacks``, timer signal handlers, PyTorch's
  torch-function and dispatch modes, and in the notebook the usual names (``torch``, ``F``, the
  ``expect_*`` checks, ...) and functions named like a builtin a test calls (``def all(v): ...``).

The grader calls :func:`restore` before every grade cell: it puts all of that back, changing only
what no longer matches, and clears trace and profile hooks: about 15 ms in a grading kernel.

**The lock.** :func:`install` also registers an audit hook (:pep:`578`). No Python code can remove
it, and it alone refers to the snapshot. From then on it refuses: replacing the ``__code__``,
``__defaults__`` or ``__kwdefaults__`` of any recorded function (the checks, this module and its
helpers included), at any time, also during a grade cell; adding audit hooks; setting trace or
profile functions (a tracer could jump over a check's ``raise``); ``gc.get_objects``,
``get_referrers`` and ``get_referents`` (the way to reach the hook's state) and
``sys._current_frames`` (another thread's view of the hook's frame); and, while it restores,
frames of the restoring thread. When the kernel compiles the grader's expression
(:data:`RESTORE_EXPRESSION`, a call of the builtin ``__course_guard_restore__`` that :func:`install`
adds), the hook first puts back ``builtins``, this module's and :mod:`course.grader.snapshot`'s
globals, then everything else, and removes a notebook variable of that name, so the expression
reaches the real :func:`restore` even if a submission replaced ``restore``, the builtin, this
module's globals or ``sys.audit``. If ``sys.modules['course.grader.guard']`` is not this module, or
something cannot be put back, the expression fails and the grader fails the test cell unrun.

**Limits.** This is still the submission's own process. It cannot stop: tampering *during* a grade
cell (the tests call the submission's functions, which may rebind a check's name, a module or
class attribute, a keyword default's value or a closure cell before the cell's next statement;
only code objects and defaults stay locked throughout); code that runs on its own (threads,
finalizers, signal handlers: a handler's frame or a ``KeyboardInterrupt``'s traceback arriving
while the hook runs exposes its state, which holds the snapshot); anything below Python
(``ctypes``, ``/proc/self/mem``, C extensions, ``torch.library`` overrides, which the checks avoid
by comparing in NumPy but a test's reference computations do not); a shell patched so that the
grader's expression or a grade cell never runs (the grader notices: it asks the kernel to confirm
each grade cell); objects with their own ``__hash__``/``__eq__`` planted in a recorded dictionary,
or data descriptors on a metaclass, which may re-apply tampering while restore runs; and modules
outside the lists above, and data (not behaviour) outside the core modules.

The sandbox (:mod:`course.grader.sandbox`) is the real boundary: it keeps the gradebook, the
hidden tests and other students' work out of reach whatever the code in the kernel does.
"""

from __future__ import annotations

import _signal
import _thread
import builtins
import functools
import gc
import sys
import types

from course.grader import snapshot

__all__ = ["RESTORE_EXPRESSION", "install", "load_ipython_extension", "restore"]

_EVENT, _PROBE = "course.grader.guard.restore", "course.grader.guard.installed"
# The builtin install() adds, bound to restore(). The grader evaluates RESTORE_EXPRESSION as a user
# expression before each grade cell; compiling it triggers a restore, which also removes a notebook
# name that would shadow the builtin, so the expression then reaches the real restore().
_RESTORE_BUILTIN = "__course_guard_restore__"
RESTORE_EXPRESSION = f"{_RESTORE_BUILTIN}()"
_MARKS = (_RESTORE_BUILTIN.encode(), b"restore")
_CORE = ("torch", "torch.testing", "torch.nn", "torch.nn.functional", "numpy", "numpy.testing", "math",
         "copy", "builtins", "course.checks", "course.grader.guard", "course.grader.snapshot")
_IMPORTS = (*_CORE, "torch.optim", "torch.utils.data", "torch.utils.data.dataloader")
_PACKAGES = ("torch", "numpy", "course", "IPython", "ipykernel", "jupyter_client", "traitlets", "zmq", "comm")
# Parts of those packages that eager CPU code in a test never reaches (compilers, tracing, export,
# distributed, quantization, CUDA, ...): leaving them out keeps restore() fast.
_UNREACHED = ("torch._dynamo", "torch._inductor", "torch.fx", "torch.ao", "torch._higher_order_ops",
              "torch.distributed", "torch.distributions", "torch._refs", "torch._prims", "torch._decomp",
              "torch._meta_registrations", "torch.export", "torch.onnx", "torch._functorch", "torch.cuda",
              "torch._subclasses", "torch.testing._internal", "torch.utils._sympy", "torch._export",
              "torch.masked", "torch.nested", "torch.quantization", "torch.mtia", "torch.xpu", "torch.mps",
              "numpy.polynomial", "numpy.ma", "numpy.fft", "numpy.random", "numpy.matrixlib", "numpy.char",
              "numpy.rec", "numpy.strings", "numpy.ctypeslib", "numpy.f2py", "numpy.typing", "numpy._typing")
_STDLIB = ("abc", "cmath", "collections", "contextlib", "copy", "dataclasses", "enum", "functools", "inspect",
           "itertools", "json", "math", "numbers", "operator", "random", "re", "statistics", "types",
           "typing")
# Names the notebooks bind in their setup cells, and what they must mean in a test.
_NAMES = {"torch": "torch", "np": "numpy", "numpy": "numpy", "math": "math", "copy": "copy",
          "F": "torch.nn.functional", "nn": "torch.nn", "DataLoader": "torch.utils.data:DataLoader",
          "TensorDataset": "torch.utils.data:TensorDataset", "BatchSampler": "torch.utils.data:BatchSampler",
          "RandomSampler": "torch.utils.data:RandomSampler"}
_CHECKS = ("CheckFailure", "expect_close", "expect_equal", "expect_raises", "expect_true",
           "expect_without", "record_steps", "replaced")
# Builtins the test cells call (tests/test_guard.py keeps this in step with source/): a notebook
# function of that name (``def all(values): return True``) would answer in their place.
_TESTS_CALL = frozenset({
    "AssertionError", "Exception", "NotImplementedError", "RuntimeError", "TypeError", "ValueError", "abs",
    "all", "any", "bool", "callable", "delattr", "dict", "dir", "enumerate", "float", "getattr", "globals",
    "hasattr", "id", "int", "isinstance", "issubclass", "iter", "len", "list", "max", "min", "next",
    "print", "range", "repr", "reversed", "round", "set", "setattr", "sorted", "str", "sum", "super",
    "tuple", "type", "vars", "zip"})
_SYS_SKIP = frozenset({"displayhook", "__displayhook__", "ps1", "ps2", "ps3"})  # IPython swaps these per cell
_TIMERS = tuple(getattr(_signal, n) for n in ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGUSR1", "SIGUSR2")
                if hasattr(_signal, n))
_REFUSED = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.addaudithook"})
_TRACING = frozenset({"sys.settrace", "sys.setprofile"})
_FRAME_EVENTS = frozenset({"sys._getframe", "sys._current_frames"})
_WATCHED = frozenset({"object.__getattr__", "object.__setattr__", "object.__delattr__", "compile", _EVENT,
                      _PROBE, *_REFUSED, *_TRACING, *_FRAME_EVENTS})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
_SLOTS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
# Bound now: restoring must not look these up where a submission may have replaced them.
_type_name = type.__dict__["__name__"].__get__
_get_ident, _audit_event, _settrace, _setprofile = _thread.get_ident, sys.audit, sys.settrace, sys.setprofile
_getsignal, _setsignal, _gc_callbacks, _sys_dict = _signal.getsignal, _signal.signal, gc.callbacks, vars(sys)


def install() -> None:
    """Record the pristine tools and lock them; call once, when the kernel starts.

    Raises RuntimeError if the guard is already installed in this process: the first record stays.
    """
    probe: list = []
    sys.audit(_PROBE, probe)
    if probe:
        raise RuntimeError("course.grader.guard is already installed in this process")
    setattr(builtins, _RESTORE_BUILTIN, restore)    # before the record: restoring puts it back too
    record, protected = _record(_shell())
    module, namespaces = sys.modules[__name__], (builtins, sys.modules[__name__], snapshot)
    seals = tuple((vars(m), tuple(vars(m).items())) for m in namespaces)
    flags = [None, None, False]  # the thread restoring, the thread clearing trace hooks, restored just now
    lookups = (_FRAME_ATTRIBUTES, protected, _SLOTS, bytes, _MARKS)
    state = (type, str, len, flags, _FRAME_ATTRIBUTES, _thread.get_ident, id, _WATCHED, lookups, seals,
             (flags, record, module, sys.modules))  # the fast path in _audit reads it by position
    sys.addaudithook(functools.partial(_audit, state))


def load_ipython_extension(shell) -> None:
    """Install the guard when a grading kernel starts (``--IPKernelApp.extensions``)."""
    install()


def restore() -> None:
    """Put back everything :func:`install` recorded; raise RuntimeError if it never ran."""
    done: list = []
    _audit_event(_EVENT, done)
    if not done:
        raise RuntimeError("course.grader.guard.install() did not run when the kernel started")


def _audit(state, event, args):
    """The lock's audit hook; ``functools.partial`` binds ``state``, which nothing else refers to.

    Until the namespaces are sealed again it uses only what ``state`` holds: builtins and this
    module's globals may have been replaced. Every local is cleared before the frame is left, so a
    traceback through it shows nothing.
    """
    # Decided first, from ``state`` alone: events the lock ignores (``id()`` raises one each time) and
    # the commonest it watches, raised by every read of a function's ``__code__``.
    kind = state[0]
    if kind(event) is not state[1] or event not in state[7]:
        return
    if event == "object.__getattr__" and state[2](args) == 2 and (
            state[3][0] is None or kind(args[1]) is not state[1] or args[1] not in state[4]):
        return
    problem = kind = text = ident = identity = watched = lookups = flags = seals = rest = None
    namespace = items = key = value = _ = None
    try:
        kind, text, _, flags, _, ident, identity, watched, lookups, seals, rest = state
        if kind(event) is not text or event not in watched:
            return
        if event == "object.__getattr__":
            if flags[0] != ident() or kind(args[1]) is not text or args[1] not in lookups[0]:
                return
        elif event == "sys._getframe":
            if flags[0] is None:
                return
        elif event == "object.__setattr__" or event == "object.__delattr__":
            if identity(args[0]) not in lookups[1] or kind(args[1]) is not text or args[1] not in lookups[2]:
                return
        elif event == "compile":
            source, marks = args[0], lookups[4]
            if kind(source) is not lookups[3] or marks[0] not in source or marks[1] not in source:
                flags[2] = False
                return
        for namespace, items in seals:
            for key, value in items:
                if namespace.get(key, namespace) is not value:
                    namespace[key] = value
        problem = _act(event, args, rest)
    finally:
        state = kind = text = ident = identity = watched = lookups = flags = seals = rest = args = None
        namespace = items = key = value = _ = None
    if problem is not None:
        raise RuntimeError(problem)


def _act(event, args, rest) -> str | None:
    """What the hook does once the namespaces are sealed: a refusal message, or None."""
    flags, record, module, modules = rest
    try:
        if event in _REFUSED or event in _TRACING and flags[1] != _get_ident():
            return f"{event} is not allowed in a grading kernel (course.grader.guard)"
        if event == "sys._current_frames":
            # Another thread's frames may be the hook's own, holding the snapshot.
            return f"{event} is not allowed in a grading kernel (course.grader.guard)"
        if event == "sys._getframe" or event == "object.__getattr__":
            restoring = flags[0] is not None and flags[0] == _get_ident()
            return "frames cannot be read while course.grader.guard restores" if restoring else None
        if event in ("object.__setattr__", "object.__delattr__"):
            return f"the {args[1]} of a test tool cannot be changed in a grading kernel (course.grader.guard)"
        if event in (_PROBE, _EVENT) and type(args[0]) is list:
            args[0].append(True)
        if event == "compile":
            if modules.get(__name__) is not module:
                return "course.grader.guard was replaced in sys.modules"
            _restore_all(flags, record)
            flags[2] = True
        elif event == _EVENT:
            if not flags[2]:
                _restore_all(flags, record)
            flags[2] = False
    except BaseException as error:  # noqa: BLE001 - reported as text: its traceback would show the snapshot
        return f"course.grader.guard could not restore the tools ({_type_name(type(error))})"
    return None


def _restore_all(flags, record) -> None:
    records, modules, names, sys_items, extras, notebook = record
    me = _get_ident()
    flags[0] = flags[1] = me
    try:
        _settrace(None)
        _setprofile(None)
        flags[1] = None
        timers, callbacks, modes = extras
        for signum, handler in timers:
            if handler is not None and _getsignal(signum) is not handler:
                _setsignal(signum, handler)
        snapshot.restore(records)
        for key, value in sys_items:
            if _sys_dict.get(key, _restore_all) is not value:
                _sys_dict[key] = value
        loaded = _sys_dict["modules"]
        for name, module in modules:
            if loaded.get(name) is not module:
                loaded[name] = module
        _gc_callbacks[:] = callbacks
        for length, pop, depth in modes:
            while length() > depth:
                pop()
        if notebook is not None:
            _restore_names(notebook, names)
    finally:
        flags[0] = flags[1] = None


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _carriers(shell) -> list:
    """The shell and the objects that carry a cell's results, errors and reply to the grader."""
    kernel = getattr(shell, "kernel", None)
    found = [shell, shell.user_ns, shell.events, shell.displayhook, shell.display_pub,
             shell.input_transformer_manager,
             sys.stdout, sys.stderr, getattr(sys.excepthook, "__self__", None)]
    if kernel is not None:
        found += [kernel, *(getattr(kernel, n, None) for n in (
            "session", "iopub_socket", "iopub_thread", "shell_stream", "control_stream", "stdin_socket"))]
        found.append(getattr(kernel.iopub_thread, "socket", None))
    for holder in list(found):
        found += [getattr(holder, n, None) for n in ("session", "pub_socket", "pub_thread")]
    unique = {id(o): o for o in found if o is not None and not isinstance(o, types.ModuleType | type)}
    return list(unique.values())


def _record(shell) -> tuple:
    """Take the snapshot; return it and the ids of the functions the lock protects."""
    import importlib

    import torch

    for name in _IMPORTS:
        importlib.import_module(name)
    modules = [(n, m) for n, m in list(sys.modules.items()) if type(m) is types.ModuleType and (
        n in _STDLIB or n in _CORE or n.split(".")[0] in _PACKAGES and not n.startswith(_UNREACHED))]
    carriers = _carriers(shell) if shell is not None else []
    module_dicts = [vars(m) for _, m in modules]
    classes = snapshot.classes_of([v for d in module_dicts for v in d.values()] + [type(o) for o in carriers])
    class_dicts = [dict(vars(c)) for c in classes]
    core = [vars(sys.modules[n]) for n in _CORE]
    core_functions = {id(f) for f in snapshot.functions_of(core + [dict(vars(c)) for c in snapshot.classes_of(
        [v for d in core for v in d.values()])])}
    functions = snapshot.functions_of(module_dicts + class_dicts)
    functions.append(_audit)
    places, notebook = _record_shell(shell) if shell is not None else ([], None)
    records = (snapshot.record_classes(classes), snapshot.record_modules(modules, frozenset(_CORE)),
               snapshot.record_functions(functions, lambda f: id(f) in core_functions or f is _audit),
               snapshot.record_instances(carriers), snapshot.record_containers(places))
    sys_items = tuple((k, v) for k, v in vars(sys).items() if k not in _SYS_SKIP)
    modes = ((torch._C._len_torch_function_stack, torch._C._pop_torch_function_stack,
              torch._C._len_torch_function_stack()),
             (torch._C._len_torch_dispatch_stack, functools.partial(torch._C._pop_torch_dispatch_stack, None),
              torch._C._len_torch_dispatch_stack()))
    extras = (tuple((s, _getsignal(s)) for s in _TIMERS), list(gc.callbacks), modes)
    loaded = tuple((n, m) for n, m in modules if n != __name__)
    names = {name: getattr(sys.modules[where.split(":")[0]], where.split(":")[1]) if ":" in where
             else sys.modules[where] for name, where in _NAMES.items()}
    names.update({name: getattr(sys.modules["course.checks"], name) for name in _CHECKS})
    record = (records, loaded, tuple(names.items()), sys_items, extras, notebook)
    return record, frozenset(id(f) for f in functions)


def _record_shell(shell) -> tuple:
    """The shell's transformer and event lists, and the notebook names a test relies on."""
    # Read once, so that traitlets has set them: an extension runs before the shell first uses them.
    shell.ast_transformers, shell.input_transformers_post  # noqa: B018
    traits, events = vars(shell)["_trait_values"], vars(shell.events)
    places = [(traits, "ast_transformers"), (traits, "input_transformers_post"),
              (vars(shell.input_transformer_manager), "cleanup_transforms"), (events, "callbacks")]
    places += [(events["callbacks"], event) for event in events["callbacks"]]
    shadows = {k: v for k, v in shell.user_ns.items() if k in _TESTS_CALL or k == "__builtins__"}
    return places, (shell.user_ns, shadows)


def _restore_names(notebook, names) -> None:
    namespace, shadows = notebook
    snapshot.clean_keys(namespace)
    # Only functions: a variable named ``max`` cannot pass a test, and the notebook may rely on it.
    for key in [k for k in _TESTS_CALL if k in namespace and k not in shadows and callable(namespace[k])]:
        del namespace[key]
    namespace.pop(_RESTORE_BUILTIN, None)    # the grader's expression must reach the builtin
    for key, value in shadows.items():
        namespace[key] = value
    for name, value in names:
        if name in namespace:
            namespace[name] = value
