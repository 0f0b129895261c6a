"""Tests of the student's Validate button: the server extension that JupyterLab's toolbar calls."""

import pytest
from nbhelpers import ASSIGNMENTS, REPO, grade_cells, jupyter_server, read, release_notebook

pytestmark = pytest.mark.slow

FIRST = ASSIGNMENTS[0]


def _validate(request, path):
    reply = request("/assignments/validate", data={"path": path})
    assert reply["success"], reply
    return reply["value"]


def test_validate_button_passes_a_solved_notebook_and_lists_failures_of_an_unsolved_one():
    with jupyter_server(REPO) as request:
        solved = _validate(request, f"source/{FIRST}/{FIRST}.ipynb")
        unsolved = _validate(request, f"release/{FIRST}/{FIRST}.ipynb")
    assert solved == {}, solved
    tests = grade_cells(read(release_notebook(FIRST)))
    assert len(unsolved.get("failed", [])) == len(tests), unsolved
