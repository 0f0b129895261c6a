"""Tests of course.grader.record's bookkeeping: which reused jobs need no second record and feedback."""

import json
import shutil

import pytest

from course.grader.discover import Course
from course.grader.record import mark_recorded, still_recorded

FIRST = "01_parameters"


@pytest.fixture(scope="module")
def _gradebook(tmp_path_factory):
    """A real gradebook with both students' submissions, made once (nbgrader takes a second or two)."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}") as gradebook:
        gradebook.add_assignment(FIRST)
        for student in ("ann", "bob"):
            gradebook.add_student(student)
            gradebook.add_submission(FIRST, student)
    return path


@pytest.fixture
def course(tmp_path, _gradebook):
    """A course with two students whose jobs finished, recorded and with feedback, in a real gradebook."""
    course = Course(tmp_path, FIRST, (FIRST,))
    shutil.copy(_gradebook, course.gradebook)
    for student in ("ann", "bob"):
        (course.work / "jobs" / student).mkdir(parents=True)
        stamp = {"fingerprint": student * 3}
        (course.work / "jobs" / student / "finished.json").write_text(json.dumps(stamp))
        for top, suffix in (("autograded", ".ipynb"), ("feedback", ".html")):
            path = tmp_path / top / student / FIRST / f"{FIRST}{suffix}"
            path.parent.mkdir(parents=True)
            path.write_text(f"{top} of {student}")
    return course


def test_a_marked_student_is_still_recorded(course):
    mark_recorded(course, ["ann", "bob"])
    assert still_recorded(course, ["ann", "bob"]) == {"ann", "bob"}


def test_nothing_marked_means_nothing_is_still_recorded(course):
    assert still_recorded(course, ["ann", "bob"]) == set()


@pytest.mark.parametrize("change", ["feedback deleted", "autograded edited", "job redone",
                                    "gradebook lost it"])
def test_any_change_to_what_was_recorded_means_record_again(course, change):
    mark_recorded(course, ["ann", "bob"])
    if change == "feedback deleted":
        (course.root / "feedback" / "ann" / FIRST / f"{FIRST}.html").unlink()
    elif change == "autograded edited":
        (course.root / "autograded" / "ann" / FIRST / f"{FIRST}.ipynb").write_text("changed by hand")
    elif change == "job redone":
        (course.work / "jobs" / "ann" / "finished.json").write_text(json.dumps({"fingerprint": "new"}))
    else:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course.gradebook}") as gradebook:
            gradebook.remove_submission(FIRST, "ann")
    assert still_recorded(course, ["ann", "bob"]) == {"bob"}


def test_a_student_without_feedback_is_not_marked(course):
    (course.root / "feedback" / "bob" / FIRST / f"{FIRST}.html").unlink()
    mark_recorded(course, ["ann", "bob"])
    assert not (course.work / "jobs" / "bob" / "recorded.json").exists()
    assert still_recorded(course, ["ann", "bob"]) == {"ann"}
