"""Tests of course.i18n: choosing the language, and a complete Korean catalogue for the package's messages."""

import os
import re
import string
import subprocess
import sys

import pytest
from nbhelpers import REPO

from course import i18n

FIELD = re.compile(r"\{[^{}]*\}")


@pytest.fixture(autouse=True)
def _english_afterwards(monkeypatch):
    monkeypatch.delenv("COURSE_LANGUAGE", raising=False)
    yield


def test_english_is_the_default_and_needs_no_catalogue():
    assert i18n.language() == "en"
    assert i18n.gettext("any message at all") == "any message at all"


def test_use_language_switches_and_survives_in_the_environment():
    i18n.use_language("ko")
    assert i18n.language() == "ko" and os.environ["COURSE_LANGUAGE"] == "ko"
    i18n.use_language("en")
    assert i18n.language() == "en"


@pytest.mark.parametrize("bad", ["kr", "KO", "", None, 3])
def test_an_unknown_language_is_refused_with_the_choices(bad):
    with pytest.raises(ValueError, match=r"use_language\(.*'en', 'ko'"):
        i18n.use_language(bad)


def test_an_unknown_language_in_the_environment_falls_back_to_english(monkeypatch):
    monkeypatch.setenv("COURSE_LANGUAGE", "xx")
    assert i18n.language() == "en"


def test_importing_the_package_reads_no_catalogue():
    code = ("import sys, course.i18n, course.checks\n"
            "print('babel' in sys.modules or 'babel.messages' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def _package_messages() -> dict[str, str]:
    """``{message: where}`` for every literal the ``course`` package passes to gettext (or ``_``)."""
    from babel.messages.extract import extract_from_dir

    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(REPO / "course"), method_map=[("**.py", "python")],
            keywords={"_": None, "gettext": None}):
        if isinstance(message, str) and message:
            found.setdefault(message, f"course/{filename}:{lineno}")
    return found


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != "en"])
def test_every_message_of_the_package_is_translated_with_the_same_fields(language):
    """Check that each gettext message in course/ has a translation that formats with the same fields"""
    catalogue = i18n.catalogue(language)
    problems = []
    for message, where in _package_messages().items():
        translated = catalogue.get(message)
        if translated is None:
            problems.append(f"{where}: no {language} translation of {message!r}")
        elif _fields(translated) != _fields(message):
            problems.append(f"{where}: {language} translation of {message!r} has fields "
                            f"{_fields(translated)}, not {_fields(message)}")
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_korean_figures_draw_hangul_with_a_korean_font():
    """Check that after use_language("ko") matplotlib has a font for Hangul, so no glyph is missing"""
    import warnings

    import matplotlib.pyplot as plt

    assert i18n.korean_font() is not None, "koreanize-matplotlib (the NanumGothic font) is not installed"
    i18n.use_language("ko")
    figure, axes = plt.subplots()
    axes.set_title("합성곱(convolution)의 출력 크기")
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # "Glyph ... missing from font(s)" would be a warning
        figure.canvas.draw()
