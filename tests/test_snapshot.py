"""Tests for course.grader.snapshot: what a record holds, and what restore() puts back (no lock)."""

import functools
import types

import pytest

from course.grader import snapshot


def _module(name="toy"):
    module = types.ModuleType(name)
    exec(  # noqa: S102 - a throwaway module with functions, a closure and classes to record
        "def helper(x):\n    return x + 1\n"
        "def scaled(x, factor=2, *, offset=0):\n    return x * factor + offset\n"
        "def _wrap(fn):\n    def wrapper(*a):\n        return fn(*a)\n    return wrapper\n"
        "wrapped = _wrap(helper)\n"
        "class Meta(type):\n    pass\n"
        "class Base(metaclass=Meta):\n    def method(self):\n        return 'base'\n"
        "    @staticmethod\n    def static():\n        return 'static'\n"
        "    @property\n    def prop(self):\n        return 'prop'\n"
        "class Child(Base):\n    cache = None\n"
        "setting = 1\n",
        vars(module))
    return module


def _records(module, core=False, instances=(), places=()):
    classes = snapshot.classes_of(vars(module).values())
    functions = snapshot.functions_of([vars(module)] + [dict(vars(c)) for c in classes])
    return (snapshot.record_classes(classes),
            snapshot.record_modules([(module.__name__, module)], frozenset([module.__name__] * core)),
            snapshot.record_functions(functions, lambda f: True),
            snapshot.record_instances(list(instances)),
            snapshot.record_containers(list(places)))


def test_functions_of_finds_functions_in_descriptors_and_closures():
    module = _module()
    classes = snapshot.classes_of(vars(module).values())
    found = {f.__qualname__ for f in snapshot.functions_of([vars(module)] + [dict(vars(c)) for c in classes])}
    assert {"helper", "scaled", "_wrap", "_wrap.<locals>.wrapper", "Base.method", "Base.static",
            "Base.prop"} <= found


def test_classes_of_puts_metaclasses_before_their_classes():
    module = _module()
    order = [c.__name__ for c in snapshot.classes_of([module.Child])]
    assert order.index("Meta") < min(order.index("Base"), order.index("Child"))


def test_restore_puts_back_module_behaviour_and_core_data():
    module = _module()
    behaviour_only, core = _module("plain"), _module("core")
    records = [_records(m, core=m is core) for m in (module, behaviour_only, core)]
    for m in (module, behaviour_only, core):
        m.helper = lambda x: 0
        del m.scaled
        m.setting = 99
        m.len = lambda x: 0  # would shadow the builtin for the module's own code
    for record in records:
        snapshot.restore(record)
    for m in (module, behaviour_only, core):
        assert m.helper(1) == 2 and m.scaled(1) == 2 and not hasattr(m, "len")
    assert behaviour_only.setting == 99, "data of a non-core module may change legitimately"
    assert core.setting == 1


def test_restore_drops_planted_keys_that_are_not_plain_strings():
    class Sneaky(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    module = _module()
    records = _records(module)
    vars(module)[Sneaky("helper")] = lambda x: 0
    snapshot.restore(records)
    assert all(type(key) is str for key in vars(module)) and module.helper(1) == 2


def test_restore_puts_back_class_methods_and_removes_added_behaviour_but_keeps_added_data():
    module = _module()
    records = _records(module)
    module.Base.method = lambda self: "patched"
    module.Child.method = lambda self: "shadowed"
    module.Child.prop = property(lambda self: "fake")
    module.Meta.__call__ = lambda cls, *a: "hijacked"
    module.Child.cache = {"legitimate": True}
    module.Child.extra = 5
    snapshot.restore(records)
    child = module.Child()
    assert (child.method(), child.prop, child.static()) == ("base", "prop", "static")
    assert module.Child.cache == {"legitimate": True} and module.Child.extra == 5


def test_restore_puts_back_function_internals():
    module = _module()
    records = _records(module)
    original_code = module.helper.__code__
    module.helper.__code__ = (lambda x: 0).__code__
    module.scaled.__defaults__ = (100,)
    module.scaled.__kwdefaults__["offset"] = 100
    module.wrapped.__closure__[0].cell_contents = lambda *a: "fake"
    module.helper.__dict__["__wrapped__"] = print
    snapshot.restore(records)
    assert module.helper.__code__ is original_code and module.helper(1) == 2
    assert module.scaled(1) == 2 and module.wrapped(1) == 2
    assert "__wrapped__" not in module.helper.__dict__


def test_restore_puts_back_instance_overrides_replaced_objects_and_classes():
    class Session:
        def send(self, message):
            return f"sent {message}"

    class Kernel:
        def __init__(self, session):
            self.session = session
            self.counter = 0

    session = Session()
    kernel = Kernel(session)
    records = _records(_module(), instances=[kernel, session])
    session.send = lambda message: None
    kernel.session = Session()
    kernel.counter = 5

    class Fake(Kernel):
        pass

    kernel.__class__ = Fake
    snapshot.restore(records)
    assert type(kernel) is Kernel and kernel.session is session
    assert kernel.session.send("error") == "sent error"
    assert kernel.counter == 5, "data on an instance may change legitimately"


def test_restore_puts_back_traitlets_values_that_are_recorded_objects():
    traitlets = pytest.importorskip("traitlets")

    class Holder(traitlets.HasTraits):
        session = traitlets.Any()

    session = types.SimpleNamespace()
    holder = Holder(session=session)
    records = _records(_module(), instances=[holder, session])
    holder.session = types.SimpleNamespace()
    snapshot.restore(records)
    assert holder.session is session


def test_restore_puts_back_lists_and_dicts_and_where_they_are_held():
    hooks = {"pre_run_cell": [print]}
    owner = {"callbacks": hooks, "transformers": [len]}
    places = [(owner, "callbacks"), (hooks, "pre_run_cell"), (owner, "transformers")]
    records = _records(_module(), places=places)
    hooks["pre_run_cell"].append(exit)
    hooks["post_run_cell"] = [exit]
    owner["transformers"] = [exit]
    snapshot.restore(records)
    assert owner == {"callbacks": {"pre_run_cell": [print]}, "transformers": [len]}
    assert owner["callbacks"] is hooks


def test_restore_changes_nothing_that_still_matches():
    module = _module()
    records = _records(module, core=True)
    before = dict(vars(module))
    functools.reduce(lambda _, __: snapshot.restore(records), range(3), None)
    assert vars(module) == before
