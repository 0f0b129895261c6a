"""Record what objects do and put it back: the mechanics behind :mod:`course.grader.guard`.

Each ``record_*`` function takes a record now; :func:`restore` puts everything recorded back,
changing only what no longer matches. Both read and write dictionaries, cells and function slots
directly, through accessors bound when this module is imported, so restoring does not go through
attribute lookups, ``__setattr__`` methods or dictionary keys that a submission may have planted.

*Behaviour* is what runs: functions, classes, descriptors and modules. Data (caches, counters,
settings) may change legitimately, so on classes, instances and most modules only behaviour is
put back. The *core* modules get every recorded attribute back, data included.
"""

from __future__ import annotations

import builtins
import itertools
import operator
import types

__all__ = ["classes_of", "clean_keys", "functions_of", "record_classes", "record_containers",
           "record_functions", "record_instances", "record_modules", "restore"]

# Bound now: restoring must not look these up through objects a submission may have replaced.
_type, _str, _callable, _len, _tuple, _dict = type, str, callable, len, tuple, dict
_frozenset, _id, _ValueError, _all, _map, _zip = frozenset, id, ValueError, all, map, zip
_is, _repeat = operator.is_, itertools.repeat
_mro = type.__dict__["__mro__"].__get__
_class_dict = type.__dict__["__dict__"].__get__
_flags = type.__dict__["__flags__"].__get__
_set_class_attr, _del_class_attr = type.__setattr__, type.__delattr__
_set_class = object.__dict__["__class__"].__set__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_code, _defaults, _kwdefaults, _func_dict = (
    types.FunctionType.__dict__[name] for name in ("__code__", "__defaults__", "__kwdefaults__", "__dict__"))
_closure = types.FunctionType.__dict__["__closure__"].__get__
_cell = types.CellType.__dict__["cell_contents"]
_unwrap = {staticmethod: (staticmethod.__dict__["__func__"].__get__,),
           classmethod: (classmethod.__dict__["__func__"].__get__,),
           property: tuple(property.__dict__[n].__get__ for n in ("fget", "fset", "fdel"))}
_HEAP, _IMMUTABLE = 1 << 9, 1 << 8
_BUILTIN_NAMES = frozenset(vars(builtins))
_MISSING = object()


def _is_behaviour(value) -> bool:
    kind = _type(value)
    return _callable(value) or kind is types.ModuleType or any("__get__" in _class_dict(c) for c in _mro(
        kind))


def _planted_behaviour(value) -> bool:
    """Whether a value found now (maybe the submission's) is behaviour; runs none of its code."""
    if _callable(value):
        return True
    for cls in _mro(_type(value)):
        if "__get__" in _class_dict(cls) or "__set__" in _class_dict(cls):
            return True
    return False


def _mutable(cls) -> bool:
    return bool(_flags(cls) & _HEAP) and not _flags(cls) & _IMMUTABLE


def classes_of(values) -> list[type]:
    """The mutable classes among ``values`` and their bases and metaclasses, metaclasses first."""
    seen, found = set(), []

    def visit(cls):
        for base in _mro(cls):
            if _id(base) not in seen:
                seen.add(_id(base))
                visit(_type(base))  # restoring a class goes through its metaclass: do that one first
                if _mutable(base):
                    found.append(base)

    for value in values:
        if _type(value) is type or issubclass(_type(value), type):
            visit(value)
    return found


def record_modules(modules, core: frozenset[str]) -> list:
    """Record modules: every attribute of those named in ``core``, the behaviour of the others."""
    records = []
    for name, module in modules:
        namespace = _module_dict(module)
        full = name in core
        items = [(k, v) for k, v in namespace.items() if _type(k) is _str and (full or _is_behaviour(v))]
        records.append((module, _type(module), namespace, *_columns(items), _frozenset(namespace)))
    return records


def record_classes(classes) -> list:
    """Record the behaviour in each class's own dictionary."""
    return [(cls, *_columns([(k, v) for k, v in _class_dict(cls).items() if _is_behaviour(v)]),
             _frozenset(_class_dict(cls))) for cls in classes]


def _columns(items) -> tuple:
    """Keys and values apart, so that restoring can compare them all in one C-level pass."""
    return _tuple(k for k, _ in items), _tuple(v for _, v in items)


def _unchanged(lookup, keys, values) -> bool:
    return _all(_map(_is, _map(lookup, keys, _repeat(_MISSING)), values))


def functions_of(namespaces) -> list[types.FunctionType]:
    """Python functions in ``namespaces`` (dicts): plain, wrapped in descriptors, or in closures."""
    seen, found, pending = set(), [], []
    for namespace in namespaces:
        for value in namespace.values():
            getters = _unwrap.get(_type(value))
            pending.extend(getter(value) for getter in getters) if getters else pending.append(value)
    while pending:
        value = pending.pop()
        if _type(value) is not types.FunctionType or _id(value) in seen:
            continue
        seen.add(_id(value))
        found.append(value)
        for cell in _closure(value) or ():
            try:
                pending.append(_cell.__get__(cell))
            except _ValueError:
                pass  # an empty cell: nothing to restore
    return found


def record_functions(functions, verify) -> tuple:
    """Record each function's keyword defaults and closure cells holding behaviour; where
    ``verify(f)``, or where it has attributes, its ``__dict__``; where ``verify(f)``, its code and
    defaults (reading those slots raises an audit event, so it costs more)."""
    slots, keywords, cells, dicts = [], [], [], []
    for func in functions:
        kwdefaults = _kwdefaults.__get__(func)
        checked = verify(func)
        if checked:
            slots.append((func, _code.__get__(func), _defaults.__get__(func), kwdefaults))
        if kwdefaults is not None:
            keywords.append((kwdefaults, _tuple(kwdefaults.items())))
        for cell in _closure(func) or ():
            try:
                value = _cell.__get__(cell)
            except _ValueError:
                continue
            if _is_behaviour(value):  # a closure's data (a counter, a cache) may change legitimately
                cells.append((cell, value))
        namespace = _func_dict.__get__(func)
        if checked or namespace:
            dicts.append((func, namespace, _tuple(namespace.items())))
    return slots, keywords, cells, dicts


def record_instances(objects) -> list:
    """Record instances: their class, and the entries of their ``__dict__`` (and traitlets values)
    that override a method of their class or refer to another recorded object."""
    ids = _frozenset(_id(o) for o in objects)
    records = []
    for obj in objects:
        cls = _type(obj)
        descriptor = next((_class_dict(c)["__dict__"] for c in _mro(cls) if "__dict__" in _class_dict(c)),
                          None)
        if descriptor is None or cls is type:
            records.append((obj, cls, None, None, (), _frozenset(), None, ()))
            continue
        namespace = descriptor.__get__(obj)
        methods = _frozenset(k for c in _mro(cls) for k, v in _class_dict(c).items() if _is_behaviour(v))
        items = _tuple((k, v) for k, v in namespace.items() if k in methods or _id(v) in ids)
        traits = namespace.get("_trait_values")
        trait_items = _tuple((k, v) for k, v in traits.items() if _id(v) in ids or _callable(v)) if _type(
            traits) is dict else ()
        records.append((obj, cls, descriptor, namespace, items, methods, traits, trait_items))
    return records


def record_containers(places) -> list:
    """Record lists and dicts held at ``owner[key]`` for each ``(owner, key)``, with their contents."""
    records = []
    for owner, key in places:
        value = owner[key]
        records.append((owner, key, value, _tuple(value.items()) if _type(value) is dict else _tuple(value)))
    return records


def clean_keys(namespace) -> None:
    """Drop keys that are not plain strings: their ``__eq__`` could answer for a real name."""
    for key in namespace:
        if _type(key) is not _str:
            kept = [(k, v) for k, v in namespace.items() if _type(k) is _str]
            namespace.clear()
            namespace.update(kept)
            return


def _refill(namespace, items) -> None:
    clean_keys(namespace)
    if _len(namespace) == _len(items):
        for key, value in items:
            if namespace.get(key, _MISSING) is not value:
                break
        else:
            return
    namespace.clear()
    namespace.update(items)


def _restore_classes(records) -> None:
    for cls, names, values, keys in records:
        current = _class_dict(cls)
        if not _unchanged(current.get, names, values):
            for key, value in _zip(names, values):
                if current.get(key, _MISSING) is not value:
                    _set_class_attr(cls, key, value)
        if current.keys() != keys:  # new keys: data may come legitimately, new behaviour may not
            for key in [k for k, v in current.items() if k not in keys and _planted_behaviour(v)]:
                _del_class_attr(cls, key)


def _restore_modules(records) -> None:
    for module, kind, namespace, names, values, keys in records:
        if _type(module) is not kind:
            _set_class(module, kind)
        if namespace.keys() != keys:
            # A key that is not a plain string could pass for a real name, and a new global
            # named like a builtin would take its place for the module's own code.
            planted = [k for k in namespace
                       if _type(k) is not _str or (k in _BUILTIN_NAMES and k not in keys)]
            if planted:
                clean_keys(namespace)
                for key in planted:
                    if _type(key) is _str:
                        del namespace[key]
        if not _unchanged(namespace.get, names, values):
            for key, value in _zip(names, values):
                if namespace.get(key, _MISSING) is not value:
                    namespace[key] = value


def _restore_functions(records) -> None:
    slots, keywords, cells, dicts = records
    for func, code, defaults, kwdefaults in slots:
        if _code.__get__(func) is not code:
            _code.__set__(func, code)
        if _defaults.__get__(func) is not defaults:
            _defaults.__set__(func, defaults)
        if _kwdefaults.__get__(func) is not kwdefaults:
            _kwdefaults.__set__(func, kwdefaults)
    for namespace, items in keywords:
        _refill(namespace, items)
    for cell, value in cells:
        if _cell.__get__(cell) is not value:
            _cell.__set__(cell, value)
    for func, namespace, items in dicts:
        if _func_dict.__get__(func) is not namespace:
            _func_dict.__set__(func, namespace)
        if items or namespace:
            _refill(namespace, items)


def _restore_instances(records) -> None:
    for obj, cls, descriptor, namespace, items, methods, traits, trait_items in records:
        if _type(obj) is not cls:
            _set_class(obj, cls)
        if namespace is None:
            continue
        if descriptor.__get__(obj) is not namespace:
            descriptor.__set__(obj, namespace)
        clean_keys(namespace)
        kept = _dict(items)
        for key in [k for k in namespace if k in methods and k not in kept]:
            del namespace[key]
        for key, value in items:
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value
        if trait_items:
            if namespace.get("_trait_values") is not traits:
                namespace["_trait_values"] = traits
            for key, value in trait_items:
                if traits.get(key, _MISSING) is not value:
                    traits[key] = value


def _restore_containers(records) -> None:
    for owner, key, value, items in records:
        if owner.get(key, _MISSING) is not value:
            owner[key] = value
        if _type(value) is dict:
            value.clear()
            value.update(items)
        else:
            value[:] = items


def restore(records: tuple) -> None:
    """Put back ``(classes, modules, functions, instances, containers)`` records, in that order.

    Classes go first: writing to a module or an instance may go through its class.
    """
    classes, modules, functions, instances, containers = records
    _restore_classes(classes)
    _restore_modules(modules)
    _restore_functions(functions)
    _restore_instances(instances)
    _restore_containers(containers)
