"""`course grade`'s command line: bad input ends in one clear line and exit status 2, before grading.

The grading itself is checked end to end in tests/test_classgrade.py.
"""

import shutil
import sys

import pytest
from nbhelpers import REPO, SOURCE

from course.grader.cli import main

FIRST = "01_parameters"


def _one_line_error(capsys, argv):
    with pytest.raises(SystemExit) as stopped:
        sys.exit(main(argv))
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    assert err.startswith("course grade: ") and err.count("\n") == 1, err
    return err


def test_no_course_here(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert "nbgrader_config.py" in _one_line_error(capsys, ["grade", FIRST])


def test_unknown_assignment(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(SOURCE / FIRST, tmp_path / "source" / FIRST)
    (tmp_path / "submitted" / "ann" / FIRST).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    err = _one_line_error(capsys, ["grade", "99_nothing"])
    assert "99_nothing" in err and FIRST in err


def test_no_submissions(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(SOURCE / FIRST, tmp_path / "source" / FIRST)
    (tmp_path / "gradebook.db").touch()
    monkeypatch.chdir(tmp_path)
    assert "no submitted/ folder" in _one_line_error(capsys, ["grade", FIRST])
    (tmp_path / "submitted" / "ann" / "another").mkdir(parents=True)
    assert "no submissions" in _one_line_error(capsys, ["grade", FIRST])


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_workers_must_be_positive(tmp_path, monkeypatch, capsys, workers):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(["grade", FIRST, f"--workers={workers}"])
    assert stopped.value.code == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
