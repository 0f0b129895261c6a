"""`course grade` against a class of hostile submissions, graded once in parallel and sandboxed.

The class and its grading by `course grade` are built once per session by the ``graded_class``
fixture (tests/classroom.py; the attacks' code is in tests/attacks.py). These tests read what
happened: grades, statuses, the CSV, feedback pages and the attacks' own outputs; the last ones
compare with plain nbgrader's grading of the same files (``plain_graded``, whose own tests are in
tests/test_grading_e2e.py). The command line's error messages are in tests/test_classgrade_cli.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import attacks
import pytest
from classroom import (
    FIRST,
    MB,
    PLAIN,
    SECRET,
    STUDENTS,
    assert_no_submitted_script,
    attack_output,
    breaches,
    course_grade,
    csv_rows,
    disguised_leaks,
    expected_scores,
    hidden_lines,
    plain_text,
    scores,
    statuses,
)
from nbhelpers import REPO, SOURCE, grade_cells, nbgrader_meta, points, read

from course.grader.status import CELL_TIMEOUT, KERNEL_DIED, Status

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("class")]


@pytest.fixture
def course(graded_class):
    """The graded class (see classroom.grade): roots, students, the runs and what the attacks saw."""
    return graded_class


# -- every student ----------------------------------------------------------------------------
def test_every_student_is_graded_in_one_run(course):
    assert sorted(course["students"]) == sorted(STUDENTS)
    run = course["run"]
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert set(statuses(run)) == set(STUDENTS), run.stdout


@pytest.mark.parametrize("student", STUDENTS)
def test_grade_and_status_are_honest(course, student):
    """Check the student's status and exact per-cell scores in the gradebook and in the CSV"""
    root, what = course["root"], course["students"][student]
    assert statuses(course["run"]).get(student) == what.status, course["run"].stdout
    row = {r["student"]: r for r in csv_rows(root)}[student]
    assert row["status"] == what.status
    recorded = scores(root)
    if what.passes is None:
        assert student not in recorded
        assert float(row["total"]) == 0
        return
    wanted = expected_scores(what.passes)
    assert recorded[student] == wanted
    assert {k.split(":", 1)[1]: float(v) for k, v in row.items() if k.startswith(f"{FIRST}:")} == wanted
    assert float(row["total"]) == sum(wanted.values())


@pytest.mark.parametrize("student", STUDENTS)
def test_feedback_hides_the_hidden_tests(course, student):
    """Check that no line of hidden test code, and no secret of the grader, is in the feedback page"""
    root, what = course["root"], course["students"][student]
    page = root / "feedback" / student / FIRST / f"{FIRST}.html"
    if what.passes is None:
        assert not page.exists()
        return
    text = plain_text(page.read_text())
    source = read(SOURCE / FIRST / f"{FIRST}.ipynb")
    hidden = hidden_lines(source)
    assert len(hidden) > 20
    assert [line for line in hidden if line in text] == []
    assert disguised_leaks(text, what.nb) == []
    assert SECRET not in text
    # The check would see hidden code if it were there: the visible tests are shown, as text.
    visible = grade_cells(source)[0].source.splitlines()[1].strip()
    assert visible in text


def test_gradebook_and_csv_have_every_student(course):
    root, students = course["root"], course["students"]
    recorded = scores(root)
    assert set(recorded) == {s for s, what in students.items() if what.passes is not None}
    maximum = points(read(SOURCE / FIRST / f"{FIRST}.ipynb"))
    assert recorded["reference"] == maximum
    rows = csv_rows(root)
    assert [r["student"] for r in rows] == sorted(students)
    assert list(rows[0]) == ["student", "status", *(f"{FIRST}:{gid}" for gid in maximum), "total"]
    for row in rows:
        assert float(row["total"]) == sum(recorded.get(row["student"], {}).values())


# -- the attacks' own evidence ----------------------------------------------------------------
def test_tests_edited_or_deleted_are_restored(course):
    root = course["root"]
    release = read(root / "release" / FIRST / f"{FIRST}.ipynb")
    originals = {nbgrader_meta(c)["grade_id"]: c.source for c in grade_cells(release)}
    for student in ("edited-tests", "deleted-tests"):
        nb = read(root / "autograded" / student / FIRST / f"{FIRST}.ipynb")
        restored = {nbgrader_meta(c)["grade_id"]: c.source for c in grade_cells(nb)}
        assert set(restored) == set(originals)
        for gid, text in restored.items():
            assert originals[gid].strip().splitlines()[0] in text


@pytest.mark.parametrize("label", ["endless-loop/loop", "endless-loop/sleep"])
def test_a_cell_that_never_ends_times_out_alone(course, label):
    output = attack_output(course["root"], label)
    assert CELL_TIMEOUT in output, output[-2000:]


def test_memory_is_capped(course):
    output = attack_output(course["root"], "hogs/memory")
    found = re.search(r"ALLOCATED (\d+) x 256 MB; stopped by (\w+)", output)
    assert found, output[-2000:]
    assert found.group(2) == "MemoryError" and int(found.group(1)) < 16   # 4 GB address space


def test_processes_are_capped_and_die_with_the_sandbox(course, request):
    """Check that a fork bomb is stopped by the process cap and its children die with the kernel"""
    from course.grader.sandbox import process_cap_problem

    problem = process_cap_problem()     # asked here, not while collecting: it reads the cgroup tree
    if problem is not None:
        request.applymarker(pytest.mark.xfail(strict=True,
                                              reason=f"known gap where no cgroup can be made: {problem}"))
    output = attack_output(course["root"], "hogs/processes")
    found = re.search(r"STARTED (\d+) processes; stopped by (\w+)", output)
    assert found, output[-2000:]
    assert course["leftovers"] == [], "the fork bomb's children outlived the grading kernel"
    assert found.group(2) in ("BlockingIOError", "OSError") and int(found.group(1)) < 1000, (
        f"{found.group(0)}: no process cap"
        + (" (RLIMIT_NPROC does not bind root, and this runs as root)" if os.geteuid() == 0 else ""))


def test_big_files_fail_or_are_capped(course):
    """Check that only the size-capped /tmp (sockets included) takes writes, and no file passes 64 MB"""
    root = course["root"]
    output = attack_output(root, "floods/files")
    wrote = {m.group(1): (int(m.group(2)), int(m.group(3)))
             for m in re.finditer(r"WROTE ([\w -]+): (\d+) MB, largest file (\d+) MB", output)}
    assert set(wrote) == {"working folder", "tmp", "course root", "dev", "dev-shm", "socket folder"}, output
    assert wrote["course root"] == wrote["dev"] == (0, 0), output
    assert wrote["working folder"][0] <= 256, output       # the kernel's own folder, in the capped /tmp
    assert wrote["tmp"][0] <= 256 and wrote["dev-shm"][0] <= 64, output
    assert max(largest for _, largest in wrote.values()) <= 64, output     # the file-size cap
    assert not list(root.rglob("big-*.bin"))
    assert wrote["socket folder"] == (0, 0), f"the kernel's connection folder is writable:\n{output}"


def test_gradebook_cannot_be_reached(course):
    root = course["root"]
    mounts = attack_output(root, "snoops/mounts")
    assert mounts.count("blocked umount") == 2 and "blocked remount" in mounts, mounts
    output = attack_output(root, "snoops/gradebook")
    assert f"absent {root / 'gradebook.db'}" in output, output
    assert "planted" in output, output
    assert breaches(root, "snoops/mounts") == breaches(root, "snoops/gradebook") == [], output
    # The kernel's working folder is its own, in the sandbox's /tmp: nothing planted there reaches the grader.
    assert not [p for p in root.rglob("gradebook.db") if p.read_bytes() == b"planted"]
    assert (root / "gradebook.db").stat().st_size >= course["gradebook_before"]


@pytest.mark.parametrize("label", ["snoops/hidden-tests", "snoops/others"])
def test_hidden_tests_and_other_submissions_are_invisible(course, label):
    root = course["root"]
    output = attack_output(root, label)
    assert "FileNotFoundError" in output and breaches(root, label) == [], output[-3000:]
    hidden = hidden_lines(read(SOURCE / FIRST / f"{FIRST}.ipynb"))
    assert [line for line in hidden if line in output] == []


def test_no_network(course):
    root = course["root"]
    output = attack_output(root, "snoops/network")
    assert output.count("blocked") == 4 and breaches(root, "snoops/network") == [], output
    assert course["connections"] == []


def test_the_graders_environment_stays_private(course):
    output = attack_output(course["root"], "snoops/environment")
    assert "environment:" in output and "/proc/1/environ" in output, output[-2000:]
    assert SECRET not in output


@pytest.mark.parametrize("label", ["floods/lines", "floods/one-line"])
def test_huge_output_is_cut(course, label):
    output = attack_output(course["root"], label)
    assert 1000 < len(output) < MB, (f"{len(output) / MB:.0f} MB of output kept: nbgrader's LimitOutput "
                                     "counts lines, and one line can be any length")


def test_exits_and_crashes(course):
    root = course["root"]
    assert "SystemExit" in attack_output(root, "sys-exit")
    for student in ("os-exit", "kill-self"):
        nb = read(root / "autograded" / student / FIRST / f"{FIRST}.ipynb")
        assert any(o.get("ename") == KERNEL_DIED for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)


def test_no_kernel_folder_is_left_behind(course):
    """Check that every kernel's private folder (its connection file) is removed, crashed kernels' too"""
    assert sorted(p.name for p in course["scratch"].glob("course-kernel-*")) == []


# -- running again ----------------------------------------------------------------------------
def test_a_second_run_reuses_every_job_and_restores_deleted_outputs(course):
    """Check that a second run changes nothing, reuses every job, and re-creates deleted results

    (When a job has to be redone is checked by test_jobs_are_reused_only_while_nothing_changed.) A
    reused job is not recorded again, nor its feedback rewritten, unless something it wrote is gone.
    """
    root, students = course["root"], course["students"]
    before_csv, before_scores = (root / f"grades-{FIRST}.csv").read_text(), scores(root)
    gone = root / "autograded" / "partial" / FIRST
    shutil.rmtree(gone)
    lost_page = root / "feedback" / "warns" / FIRST / f"{FIRST}.html"
    lost_page.unlink()
    pages = {p: p.stat().st_mtime_ns for p in (root / "feedback").rglob("*.html")}
    run = course_grade(root, "--workers=2")
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    output = run.stdout + run.stderr
    reused = set(re.findall(r"^  (\S+): .*\[reused\]$", output, re.M))
    assert reused == {s for s, what in students.items() if what.passes is not None}, output
    assert (gone / f"{FIRST}.ipynb").exists() and lost_page.exists()
    assert (root / f"grades-{FIRST}.csv").read_text() == before_csv
    assert scores(root) == before_scores
    # Only what was deleted is recorded and written again: every other page is the one from before.
    rewritten = {p.relative_to(root / "feedback").parts[0] for p, t in pages.items()
                 if p.stat().st_mtime_ns != t}
    assert rewritten == {"partial"}, rewritten


# -- outputs: hidden tests, size, scripts, the terminal ---------------------------------------
def test_feedback_carries_no_submitted_script(course):
    """Check that HTML, JavaScript and markdown scripts from a submission are neutralised in feedback"""
    page = (course["root"] / "feedback" / "rich-outputs" / FIRST / f"{FIRST}.html").read_text()
    assert "pwned-by-html" in page        # the text is still there to see, escaped
    assert_no_submitted_script(page)


@pytest.mark.parametrize("label", ["snoops/other-checkouts", "snoops/unix-sockets"])
def test_nothing_outside_the_allowlist_is_reachable(course, label):
    """Check that another checkout of the course and the grading machine's Unix sockets are out of reach"""
    output = attack_output(course["root"], label)
    assert "blocked" in output and breaches(course["root"], label) == [], output
    assert course["unix_connections"] == []


def test_memory_outside_the_address_space_limit_is_capped(course):
    """Check that memfd pages, which RLIMIT_AS does not count, are stopped by the kernel's memory cgroup"""
    from course.grader.sandbox import memory_cap_problem

    problem = memory_cap_problem()
    if problem is not None:
        if os.environ.get("COURSE_REQUIRE_SANDBOX") == "1" and os.geteuid() == 0:
            pytest.fail(f"no memory cgroup where CI requires one: {problem}")
        pytest.skip(f"no memory cgroup here: {problem}")
    output = attack_output(course["root"], "memfd")
    held = [int(m) for m in re.findall(r"HELD (\d+) MB", output)]
    assert held and max(held) <= 4096 + 48, output[-2000:]
    assert statuses(course["run"])["memfd"] == Status.CRASHED


def test_no_control_character_reaches_the_terminal(course):
    """Check that a grade id with ANSI and OSC escapes is printed escaped, not obeyed"""
    run = course["run"]
    assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout + run.stderr
    assert "p01_\\x1b]0;pwned\\x07" in run.stdout


# -- the same submissions, graded by plain nbgrader too (conftest.plain_graded) ------------------
def test_scores_identical_to_plain_nbgrader(course, plain_graded):
    """Check that plain `nbgrader autograde` gives the benign students the scores `course grade` gave

    The submissions are the same files, in another copy of the generated course.
    """
    plain = plain_graded["root"]
    assert sorted(p.name for p in (plain / "submitted").iterdir()) == sorted(PLAIN)
    for student in PLAIN:
        submitted = Path("submitted", student, FIRST, f"{FIRST}.ipynb")
        assert (plain / submitted).read_bytes() == (course["root"] / submitted).read_bytes(), student
    assert plain_graded["runs"]["autograde"]["returncode"] == 0, plain_graded["runs"]["autograde"]["output"]
    theirs, ours = scores(plain), scores(course["root"])
    assert set(theirs) == set(PLAIN)
    assert {s: ours[s] for s in PLAIN} == theirs
    assert 0 < sum(theirs["partial"].values()) < sum(points(read(SOURCE / FIRST / f"{FIRST}.ipynb")).values())


def test_every_kind_of_output_is_capped(course, plain_graded):
    """Check that a 3 MB result, a 3 MB display and a 6 MB error leave small notebooks and pages"""
    for root in (course["root"], plain_graded["root"]):
        graded = root / "autograded" / "rich-outputs" / FIRST / f"{FIRST}.ipynb"
        page = root / "feedback" / "rich-outputs" / FIRST / f"{FIRST}.html"
        assert graded.stat().st_size < 2 * MB and page.stat().st_size < 2 * MB, root


@pytest.mark.parametrize("student", ["reads-tests", "snoops", "rich-outputs", "reference"])
def test_graded_notebooks_quote_no_hidden_test_in_outputs(course, plain_graded, student):
    """Check that outputs in autograded/ (both paths) hold no line of hidden test code"""
    hidden = hidden_lines(read(SOURCE / FIRST / f"{FIRST}.ipynb"))
    for root in (course["root"], plain_graded["root"]):
        graded = root / "autograded" / student / FIRST / f"{FIRST}.ipynb"
        if not graded.exists():
            continue
        text = "\n".join(_strings([c.get("outputs", []) for c in read(graded).cells]))
        assert [line for line in hidden if line in text] == [], root
        assert disguised_leaks(text, course["students"][student].nb) == [], root
    if student == "reads-tests":        # the attack did read its tests: only the filter kept them out
        graded = read(course["root"] / "autograded" / student / FIRST / f"{FIRST}.ipynb")
        assert "CALLER" in "\n".join(_strings([c.get("outputs", []) for c in graded.cells]))


def _strings(value) -> list[str]:
    """Every string inside nested lists and dicts (outputs), dict keys aside."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in _strings(item)]


def test_submitted_modules_are_never_imported(course, plain_graded):
    """Check that a course/ package handed in is not imported, and that the kernel's folder is empty"""
    for root in (course["root"], plain_graded["root"]):
        output = attack_output(root, "shadow-modules/check")
        found = re.search(r"course.checks from (\S+)", output)
        assert found and Path(found.group(1)).resolve() == (REPO / "course" / "checks.py").resolve(), output
        assert "working folder holds []" in output, output


# -- the sandbox alone --------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_sandboxed_code_cannot_undo_the_mounts_that_hide_the_course(tmp_path):
    """Check that code in the sandbox has no capabilities, so cannot unmount or remount, even as root"""
    from course.grader.sandbox import sandbox_prefix

    course, work = tmp_path / "course", tmp_path / "work"
    course.mkdir()
    (course / "gradebook.db").write_text("grades")
    work.mkdir()
    code = attacks.MOUNTS.format(root=str(course)) + (
        "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
        f"print(open({str(course / 'gradebook.db')!r}).read())\n")
    result = subprocess.run(sandbox_prefix(work, [course], []) + [sys.executable, "-c", code],
                            capture_output=True, text=True, timeout=120)
    assert "BREACH" not in result.stdout and result.stdout.count("blocked") == 3, result.stdout
    assert "0000000000000000" in result.stdout and "FileNotFoundError" in result.stderr, result.stdout
