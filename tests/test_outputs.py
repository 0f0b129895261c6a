"""Tests for course.grader.outputs: what graded notebooks keep of outputs, and what feedback shows."""

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from course.grader.outputs import (
    REMOVED,
    DeduplicateCells,
    HideHiddenTests,
    LimitOutputSize,
    ScrubHiddenTests,
    StrictGradeCells,
    hidden_lines,
)

MB = 2**20


def _grade_cell(source, grade_id="t", points=2):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": points,
                                 "grade_id": grade_id, "schema_version": 3}
    return cell


def _error(evalue="wrong", ename="AssertionError", traceback=None):
    return new_output("error", ename=ename, evalue=evalue, traceback=traceback or [f"{ename}: {evalue}"])


# -- duplicated cells ------------------------------------------------------------------------
def test_a_pasted_test_cell_leaves_one_graded_cell_and_one_ordinary_cell():
    """Check that the earlier copy of a duplicated grade cell loses its nbgrader metadata entirely"""
    nb = new_notebook(cells=[_grade_cell("assert True", "a"), _grade_cell("assert True", "a"),
                             _grade_cell("assert True", "b")])
    DeduplicateCells().preprocess(nb, {})
    assert "nbgrader" not in nb.cells[0].metadata
    assert [c.metadata["nbgrader"]["grade_id"] for c in nb.cells[1:]] == ["a", "b"]
    # what nbgrader's add_missing_task_cells does, which failed on the empty metadata left before
    graded = [c["metadata"]["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c["metadata"]]
    assert graded == ["a", "b"]


def test_empty_nbgrader_metadata_is_dropped():
    cell = new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {}
    nb = new_notebook(cells=[cell])
    DeduplicateCells().preprocess(nb, {})
    assert "nbgrader" not in nb.cells[0].metadata


# -- a displayed value never scores ----------------------------------------------------------
def test_a_displayed_value_before_an_error_scores_zero():
    """Check that [execute_result, error] in a test cell scores 0 (nbgrader alone gives full marks)"""
    cell = _grade_cell("check()")
    shown = new_output("execute_result", data={"text/plain": "'anything'"}, execution_count=3)
    cell.outputs = [shown, _error()]
    assert determine_grade(cell) == (2, 2)          # the trap
    StrictGradeCells().preprocess(new_notebook(cells=[cell]), {})
    assert [o.output_type for o in cell.outputs] == ["display_data", "error"]
    assert cell.outputs[0].data["text/plain"] == "'anything'"
    assert determine_grade(cell) == (0, 2)
    nbformat.validate(new_notebook(cells=[cell]))


def test_a_displayed_number_is_no_partial_credit():
    cell = _grade_cell("0.5")
    cell.outputs = [new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]
    StrictGradeCells().preprocess(new_notebook(cells=[cell]), {})
    assert determine_grade(cell) == (2, 2)


def test_ordinary_cells_keep_their_execute_results():
    cell = new_code_cell("1 + 1")
    cell.outputs = [new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    StrictGradeCells().preprocess(new_notebook(cells=[cell]), {})
    assert cell.outputs[0].output_type == "execute_result"


# -- caps on every kind of output ------------------------------------------------------------
def _huge_cell():
    cell = new_code_cell("huge()")
    png = base64.b64encode(b"\x89PNG" + bytes(3 * MB)).decode()
    cell.outputs = [
        new_output("execute_result", data={"text/plain": "x" * 3 * MB}, execution_count=1),
        new_output("display_data", data={"text/html": "<b>" + "y" * 3 * MB + "</b>", "text/plain": "y"}),
        new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        new_output("display_data", data={"application/json": {"k": "z" * 3 * MB}}),
        _error("e" * 6 * MB, traceback=["t" * 2 * MB] * 3),
    ]
    return cell


def _size(nb) -> int:
    return len(nbformat.writes(nb))


def test_every_kind_of_output_is_capped():
    """Check that huge results, HTML, pictures, JSON and error messages are all cut"""
    nb = new_notebook(cells=[_huge_cell()])
    assert _size(nb) > 20 * MB
    LimitOutputSize(max_chars=100_000, max_image_chars=1_000_000).preprocess(nb, {})
    assert _size(nb) < 400_000
    nbformat.validate(nb)
    kinds = [o.output_type for o in nb.cells[0].outputs]
    assert kinds == ["execute_result", "display_data", "display_data", "display_data", "error"]
    picture = nb.cells[0].outputs[2].data
    assert "image/png" not in picture and "over the size limit" in picture["text/plain"]
    assert "Output truncated" in nb.cells[0].outputs[0].data["text/plain"]


def test_small_outputs_and_pictures_are_kept_whole():
    png = base64.b64encode(b"\x89PNG" + bytes(50_000)).decode()
    cell = new_code_cell("plot()")
    cell.outputs = [new_output("stream", name="stdout", text="loss 0.1\n"),
                    new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]
    nb = new_notebook(cells=[cell])
    before = nbformat.writes(nb)
    LimitOutputSize().preprocess(nb, {})
    assert nbformat.writes(nb) == before


def test_many_outputs_and_many_cells_are_capped():
    """Check the caps on outputs per cell and on characters per notebook"""
    cells = []
    for _ in range(12):
        cell = new_code_cell("spam()")
        cell.outputs = [new_output("display_data", data={"text/plain": "s" * 1000}) for _ in range(300)]
        cells.append(cell)
    nb = new_notebook(cells=cells)
    LimitOutputSize(max_outputs=100, max_notebook_chars=500_000).preprocess(nb, {})
    assert all(len(c.outputs) == 101 for c in nb.cells)
    assert _size(nb) < 1_000_000


# -- hidden tests ----------------------------------------------------------------------------
TESTS = '''"""Check that f doubles"""
assert f(2) == 4, "f(2) should be 4"
### BEGIN HIDDEN TESTS
for value, expected in [(13, 26), (-7, -14), (0.5, 1.0)]:
    assert f(value) == expected, f"f({value}) is not {expected}"
secret_case = f(12345)
### END HIDDEN TESTS'''


def _graded_notebook(*outputs, later=()):
    tests = _grade_cell(TESTS)
    tests.outputs = list(outputs)
    after = new_code_cell("print(leak)")
    after.outputs = list(later)
    return new_notebook(cells=[new_code_cell("def f(x):\n    return 2 * x"), tests, after])


def test_hidden_lines_leave_out_short_and_visible_lines():
    lines = hidden_lines(_graded_notebook())
    assert "secret_case=f(12345)" in lines
    assert "assertf(value)==expected,f\"f({value})isnot{expected}\"" in lines
    assert all(len(line) >= 12 for line in lines)


def test_output_lines_that_quote_hidden_tests_are_removed():
    """Check that hidden code printed as is, re-indented, as repr() or raised is removed, and nothing else"""
    source = TESTS.split("### BEGIN HIDDEN TESTS\n")[1]
    nb = _graded_notebook(
        new_output("stream", name="stdout", text=f"honest line\n{source}\nanother honest line\n"),
        new_output("display_data", data={"text/plain": repr(source), "text/html": f"<pre>{source}</pre>"}),
        _error("caught: secret_case = f(12345)", traceback=["  secret_case   =   f(12345)", "ValueError"]),
        later=[new_output("stream", name="stdout", text="   " + "\n   ".join(source.splitlines()))])
    ScrubHiddenTests().preprocess(nb, {})
    tests, after = nb.cells[1], nb.cells[2]
    text = tests.outputs[0].text
    assert text.startswith("honest line\n") and text.endswith("another honest line\n")
    every_output = str([c.outputs for c in nb.cells])
    assert "12345" not in every_output and "(13, 26)" not in every_output
    assert tests.outputs[1].data["text/plain"] == REMOVED
    assert tests.outputs[2].evalue == REMOVED and tests.outputs[2].traceback[0] == REMOVED
    assert tests.outputs[2].traceback[1] == "ValueError"
    assert "12345" not in after.outputs[0].text


def test_hidden_code_requoted_padded_or_interleaved_with_invisible_characters_is_removed():
    """Check that quote swaps, padding, zero-width characters, HTML entities and look-alikes still match"""
    line = 'assert f(value) == expected, f"f({value}) is not {expected}"'
    disguises = [line.replace('"', "'"), line.replace("(", "( "), "\u200b".join(line),
                 line.replace('"', "&quot;"), line.upper(), line.replace("a", "\uff41")]
    nb = _graded_notebook(later=[new_output("stream", name="stdout", text=f"ok {i}: {d}\n")
                                 for i, d in enumerate(disguises)])
    ScrubHiddenTests().preprocess(nb, {})
    assert [o.text for o in nb.cells[2].outputs] == [REMOVED + "\n"] * len(disguises)


def test_hint_text_in_a_check_message_is_kept():
    """Check that a hidden test's hint, which the checks print on purpose, is not taken for a leak"""
    tests = _grade_cell('assert f(2) == 4\n### BEGIN HIDDEN TESTS\nexpect(f(13), 26,\n'
                        '       hint="remember that the function must double "\n'
                        '            "every value, negative ones too")\n### END HIDDEN TESTS')
    message = "f(13): returned 13; expected 26.\nHint: remember that the function must double every value"
    tests.outputs = [_error(message)]
    nb = new_notebook(cells=[tests])
    ScrubHiddenTests().preprocess(nb, {})
    assert nb.cells[0].outputs[0].evalue == message


def test_hidden_code_split_over_lines_is_removed():
    nb = _graded_notebook(later=[new_output("stream", name="stdout", text="secret_ca\nse = f(123\n45)\n")])
    ScrubHiddenTests().preprocess(nb, {})
    assert nb.cells[2].outputs[0].text == REMOVED + "\n"


def test_honest_outputs_are_untouched():
    nb = _graded_notebook(new_output("stream", name="stdout", text="f(2) = 4\nall good\n"),
                          _error("f(13) is not 26", traceback=["AssertionError: f(13) is not 26"]))
    before = nbformat.writes(nb)
    ScrubHiddenTests().preprocess(nb, {})
    assert nbformat.writes(nb) == before


def test_feedback_hides_code_tracebacks_and_later_pictures():
    """Check that feedback shows no hidden code or traceback, and no picture from the hidden tests on"""
    png = base64.b64encode(b"\x89PNG" + bytes(100)).decode()
    picture = {"image/png": png, "text/plain": "<Figure>"}
    nb = _graded_notebook(_error("f(13) is not 26", traceback=["line 4: for value, expected in ...", "x"]),
                          later=[new_output("display_data", data=dict(picture))])
    nb.cells[0].outputs = [new_output("display_data", data=dict(picture))]
    HideHiddenTests().preprocess(nb, {})
    first, tests, after = nb.cells
    assert "image/png" in first.outputs[0].data                 # drawn before any hidden test ran
    assert "BEGIN HIDDEN" not in tests.source and "12345" not in tests.source
    assert "# (hidden tests: not shown in feedback)" in tests.source
    assert tests.outputs[0].traceback == ["AssertionError: f(13) is not 26"]
    assert after.outputs[0].data == {"text/plain": "<Figure>"}
