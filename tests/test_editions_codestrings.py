"""Tests of course.editions.codestrings: which strings of a code cell are prose, and replacing them."""

import ast

import pytest

from course.editions.codestrings import TranslationError, check_fstring, find, substitute

CELL = '''"""Check that f doubles"""
size = 3
expect_equal(f(size), 6, call="f(3)", hint="Twice the input: " "add it to itself.")
expect_equal(g(size), 9, call="g(3)", detail=f"g gave {g(size)!r} for {size}", hint=None)
label = "not a hint, a value the test compares"
expect_equal(h(label), label, call="h(label)", hint=why)
why = "h returns its input unchanged"
for case, expected, reason in [(1, 2, "one plus one"), (2, 4, "two plus two")]:
    expect_equal(f(case), expected, call=f"f({case})", hint=reason)
'''


def test_find_picks_the_docstring_hints_details_and_hint_tables_only():
    texts = [literal.text for literal in find(CELL, grade_cell=True)]
    assert texts == ["Check that f doubles", "Twice the input: add it to itself.",
                     "g gave {g(size)!r} for {size}", "h returns its input unchanged", "one plus one",
                     "two plus two"]


def test_outside_a_grade_cell_the_docstring_is_code():
    assert "Check that f doubles" not in [literal.text for literal in find(CELL)]


def test_substitute_changes_only_the_prose_and_keeps_the_code():
    translations = {"Twice the input: add it to itself.": "입력의 두 배입니다.",
                    "g gave {g(size)!r} for {size}": "{size}에 대해 g가 {g(size)!r}를 돌려주었습니다",
                    "one plus one": "일 더하기 일", "Check that f doubles": "f가 두 배를 하는지 확인합니다"}
    korean = substitute(CELL, translations, grade_cell=True)
    assert '"""f가 두 배를 하는지 확인합니다"""' in korean and "입력의 두 배입니다." in korean
    assert "not a hint, a value the test compares" in korean and "two plus two" in korean
    english, translated = ast.parse(CELL), ast.parse(korean)
    # The same statements, calls and names: only the literals changed (an f-string's fields may move).
    assert sorted(type(n).__name__ for n in ast.walk(english)) == sorted(
        type(n).__name__ for n in ast.walk(translated))
    size, g = 3, lambda x: x * 3   # noqa: F841 - read by the f-string below
    detail = next(k.value for k in ast.walk(translated) if isinstance(k, ast.keyword) and k.arg == "detail")
    assert eval(compile(ast.Expression(detail), "cell", "eval")) == "3에 대해 g가 9를 돌려주었습니다"


def _hint(source):
    return next(k.value for k in ast.walk(ast.parse(source))
                if isinstance(k, ast.keyword) and k.arg == "hint")


def test_a_long_translation_is_split_over_lines_and_still_the_same_string():
    text = "아주 " * 60 + "깁니다."
    korean = substitute('expect_true(ok, call="c", hint="A short hint.")\n', {"A short hint.": text})
    assert korean.count("\n") > 2
    assert _hint(korean).value == text


def test_a_long_fstring_is_never_cut_inside_a_field():
    source = 'expect_true(ok, call="c", hint=f"n is {n}, then {n + 1 if n else 0}")\n'
    text = "값 " * 40 + "{n + 1 if n else 0} 그리고 " + "더 " * 40
    korean = substitute(source, {"n is {n}, then {n + 1 if n else 0}": text + "{n}"})
    n = 2  # noqa: F841 - read by the f-string
    expected = text.replace("{n + 1 if n else 0}", "3") + "2"
    assert eval(compile(ast.Expression(_hint(korean)), "cell", "eval")) == expected


@pytest.mark.parametrize("translated", ["{m} 입니다", "입니다", "{n} {n} 입니다", "{n!s} 입니다"])
def test_a_translated_fstring_must_keep_exactly_its_fields(translated):
    with pytest.raises(TranslationError, match="must keep exactly its fields"):
        check_fstring("it is {n}", translated)


def test_a_field_may_move_and_literal_braces_are_doubled():
    check_fstring("{a} then {b:.2f}", "{b:.2f} 다음 {a} {{괄호}}")
    with pytest.raises(TranslationError, match="single }"):
        check_fstring("{a}", "{a} }")


def test_a_docstring_translation_stays_one_line():
    with pytest.raises(TranslationError, match="one line"):
        substitute('"""Check x"""\nx = 1\n', {"Check x": "줄이\n두 개"}, grade_cell=True)


def test_unicode_before_a_literal_does_not_shift_it():
    source = 'x = "−∞"; expect_true(ok, call="c", hint="Mind the − sign.")\n'
    assert substitute(source, {"Mind the − sign.": "부호 −에 주의하세요."}) == (
        "x = \"−∞\"; expect_true(ok, call=\"c\", hint='부호 −에 주의하세요.')\n")
