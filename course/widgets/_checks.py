"""Argument checks shared by the explorers.

Each check returns the value it accepted and otherwise raises ``ValueError`` naming the
argument, what it must be and what it got, so a wrong call in a notebook explains itself.
``bool`` is refused where a number is expected: ``True`` would pass as 1 and hide a
mixed-up argument.
"""

from __future__ import annotations

import math

from course.i18n import gettext as _


def check_int(name: str, value, least: int | None = None, most: int | None = None) -> int:
    """Return ``value`` if it is an int within ``least``..``most`` (either may be None)."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or (least is not None and value < least) or (most is not None and value > most):
        if least is not None and most is not None:
            message = _("{name} must be an int from {least} to {most}, got {value}")
        elif least is not None:
            message = _("{name} must be an int of at least {least}, got {value}")
        elif most is not None:
            message = _("{name} must be an int of at most {most}, got {value}")
        else:
            message = _("{name} must be an int, got {value}")
        raise ValueError(message.format(name=name, least=least, most=most, value=repr(value)))
    return value


def check_sizes(**sizes) -> None:
    """Check a layer's size arguments: each an int, ``padding`` at least 0 and every other at least 1."""
    for name, value in sizes.items():
        check_int(name, value, 0 if name == "padding" else 1)


def check_at_most(name: str, value: int, most: int) -> int:
    """Return ``value`` if it is at most ``most``: a limit of the picture rather than of PyTorch."""
    if value > most:
        raise ValueError(_("{name} must be at most {most}, got {value}").format(name=name, most=most,
                                                                               value=repr(value)))
    return value


def check_bool(name: str, value) -> bool:
    """Return ``value`` if it is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise ValueError(_("{name} must be True or False, got {value}").format(name=name, value=repr(value)))
    return value


def check_choice(name: str, value, options: tuple, spelled: bool = False):
    """Return ``value`` if it is one of ``options``.

    The message lists the options as a tuple, or with ``spelled`` as ``1 or 2``.
    """
    if value not in options:
        if spelled:
            message = _("{name} must be {allowed}, got {value}").format(
                name=name, allowed=_(" or ").join(map(repr, options)), value=repr(value))
        else:
            message = _("{name} must be one of {options}, got {value}").format(
                name=name, options=options, value=repr(value))
        raise ValueError(message)
    return value


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def check_number(name: str, value, least: float, most: float) -> float:
    """Return ``value`` as a float if it is a number from ``least`` to ``most`` (nan is refused)."""
    if not _is_number(value) or not least <= value <= most:
        raise ValueError(_("{name} must be a number from {least:g} to {most:g}, got {value}").format(
            name=name, least=least, most=most, value=repr(value)))
    return float(value)


def check_positive(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite number above 0."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(_("{name} must be a positive number, got {value}").format(name=name,
                                                                                  value=repr(value)))
    return float(value)


def check_numbers(name: str, values, least: int, most: int) -> tuple[float, ...]:
    """Return ``values`` as a tuple of floats if it holds ``least`` to ``most`` finite numbers."""
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(_("{name} must be a sequence of numbers, got {values}").format(
            name=name, values=repr(values))) from None
    if not least <= len(numbers) <= most:
        raise ValueError(_("{name} must hold {least} to {most} numbers, got {count}").format(
            name=name, least=least, most=most, count=len(numbers)))
    if not all(math.isfinite(v) for v in numbers):
        raise ValueError(_("{name} must be finite numbers, got {values}").format(name=name,
                                                                                values=repr(values)))
    return numbers
