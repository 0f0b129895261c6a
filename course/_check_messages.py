"""The words of :mod:`course.checks`' messages, in the language the notebook chose (:mod:`course.i18n`).

Each function puts text that ``course.checks`` has already made (a repr, a type's name, a shape,
the test cell's own ``call``, ``detail`` and hint) into one sentence, translated with ``gettext``
and filled in with ``str.format``. None of them is ever given a checked value, only plain strings,
so no code that came with a value can run here; and each is called only when a check fails.
"""

from __future__ import annotations

from course.i18n import gettext as _


# -- what a value is, for the sentences below --------------------------------------------------------
def object_of_type(name: str, base: str | None = None) -> str:
    """``an object of type MyInt`` (``, a subclass of int`` when ``base`` is given)."""
    if base is None:
        return _("an object of type {name}").format(name=name)
    return _("an object of type {name}, a subclass of {base}").format(name=name, base=base)


def nested_too_deep(kind: str, depth: int) -> str:
    return _("a {kind} nested more than {depth} deep").format(kind=kind, depth=depth)


def holding(kind: str, description: str) -> str:
    return _("a {kind} holding {description}").format(kind=kind, description=description)


def a_tensor() -> str:
    return _("a tensor")


def of_type(value: str, kind: str) -> str:
    return _("{value} of type {kind}").format(value=value, kind=kind)


def numpy_objects() -> str:
    return _("a NumPy array of objects")


def hint(text: str) -> str:
    return _("Hint: {hint}").format(hint=text)


# -- expect_equal ------------------------------------------------------------------------------------
def equal_needs_values() -> str:
    return _("expect_equal compares plain Python values; use expect_close for tensors")


def foreign_expected(description: str) -> str:
    return _("the expected value is {description}; expected values must be plain Python "
             "values").format(description=description)


def tensor_not_value(got: str, want: str) -> str:
    return _("returned a tensor {got}; expected the plain Python value {want}. Convert with int(...) "
             "or tuple(...).").format(got=got, want=want)


def wrong_type(got: str, got_type: str, want: str, want_type: str) -> str:
    return _("returned {got} of type {got_type}; expected {want} of type {want_type}.").format(
        got=got, got_type=got_type, want=want, want_type=want_type)


def not_plain(description: str, kind: str, sequence: bool) -> str:
    """``returned <description>; return a plain <kind>...`` for a value the checks would not read."""
    if sequence:
        advice = _("return a plain {kind} of plain Python values (int, float, bool, str)").format(kind=kind)
    else:
        advice = _("return a plain {kind}").format(kind=kind)
    return _("returned {description}; {advice}.").format(description=description, advice=advice)


def bool_not_int(got: str, want: str) -> str:
    return _("returned the bool {got}; expected the int {want}.").format(got=got, want=want)


def returned(got: str, want: str) -> str:
    return _("returned {got}; expected {want}.").format(got=got, want=want)


# -- expect_close ------------------------------------------------------------------------------------
def close_needs_tensor(value: str) -> str:
    return _("expect_close needs a torch.Tensor as the expected value, not {value}").format(value=value)


def not_a_tensor(description: str) -> str:
    return _("returned {description}; return a plain torch.Tensor.").format(description=description)


def value_not_tensor(kind: str, got: str, shape: str) -> str:
    return _("returned {kind} {got}; expected a tensor of shape {shape}.").format(kind=kind, got=got,
                                                                                  shape=shape)


def wrong_shape(got: str, want: str) -> str:
    return _("returned shape {got}; expected shape {want}.").format(got=got, want=want)


def values_differ(index: str, got: str, want: str, difference: str) -> str:
    return _("values differ. At index {index} it returned {got} but expected {want} (largest "
             "difference {difference}).").format(index=index, got=got, want=want, difference=difference)


# -- expect_raises, expect_true, expect_without ------------------------------------------------------
def raised_other(error: str, name: str) -> str:
    return _("raised {error}; expected {name}.").format(error=error, name=name)


def did_not_raise(got: str, name: str) -> str:
    return _("returned {got}; expected it to raise {name}.").format(got=got, name=name)


def untrusted_condition(value: str, detail: str) -> str:
    return _("the test's condition is {value}, not True or False, so it cannot be trusted (return "
             "plain Python values). {detail}").format(value=value, detail=detail)


def forbidden_call(name: str, others: list[str]) -> str:
    """``it called <name>, which this exercise asks you not to use ...``, naming the ``others`` too."""
    if not others:
        return _("it called {name}, which this exercise asks you not to use (directly, or through a "
                 "layer or function that calls it).").format(name=name)
    return _("it called {name}, which this exercise asks you not to use (directly, or through a "
             "layer or function that calls it); it also called {others}.").format(
        name=name, others=", ".join(others))
