"""Tests of the topic notebooks themselves: clean sources, real execution, nbgrader validation,
and a release/ folder that is exactly what nbgrader generates from source/."""

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbhelpers import (
    ASSIGNMENTS,
    RELEASE,
    REPO,
    SOURCE,
    grade_cells,
    is_solution_cell,
    nbgrader_meta,
    read,
    release_notebook,
    source_notebook,
)

NBGRADER = [sys.executable, "-m", "nbgrader"]


def nbgrader(*args, cwd=REPO, timeout=600):
    return subprocess.run([*NBGRADER, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


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


def test_grade_ids_are_unique_across_the_course():
    seen = {}
    for assignment in ASSIGNMENTS:
        for cell in read(source_notebook(assignment)).cells:
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id:
                assert grade_id not in seen, f"{grade_id} is in {seen.get(grade_id)} and {assignment}"
                seen[grade_id] = assignment


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_top_to_bottom(assignment):
    """Check that the instructor notebook runs without error and its tests write no stderr.

    This runs a plain kernel, without the grader's stderr guard, so a warning
    raised in a grade cell (which would cost a student the cell) is caught here.
    """
    nb = read(source_notebook(assignment))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(source_notebook(assignment).parent)}}
                   ).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{cell.source[:80]!r} raised {errors[0].ename}: {errors[0].evalue}"
    for cell in grade_cells(nb):
        stderr = [o.text for o in cell.outputs if o.get("name") == "stderr"]
        assert not stderr, f"{nbgrader_meta(cell)['grade_id']} wrote to stderr: {stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_validate_passes_on_source(assignment):
    result = nbgrader("validate", str(source_notebook(assignment)))
    assert "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout + result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_released_exercise_fails_until_solved(assignment):
    result = nbgrader("validate", "--invert", str(release_notebook(assignment)))
    assert "Success! The notebook does not pass any tests." in result.stdout, (
        result.stdout + result.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_exactly_what_nbgrader_generates(assignment, tmp_path):
    """Check that release/ was regenerated after the last change to source/ and not hand-edited."""
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(SOURCE / assignment, tmp_path / "source" / assignment)
    result = nbgrader("generate_assignment", assignment, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    generated = tmp_path / "release" / assignment
    committed = RELEASE / assignment
    comparison = filecmp.dircmp(generated, committed, ignore=[".ipynb_checkpoints"])
    assert not comparison.left_only and not comparison.right_only, (
        f"files differ: {comparison.left_only} vs {comparison.right_only}; run `make release`")
    for path in Path(generated).glob("*.ipynb"):
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"release/{assignment}/{path.name} is not what source/ generates; run `make release`")
