"""The Korean edition (ko/): complete and current translations, the English code, and generated files only.

The edition is built from source/ and the catalogues in locale/ko/ (course.editions); these tests
check the committed result against both.
"""

import ast
import filecmp
import shutil
from pathlib import Path

import pytest
from nbhelpers import ASSIGNMENTS, REPO, nbgrader_meta, read

from course.editions.build import LANGUAGE_LINE, build
from course.editions.catalog import CODE, catalogue_path, status
from course.editions.codestrings import template

KO = REPO / "ko"


def _korean(assignment):
    return read(KO / "source" / assignment / f"{assignment}.ipynb")


def _english(assignment):
    return read(REPO / "source" / assignment / f"{assignment}.ipynb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_message_is_translated_from_the_current_english(assignment):
    """Check that the catalogue has no untranslated message and none that translates older English"""
    found = status(_english(assignment), catalogue_path(REPO, "ko", assignment))
    assert found.missing == [], f"{len(found.missing)} untranslated:\n" + "\n".join(found.missing[:20])
    assert found.stale == [], (f"{len(found.stale)} stale (the English changed): run `course edition "
                               "update ko` and revise them:\n" + "\n".join(found.stale[:20]))


def test_the_korean_source_is_exactly_what_the_catalogues_build(tmp_path):
    """Check that ko/source/ and ko/nbgrader_config.py were rebuilt after the last change, not hand-edited"""
    root = tmp_path / "course"
    shutil.copytree(REPO / "source", root / "source")
    shutil.copytree(REPO / "locale", root / "locale")
    shutil.copy(REPO / "nbgrader_config.py", root)
    build(root, "ko")
    assert (root / "ko" / "nbgrader_config.py").read_bytes() == (KO / "nbgrader_config.py").read_bytes()
    built = sorted(p.relative_to(root / "ko") for p in (root / "ko" / "source").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(KO) for p in (KO / "source").rglob("*")
                       if p.is_file() and ".ipynb_checkpoints" not in p.parts)
    assert built == committed, "run `make release`"
    for path in built:
        assert (root / "ko" / path).read_bytes() == (KO / path).read_bytes(), f"{path}: run `make release`"


def _translations(assignment) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with open(catalogue_path(REPO, "ko", assignment), "rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.context == CODE and m.string and not m.fuzzy}


def _text(node, source):
    return node.value if isinstance(node, ast.Constant) else template(node, source)


def _differences(english, korean, en_source, ko_source, translated, path="cell"):
    """Where two syntax trees differ other than by a string the catalogue translates."""
    literal = (ast.Constant, ast.JoinedStr)
    if (isinstance(english, literal) and isinstance(korean, literal)
            and all(isinstance(getattr(n, "value", ""), str) for n in (english, korean))):
        en_text, ko_text = _text(english, en_source), _text(korean, ko_source)
        same = ko_text in (en_text, translated.get(en_text))
        return [] if same else [f"{path}: {en_text!r} -> {ko_text!r}"]
    if type(english) is not type(korean):
        return [f"{path}: {type(english).__name__} -> {type(korean).__name__}"]
    if isinstance(english, list):
        if len(english) != len(korean):
            return [f"{path}: {len(english)} items -> {len(korean)}"]
        return [d for i, (e, k) in enumerate(zip(english, korean, strict=True))
                for d in _differences(e, k, en_source, ko_source, translated, f"{path}[{i}]")]
    if isinstance(english, ast.AST):
        return [d for name in english._fields
                for d in _differences(getattr(english, name), getattr(korean, name), en_source, ko_source,
                                      translated, f"{path}.{name}")]
    return [] if english == korean else [f"{path}: {english!r} -> {korean!r}"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_code_is_the_english_code(assignment):
    """Check that the Korean notebook's code differs only by translated prose and the language line"""
    english, korean, translated = _english(assignment), _korean(assignment), _translations(assignment)
    assert [(c.cell_type, c.get("id")) for c in english.cells] == [
        (c.cell_type, c.get("id")) for c in korean.cells]
    first = True
    for en_cell, ko_cell in zip(english.cells, korean.cells, strict=True):
        assert nbgrader_meta(en_cell) == nbgrader_meta(ko_cell)
        if en_cell.cell_type != "code":
            continue
        source = ko_cell.source
        if first:
            line = LANGUAGE_LINE.format(language="ko")
            assert source.startswith(line), "the setup cell must start by choosing Korean"
            source, first = source[len(line):], False
        problems = _differences(ast.parse(en_cell.source), ast.parse(source), en_cell.source, source,
                                translated, nbgrader_meta(en_cell).get("grade_id", en_cell.get("id")))
        assert problems == [], "\n".join(problems)


def test_a_changed_english_code_cell_would_fail_the_check():
    """Check that the comparison above notices code that differs, not just prose"""
    english, korean = 'expect_equal(f(2), 4, call="f(2)", hint="Twice.")', (
        'expect_equal(f(3), 4, call="f(2)", hint="두 배.")')
    assert _differences(ast.parse(english), ast.parse(korean), english, korean, {"Twice.": "두 배."}) == [
        "cell.body[0].value.args[0].args[0].value: 2 -> 3"]
    assert _differences(ast.parse(english), ast.parse(korean.replace("f(3)", "f(2)")), english, korean,
                        {"Twice.": "세 배."})[0].endswith("'Twice.' -> '두 배.'")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_korean_release_is_exactly_what_nbgrader_generates(assignment, generated_korean_course):
    """Check that ko/release/ was regenerated (`make release`) after the last change, and not hand-edited"""
    generated, committed = Path(generated_korean_course) / "release" / assignment, KO / "release" / assignment
    comparison = filecmp.dircmp(generated, committed, ignore=[".ipynb_checkpoints"])
    assert not comparison.left_only and not comparison.right_only, "run `make release`"
    for path in generated.glob("*.ipynb"):
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"ko/release/{assignment}/{path.name} is not what ko/source/ generates; run `make release`")
