"""Checks used by the notebooks' test cells.

Every check raises :class:`CheckFailure` (an ``AssertionError``) with a message
that says what was called, what was expected, what came back and, when given,
the misconception that most often produces that result. The message is in the notebook's
language (:func:`course.i18n.use_language`); its words live in :mod:`course._check_messages`,
which only ever sees text made here, never a checked value. A hint is shown as the test gave it.

**Plain values only.** A check never runs code that came with the value it checks: no
``__eq__``, ``__bool__``, ``__float__``, ``__len__``, ``__iter__``, ``__repr__`` or
``__torch_function__`` of the submission's making. It accepts values of exact built-in
types (``int``, ``float``, ``bool``, ``str``, ``None``, and ``tuple``/``list`` of those),
exact NumPy scalar types, and tensors whose exact type is ``torch.Tensor`` or
``torch.nn.Parameter``. Tensors are read into NumPy arrays by trusted code (PyTorch's
own ``Tensor.data`` and ``Tensor.numpy``, with ``__torch_function__`` and Python dispatch
turned off) before any comparison, and compared there, out of reach of tensor subclasses,
torch-function or dispatch modes and operator overrides. Anything else, a subclass of ``int``, ``tuple`` or
``torch.Tensor`` included, fails with a message naming its type and what to return instead.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import torch

from course import _check_messages as _say
from course.spies import record_steps, refusing_all, replaced

__all__ = ["CheckFailure", "expect_close", "expect_equal", "expect_raises", "expect_true", "expect_without",
           "record_steps", "replaced"]


class CheckFailure(AssertionError):
    """A check in a test cell did not hold."""


# Bound now, from the classes themselves: looking anything up through a value (x.shape,
# x.detach(), type(x).__name__) could run the submission's code.
_name_of = type.__dict__["__name__"].__get__
_mro_of = type.__dict__["__mro__"].__get__
_text = str.__str__  # an exact copy of a str, even of a subclass's instance
_error_args = BaseException.__dict__["args"].__get__
_error_text = BaseException.__str__
_tensor_data = torch._C.TensorBase.__dict__["data"].__get__
_tensor_numpy = torch._C.TensorBase.numpy
_tensor_to = torch._C.TensorBase.to
_resolve = (torch._C.TensorBase.resolve_conj, torch._C.TensorBase.resolve_neg)
_no_torch_function = torch._C.DisableTorchFunction
_no_python_dispatch = torch._C._ExcludeDispatchKeyGuard
_PYTHON_KEYS = (torch._C.DispatchKeySet(torch._C.DispatchKey.Python)
                | torch._C.DispatchKeySet(torch._C.DispatchKey.PythonTLSSnapshot))
_TENSORS = (torch.Tensor, torch.nn.Parameter)
_is_complex = torch._C.TensorBase.is_complex
_SCALARS = frozenset(id(t) for t in (int, float, bool, str, complex, type(None)))
_NUMPY_INTEGERS = frozenset(id(t) for t in set(np.sctypeDict.values()) if issubclass(t, np.integer))
_NUMPY_FLOATS = frozenset(id(t) for t in set(np.sctypeDict.values()) if issubclass(t, np.floating))
_NUMPY_SCALARS = _NUMPY_INTEGERS | _NUMPY_FLOATS | {id(np.bool_)}
# Types whose values the checks read (or describe) without running code that came with them.
_OWN = _SCALARS | _NUMPY_SCALARS | {id(t) for t in (tuple, list, torch.Size, np.ndarray, *_TENSORS)}
_KNOWN_BASES = ((bool, "bool"), (int, "int"), (float, "float"), (complex, "complex"), (str, "str"),
                (tuple, "tuple"), (list, "list"), (dict, "dict"), (torch.nn.Parameter, "torch.nn.Parameter"),
                (torch.Tensor, "torch.Tensor"), (np.ndarray, "numpy.ndarray"), (np.generic, "numpy.generic"),
                (BaseException, "BaseException"))
_DEPTH = 50


class _NotPlain(Exception):
    """Raised inside this module for a value the checks cannot look at safely."""

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description


def _type_name(cls) -> str:
    return _text(_name_of(cls))


def _describe_type(value) -> str:
    """``an object of type MyInt, a subclass of int``, read from the type alone."""
    cls = type(value)
    for base in _mro_of(cls)[1:]:
        for known, label in _KNOWN_BASES:
            if base is known:
                return _say.object_of_type(_type_name(cls), label)
    return _say.object_of_type(_type_name(cls))


def _is_tensor(value) -> bool:
    return type(value) is _TENSORS[0] or type(value) is _TENSORS[1]


def _plain(value, depth: int = 0):
    """``value`` as built-in data (NumPy scalars become Python numbers), or raise _NotPlain."""
    kind = type(value)
    # Identities first: with course.grader.guard's lock installed every id() call is audited, which costs.
    if kind is int or kind is float or kind is str or kind is bool or value is None:
        return value
    if kind is tuple or kind is list:
        if depth >= _DEPTH:
            raise _NotPlain(_say.nested_too_deep(_type_name(kind), _DEPTH))
        try:
            items = [_plain(item, depth + 1) for item in value]
        except _NotPlain as error:
            raise _NotPlain(_say.holding(_type_name(kind), error.description)) from None
        return tuple(items) if kind is tuple else items
    if kind is np.bool_:
        return value is np.True_
    key = id(kind)
    if key in _SCALARS:
        return value
    if key in _NUMPY_INTEGERS:
        return int(value)
    if key in _NUMPY_FLOATS:
        return float(value)
    if _is_tensor(value):
        raise _NotPlain(_say.a_tensor())
    if kind is torch.Size or kind is np.ndarray:
        raise _NotPlain(_say.of_type(_show(value), _type_name(kind)))
    raise _NotPlain(_show(value))


def _values(tensor) -> np.ndarray:
    """A tensor's values as a NumPy array, read by PyTorch's own code (see the module docstring)."""
    with _no_torch_function(), _no_python_dispatch(_PYTHON_KEYS):
        data = _tensor_data(tensor)
        try:
            return _tensor_numpy(data)
        except (RuntimeError, TypeError):
            # Not a plain CPU tensor NumPy can hold (another device, bfloat16, a conjugate view):
            # convert it, still with the base class's methods.
            data = _resolve[1](_resolve[0](_tensor_to(data, "cpu")))
            try:
                return _tensor_numpy(data)
            except TypeError:
                wider = torch.complex64 if _is_complex(data) else torch.float32
                return _tensor_numpy(_tensor_to(data, wider))


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value) -> str:
    """Describe a value for a message without running code that came with it."""
    kind = type(value)
    if id(kind) in _SCALARS or id(kind) in _NUMPY_SCALARS or kind is torch.Size:
        return _short(repr(value))
    if kind is tuple or kind is list:
        try:
            _plain(value)
        except _NotPlain as error:
            return error.description
        return _short(repr(value))
    if _is_tensor(value):
        return _short(f"tensor({_values(value).tolist()!r})")
    if kind is np.ndarray:
        return _short(repr(value)) if value.dtype.kind in "biufc" else _say.numpy_objects()
    return _describe_type(value)


def _as_text(value) -> str:
    if type(value) is str:
        return value
    return _text(value) if any(base is str for base in _mro_of(type(value))) else _show(value)


def _fail(call: str, detail: str, hint: str | None) -> None:
    message = f"{_as_text(call)}: {detail}"
    hint = _as_text(hint) if hint is not None else ""
    if hint:
        message += "\n" + _say.hint(hint)
    raise CheckFailure(message)


def _equality_problem(actual, expected) -> str | None:
    """Why ``actual`` does not equal ``expected`` (both plain values), or None if it does."""
    if _is_tensor(expected):
        raise TypeError(_say.equal_needs_values())
    try:
        want = _plain(expected)
    except _NotPlain as error:
        return _say.foreign_expected(error.description)
    if _is_tensor(actual):
        return _say.tensor_not_value(_show(actual), _show(expected))
    want_kind, kind = type(want), type(actual)
    if want_kind is tuple and (kind is list or kind is torch.Size or kind is np.ndarray):
        return _say.wrong_type(_show(actual), _type_name(kind), _show(expected), "tuple")
    try:
        got = _plain(actual)
    except _NotPlain as error:
        return _say.not_plain(error.description, _type_name(want_kind),
                              sequence=want_kind is tuple or want_kind is list)
    if want_kind is int:
        if type(got) is bool:
            return _say.bool_not_int(repr(got), repr(want))
        if type(got) is not int:
            return _say.wrong_type(_show(actual), _type_name(kind), _show(expected), "int")
    elif want_kind is float and (type(got) is int or type(got) is float) and kind is not np.bool_:
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            return None
        return _say.returned(_show(actual), _show(expected))
    if got == want:
        return None
    return _say.returned(_show(actual), _show(expected))


def expect_equal(actual: object, expected: object, *, call: str, hint: str | None = None) -> None:
    """Check that ``actual == expected`` for plain Python values (ints, tuples, ...).

    ``call`` names what produced ``actual`` (e.g. ``"conv_output_size(5, 3)"``);
    ``hint`` names the likely misconception behind a wrong value.
    Any NumPy integer is accepted where an ``int`` is expected, but a ``bool`` is not,
    a tensor is never accepted where a Python number or tuple is expected, and neither
    is a subclass of a built-in type.
    """
    problem = _equality_problem(actual, expected)
    if problem is not None:
        _fail(call, problem, hint)


def _closeness_problem(actual, expected, rtol: float, atol: float) -> str | None:
    if not _is_tensor(expected):
        raise TypeError(_say.close_needs_tensor(_show(expected)))
    want = _values(expected)
    if not _is_tensor(actual):
        if id(type(actual)) not in _OWN:
            return _say.not_a_tensor(_describe_type(actual))
        return _say.value_not_tensor(_type_name(type(actual)), _show(actual), str(want.shape))
    got = _values(actual)
    if got.shape != want.shape:
        return _say.wrong_shape(str(got.shape), str(want.shape))
    with np.errstate(all="ignore"):
        # As PyTorch's .to(expected.dtype) then allclose(..., equal_nan=True) would, in NumPy.
        got = got.astype(want.dtype)
        if want.dtype.kind in "fc":
            a, b = got, want
        else:
            a, b = got.astype(np.float64), want.astype(np.float64)
        difference = np.abs(a - b)
        close = (a == b) | (np.isnan(a) & np.isnan(b)) | (
            np.isfinite(difference) & (difference <= atol + np.abs(rtol * b)))
        if close.all():
            return None
        difference = np.where(np.isnan(difference), np.inf, difference).reshape(-1)
        worst = int(difference.argmax())
        index = tuple(int(i) for i in np.unravel_index(worst, want.shape))
        return _say.values_differ(str(index), f"{a.reshape(-1)[worst].item():.6g}",
                                  f"{b.reshape(-1)[worst].item():.6g}", f"{difference[worst].item():.3g}")


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
    problem = _closeness_problem(actual, expected, float(rtol), float(atol))
    if problem is not None:
        _fail(call, problem, hint)


def _raised(error) -> str:
    """``ValueError(message)``, shown without running the error's own ``__str__``."""
    try:
        arguments = _error_args(error)
        text = _error_text(error) if all(id(type(a)) in _SCALARS for a in arguments) else "..."
    except Exception:  # noqa: BLE001 - an error that cannot even be described is still reported
        text = "..."
    return f"{_type_name(type(error))}({text})"


def expect_raises(exception: type[BaseException], func, *args, call: str,
                  hint: str | None = None, **kwargs) -> BaseException:
    """Check that ``func(*args, **kwargs)`` raises ``exception``; return the raised error.

    The raised error's class must have ``exception`` among its bases; nothing the error
    itself says about its class counts.
    """
    try:
        result = func(*args, **kwargs)
    except BaseException as error:  # noqa: BLE001 - sorted by its real class below
        bases = _mro_of(type(error))
        if any(base is exception for base in bases):
            return error
        if any(base is NotImplementedError for base in bases) or not any(base is Exception for base in bases):
            raise
        _fail(call, _say.raised_other(_raised(error), _type_name(exception)), hint)
    _fail(call, _say.did_not_raise(_show(result), _type_name(exception)), hint)
    raise AssertionError("unreachable")  # pragma: no cover


def expect_true(condition: bool, *, call: str, detail: str, hint: str | None = None) -> None:
    """Check a condition that the other checks cannot express; ``detail`` says what failed.

    ``condition`` must be an actual ``bool`` (or NumPy bool): anything else, however truthy,
    fails, since deciding its truth would run its own code.
    """
    if condition is True or condition is np.True_:
        return
    if condition is False or condition is np.False_:
        _fail(call, _as_text(detail), hint)
    _fail(call, _say.untrusted_condition(_show(condition), _as_text(detail)), hint)


def expect_without(forbidden: dict, func, *args, call: str, hint: str | None = None, **kwargs):
    """Check that ``func(*args, **kwargs)`` calls none of the ``forbidden`` functions; return its result.

    ``forbidden`` maps each module or class to the names of its functions that the exercise asks
    the student to write themselves, e.g. ``{F: ("conv1d",), torch: ("conv1d", "convolution")}``.
    While ``func`` runs, each is replaced by a stand-in that notes the call and raises; afterwards
    all are put back, whatever ``func`` did. A noted call fails the check even when ``func`` caught
    the stand-in's error. Without one, an error ``func`` raised is passed on unchanged.
    """
    calls: list[str] = []
    result = None
    with contextlib.ExitStack() as stack:
        for owner, values in refusing_all(forbidden, calls):
            stack.enter_context(replaced(owner, **values))
        try:
            result = func(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - passed on unless a forbidden call explains it
            if not calls or not any(base is Exception for base in _mro_of(type(error))):
                raise
    if calls:
        others = sorted(set(calls) - {calls[0]})
        _fail(call, _say.forbidden_call(calls[0], others), hint)
    return result
