"""Tests for course.grader.zipcollect: LMS downloads gathered into submitted/ by nbgrader's zip_collect."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbhelpers import REPO, SOURCE, nbgrader_meta, points, read

from course.grader.cli import main
from course.grader.sandbox import sandbox_problem
from course.grader.zipcollect import ZipCollectError, collect_zip

FIRST = "01_parameters"
NOTEBOOK = f"{FIRST}.ipynb"
COURSE = [str(Path(sys.executable).parent / "course")]

# Every test here runs nbgrader's zip_collect: none belongs in the quick run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with 01_parameters generated, and its blank and solved notebooks (demonstrations emptied)."""
    root = tmp_path_factory.mktemp("zipcourse")
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(SOURCE / FIRST, root / "source" / FIRST)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", FIRST,
                             "--log-level=WARN"], cwd=root, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"root": root, "blank": _quick(root / "release" / FIRST / NOTEBOOK),
            "solved": _quick(SOURCE / FIRST / NOTEBOOK)}


def _quick(path: Path) -> bytes:
    """The notebook with its demonstration cells emptied (they are not graded), to keep grading fast."""
    nb = read(path)
    for cell in nb.cells:
        if cell.cell_type == "code" and not nbgrader_meta(cell):
            cell.source, cell.outputs = "", []
    return nbformat.writes(nb).encode()


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _downloads(folder: Path, blank: bytes, solved: bytes) -> Path:
    """An LMS download in every shape collect_zip understands, plus files it must skip."""
    folder.mkdir()
    (folder / f"alice_1234_5678_{NOTEBOOK}").write_bytes(solved)              # Canvas-style name
    _zip(folder / "bob.zip", {NOTEBOOK: blank})                                 # one zip per student
    _zip(folder / "class.zip", {f"carol/{FIRST}/{NOTEBOOK}": solved})          # one zip for the class
    (folder / "dave_notes.txt").write_text("not a notebook")
    (folder / "eve_02_conv_dims.ipynb").write_bytes(blank)                      # another assignment
    (folder / f"frank smith_{NOTEBOOK}").write_bytes(blank)                     # no usable student id
    return folder


def test_every_download_shape_reaches_submitted(course, tmp_path):
    """Check that Canvas-style names, per-student zips and a class zip land in submitted/<student>/"""
    root = course["root"]
    downloads = _downloads(tmp_path / "lms", course["blank"], course["solved"])
    found = collect_zip(root, FIRST, downloads)
    assert found.students == ["alice", "bob", "carol"]
    assert sorted(found.skipped) == sorted(["dave_notes.txt", "eve_02_conv_dims.ipynb",
                                            f"frank smith_{NOTEBOOK}"])
    submitted = root / "submitted"
    assert (submitted / "alice" / FIRST / NOTEBOOK).read_bytes() == course["solved"]
    assert (submitted / "bob" / FIRST / NOTEBOOK).read_bytes() == course["blank"]
    assert (submitted / "carol" / FIRST / NOTEBOOK).read_bytes() == course["solved"]
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob", "carol"]


def test_collecting_twice_gives_the_same_tree(course, tmp_path):
    """Check that a second run replaces each student's files with the download and loses nothing else"""
    root = course["root"]
    downloads = _downloads(tmp_path / "lms", course["blank"], course["solved"])
    collect_zip(root, FIRST, downloads)
    other = root / "submitted" / "zoe" / FIRST
    other.mkdir(parents=True, exist_ok=True)
    (other / NOTEBOOK).write_bytes(course["blank"])                    # collected by other means
    again = collect_zip(root, FIRST, downloads)
    assert again.students == ["alice", "bob", "carol"]
    assert (root / "submitted" / "alice" / FIRST / NOTEBOOK).read_bytes() == course["solved"]
    assert (other / NOTEBOOK).read_bytes() == course["blank"]
    shutil.rmtree(root / "submitted" / "zoe")


def test_a_new_download_moves_the_old_one_aside(course, tmp_path):
    """Check that a later, different download is collected alone and the earlier one is kept aside"""
    root = course["root"]
    collect_zip(root, FIRST, _downloads(tmp_path / "first", course["blank"], course["solved"]))
    late = tmp_path / "late"
    late.mkdir()
    (late / f"bob_late_{NOTEBOOK}").write_bytes(course["solved"])
    assert collect_zip(root, FIRST, late).students == ["bob"]
    assert (root / "submitted" / "bob" / FIRST / NOTEBOOK).read_bytes() == course["solved"]
    assert (root / "submitted" / "alice" / FIRST / NOTEBOOK).read_bytes() == course["solved"]
    kept = list((root / "downloaded" / FIRST).glob("archive-before-*"))
    assert any((folder / "bob.zip").exists() for folder in kept)


@pytest.mark.parametrize("shape", ["missing", "empty", "unmatched"])
def test_bad_download_folders_say_what_to_do(course, tmp_path, shape):
    """Check that a missing, empty or unmatched download folder fails with advice"""
    folder = tmp_path / "lms"
    if shape != "missing":
        folder.mkdir()
    if shape == "unmatched":
        (folder / "homework.ipynb").write_bytes(course["blank"])
    with pytest.raises(ZipCollectError) as error:
        collect_zip(course["root"], FIRST, folder)
    advice = {"missing": "no such folder", "empty": "the folder is empty",
              "unmatched": "named_regexp"}[shape]
    assert advice in str(error.value)


def test_zip_option_reports_bad_folders_in_one_line(course, tmp_path, monkeypatch, capsys):
    """Check that `course grade --zip` with no such folder exits 2 with one clear line"""
    monkeypatch.chdir(course["root"])
    assert main(["grade", FIRST, "--zip", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course grade: --zip ") and "no such folder" in err and err.count("\n") == 1


def test_course_grade_zip_grades_what_it_collected(course, tmp_path):
    """Check that `course grade --zip` collects, grades and writes every collected student to the CSV"""
    root = course["root"]
    downloads = _downloads(tmp_path / "lms", course["blank"], course["solved"])
    sandbox = [] if sandbox_problem() is None else ["--no-sandbox"]
    run = subprocess.run([*COURSE, "grade", FIRST, "--zip", str(downloads), "--timeout=30", *sandbox],
                         cwd=root, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "collected 3 students" in run.stderr and "skipped 3 files" in run.stderr
    with (root / f"grades-{FIRST}.csv").open() as handle:
        totals = {row["student"]: float(row["total"]) for row in csv.DictReader(handle)}
    full = sum(points(read(SOURCE / FIRST / NOTEBOOK)).values())
    assert totals == {"alice": full, "bob": 0.0, "carol": full}
