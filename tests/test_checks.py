"""Tests for course.checks: each check passes on right values and explains wrong ones."""

import pytest
import torch

from course.checks import CheckFailure, expect_close, expect_equal, expect_raises, expect_true


def test_expect_equal_accepts_equal_values():
    expect_equal(3, 3, call="f()")
    expect_equal((1, 2), (1, 2), call="f()")
    expect_equal(0.1 + 0.2, 0.3, call="f()")


def test_expect_equal_message_names_call_values_and_hint():
    with pytest.raises(CheckFailure) as info:
        expect_equal(4, 5, call="conv_output_size(7, 3)", hint="forgot the +1")
    message = str(info.value)
    assert "conv_output_size(7, 3)" in message
    assert "returned 4" in message and "expected 5" in message
    assert "Hint: forgot the +1" in message


@pytest.mark.parametrize("wrong", [torch.tensor(3), True, 3.0, "3"])
def test_expect_equal_rejects_lookalikes_of_an_int(wrong):
    expected = 1 if wrong is True else 3
    with pytest.raises(CheckFailure):
        expect_equal(wrong, expected, call="f()")


def test_expect_equal_accepts_any_integer_type_where_an_int_is_expected():
    import numpy as np

    expect_equal(np.int64(7), 7, call="f()")
    with pytest.raises(CheckFailure, match=r"returned np.int64\(8\); expected 7"):
        expect_equal(np.int64(8), 7, call="f()")


def test_expect_equal_rejects_a_list_where_a_tuple_is_expected():
    with pytest.raises(CheckFailure, match="type list"):
        expect_equal([1, 2], (1, 2), call="f()")


def test_expect_close_accepts_close_tensors_and_matching_nans():
    expected = torch.tensor([1.0, float("nan"), float("-inf")])
    expect_close(expected + torch.tensor([1e-7, 0.0, 0.0]), expected, call="f()")


def test_expect_close_reports_shape_before_values():
    with pytest.raises(CheckFailure, match=r"returned shape \(2, 3\); expected shape \(3, 2\)"):
        expect_close(torch.zeros(2, 3), torch.zeros(3, 2), call="f()")


def test_expect_close_points_at_the_worst_element():
    actual = torch.zeros(2, 3)
    actual[1, 2] = 5.0
    with pytest.raises(CheckFailure, match=r"index \(1, 2\) it returned 5 but expected 0"):
        expect_close(actual, torch.zeros(2, 3), call="f()")


def test_expect_close_rejects_a_non_tensor():
    with pytest.raises(CheckFailure, match="expected a tensor"):
        expect_close([0.0], torch.zeros(1), call="f()")


def test_expect_raises_returns_the_error_and_rejects_no_error_or_the_wrong_error():
    error = expect_raises(ValueError, int, "x", call="int('x')")
    assert isinstance(error, ValueError)
    with pytest.raises(CheckFailure, match="returned 3; expected it to raise ValueError"):
        expect_raises(ValueError, int, "3", call="int('3')")
    with pytest.raises(CheckFailure, match="raised TypeError"):
        expect_raises(ValueError, int, None, call="int(None)")


def test_expect_raises_lets_not_implemented_through():
    def stub():
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        expect_raises(ValueError, stub, call="stub()")


def test_expect_true():
    expect_true(True, call="f()", detail="unused")
    with pytest.raises(CheckFailure, match="f\\(\\): the mask is not binary"):
        expect_true(False, call="f()", detail="the mask is not binary")


# -- Values that lie: the checks compare plain data and never run code that came with a value --------


class _LyingInt(int):
    """An int that says it equals anything, and records that it was asked."""

    asked = []

    def __eq__(self, other):
        self.asked.append("__eq__")
        return True

    __hash__ = int.__hash__

    def __repr__(self):
        self.asked.append("__repr__")
        return "8"


class _Untouchable:
    """Every protocol a check might be tempted to use records the attempt and says yes."""

    def __init__(self):
        self.asked = []

    def _note(name, answer):
        def method(self, *args):
            self.asked.append(name)
            return answer
        return method

    __eq__ = _note("__eq__", True)
    __ne__ = _note("__ne__", False)
    __bool__ = _note("__bool__", True)
    __len__ = _note("__len__", 0)
    __iter__ = _note("__iter__", iter(()))
    __index__ = _note("__index__", 3)
    __int__ = _note("__int__", 3)
    __float__ = _note("__float__", 3.0)
    __repr__ = _note("__repr__", "3")
    __str__ = _note("__str__", "3")
    __hash__ = _note("__hash__", 3)


def test_expect_equal_rejects_an_int_subclass_that_says_it_is_equal():
    _LyingInt.asked.clear()
    with pytest.raises(CheckFailure) as info:
        expect_equal(_LyingInt(8), 7, call="f()")
    assert "returned an object of type _LyingInt, a subclass of int; return a plain int" in str(info.value)
    assert _LyingInt.asked == []


def test_expect_equal_rejects_an_int_subclass_even_when_it_holds_the_right_value():
    with pytest.raises(CheckFailure, match="a subclass of int"):
        expect_equal(_LyingInt(7), 7, call="f()")


@pytest.mark.parametrize("expected", [3, 3.0, (3, 3), "3", None, [3]])
def test_expect_equal_never_runs_code_of_a_foreign_value(expected):
    liar = _Untouchable()
    with pytest.raises(CheckFailure, match="returned an object of type _Untouchable"):
        expect_equal(liar, expected, call="f()")
    assert liar.asked == []


def test_expect_equal_rejects_a_tuple_subclass_and_a_tuple_holding_a_foreign_value():
    class Pair(tuple):
        def __eq__(self, other):
            return True

        __hash__ = tuple.__hash__

    with pytest.raises(CheckFailure, match="type Pair, a subclass of tuple; return a plain tuple"):
        expect_equal(Pair((1, 2)), (1, 2), call="f()")
    liar = _Untouchable()
    with pytest.raises(CheckFailure, match="a tuple holding an object of type _Untouchable"):
        expect_equal((liar, 2), (3, 2), call="f()")
    assert liar.asked == []


def test_expect_equal_rejects_a_foreign_expected_value_too():
    # Some tests compare two results of the submission's functions with each other.
    with pytest.raises(CheckFailure, match="the expected value is an object of type _LyingInt"):
        expect_equal(7, _LyingInt(7), call="f(a) vs f(b)")


def test_expect_equal_accepts_numpy_values_of_numpy_s_own_types():
    import numpy as np

    expect_equal((np.int32(2), np.int64(3)), (2, 3), call="f()")
    expect_equal(np.float32(0.5), 0.5, call="f()")
    with pytest.raises(CheckFailure, match="bool"):
        expect_equal(np.True_, 1, call="f()")


def test_expect_equal_rejects_a_tensor_inside_a_tuple():
    with pytest.raises(CheckFailure, match="a tuple holding a tensor"):
        expect_equal((torch.tensor(2), 3), (2, 3), call="f()")


class _SaysClose(torch.Tensor):
    """A tensor subclass whose __torch_function__ answers every comparison with True."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal, torch.Tensor.__eq__, torch.isclose):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def test_expect_close_rejects_a_tensor_subclass_whose_torch_function_says_close():
    liar = torch.zeros(3).as_subclass(_SaysClose)
    with pytest.raises(CheckFailure) as info:
        expect_close(liar, torch.ones(3), call="f()")
    assert "an object of type _SaysClose, a subclass of torch.Tensor; return a plain torch.Tensor" in str(
        info.value)


def test_expect_close_rejects_a_tensor_subclass_that_fakes_shape_and_detach():
    class Faker(torch.Tensor):
        shape = property(lambda self: torch.Size([3]))

        def detach(self):
            return torch.ones(3)

        def to(self, *args, **kwargs):
            return torch.ones(3)

        def __eq__(self, other):
            return True

    with pytest.raises(CheckFailure, match="a subclass of torch.Tensor"):
        expect_close(torch.zeros(3).as_subclass(Faker), torch.ones(3), call="f()")


def test_expect_close_is_not_fooled_by_a_torch_function_or_dispatch_mode():
    from torch.overrides import TorchFunctionMode
    from torch.utils._python_dispatch import TorchDispatchMode

    class SayClose(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return True if func in (torch.allclose, torch.equal) else func(*args, **(kwargs or {}))

    class AllOnes(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            result = func(*args, **(kwargs or {}))
            return torch.ones_like(result) if isinstance(result, torch.Tensor) else result

    wrong = torch.zeros(3)
    for mode in (SayClose(), AllOnes()):
        with mode, pytest.raises(CheckFailure, match="values differ"):
            expect_close(wrong, torch.ones(3), call="f()")


def test_expect_close_accepts_parameters_integer_tensors_and_other_dtypes():
    parameter = torch.nn.Parameter(torch.ones(2, 2))
    expect_close(parameter, torch.ones(2, 2), call="f()")
    expect_close(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]), call="f()")
    expect_close(torch.tensor([1.0, 2.0], dtype=torch.bfloat16), torch.tensor([1.0, 2.0]), call="f()")
    expect_close(torch.tensor(3.0, dtype=torch.float64), torch.tensor(3.0), call="f()")
    with pytest.raises(CheckFailure, match=r"index \(\) it returned 2 but expected 3"):
        expect_close(torch.tensor(2.0), torch.tensor(3.0), call="f()")


def test_expect_true_requires_an_actual_bool():
    import numpy as np

    expect_true(np.True_, call="f()", detail="unused")
    liar = _Untouchable()
    with pytest.raises(CheckFailure, match="an object of type _Untouchable, not True or False"):
        expect_true(liar, call="f()", detail="the layer is trainable")
    assert liar.asked == []
    with pytest.raises(CheckFailure, match=r"tensor\(True\), not True or False"):
        expect_true(torch.tensor(True), call="f()", detail="all kept")


def test_expect_raises_goes_by_the_error_s_real_class():
    class Meta(type):
        def __instancecheck__(cls, instance):
            return True

        def __subclasscheck__(cls, subclass):
            return True

    class Pretender(Exception, metaclass=Meta):
        __class__ = property(lambda self: ValueError)

    def raises_pretender():
        raise Pretender("not a ValueError")

    with pytest.raises(CheckFailure, match=r"raised Pretender\(not a ValueError\); expected ValueError"):
        expect_raises(ValueError, raises_pretender, call="f()")


def test_expect_raises_reports_without_running_code_of_the_error_or_the_result():
    class Chatty(Exception):
        def __str__(self):
            raise AssertionError("__str__ of the submission's error ran inside the check")

    def raises_chatty():
        raise Chatty(_Untouchable())

    with pytest.raises(CheckFailure, match=r"raised Chatty\(\.\.\.\); expected ValueError"):
        expect_raises(ValueError, raises_chatty, call="f()")
    liar = _Untouchable()
    with pytest.raises(CheckFailure, match="returned an object of type _Untouchable; expected it to raise"):
        expect_raises(ValueError, lambda: liar, call="f()")
    assert liar.asked == []


def test_checks_stay_fast():
    """Hidden tests call the checks thousands of times."""
    import time

    start = time.perf_counter()
    for i in range(5_000):
        expect_equal(i, i, call="f()")
        expect_equal((i, 2), (i, 2), call="f()")
    for _ in range(1_000):
        expect_close(torch.ones(4, 4), torch.ones(4, 4), call="f()")
    assert time.perf_counter() - start < 2.0
