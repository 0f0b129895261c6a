"""End to end with plain nbgrader and the course's nbgrader_config.py: generate the assignments,
grade a class of simulated students, write feedback and export the grades table.

The class, for every assignment: the reference solution and the untouched release.
For the first assignment also: a partial answer, a student who edited the tests into
`pass`, one who deleted the tests, one whose answer raises a warning each time it is
called, one whose notebook loops forever, and one whose kernel dies half-way. All are
graded in the same batch, so one bad submission must not cost anybody else anything.
"""

import copy
import csv
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbhelpers import (
    ASSIGNMENTS,
    REPO,
    SOURCE,
    grade_cells,
    grade_with,
    is_grade_cell,
    is_solution_cell,
    jupyter_server,
    nbgrader_meta,
    points,
    read,
)

pytestmark = pytest.mark.slow

FIRST = ASSIGNMENTS[0]
# Short enough to keep the test quick, long enough for every honest cell of the notebooks.
TIMEOUT = 15


def _nbgrader(root, *args):
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


def _submit(root, student, assignment, nb):
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, str(folder / f"{assignment}.ipynb"))


def _partial(release, source):
    """The release with only the first exercise solved."""
    nb = copy.deepcopy(release)
    first_solution = next(c for c in source.cells if is_solution_cell(c))
    for cell in nb.cells:
        if is_solution_cell(cell):
            cell.source = first_solution.source
            break
    return nb


def _expected_partial(release):
    """Per grade cell, whether it passes when only the first exercise is solved."""
    stubs = [c.source for c in release.cells if is_solution_cell(c)][1:]
    return grade_with(FIRST, source="\n\n".join(stubs))


def _insert_after_setup(nb, source):
    nb = copy.deepcopy(nb)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(setup + 1, new_code_cell(source))
    return nb


def _warn_in_first_exercise(nb):
    """The reference, with the first exercise's function wrapped to warn on every call."""
    nb = copy.deepcopy(nb)
    index, cell = next((i, c) for i, c in enumerate(nb.cells) if is_solution_cell(c))
    name = re.search(r"^def (\w+)", cell.source, re.M).group(1)
    nb.cells.insert(index + 1, new_code_cell(
        f"import functools, warnings\n\n_answer = {name}\n\n\n"
        f"@functools.wraps(_answer)\ndef {name}(*args, **kwargs):\n"
        f"    warnings.warn('a warning from the answer, which must not cost points')\n"
        f"    return _answer(*args, **kwargs)"))
    return nb


def _kill_after_first_exercise(nb):
    """The reference with a cell that kills the kernel after the first exercise's tests.

    Returns the notebook and the grade ids that ran before the crash.
    """
    nb = copy.deepcopy(nb)
    solutions = [i for i, c in enumerate(nb.cells) if is_solution_cell(c)]
    crash_at = solutions[1]
    nb.cells.insert(crash_at, new_code_cell("import os\nos._exit(1)"))
    before = {nbgrader_meta(c)["grade_id"] for c in nb.cells[:crash_at] if is_grade_cell(c)}
    return nb, before


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the simulated class once; return the course root and what each student expects."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(REPO / "nbgrader_config.py", root)
    for assignment in ASSIGNMENTS:
        shutil.copytree(SOURCE / assignment, root / "source" / assignment)
    expected = {}  # (student, assignment) -> {grade_id: passed}
    for assignment in ASSIGNMENTS:
        _nbgrader(root, "generate_assignment", assignment)
        source = read(root / "source" / assignment / f"{assignment}.ipynb")
        release = read(root / "release" / assignment / f"{assignment}.ipynb")
        every = {gid: True for gid in points(source)}
        _submit(root, "reference", assignment, source)
        expected["reference", assignment] = every
        _submit(root, "untouched", assignment, release)
        expected["untouched", assignment] = dict.fromkeys(every, False)

    source = read(root / "source" / FIRST / f"{FIRST}.ipynb")
    release = read(root / "release" / FIRST / f"{FIRST}.ipynb")
    partial = _partial(release, source)
    partial_expected = _expected_partial(release)
    _submit(root, "partial", FIRST, partial)
    expected["partial", FIRST] = partial_expected

    edited = copy.deepcopy(partial)
    for cell in grade_cells(edited):
        cell.source = "pass"
    _submit(root, "edited-tests", FIRST, edited)
    expected["edited-tests", FIRST] = partial_expected

    deleted = copy.deepcopy(partial)
    deleted.cells = [c for c in deleted.cells if not is_grade_cell(c)]
    _submit(root, "deleted-tests", FIRST, deleted)
    expected["deleted-tests", FIRST] = partial_expected

    _submit(root, "warns", FIRST, _warn_in_first_exercise(source))
    expected["warns", FIRST] = dict.fromkeys(points(source), True)

    _submit(root, "endless-loop", FIRST, _insert_after_setup(source, "while True:\n    pass"))
    expected["endless-loop", FIRST] = dict.fromkeys(points(source), True)

    dead, ran = _kill_after_first_exercise(source)
    _submit(root, "dead-kernel", FIRST, dead)
    expected["dead-kernel", FIRST] = {gid: gid in ran for gid in points(source)}

    for assignment in ASSIGNMENTS:
        _nbgrader(root, "autograde", assignment, f"--Execute.timeout={TIMEOUT}")
        _nbgrader(root, "generate_feedback", assignment)
    _nbgrader(root, "export", "--to", str(root / "grades.csv"))
    return root, expected


def _cell_scores(root, student, assignment):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(assignment, assignment, student)
        return {grade.name: grade.score for grade in submission.grades if grade.auto_score is not None}


def _max_points(assignment):
    return points(read(SOURCE / assignment / f"{assignment}.ipynb"))


def test_scores_are_honest_for_every_student(graded):
    """Check each student's per-cell scores: full points where a cell should pass, else 0."""
    root, expected = graded
    for (student, assignment), passes in expected.items():
        maximum = _max_points(assignment)
        wanted = {gid: (maximum[gid] if ok else 0.0) for gid, ok in passes.items()}
        assert _cell_scores(root, student, assignment) == wanted, (student, assignment)


def test_reference_gets_full_marks_and_release_gets_zero(graded):
    root, expected = graded
    for assignment in ASSIGNMENTS:
        assert sum(_cell_scores(root, "reference", assignment).values()) == sum(
            _max_points(assignment).values())
        assert sum(_cell_scores(root, "untouched", assignment).values()) == 0


def test_partial_answer_earns_partial_credit(graded):
    root, _ = graded
    score = sum(_cell_scores(root, "partial", FIRST).values())
    assert 0 < score < sum(_max_points(FIRST).values())


def test_tests_edited_into_pass_are_restored(graded):
    root, _ = graded
    nb = read(root / "autograded" / "edited-tests" / FIRST / f"{FIRST}.ipynb")
    originals = {nbgrader_meta(c)["grade_id"]: c.source for c in grade_cells(read(
        root / "release" / FIRST / f"{FIRST}.ipynb"))}
    for cell in grade_cells(nb):
        visible = originals[nbgrader_meta(cell)["grade_id"]]
        assert cell.source != "pass" and visible.strip().splitlines()[0] in cell.source
    assert _cell_scores(root, "edited-tests", FIRST) == _cell_scores(root, "partial", FIRST)


def test_deleted_tests_come_back(graded):
    root, _ = graded
    nb = read(root / "autograded" / "deleted-tests" / FIRST / f"{FIRST}.ipynb")
    assert {nbgrader_meta(c)["grade_id"] for c in grade_cells(nb)} == set(_max_points(FIRST))


def test_warnings_from_an_answer_cost_nothing(graded):
    """Check the stderr guard: a warning in a grade cell shows in the output but costs no points."""
    root, _ = graded
    nb = read(root / "autograded" / "warns" / FIRST / f"{FIRST}.ipynb")
    shown = [o.text for c in grade_cells(nb) for o in c.outputs if o.output_type == "stream"]
    assert any("must not cost points" in text for text in shown)
    assert not [o for c in grade_cells(nb) for o in c.outputs if o.get("name") == "stderr"]
    assert sum(_cell_scores(root, "warns", FIRST).values()) == sum(_max_points(FIRST).values())


def test_endless_loop_times_out_and_the_rest_is_graded(graded):
    root, _ = graded
    nb = read(root / "autograded" / "endless-loop" / FIRST / f"{FIRST}.ipynb")
    loop = next(c for c in nb.cells if c.source.startswith("while True"))
    assert any(o.output_type == "error" for o in loop.outputs)
    assert sum(_cell_scores(root, "endless-loop", FIRST).values()) == sum(
        _max_points(FIRST).values())


def test_dead_kernel_is_graded_up_to_the_crash(graded):
    root, expected = graded
    scores = _cell_scores(root, "dead-kernel", FIRST)
    assert 0 < sum(scores.values()) < sum(_max_points(FIRST).values())
    nb = read(root / "autograded" / "dead-kernel" / FIRST / f"{FIRST}.ipynb")
    assert any(o.get("ename") == "KernelDied" for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)


def test_feedback_for_every_graded_submission(graded):
    root, expected = graded
    for student, assignment in expected:
        page = root / "feedback" / student / assignment / f"{assignment}.html"
        assert page.exists(), page
        assert "Score" in page.read_text()


def test_grades_csv_has_one_row_per_submission_with_its_total(graded):
    root, expected = graded
    with open(root / "grades.csv", newline="") as handle:
        rows = {(r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(handle)}
    wanted = {}
    for (student, assignment), passes in expected.items():
        maximum = _max_points(assignment)
        wanted[student, assignment] = sum(maximum[g] for g, ok in passes.items() if ok)
    assert {k: rows[k] for k in wanted} == pytest.approx(wanted)



def test_formgrader_serves_the_graded_class(graded):
    """Check that the formgrader, started on the course folder, lists every submission's score."""
    root, expected = graded
    with jupyter_server(root) as request:
        assignments = request("/formgrader/api/assignments")
        assert {a["name"] for a in assignments} == set(ASSIGNMENTS)
        submissions = request(f"/formgrader/api/submissions/{FIRST}")
    scores = {s["student"]: s["score"] for s in submissions}
    maximum = _max_points(FIRST)
    for (student, assignment), passes in expected.items():
        if assignment == FIRST:
            wanted = sum(maximum[g] for g, ok in passes.items() if ok)
            assert scores[student] == pytest.approx(wanted), student
