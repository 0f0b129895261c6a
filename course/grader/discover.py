"""Phase 0 of ``course grade``: find the course, the assignment and its submissions, and check them.

:func:`find_course` checks everything once and returns a :class:`Course`, which the later phases
(:mod:`~course.grader.execute`, :mod:`~course.grader.record`, :mod:`~course.grader.report`) take
as given. :func:`check_notebook` says why one submitted notebook cannot be graded.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course.grader.config import COURSE_CONFIG

__all__ = ["Course", "GradingError", "check_notebook", "find_course", "find_submissions"]

GRADEBOOK = "gradebook.db"


class GradingError(RuntimeError):
    """A problem with the course or the command line, reported without a traceback."""


@dataclass(frozen=True)
class Course:
    """One assignment of a course, checked: where it is, its notebooks, and who submitted it."""

    root: Path
    assignment: str
    notebooks: tuple[str, ...]                   # names without .ipynb, from source/<assignment>/
    submissions: dict[str, Path] = field(default_factory=dict)   # student -> submitted/<s>/<assignment>

    @property
    def source(self) -> Path:
        """The instructor's folder of the assignment (its notebooks hold the tests)."""
        return self.root / "source" / self.assignment

    @property
    def work(self) -> Path:
        """Where ``course grade`` keeps its job folders and executed notebooks."""
        return self.root / ".course-grade" / self.assignment

    @property
    def gradebook(self) -> Path:
        return self.root / GRADEBOOK

    def with_submissions(self) -> Course:
        """This course with its submissions found afresh (after ``--zip`` collected new ones)."""
        return dataclasses.replace(self, submissions=find_submissions(self.root, self.assignment))


def find_course(root: Path, assignment: str, submissions: bool = True) -> Course:
    """Check that ``root`` is a course with ``assignment`` ready to grade; return it.

    With ``submissions`` (the default) at least one submission must exist too. Raises
    :class:`GradingError` saying what is missing and which command makes it.
    """
    root = root.resolve()
    if not (root / COURSE_CONFIG).exists():
        raise GradingError(f"no {COURSE_CONFIG} in {root}: run `course grade` from the course root")
    source = root / "source"
    if not (source / assignment).is_dir():
        known = sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if source.is_dir() else []
        raise GradingError(f"unknown assignment {assignment!r}: no folder {source / assignment} "
                           f"(assignments there: {', '.join(known) or 'none'})")
    names = tuple(sorted(p.stem for p in (source / assignment).glob("*.ipynb")))
    if not names:
        raise GradingError(f"no source notebooks in {source / assignment}")
    if not (root / GRADEBOOK).exists():
        raise GradingError(f"no {GRADEBOOK} in {root}: run `nbgrader generate_assignment {assignment}` first")
    course = Course(root, assignment, names)
    return course.with_submissions() if submissions else course


def find_submissions(root: Path, assignment: str) -> dict[str, Path]:
    """Each student's folder ``submitted/<student>/<assignment>``; GradingError when there is none."""
    submitted = root / "submitted"
    if not submitted.is_dir():
        raise GradingError(f"no submitted/ folder in {root}: collect first (`nbgrader collect {assignment}`, "
                           f"or copy each submission to submitted/<student>/{assignment}/)")
    found = {p.parent.name: p for p in sorted(submitted.glob(f"*/{assignment}")) if p.is_dir()}
    if not found:
        raise GradingError(f"no submissions for {assignment!r} under {submitted}/<student>/{assignment}/")
    return found


def _graded_ids(nb) -> set[str]:
    """grade_ids of the cells nbgrader matches against the gradebook: tests and answers."""
    ids = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or meta.get("solution"):
            ids.add(str(meta.get("grade_id")))
    return ids


def check_notebook(path: Path, source: Path) -> str | None:
    """Why ``path`` (a submission of the notebook ``source``) cannot be graded, or None."""
    if not path.exists():
        return f"{path.name} is missing"
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - any parse failure means the same to the student
        return f"{path.name} is not a valid notebook ({type(err).__name__}: {str(err).splitlines()[0][:120]})"
    # nbgrader fails on test or answer cells it does not know, with a KeyError.
    foreign = sorted(_graded_ids(nb) - _graded_ids(nbformat.read(source, as_version=4)))
    if foreign:
        return (f"{path.name} has test or answer cells that are not in the assignment "
                f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}): another notebook?")
    return None
