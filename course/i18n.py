"""The language of the course's own messages: check failures, explorer text, helper errors.

A notebook of the Korean edition starts with ``use_language("ko")``; the English edition needs
nothing. The translations live in gettext catalogues, ``course/locale/<language>/*.po`` (one per
part of the package), read with Babel the first time a message is asked for in that language.

The language is kept in the environment (``COURSE_LANGUAGE``), not in this module: a grading
kernel puts the ``course`` modules back as they were before each test cell, and the language a
notebook chose must survive that. Messages with values use named fields: ``gettext("got {n}")``
is translated first and formatted after, so a translation may put the values in another order.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LANGUAGES", "catalogue", "gettext", "korean_font", "language", "use_language"]

LANGUAGES = ("en", "ko")          # English is the source language: it needs no catalogue
_VARIABLE = "COURSE_LANGUAGE"
_LOCALE = Path(__file__).resolve().parent / "locale"
_catalogues: dict[str, dict[str, str]] = {}


def use_language(code: str) -> None:
    """Write the course's messages in ``code`` from now on: ``"en"`` (the default) or ``"ko"``.

    For Korean, matplotlib also learns a Korean font (:func:`korean_font`) as the fallback for
    Hangul, so figure text in Korean is drawn, not shown as empty boxes.
    """
    if not isinstance(code, str) or code not in LANGUAGES:
        raise ValueError(f"use_language({code!r}): the course speaks {', '.join(map(repr, LANGUAGES))}; "
                         "pass one of those")
    os.environ[_VARIABLE] = code
    if code == "ko":
        _add_korean_font_to_matplotlib()


def korean_font() -> Path | None:
    """NanumGothic, the Korean font the course draws Hangul with (from koreanize-matplotlib), or None."""
    import importlib.util

    spec = importlib.util.find_spec("koreanize_matplotlib")
    path = Path(spec.origin).parent / "fonts" / "NanumGothic.ttf" if spec and spec.origin else None
    return path if path is not None and path.exists() else None


def _add_korean_font_to_matplotlib() -> None:
    # Latin letters, digits and symbols keep matplotlib's DejaVu Sans; only Hangul, which it lacks,
    # falls back to NanumGothic (matplotlib picks a font per glyph along the family list).
    path = korean_font()
    if path is None:
        return
    import matplotlib
    from matplotlib import font_manager

    name = font_manager.FontProperties(fname=path).get_name()
    if name not in {font.name for font in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))
    families = list(matplotlib.rcParams["font.family"])
    if name not in families:
        matplotlib.rcParams["font.family"] = ["DejaVu Sans", name]


def language() -> str:
    """The language of the course's messages now (``COURSE_LANGUAGE``, English when unset or unknown)."""
    code = os.environ.get(_VARIABLE, "en")
    return code if code in LANGUAGES else "en"


def catalogue(code: str) -> dict[str, str]:
    """``{English message: translation}`` for ``code``, translated entries only (none for English)."""
    if code not in _catalogues:
        table: dict[str, str] = {}
        if code != "en":
            from babel.messages.pofile import read_po

            for path in sorted((_LOCALE / code).glob("*.po")):
                with path.open("rb") as handle:
                    table.update({m.id: m.string for m in read_po(handle)
                                  if isinstance(m.id, str) and m.id and m.string and not m.fuzzy})
        _catalogues[code] = table
    return _catalogues[code]


def gettext(message: str) -> str:
    """``message`` in the current language; the English itself where no translation exists."""
    code = language()
    if code == "en":
        return message
    return catalogue(code).get(message, message)
