"""Stand-ins and spies for the test cells (re-exported by :mod:`course.checks`).

:func:`replaced` puts another object in a name's place for the length of a ``with`` block: a test
cell uses it to grade one exercise apart from another, and :func:`course.checks.expect_without`
to put :func:`refusing` stand-ins in the place of the built-ins an exercise re-implements.
:func:`record_steps` watches an optimizer, so that a test can check the gradients each step applies.
"""

from __future__ import annotations

import contextlib
import functools
import types

from course.i18n import gettext as _

__all__ = ["record_steps", "refusing", "refusing_all", "replaced"]

_MISSING = object()


@contextlib.contextmanager
def replaced(target, **values):
    """Within the ``with`` block, give each name its value; afterwards put back what was there.

    ``target`` is a module or a class (the names are attributes) or a namespace such as
    ``globals()`` (the names are keys). The originals come back also when the block raises; a name
    that was missing, or on a class only inherited, is removed again.
    """
    is_dict = type(target) is dict
    own = target if is_dict else vars(target)  # a class's own attributes, not the inherited ones
    saved = [(name, own.get(name, _MISSING)) for name in values]
    try:
        for name, value in values.items():
            if is_dict:
                target[name] = value
            else:
                setattr(target, name, value)
        yield
    finally:
        for name, original in reversed(saved):
            if original is not _MISSING:
                if is_dict:
                    target[name] = original
                else:
                    setattr(target, name, original)
            elif name in own:
                if is_dict:
                    del target[name]
                else:
                    delattr(target, name)


class Refused(RuntimeError):
    """Raised by a :func:`refusing` stand-in."""


def _refuse(calls: list, label: str, *args, **kwargs):
    calls.append(label)
    raise Refused(_("{label} may not be used here").format(label=label))


def refusing(calls: list, label: str):
    """A stand-in for the function ``label`` names: each call appends ``label`` to ``calls``, then raises."""
    return functools.partial(_refuse, calls, label)


def _name(owner) -> str:
    if type(owner) is types.ModuleType:
        return owner.__name__
    return f"{owner.__module__}.{owner.__qualname__}"


def refusing_all(forbidden: dict, calls: list) -> list:
    """``(owner, {name: stand-in})`` for each module or class in ``forbidden``, which maps it to the
    names of its functions to refuse; each stand-in notes ``owner.name`` in ``calls``."""
    stand_ins = []
    for owner, names in forbidden.items():
        if type(names) is str:
            raise TypeError(_("expect_without needs a tuple of names for {owner}, not one string").format(
                owner=_name(owner)))
        for name in names:
            if not hasattr(owner, name):
                raise AttributeError(_("expect_without: {owner} has no attribute {name}").format(
                    owner=_name(owner), name=repr(name)))
        stand_ins.append((owner, {name: refusing(calls, f"{_name(owner)}.{name}") for name in names}))
    return stand_ins


def _record_step(applied: list, optimizer, args, kwargs) -> None:
    applied.append([None if p.grad is None else p.grad.detach().clone()
                    for group in optimizer.param_groups for p in group["params"]])


def record_steps(optimizer) -> list:
    """Return a list that gets, at every ``optimizer.step()``, the gradients that step is about to apply.

    Each entry holds one detached copy of ``p.grad`` (or None) per parameter, in the order of
    ``optimizer.param_groups``.
    """
    applied: list = []
    optimizer.register_step_pre_hook(functools.partial(_record_step, applied))
    return applied
