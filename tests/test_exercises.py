"""Play the reference solution, the unsolved stubs, correct alternatives and common wrong answers of
every topic notebook through its grade cells, and keep the visible grade cells free of code to copy.

Each topic's answers live in ``tests/exercise_data/t<id>.py``: ``ASSIGNMENT``, ``EXERCISES`` (the
grade cells of each exercise), ``CORRECT``, ``WRONG`` and ``WRONG_FAILS`` (exactly the cells each
wrong answer fails), and optionally ``STUBS`` (an exercise's release stub, where a plain function
raising NotImplementedError is not one), ``STUB_ALSO_FAILS`` (cells of other exercises that call the
stubbed one), ``MAY_ALSO_FAIL`` (cells of other exercises a wrong answer is allowed to fail),
``WRONG_PREFIX`` (code run before every wrong answer), ``EXPLAINED_BY`` (the cell whose hint names
the mistake) and one-off checks named ``extra_*``.

These tests replace tests/test_0<n>_<id>_exercises.py; tests/exercise_data/MOVED.md lists where
each of their tests went.
"""

from __future__ import annotations

import ast
import importlib
import textwrap

import pytest
from nbhelpers import (
    ASSIGNMENTS,
    failing,
    grade_cells,
    grade_with,
    nbgrader_meta,
    read,
    release_notebook,
    source_notebook,
)

TOPICS = {module.ASSIGNMENT: module for module in (
    importlib.import_module(f"exercise_data.t{assignment}") for assignment in ASSIGNMENTS)}


def _cases(attribute: str):
    """``pytest.param(assignment, key)`` for every key of each topic's ``attribute``, as ``<id>-<key>``."""
    return [pytest.param(assignment, key, id=f"{assignment}-{key}")
            for assignment, topic in TOPICS.items() for key in getattr(topic, attribute, {})]


def _extras():
    return [pytest.param(assignment, name, id=f"{assignment}-{name.removeprefix('extra_')}")
            for assignment, topic in TOPICS.items()
            for name in sorted(vars(topic)) if name.startswith("extra_")]


def test_every_assignment_has_exercise_data():
    assert sorted(TOPICS) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_cells_are_the_expected_ones(assignment):
    expected = set().union(*TOPICS[assignment].EXERCISES.values())
    in_notebook = {nbgrader_meta(cell)["grade_id"] for cell in grade_cells(read(source_notebook(assignment)))}
    assert in_notebook == expected
    assert set(grade_with(assignment)) == expected


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_solution_passes_every_grade_cell(assignment):
    assert not failing(grade_with(assignment))


@pytest.mark.parametrize("assignment, name", _cases("EXERCISES"))
def test_unsolved_stub_fails_exactly_its_cells(assignment, name):
    """Check that an unsolved exercise costs its own cells, and only those that call it besides."""
    topic = TOPICS[assignment]

    def stub(*args, **kwargs):
        raise NotImplementedError()

    if name in getattr(topic, "STUBS", {}):
        failed = failing(grade_with(assignment, source=topic.STUBS[name], only_affected=True))
    else:
        failed = failing(grade_with(assignment, {name: stub}, only_affected=True))
    also = getattr(topic, "STUB_ALSO_FAILS", {}).get(name, set())
    assert also <= getattr(topic, "MAY_ALSO_FAIL", {}).get(name, set()), "only cells that call the exercise"
    assert failed == topic.EXERCISES[name] | also


@pytest.mark.parametrize("assignment, label", _cases("CORRECT"))
def test_correct_alternative_passes_every_cell(assignment, label):
    assert not failing(grade_with(assignment, source=TOPICS[assignment].CORRECT[label], only_affected=True))


@pytest.mark.parametrize("assignment, label", _cases("WRONG"))
def test_wrong_answer_fails_exactly_its_cells(assignment, label):
    topic = TOPICS[assignment]
    name, source = topic.WRONG[label]
    expected = topic.WRONG_FAILS[label]
    allowed = topic.EXERCISES[name] | getattr(topic, "MAY_ALSO_FAIL", {}).get(name, set())
    assert expected & topic.EXERCISES[name], f"{label!r} would pass every cell of {name}"
    assert expected <= allowed, f"{label!r} would also fail {expected - allowed}"
    assert label not in getattr(topic, "EXPLAINED_BY", {}) or topic.EXPLAINED_BY[label] in expected
    prefix = getattr(topic, "WRONG_PREFIX", "")
    played = grade_with(assignment, source=prefix + textwrap.dedent(source), only_affected=True)
    assert failing(played) == expected


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_wrong_answer_has_its_failing_cells(assignment):
    topic = TOPICS[assignment]
    assert set(topic.WRONG_FAILS) == set(topic.WRONG)


@pytest.mark.parametrize("assignment, name", _extras())
def test_topic_specific(assignment, name):
    getattr(TOPICS[assignment], name)()


def _visible(source: str) -> str:
    """A grade cell as students see it: without the lines between the hidden-test markers."""
    kept, hidden = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "### END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


_LIBRARIES = ("torch", "F", "nn", "torch.Tensor", "torch.nn", "torch.nn.functional", "np", "numpy")


def _plumbing(source: str) -> list[str]:
    """What a visible grade cell must not hold: code to copy (functions, lambdas, classes) and
    pasted test machinery (attributes set or deleted on a module or class, stand-ins)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            found.append(f"{type(node).__name__} {getattr(node, 'name', '')}".strip())
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "setattr", "delattr"):
            found.append(f"a call of {node.func.id}")
        elif isinstance(node, ast.Name | ast.Attribute) and "_blocked" in ast.unparse(node):
            found.append("a _blocked stand-in")
        elif isinstance(node, ast.Assign | ast.Delete) and any(
                isinstance(target, ast.Attribute) and ast.unparse(target.value) in _LIBRARIES
                for target in node.targets):
            found.append(f"a change to {ast.unparse(node.targets[0])}")
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_grade_cells_hold_no_functions_and_no_pasted_harness(assignment):
    """Check that what students see of a grade cell defines nothing they could copy as an answer."""
    for cell in grade_cells(read(release_notebook(assignment))):
        assert "### BEGIN HIDDEN TESTS" not in cell.source, "release/ still holds hidden tests"
        found = _plumbing(_visible(cell.source))
        assert not found, f"{nbgrader_meta(cell)['grade_id']} shows {found}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_parts_of_source_grade_cells_hold_no_functions_either(assignment):
    for cell in grade_cells(read(source_notebook(assignment))):
        found = _plumbing(_visible(cell.source))
        assert not found, f"{nbgrader_meta(cell)['grade_id']} shows {found}"


def test_the_plumbing_check_finds_what_it_looks_for():
    pasted = textwrap.dedent('''
        def _blocked(*args):
            raise RuntimeError()
        setattr(F, "conv1d", _blocked)
        torch.softmax = None
        make = lambda: 1
        class _Spy:
            pass
        ### BEGIN HIDDEN TESTS
        def _reference(x):
            return x
        ### END HIDDEN TESTS
    ''')
    found = _plumbing(_visible(pasted))
    assert found.count("FunctionDef _blocked") == 1 and "FunctionDef _reference" not in found
    assert {"a call of setattr", "a _blocked stand-in", "a change to torch.softmax", "Lambda",
            "ClassDef _Spy"} <= set(found)
