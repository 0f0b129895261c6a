"""Tests of the student's Validate button: the server extension that JupyterLab's toolbar calls."""

import shutil

import nbformat
import pytest
from nbhelpers import (
    ASSIGNMENTS,
    REPO,
    grade_cells,
    jupyter_server,
    quick,
    read,
    release_notebook,
    source_notebook,
)

pytestmark = pytest.mark.slow

FIRST = ASSIGNMENTS[0]


def _validate(request, path):
    reply = request("/assignments/validate", data={"path": path})
    assert reply["success"], reply
    return reply["value"]


def test_validate_button_passes_a_solved_notebook_and_lists_failures_of_an_unsolved_one(tmp_path):
    """Check the button on the solved and the unsolved notebook, in a copy of the course.

    Their demonstration cells are emptied (the tests need only the setup and answer cells), which
    spares running them once more: tests/test_notebooks.py runs the whole notebooks.
    """
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    for folder, path in (("source", source_notebook(FIRST)), ("release", release_notebook(FIRST))):
        (tmp_path / folder / FIRST).mkdir(parents=True)
        nbformat.write(quick(read(path)), str(tmp_path / folder / FIRST / f"{FIRST}.ipynb"))
    with jupyter_server(tmp_path) as request:
        solved = _validate(request, f"source/{FIRST}/{FIRST}.ipynb")
        unsolved = _validate(request, f"release/{FIRST}/{FIRST}.ipynb")
    assert solved == {}, solved
    tests = grade_cells(read(release_notebook(FIRST)))
    assert len(unsolved.get("failed", [])) == len(tests), unsolved
