"""End to end with plain nbgrader and the course's nbgrader_config.py: the generated assignments, a
class of simulated students graded with `nbgrader autograde`, feedback, and the exported grades table.

The class is the session's shared one (tests/classroom.py), graded once (``plain_graded`` in
conftest.py): for every assignment the reference solution; for 01_parameters also the students
plain nbgrader can be trusted with (``classroom.PLAIN``), among them the untouched release, a partial
answer, a student who edited the tests into `pass`, one who deleted the tests, one
whose answer raises a warning each time it is called, one whose notebook loops forever, one whose
kernel dies half-way, and attacks on grades and feedback that the course's configuration must
stop. All are graded in the same batch, so one bad submission must not cost anybody else anything.
`course grade` grades the same files in tests/test_classgrade.py.
"""

import csv
import re

import pytest
from classroom import (
    FIRST,
    MB,
    PLAIN,
    SAME_IN_KOREAN,
    assert_no_submitted_script,
    disguised_leaks,
    expected_scores,
    hidden_lines,
    max_points,
    plain_text,
    scores,
)
from nbhelpers import ASSIGNMENTS, SOURCE, grade_cells, jupyter_server, nbgrader_meta, read

from course.grader.status import KERNEL_DIED

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("plain")]


@pytest.fixture
def graded(plain_graded):
    """Each assignment's course folder, once every nbgrader command succeeded, and each student's passes."""
    for name, run in plain_graded["runs"].items():
        assert run["returncode"] == 0, f"nbgrader {name} failed:\n{run['output']}"
    return plain_graded["roots"], plain_graded["expected"]


def _cell_scores(root, student, assignment):
    return scores(root, assignment, automatic_only=True)[student]


def test_scores_are_honest_for_every_student(graded):
    """Check each student's per-cell scores: full points where a cell should pass, else 0."""
    roots, expected = graded
    for (student, assignment), passes in expected.items():
        wanted = expected_scores(passes, assignment)
        assert _cell_scores(roots[assignment], student, assignment) == wanted, (student, assignment)


def test_reference_gets_full_marks_and_release_gets_zero(graded):
    """Check the reference of every assignment and the untouched release of the first (for the
    others, test_notebooks.py's test_every_released_exercise_fails_until_solved)"""
    roots, expected = graded
    for assignment in ASSIGNMENTS:
        assert sum(_cell_scores(roots[assignment], "reference", assignment).values()) == sum(
            max_points(assignment).values())
    assert sum(_cell_scores(roots[FIRST], "untouched", FIRST).values()) == 0


def test_partial_answer_earns_partial_credit(graded):
    root = graded[0][FIRST]
    score = sum(_cell_scores(root, "partial", FIRST).values())
    assert 0 < score < sum(max_points(FIRST).values())


def test_tests_edited_into_pass_are_restored(graded):
    root = graded[0][FIRST]
    nb = read(root / "autograded" / "edited-tests" / FIRST / f"{FIRST}.ipynb")
    originals = {nbgrader_meta(c)["grade_id"]: c.source for c in grade_cells(read(
        root / "release" / FIRST / f"{FIRST}.ipynb"))}
    for cell in grade_cells(nb):
        visible = originals[nbgrader_meta(cell)["grade_id"]]
        assert cell.source != "pass" and visible.strip().splitlines()[0] in cell.source
    assert _cell_scores(root, "edited-tests", FIRST) == _cell_scores(root, "partial", FIRST)


def test_deleted_tests_come_back(graded):
    root = graded[0][FIRST]
    nb = read(root / "autograded" / "deleted-tests" / FIRST / f"{FIRST}.ipynb")
    assert {nbgrader_meta(c)["grade_id"] for c in grade_cells(nb)} == set(max_points(FIRST))


def test_warnings_from_an_answer_cost_nothing(graded):
    """Check the stderr guard: a warning in a grade cell shows in the output but costs no points."""
    root = graded[0][FIRST]
    nb = read(root / "autograded" / "warns" / FIRST / f"{FIRST}.ipynb")
    shown = [o.text for c in grade_cells(nb) for o in c.outputs if o.output_type == "stream"]
    assert any("must not cost points" in text for text in shown)
    assert not [o for c in grade_cells(nb) for o in c.outputs if o.get("name") == "stderr"]
    assert sum(_cell_scores(root, "warns", FIRST).values()) == sum(max_points(FIRST).values())


def test_endless_loop_times_out_and_the_rest_is_graded(graded):
    root = graded[0][FIRST]
    nb = read(root / "autograded" / "endless-loop" / FIRST / f"{FIRST}.ipynb")
    loop = next(c for c in nb.cells if "while True:" in c.source)
    assert any(o.output_type == "error" for o in loop.outputs)
    assert sum(_cell_scores(root, "endless-loop", FIRST).values()) == sum(
        max_points(FIRST).values())


def test_dead_kernel_is_graded_up_to_the_crash(graded):
    """Check that a kernel killed after the first exercise's tests keeps their points and no more"""
    root = graded[0][FIRST]
    scores_ = _cell_scores(root, "kill-self", FIRST)
    assert 0 < sum(scores_.values()) < sum(max_points(FIRST).values())
    nb = read(root / "autograded" / "kill-self" / FIRST / f"{FIRST}.ipynb")
    assert any(o.get("ename") == KERNEL_DIED for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)


def test_feedback_for_every_graded_submission(graded):
    roots, expected = graded
    for student, assignment in expected:
        page = roots[assignment] / "feedback" / student / assignment / f"{assignment}.html"
        assert page.exists(), page
        assert "Score" in page.read_text()


def test_grades_csv_has_one_row_per_submission_with_its_total(graded):
    roots, expected = graded
    rows = {}
    for assignment, root in roots.items():
        with open(root / "grades.csv", newline="") as handle:
            rows.update({(r["student_id"], a): float(r["score"]) for r in csv.DictReader(handle)
                         if (a := r["assignment"]) == assignment})
    wanted = {}
    for (student, assignment), passes in expected.items():
        maximum = max_points(assignment)
        wanted[student, assignment] = sum(maximum[g] for g, ok in passes.items() if ok)
    assert {k: rows[k] for k in wanted} == pytest.approx(wanted)


def test_formgrader_serves_the_graded_class(graded):
    """Check that the formgrader, started on the course folder, lists every submission's score."""
    roots, expected = graded
    with jupyter_server(roots[FIRST]) as request:
        assignments = request("/formgrader/api/assignments")
        assert {a["name"] for a in assignments} == set(ASSIGNMENTS)
        submissions = request(f"/formgrader/api/submissions/{FIRST}")
    scores_ = {s["student"]: s["score"] for s in submissions}
    maximum = max_points(FIRST)
    for (student, assignment), passes in expected.items():
        if assignment == FIRST:
            wanted = sum(maximum[g] for g, ok in passes.items() if ok)
            assert scores_[student] == pytest.approx(wanted), student


@pytest.mark.parametrize("student", PLAIN)
def test_plain_nbgrader_grades_honestly(plain_graded, student):
    """Check that plain `nbgrader autograde` with the course's configuration gives the honest scores"""
    autograde = plain_graded["runs"]["autograde"]
    assert autograde["returncode"] == 0, autograde["output"]
    assert scores(plain_graded["root"])[student] == expected_scores(plain_graded["expected"][student, FIRST])


@pytest.mark.parametrize("student", PLAIN)
def test_plain_feedback_hides_the_hidden_tests_and_runs_nothing(plain_graded, student):
    """Check that `nbgrader generate_feedback` shows no hidden test and carries no submitted script"""
    feedback, root = plain_graded["runs"]["feedback"], plain_graded["root"]
    assert feedback["returncode"] == 0, feedback["output"]
    page = (root / "feedback" / student / FIRST / f"{FIRST}.html").read_text()
    hidden = hidden_lines(read(SOURCE / FIRST / f"{FIRST}.ipynb"))
    assert [line for line in hidden if line in plain_text(page)] == []
    submitted = read(root / "submitted" / student / FIRST / f"{FIRST}.ipynb")
    assert disguised_leaks(plain_text(page), submitted) == []
    assert_no_submitted_script(page)
    assert len(page) < 2 * MB


# -- the Korean edition, graded by the same commands in its own course folder (ko/) -----------------
def _korean(plain_graded):
    for name, run in plain_graded["runs"].items():
        assert run["returncode"] == 0, f"nbgrader {name} failed:\n{run['output']}"
    return plain_graded["korean"], plain_graded["korean_expected"]


@pytest.mark.parametrize("assignment", SAME_IN_KOREAN)
def test_the_same_answers_score_the_same_in_both_editions_cell_by_cell(plain_graded, assignment):
    """Check that the same answers get exactly the same points per cell in Korean as in English"""
    korean, pairs = _korean(plain_graded)
    english = plain_graded["roots"][assignment]
    students = [student for student, graded in pairs if graded == assignment]
    assert "reference" in students
    for student in students:
        in_korean = _cell_scores(korean, student, assignment)
        assert in_korean == _cell_scores(english, student, assignment), student
        assert set(in_korean) == set(max_points(assignment))
        if student == "reference":
            assert sum(in_korean.values()) == sum(max_points(assignment).values())
        else:      # some cells pass and some fail: partial credit, hidden tests included
            assert 0 < sum(in_korean.values()) < sum(max_points(assignment).values()), student


def test_korean_feedback_is_korean_and_hides_the_hidden_tests(plain_graded):
    """Check that the Korean class's feedback shows Korean prose, and no hidden test where tests fail"""
    korean, pairs = _korean(plain_graded)
    hidden = hidden_lines(read(korean / "source" / FIRST / f"{FIRST}.ipynb"))
    assert hidden, "the Korean notebook has hidden tests"
    for student, assignment in pairs:
        page = (korean / "feedback" / student / assignment / f"{assignment}.html").read_text()
        text = plain_text(page)
        assert "Score" in page and len(re.findall("[가-힣]", text)) > 500, (student, assignment)
        if assignment == FIRST:
            assert [line for line in hidden if line in text] == [], student
            assert_no_submitted_script(page)
