"""Tests that the notebooks name every key term in Korean, once per notebook, consistently."""

import re

import pytest
from nbhelpers import ASSIGNMENTS, REPO, read, source_notebook

HANGUL_PAIR = re.compile(r"([가-힣]+(?:[ -][가-힣]+)*) \(([A-Za-z][^()]*)\)")
FENCED = re.compile(r"```.*?```", re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)


def load_glossary() -> dict[str, str]:
    """English term (lower case) -> Korean term, from GLOSSARY.md's table."""
    terms = {}
    for line in (REPO / "GLOSSARY.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.search("[가-힣]", cells[1]) and cells[0] != "English":
            english = cells[0].lower()
            assert english not in terms, f"GLOSSARY.md lists {english!r} twice"
            terms[english] = cells[1]
    return terms


def _blank(match: re.Match) -> str:
    return " " * len(match.group(0))


def prose(assignment: str) -> str:
    """All markdown of a notebook, with code, link targets and maths blanked out."""
    nb = read(source_notebook(assignment))
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for pattern in (FENCED, INLINE_CODE, LINK_TARGET, MATH):
        text = pattern.sub(_blank, text)
    return text


def word(term: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", re.I)


def first_plain_use(text: str, term: str, glossary: dict[str, str]) -> re.Match | None:
    """First use of ``term`` that is not part of a longer glossary term."""
    for longer in glossary:
        if longer != term and word(term).search(longer):
            text = word(longer).sub(_blank, text)
    return word(term).search(text)


GLOSSARY = load_glossary()


def test_glossary_is_readable_and_has_the_core_terms():
    for english in ("convolution", "hyperparameter", "parameter", "padding", "dilation"):
        assert english in GLOSSARY


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_korean_pair_is_the_glossarys(assignment):
    """Check that each `한국어 (English)` pair uses the glossary's Korean name."""
    problems = []
    for korean, english in HANGUL_PAIR.findall(prose(assignment)):
        expected = GLOSSARY.get(english.lower())
        if expected is None:
            problems.append(f"{korean} ({english}): add {english!r} to GLOSSARY.md")
        elif korean != expected:
            problems.append(f"{korean} ({english}): the glossary says {expected} ({english})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_first_use_of_each_term_carries_its_korean_name(assignment):
    """Check that a glossary term's first appearance is written `한국어 (term)`."""
    text = prose(assignment)
    problems = []
    for english, korean in GLOSSARY.items():
        first = first_plain_use(text, english, GLOSSARY)
        if first is None:
            continue
        before = text[: first.start()]
        if not before.endswith(f"{korean} ("):
            context = text[max(0, first.start() - 40): first.end() + 10].replace("\n", " ")
            problems.append(f"{english!r} first appears without {korean}: ...{context.strip()}...")
    assert not problems, "\n".join(problems)


# -- the Korean edition (ko/): `합성곱(convolution)` on first use, then the Korean name -------------------
KOREAN_PAIR = re.compile(r"([가-힣]+(?:[ -][가-힣]+)*) ?\(([A-Za-z][^()]*)\)")


def korean_prose(assignment: str) -> str:
    """All markdown of the Korean edition's notebook, with code, link targets and maths blanked out."""
    nb = read(REPO / "ko" / "source" / assignment / f"{assignment}.ipynb")
    text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for pattern in (FENCED, INLINE_CODE, LINK_TARGET, MATH):
        text = pattern.sub(_blank, text)
    return text


def korean_word(term: str) -> re.Pattern:
    # Particles attach on the right (합성곱은), so only the left side needs a boundary.
    return re.compile(r"(?<![가-힣])" + re.escape(term))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_pair_in_the_korean_edition_is_the_glossarys(assignment):
    """Check that each `한국어(English)` pair of the Korean edition uses the glossary's Korean name."""
    problems = []
    for korean, english in KOREAN_PAIR.findall(korean_prose(assignment)):
        expected = GLOSSARY.get(english.lower())
        if expected is not None and not korean.endswith(expected):
            problems.append(f"{korean}({english}): the glossary says {expected}({english})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_korean_edition_gives_each_term_its_english_on_first_use(assignment):
    """Check that every glossary term of the English notebook first appears in Korean as `한국어(English)`."""
    english_text, text = prose(assignment), korean_prose(assignment)
    by_korean = {korean: english for english, korean in GLOSSARY.items()}
    problems = []
    for english, korean in GLOSSARY.items():
        if first_plain_use(english_text, english, GLOSSARY) is None:
            continue
        blanked = text
        for longer in by_korean:          # 배치 inside 배치 크기 is not a use of 배치
            if longer != korean and korean in longer:
                blanked = korean_word(longer).sub(_blank, blanked)
        first = korean_word(korean).search(blanked)
        if first is None:
            problems.append(f"{korean}({english}) never appears")
            continue
        after = blanked[first.end():first.end() + len(english) + 2].lower()
        if not (after.startswith(f"({english.lower()}") or after.startswith(f" ({english.lower()}")):
            context = text[max(0, first.start() - 20): first.end() + 30].replace("\n", " ")
            problems.append(f"{korean} first appears without ({english}): ...{context.strip()}...")
    assert not problems, "\n".join(problems)
