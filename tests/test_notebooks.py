"""Tests of the topic notebooks themselves: clean sources, real execution, nbgrader validation,
and a release/ folder that is exactly what nbgrader generates from source/.

Each source notebook is executed once per session, and nbgrader generates the course once per
run (the fixtures in conftest.py); the tests here read those results. The release's unsolved
answers run in-process (nbhelpers.play_release).
"""

import copy
import filecmp
from pathlib import Path

import nbformat
import pytest
from nbhelpers import (
    ASSIGNMENTS,
    RELEASE,
    SOURCE,
    grade_cells,
    is_solution_cell,
    nbgrader_meta,
    play_release,
    read,
    release_notebook,
    source_notebook,
)


def test_every_assignment_has_one_source_and_one_release_notebook():
    assert {"01_parameters", "02_conv_dims"} <= set(ASSIGNMENTS)
    folders = sorted(p.name for p in SOURCE.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders == ASSIGNMENTS, "every folder of source/ needs a notebook named after it"
    for assignment in ASSIGNMENTS:
        assert [p.name for p in (SOURCE / assignment).glob("*.ipynb")] == [f"{assignment}.ipynb"]
        assert release_notebook(assignment).exists(), f"run `make release` for {assignment}"
    assert sorted(p.name for p in RELEASE.iterdir() if p.is_dir()) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_is_committed_clean(assignment):
    """Check that a source notebook has no outputs or widget state, and sound nbgrader cells."""
    nb = read(source_notebook(assignment))
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
        meta = nbgrader_meta(cell)
        if meta:
            assert meta["schema_version"] == 3
    tests = grade_cells(nb)
    assert len(tests) >= 6, "each exercise needs several grade cells"
    for cell in tests:
        first_line = cell.source.lstrip().splitlines()[0]
        assert first_line.startswith('"""Check'), f"{nbgrader_meta(cell)['grade_id']}: {first_line}"
        assert nbgrader_meta(cell)["locked"] and nbgrader_meta(cell)["points"] > 0
    for cell in filter(is_solution_cell, nb.cells):
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        assert '"""' in cell.source.split("### BEGIN SOLUTION")[0], "answer cells open with a docstring"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_hidden_test_line_is_quoted_in_what_students_see(assignment):
    """Check that no hidden test line is part of a line the release shows (the leak checks would flag it)."""
    from course.grader.outputs import _normal, hidden_lines

    hidden = hidden_lines(read(source_notebook(assignment)))
    shown = [_normal(line) for cell in read(release_notebook(assignment)).cells
             for line in cell.source.splitlines()]
    quoted = sorted({h for h in hidden for line in shown if h in line})
    assert not quoted, f"write these hidden lines differently from the visible ones: {quoted}"


def test_grade_ids_are_unique_across_the_course():
    seen = {}
    for assignment in ASSIGNMENTS:
        for cell in read(source_notebook(assignment)).cells:
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id:
                assert grade_id not in seen, f"{grade_id} is in {seen.get(grade_id)} and {assignment}"
                seen[grade_id] = assignment


# -- executed: each source notebook once per session (conftest.executed_source) ------------------
# With pytest-xdist (`make test`), the tests that read one notebook's run share a worker: it runs once.
BY_NOTEBOOK = [pytest.param(a, marks=pytest.mark.xdist_group(f"notebook-{a}")) for a in ASSIGNMENTS]


def _errors(cell) -> list:
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", BY_NOTEBOOK)
def test_source_notebook_runs_top_to_bottom(assignment, executed_source):
    """Check that the instructor notebook, run as grading runs it, raises no error in any cell"""
    nb = executed_source(assignment)
    for cell in nb.cells:
        if cell.cell_type == "code" and _errors(cell):
            error = _errors(cell)[0]
            raise AssertionError(f"{cell.source[:80]!r} raised {error.ename}: {error.evalue}")


@pytest.mark.slow
@pytest.mark.parametrize("assignment", BY_NOTEBOOK)
def test_no_grade_cell_of_the_source_writes_to_stderr(assignment, executed_source):
    """Check that the reference's tests write no stderr.

    The kernel keeps stderr as stderr (a grading kernel publishes it as stdout), so a warning
    raised in a grade cell, which would cost a student the cell under plain nbgrader, is caught here.
    """
    for cell in grade_cells(executed_source(assignment)):
        stderr = [o.text for o in cell.outputs if o.get("name") == "stderr"]
        assert not stderr, f"{nbgrader_meta(cell)['grade_id']} wrote to stderr: {stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", BY_NOTEBOOK)
def test_reference_passes_every_grade_cell(assignment, executed_source):
    """Check what `nbgrader validate` checks on the source: sound metadata, and every grade cell passes."""
    nb = executed_source(assignment)
    validator = _validator(nb)
    failed = validator._get_failed_cells(nb)
    assert not failed, "failing grade cells: " + "; ".join(
        f"{nbgrader_meta(c)['grade_id']}: {[f'{e.ename}: {e.evalue}' for e in _errors(c)]}" for c in failed)
    assert {nbgrader_meta(c)["grade_id"] for c in validator._get_passed_cells(nb)} == {
        nbgrader_meta(c)["grade_id"] for c in grade_cells(nb)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_released_exercise_fails_until_solved(assignment):
    """Check what `nbgrader validate --invert` checks on the release: no test passes until solved.

    The release as committed: sound metadata, no cell changed type, locked cells matching their
    checksums; then its setup, unsolved answer and visible test cells run in-process
    (nbhelpers.play_release), and every test must raise. How `nbgrader autograde` scores an
    untouched release is checked on 01_parameters, by both graders (the student "untouched" in
    tests/test_grading_e2e.py and tests/test_classgrade.py).
    """
    _validator(read(release_notebook(assignment)))
    passed = [grade_id for grade_id, error in play_release(assignment).items() if error is None]
    assert passed == [], "tests that pass before the exercise is solved"


def _validator(nb):
    """nbgrader's validator, after the checks `nbgrader validate` makes before it counts passes and failures.

    The notebook's nbgrader metadata must be sound, no cell may have changed type, and no locked
    cell may differ from its checksum (the release has them, the source has none).
    """
    from nbgrader.preprocessors import CheckCellMetadata
    from nbgrader.validator import Validator

    CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    validator = Validator()
    assert validator._get_type_changed_cells(nb) == [], "cells changed type"
    assert validator._get_changed_cells(copy.deepcopy(nb)) == [], "locked cells differ from their checksums"
    return validator


# -- generated: nbgrader generate_assignment once per run (conftest.generated_course) ------------
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_exactly_what_nbgrader_generates(assignment, generated_course):
    """Check that release/ was regenerated after the last change to source/ and not hand-edited."""
    generated = generated_course / "release" / assignment
    committed = RELEASE / assignment
    comparison = filecmp.dircmp(generated, committed, ignore=[".ipynb_checkpoints"])
    assert not comparison.left_only and not comparison.right_only, (
        f"files differ: {comparison.left_only} vs {comparison.right_only}; run `make release`")
    for path in Path(generated).glob("*.ipynb"):
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"release/{assignment}/{path.name} is not what source/ generates; run `make release`")
