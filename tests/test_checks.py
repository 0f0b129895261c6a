"""Tests for course.checks: each check passes on right values and explains wrong ones."""

import pytest
import torch
import torch.nn.functional as F

from course.checks import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_raises,
    expect_true,
    expect_without,
    record_steps,
    replaced,
)


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


# expect_without: an exercise that re-implements a built-in must not call it.

CONVOLUTIONS = {F: ("conv1d", "conv2d"), torch: ("conv1d", "convolution")}
ORIGINALS = {(F, "conv1d"): F.conv1d, (F, "conv2d"): F.conv2d, (torch, "conv1d"): torch.conv1d,
             (torch, "convolution"): torch.convolution}


def _own_conv1d(x, w):
    """A correct answer: the taps as slices, no built-in convolution."""
    k = w.shape[-1]
    return sum(w[:, :, j] @ x[:, :, j:x.shape[-1] - k + 1 + j] for j in range(k))


def _assert_originals_back():
    for (owner, name), original in ORIGINALS.items():
        assert getattr(owner, name) is original, f"{owner.__name__}.{name} was not put back"


def test_expect_without_returns_the_result_of_a_correct_answer():
    x, w = torch.randn(2, 3, 9), torch.randn(4, 3, 3)
    result = expect_without(CONVOLUTIONS, _own_conv1d, x, w, call="conv1d_naive(x, w)")
    expect_close(result, F.conv1d(x, w), call="conv1d_naive(x, w)")
    _assert_originals_back()


def test_expect_without_passes_keyword_arguments_on():
    result = expect_without({F: ("conv1d",)}, torch.full, (2,), fill_value=3.0, call="f()")
    assert result.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("answer", [
    lambda x, w: F.conv1d(x, w),
    lambda x, w: torch.conv1d(x, w),
    lambda x, w: torch.nn.Conv1d(3, 4, 3, bias=False)(x),      # reaches F.conv1d inside the layer
])
def test_expect_without_fails_an_answer_that_calls_a_forbidden_function(answer):
    with pytest.raises(CheckFailure) as info:
        expect_without(CONVOLUTIONS, answer, torch.randn(1, 3, 8), torch.randn(4, 3, 3),
                       call="conv1d_naive(x, w)", hint="loop over the kernel taps")
    message = str(info.value)
    assert message.startswith("conv1d_naive(x, w): it called torch.")
    assert "conv1d" in message and "Hint: loop over the kernel taps" in message
    _assert_originals_back()


def test_expect_without_names_the_built_in_that_was_called_first_and_the_others():
    def answer(x, w):
        for attempt in (F.conv2d, F.conv1d, torch.conv1d):
            try:
                attempt(x, w)
            except RuntimeError:
                pass
        return x

    with pytest.raises(CheckFailure, match=r"it called torch\.nn\.functional\.conv2d, .*; it also called "
                                           r"torch\.conv1d, torch\.nn\.functional\.conv1d\."):
        expect_without(CONVOLUTIONS, answer, torch.randn(1, 1, 8), torch.randn(1, 1, 3), call="f(x, w)")


def test_expect_without_fails_even_when_the_answer_catches_the_error():
    def sneaky(x, w):
        try:
            return F.conv1d(x, w)
        except BaseException:  # noqa: BLE001 - the point: it swallows whatever the stand-in raises
            return _own_conv1d(x, w)

    with pytest.raises(CheckFailure, match="it called torch.nn.functional.conv1d"):
        expect_without(CONVOLUTIONS, sneaky, torch.randn(1, 3, 8), torch.randn(4, 3, 3), call="f(x, w)")
    _assert_originals_back()


def test_expect_without_passes_the_answer_s_own_error_on_and_restores():
    def stub(x, w):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        expect_without(CONVOLUTIONS, stub, torch.ones(1), torch.ones(1), call="f(x, w)")
    _assert_originals_back()

    def broken(x, w):
        return x @ w  # shapes that do not fit: the student's own RuntimeError

    with pytest.raises(RuntimeError, match="mat1 and mat2|size mismatch|shapes cannot be multiplied"):
        expect_without(CONVOLUTIONS, broken, torch.ones(2, 3), torch.ones(2, 3), call="f(x, w)")
    _assert_originals_back()


def test_expect_without_restores_after_odd_errors_and_tampering():
    class Odd(BaseException):
        def __str__(self):
            raise AssertionError("the check ran the error's own code")

    def odd(x, w):
        raise Odd()

    with pytest.raises(Odd):
        expect_without(CONVOLUTIONS, odd, None, None, call="f(x, w)")
    _assert_originals_back()

    def exits_after_a_forbidden_call(x, w):
        try:
            F.conv1d(x, w)
        finally:
            raise KeyboardInterrupt  # not an Exception: passed on, never swallowed

    with pytest.raises(KeyboardInterrupt):
        expect_without(CONVOLUTIONS, exits_after_a_forbidden_call, None, None, call="f(x, w)")
    _assert_originals_back()

    def tampers(x, w):
        F.conv1d = torch.conv2d             # rebinds one forbidden name, deletes another
        del torch.convolution
        return x

    expect_without(CONVOLUTIONS, tampers, torch.ones(1), None, call="f(x, w)")
    _assert_originals_back()


def test_expect_without_blocks_and_uncovers_an_inherited_tensor_method():
    assert "softmax" not in vars(torch.Tensor)           # inherited from torch._C.TensorBase

    def answer(x):
        return x.softmax(0)

    with pytest.raises(CheckFailure, match=r"it called torch\.Tensor\.softmax"):
        expect_without({torch.Tensor: ("softmax",)}, answer, torch.zeros(2), call="softmax(x)")
    assert "softmax" not in vars(torch.Tensor)
    assert torch.zeros(2).softmax(0).tolist() == [0.5, 0.5]


def test_expect_without_refuses_names_that_do_not_exist_or_one_string():
    with pytest.raises(AttributeError, match="has no attribute 'conv9d'"):
        expect_without({F: ("conv9d",)}, abs, 1, call="f()")
    with pytest.raises(TypeError, match="tuple of names"):
        expect_without({F: "conv1d"}, abs, 1, call="f()")
    _assert_originals_back()


# replaced: another object in a name's place for the length of a with block.

def test_replaced_puts_a_namespace_s_names_back_or_removes_them():
    namespace = {"dropout": "mine"}
    with replaced(namespace, dropout="theirs", extra=1):
        assert namespace == {"dropout": "theirs", "extra": 1}
    assert namespace == {"dropout": "mine"}
    with pytest.raises(ZeroDivisionError), replaced(namespace, dropout="theirs"):
        namespace["result"] = 1 / 0
    assert namespace == {"dropout": "mine"}
    with replaced(namespace, dropout="theirs"):
        del namespace["dropout"]         # even a name the block removed comes back
    assert namespace == {"dropout": "mine"}


def test_replaced_sets_and_restores_module_attributes():
    original = F.dropout
    with replaced(F, dropout=abs):
        assert F.dropout is abs
    assert F.dropout is original


# record_steps: the gradients each optimizer step applies.

def test_record_steps_keeps_a_copy_of_the_gradients_of_every_step():
    w, b = torch.nn.Parameter(torch.tensor([1.0, 2.0])), torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([w, b], lr=0.1)
    applied = record_steps(optimizer)
    (w ** 2).sum().backward()
    optimizer.step()
    w.grad.mul_(10)                          # the record is a copy, not the live gradient
    optimizer.step()
    optimizer.zero_grad()
    optimizer.step()
    assert len(applied) == 3
    assert applied[0][0].tolist() == [2.0, 4.0] and applied[0][1] is None
    assert applied[1][0].tolist() == [20.0, 40.0]
    assert applied[2] == [None, None]


# -- In Korean (course.i18n.use_language("ko")): the checks' own words; the test cell's stay as given --

HANGUL = r"[\uac00-\ud7a3]"


def test_a_failure_in_korean_labels_what_was_returned_and_expected_and_keeps_the_hint_as_given():
    from course.i18n import use_language

    use_language("ko")
    with pytest.raises(CheckFailure) as info:
        expect_equal(4, 5, call="conv_output_size(7, 3)", hint="+1을 잊었습니다 (forgot the +1)")
    assert str(info.value) == ("conv_output_size(7, 3): 반환값은 4이지만 기댓값은 5입니다.\n"
                               "힌트: +1을 잊었습니다 (forgot the +1)")
    with pytest.raises(CheckFailure) as info:
        expect_close(torch.zeros(2, 3), torch.zeros(3, 2), call="f()")
    assert str(info.value) == "f(): 반환값의 모양은 (2, 3)이지만 기댓값의 모양은 (3, 2)입니다."
    actual = torch.zeros(2, 3)
    actual[1, 2] = 5.0
    with pytest.raises(CheckFailure) as info:
        expect_close(actual, torch.zeros(2, 3), call="f()")
    assert str(info.value) == ("f(): 값이 다릅니다. 인덱스 (1, 2)에서 반환값은 5이지만 기댓값은 0입니다"
                               "(가장 큰 차이 5).")
    with pytest.raises(CheckFailure, match="반환값은 3이지만 ValueError 예외가 발생해야 합니다"):
        expect_raises(ValueError, int, "3", call="int('3')")
    with pytest.raises(CheckFailure, match=r"^f\(\): the mask is not binary$"):   # the test cell's own words
        expect_true(False, call="f()", detail="the mask is not binary")


def test_in_korean_the_checks_still_run_no_code_of_a_foreign_value():
    from course.i18n import use_language

    use_language("ko")
    _LyingInt.asked.clear()
    with pytest.raises(CheckFailure) as info:
        expect_equal(_LyingInt(8), 7, call="f()")
    assert str(info.value) == ("f(): 반환값은 int의 서브클래스인 _LyingInt 타입의 객체입니다. "
                               "일반 int 값을 반환하십시오.")
    assert _LyingInt.asked == []
    liar = _Untouchable()
    with pytest.raises(CheckFailure, match="요소 중 하나가 _Untouchable 타입의 객체인 tuple"):
        expect_equal((liar, 2), (3, 2), call="f()")
    with pytest.raises(CheckFailure, match="True나 False가 아니라 _Untouchable 타입의 객체이므로"):
        expect_true(liar, call="f()", detail="d")
    assert liar.asked == []


def test_expect_without_speaks_korean_too():
    from course.i18n import use_language

    use_language("ko")
    with pytest.raises(CheckFailure) as info:
        expect_without(CONVOLUTIONS, lambda x, w: F.conv1d(x, w), torch.randn(1, 3, 8), torch.randn(4, 3, 3),
                       call="conv1d_naive(x, w)", hint="커널 탭마다 반복하십시오")
    assert str(info.value).startswith("conv1d_naive(x, w): torch.nn.functional.conv1d 함수를 호출했습니다. "
                                      "이 연습 문제에서는")
    assert str(info.value).endswith("\n힌트: 커널 탭마다 반복하십시오")
    _assert_originals_back()
    with pytest.raises(AttributeError, match="torch.nn.functional에는 'conv9d' 속성이 없습니다"):
        expect_without({F: ("conv9d",)}, abs, 1, call="f()")
    with pytest.raises(TypeError, match="이름의 tuple"):
        expect_without({F: "conv1d"}, abs, 1, call="f()")


def test_every_word_of_the_checks_has_korean_and_the_same_english_by_default():
    """Check that each sentence builder of course._check_messages speaks Korean under use_language("ko")"""
    import inspect
    import re

    from course import _check_messages
    from course.i18n import use_language

    def arguments(function):
        values = {"depth": 50, "sequence": True, "others": ["torch.conv1d"]}
        return {name: values.get(name, "X") for name in inspect.signature(function).parameters}

    builders = [f for f in vars(_check_messages).values()
                if inspect.isfunction(f) and f.__module__ == _check_messages.__name__]
    english = {f.__name__: f(**arguments(f)) for f in builders}
    assert len(builders) >= 20 and not any(re.search(HANGUL, text) for text in english.values())
    assert english["returned"] == "returned X; expected X." and english["hint"] == "Hint: X"
    use_language("ko")
    for f in builders:
        korean = f(**arguments(f))
        assert re.search(HANGUL, korean), f"{f.__name__}: {korean!r}"
    assert _check_messages.hint("X") == "힌트: X"
    assert _check_messages.forbidden_call("a", []).startswith("a 함수를 호출했습니다.")


def test_a_refusing_stand_in_says_so_in_korean():
    from course.i18n import use_language
    from course.spies import Refused, refusing

    calls = []
    with pytest.raises(Refused, match=r"^F.conv1d may not be used here$"):
        refusing(calls, "F.conv1d")()
    use_language("ko")
    with pytest.raises(Refused, match=r"^F.conv1d: 여기서는 사용할 수 없습니다$"):
        refusing(calls, "F.conv1d")(1, k=2)
    assert calls == ["F.conv1d", "F.conv1d"]
