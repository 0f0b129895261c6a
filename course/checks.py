"""Checks used by the notebooks' test cells.

Every check raises :class:`CheckFailure` (an ``AssertionError``) with a message
that says what was called, what was expected, what came back and, when given,
the misconception that most often produces that result.
"""

from __future__ import annotations

import math
import numbers

import torch

__all__ = ["CheckFailure", "expect_close", "expect_equal", "expect_raises", "expect_true"]


class CheckFailure(AssertionError):
    """A check in a test cell did not hold."""


def _fail(call: str, detail: str, hint: str | None) -> None:
    message = f"{call}: {detail}"
    if hint:
        message += f"\nHint: {hint}"
    raise CheckFailure(message)


def _short(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_equal(actual: object, expected: object, *, call: str, hint: str | None = None) -> None:
    """Check that ``actual == expected`` for plain Python values (ints, tuples, ...).

    ``call`` names what produced ``actual`` (e.g. ``"conv_output_size(5, 3)"``);
    ``hint`` names the likely misconception behind a wrong value.
    Any integer type (Python's or NumPy's) is accepted where an ``int`` is expected,
    but a ``bool`` is not, and a tensor is never accepted where a Python number or
    tuple is expected.
    """
    if isinstance(actual, torch.Tensor) and not isinstance(expected, torch.Tensor):
        _fail(call, f"returned a tensor {_short(actual)}; expected the plain Python value "
              f"{_short(expected)}. Convert with int(...) or tuple(...).", hint)
    if isinstance(expected, int) and not isinstance(expected, bool) and isinstance(actual, bool):
        _fail(call, f"returned the bool {actual!r}; expected the int {expected!r}.", hint)
    if isinstance(expected, float) and isinstance(actual, int | float) and not isinstance(
        actual, bool
    ):
        if math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12):
            return
    elif type(expected) is int and isinstance(actual, numbers.Integral):
        if actual == expected:
            return
    elif type(expected) in (int, tuple) and type(actual) is not type(expected):
        _fail(call, f"returned {_short(actual)} of type {type(actual).__name__}; expected "
              f"{_short(expected)} of type {type(expected).__name__}.", hint)
    elif actual == expected:
        return
    _fail(call, f"returned {_short(actual)}; expected {_short(expected)}.", hint)


def expect_close(
    actual: object,
    expected: torch.Tensor,
    *,
    call: str,
    hint: str | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
) -> None:
    """Check that the tensor ``actual`` has the shape of ``expected`` and close values.

    Shapes are compared first, because a wrong shape is the more telling mistake.
    NaN and infinities must sit in the same places. The message shows the largest
    difference and where it is.
    """
    if not isinstance(actual, torch.Tensor):
        _fail(call, f"returned {type(actual).__name__} {_short(actual)}; expected a tensor "
              f"of shape {tuple(expected.shape)}.", hint)
    if tuple(actual.shape) != tuple(expected.shape):
        _fail(call, f"returned shape {tuple(actual.shape)}; expected shape "
              f"{tuple(expected.shape)}.", hint)
    if not (actual.is_floating_point() or actual.is_complex()) and expected.is_floating_point():
        actual = actual.to(expected.dtype)
    actual_cpu = actual.detach().to("cpu", expected.dtype)
    expected_cpu = expected.detach().to("cpu")
    if torch.allclose(actual_cpu, expected_cpu, rtol=rtol, atol=atol, equal_nan=True):
        return
    difference = (actual_cpu - expected_cpu).abs()
    difference = torch.where(torch.isnan(difference), torch.full_like(difference, math.inf),
                             difference)
    worst = int(torch.argmax(difference.flatten()))
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), actual.shape))
    _fail(call, f"values differ. At index {index} it returned "
          f"{actual_cpu.flatten()[worst].item():.6g} but expected "
          f"{expected_cpu.flatten()[worst].item():.6g} (largest difference "
          f"{difference.flatten()[worst].item():.3g}).", hint)


def expect_raises(exception: type[BaseException], func, *args, call: str,
                  hint: str | None = None, **kwargs) -> BaseException:
    """Check that ``func(*args, **kwargs)`` raises ``exception``; return the raised error."""
    try:
        result = func(*args, **kwargs)
    except exception as error:
        return error
    except NotImplementedError:
        raise
    except Exception as error:  # noqa: BLE001 - reported to the student, not swallowed
        _fail(call, f"raised {type(error).__name__}({error}); expected {exception.__name__}.",
              hint)
    _fail(call, f"returned {_short(result)}; expected it to raise {exception.__name__}.", hint)
    raise AssertionError("unreachable")  # pragma: no cover


def expect_true(condition: bool, *, call: str, detail: str, hint: str | None = None) -> None:
    """Check a condition that the other checks cannot express; ``detail`` says what failed."""
    if not condition:
        _fail(call, detail, hint)
