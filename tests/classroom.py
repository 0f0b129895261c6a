"""The class the end-to-end grading tests share: built once, graded once by each grader.

A course (a copy of the run's generated course, gradebook included) holds 01_parameters and a
class in which nearly every student attacks the grader. Most attacks are code cells put right
after the setup cell of the reference solution, so an honest grade is the reference's points for
every cell the attack cannot influence; related attacks share a student, as separate labelled
cells (``# attack: LABEL``), which keeps the number of grading jobs, and so the run, short. The
attacks look for the course the way a student would (walking up from the working folder,
searching /tmp, or with the course's absolute path, written into the cell by the suite), and
every resource attack is bounded, so it stays safe on a machine without the sandbox's caps.

:func:`grade` grades every student with `course grade`, sandboxed and in parallel
(tests/test_classgrade.py reads the result). :func:`grade_plain` grades, in another copy of the
course, the same files of the students plain nbgrader can be trusted with (:data:`PLAIN`), plus
the reference of every other assignment, with `nbgrader autograde`,
`generate_feedback` and `export` (tests/test_grading_e2e.py reads the result; both files compare
the two). conftest.py runs each once per test run.

All notebooks have their demonstration cells emptied (:func:`nbhelpers.quick`): the graded cells
need only the setup cell and the solutions (see ``nbhelpers.grade_with``), and the full
notebooks' training cells can take longer than the per-cell limit on a busy machine. That the
full notebooks pass every test is checked once, in tests/test_notebooks.py.
"""

from __future__ import annotations

import copy
import csv
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import attacks
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbhelpers import (
    ASSIGNMENTS,
    REPO,
    SOURCE,
    grade_cells,
    grade_with,
    is_grade_cell,
    is_solution_cell,
    nbgrader_meta,
    points,
    quick,
    read,
    release_notebook,
)

from course.grader.status import Status

FIRST = "01_parameters"
OTHER = "02_conv_dims"
# Per cell: long enough for every honest cell while both graders share the machine's cores. The
# sandbox's resource attacks (gigabytes of memory and files) take longest, and plain nbgrader has none.
TIMEOUT = 30            # `course grade --timeout`: the memory attack writes 4 GB, slow on a busy machine
PLAIN_TIMEOUT = 10      # `--Execute.timeout` for FIRST's class: its endless loop waits it out
# The other courses hold only reference solutions, some of whose tests train a network (2.7 s
# alone on a quiet core): they keep the course's own limit, nbgrader_config.py's Execute.timeout.
COURSE = [str(Path(sys.executable).parent / "course")]
SECRET = "s3cr3t-of-the-grader-0f9d2c"   # in the grader's environment; must never reach a student
CHILD_SLEEP = "587.25"                  # the fork bomb's children run `sleep CHILD_SLEEP`
MB = 2**20


# -- notebooks --------------------------------------------------------------------------------
def _insert_after_setup(nb, source, student):
    nb = copy.deepcopy(nb)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(setup + 1, new_code_cell(f"# attack: {student}\n{source}"))
    return nb


def _partial(release, source):
    """The release with only the first exercise solved."""
    nb = copy.deepcopy(release)
    first = next(c for c in source.cells if is_solution_cell(c))
    next(c for c in nb.cells if is_solution_cell(c)).source = first.source
    return nb


def _first_exercise_ids(source):
    """Grade ids of the tests that follow the first solution cell, up to the second one."""
    solutions = [i for i, c in enumerate(source.cells) if is_solution_cell(c)]
    return {nbgrader_meta(c)["grade_id"] for c in source.cells[solutions[0]:solutions[1]] if is_grade_cell(c)}


def _warn_in_first_exercise(nb):
    """``nb`` with the first exercise's function wrapped to raise a warning on every call."""
    nb = copy.deepcopy(nb)
    index, cell = next((i, c) for i, c in enumerate(nb.cells) if is_solution_cell(c))
    name = re.search(r"^def (\w+)", cell.source, re.M).group(1)
    nb.cells.insert(index + 1, new_code_cell(
        f"import functools, warnings\n\n_answer = {name}\n\n\n"
        f"@functools.wraps(_answer)\ndef {name}(*args, **kwargs):\n"
        f"    warnings.warn('a warning from the answer, which must not cost points')\n"
        f"    return _answer(*args, **kwargs)"))
    return nb


def hidden_lines(nb) -> list[str]:
    """Distinctive lines of hidden test code: in a hidden block and nowhere else in the notebook."""
    hidden, visible = [], []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            else:
                (hidden if inside else visible).append(line.strip())
    shown = "\n".join(visible)
    return sorted({line for line in hidden if len(line) >= 30 and line not in shown})


def disguised_leaks(text: str, submitted=None) -> list[str]:
    """Hidden test lines in ``text`` even after requoting, re-spacing or invisible characters.

    Lines the student wrote in their own code (``def __init__(self):``) are no leak.
    """
    from course.grader.outputs import _normal, hidden_lines

    found = _normal(text)
    own = {_normal(line) for c in (submitted.cells if submitted else []) for line in c.source.splitlines()}
    return [line for line in hidden_lines(read(SOURCE / FIRST / f"{FIRST}.ipynb")) if line in found
            and line not in own]


def plain_text(page: str) -> str:
    """An HTML page as text: tags (syntax highlighting splits code into spans) removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", page))


class Student:
    """One submission: the notebook (or raw bytes), the status and the per-cell passes expected.

    ``passes`` is None when nothing can be recorded (the submission is no gradable notebook).
    """

    def __init__(self, nb, passes, status=Status.GRADED, name=f"{FIRST}.ipynb", files=None):
        self.nb, self.passes, self.status, self.name = nb, passes, status, name
        self.files = files or {}      # handed in next to the notebook: {relative path: text}


def _insert_attacks(nb, attack_cells: dict[str, str]):
    """``nb`` with one cell per attack (label: code) right after the setup cell, in order."""
    for label, code in reversed(attack_cells.items()):
        nb = _insert_after_setup(nb, code, label)
    return nb


def _after(nb, predicate, code, label):
    """``nb`` with an attack cell right after the first cell for which ``predicate`` holds."""
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if predicate(c))
    nb.cells.insert(index + 1, new_code_cell(f"# attack: {label}\n{code}"))
    return nb


def _memory_cap_problem():
    from course.grader.sandbox import memory_cap_problem

    return memory_cap_problem()


def build_class(root, port, places) -> dict[str, Student]:
    """The students of 01_parameters, each with the grade and status an honest grader gives."""
    source = read(root / "source" / FIRST / f"{FIRST}.ipynb")
    release = read(root / "release" / FIRST / f"{FIRST}.ipynb")
    reference, every = quick(source), dict.fromkeys(points(source), True)
    none = dict.fromkeys(every, False)
    partial = _partial(quick(release), source)
    stubs = [c.source for c in release.cells if is_solution_cell(c)][1:]
    partial_passes = grade_with(FIRST, source="\n\n".join(stubs))
    cheat_passes = grade_with(FIRST, source=attacks.FAKE_ANSWERS)
    assert not any(cheat_passes.values()), "the fake answers must fail every test when graded honestly"

    edited = copy.deepcopy(partial)
    for cell in grade_cells(edited):
        cell.source = "pass"
    deleted = copy.deepcopy(partial)
    deleted.cells = [c for c in deleted.cells if not is_grade_cell(c)]

    def cheat(code, student):
        """The release whose answers are wrong, with tools patched in the first answer cell."""
        nb = quick(release)
        cells = [c for c in nb.cells if is_solution_cell(c)]
        cells[0].source = f"# attack: {student}\n{code}"
        for cell in cells[1:]:
            cell.source = "pass"
        return nb

    def attack(student, *codes):
        labels = [student] if len(codes) == 1 else [f"{student}/{label}" for label, _ in codes]
        codes = [c if isinstance(c, str) else c[1] for c in codes]
        return _insert_attacks(reference, {label: code.format(root=str(root), port=port, sleep=CHILD_SLEEP)
                                           for label, code in zip(labels, codes, strict=True)})

    # The processes stay until the kernel ends: last, so that the tests do not run under the cap.
    hogs = attack("hogs", ("memory", attacks.MEMORY), ("processes", attacks.PROCESSES))
    hogs.cells.append(hogs.cells.pop(next(i for i, c in enumerate(hogs.cells)
                                          if c.source.startswith("# attack: hogs/processes"))))

    # The kernel dies after the first exercise's tests: those keep their points, the rest score 0.
    killed = copy.deepcopy(reference)
    second = [i for i, c in enumerate(killed.cells) if is_solution_cell(c)][1]
    killed.cells.insert(second, new_code_cell("# attack: kill-self\nimport os\nos.kill(os.getpid(), 9)"))
    first_ids = _first_exercise_ids(source)

    other = read(release_notebook(OTHER))
    corrupted = nbformat.writes(reference)

    # Wrong answers that try to pass anyway, each graded honestly in this process first.
    liars_passes = grade_with(FIRST, source=attacks.LYING_VALUES)
    assert not any(liars_passes[g] for g in ("p01_count_basic", "p01_conv_square", "p01_identity_forward"))
    displayed_passes = grade_with(FIRST, source=attacks.DISPLAY_BEFORE_ERROR)
    erased_passes = grade_with(FIRST, source=attacks.ERASE_ERRORS.replace("    _arm()\n", ""))
    assert sum(erased_passes.values()) <= 1
    assert not any(displayed_passes.values())

    stubborn = copy.deepcopy(reference)
    stubborn.cells.insert(second, new_code_cell(f"# attack: stubborn\n{attacks.STUBBORN}"))
    pasted = copy.deepcopy(reference)
    tests = [i for i, c in enumerate(pasted.cells) if is_grade_cell(c)]
    copies = [copy.deepcopy(pasted.cells[tests[0]]), copy.deepcopy(pasted.cells[tests[-1]])]
    for number, cell in enumerate(copies):
        cell.id = f"pasted-{number}"          # JupyterLab gives a pasted cell an id of its own
    pasted.cells.insert(tests[0] + 1, copies[0])      # pasted right below the original
    pasted.cells.append(copies[1])                    # and at the very end
    escaped = copy.deepcopy(reference)
    foreign = copy.deepcopy(next(c for c in escaped.cells if is_grade_cell(c)))
    foreign.metadata["nbgrader"]["grade_id"] = attacks.ESCAPE_ID
    foreign.id = "escape-codes"
    escaped.cells.append(foreign)
    reader = _after(reference, is_solution_cell, attacks.READ_CALLER, "reads-tests/caller")
    reader.cells.append(new_code_cell(f"# attack: reads-tests/history\n{attacks.READ_HISTORY}"))
    rich = attack("rich-outputs", ("result", attacks.HUGE_RESULT), ("display", attacks.HUGE_DISPLAY),
                  ("error", attacks.HUGE_ERROR), ("scripts", attacks.SCRIPTS))
    rich.cells.insert(1, new_markdown_cell(attacks.MARKDOWN_SCRIPT))
    memfd = copy.deepcopy(reference)
    memfd.cells.append(new_code_cell(f"# attack: memfd\n{attacks.MEMFD.format()}"))
    students = {
        "reference": Student(reference, every),
        "untouched": Student(quick(release), none),
        "partial": Student(partial, partial_passes),
        "edited-tests": Student(edited, partial_passes),
        "deleted-tests": Student(deleted, partial_passes),
        # The loop polls instead of spinning: to the grader both are a cell that never ends (a spinning
        # loop is interrupted in tests/test_preprocessors.py), and a spinning one would hold a core
        # for the whole time limit, in both graders.
        "endless-loop": Student(attack("endless-loop",
                                       ("loop", "import time\nwhile True:\n    time.sleep(0.01)"),
                                       ("sleep", "import time\ntime.sleep(10_000)")),
                                every, Status.TIMED_OUT),
        "warns": Student(_warn_in_first_exercise(reference), every),
        "hogs": Student(hogs, every),
        # Attacks that only look or reach out share one student (one grading job): each is a cell of its own.
        "snoops": Student(attack("snoops", ("hidden-tests", attacks.HIDDEN_TESTS), ("others", attacks.OTHERS),
                                 ("network", attacks.NETWORK), ("environment", attacks.ENVIRONMENT),
                                 ("mounts", attacks.MOUNTS), ("gradebook", attacks.GRADEBOOK),
                                 ("other-checkouts", attacks.OTHER_CHECKOUTS.format(
                                     copy=str(places["copy"]), repo=str(REPO))),
                                 ("unix-sockets", attacks.UNIX_SOCKETS.format(
                                     path=str(places["socket"]), abstract=places["abstract"]))), every),
        "monkeypatcher": Student(cheat(attacks.PATCHES, "monkeypatcher"), cheat_passes),
        "swallows-errors": Student(cheat(attacks.SWALLOW, "swallows-errors"), cheat_passes),
        "sys-exit": Student(attack("sys-exit", "import sys\nsys.exit(0)"), every),
        "os-exit": Student(attack("os-exit", "import os\nos._exit(1)"), none, Status.CRASHED),
        "kill-self": Student(killed, {gid: gid in first_ids for gid in every}, Status.CRASHED),
        "floods": Student(attack("floods", ("files", attacks.FILES), ("lines", attacks.lines(20_000, 1000)),
                                 ("one-line", "print('x' * 20_000_000)")), every),
        "corrupted": Student(corrupted[:len(corrupted) // 2].encode(), None, Status.INVALID),
        "other-assignment": Student(other, None, Status.INVALID),
        "other-assignment-own-name": Student(other, None, Status.INVALID, name=f"{OTHER}.ipynb"),
        "lying-values": Student(cheat(attacks.LYING_VALUES, "lying-values"), liars_passes),
        "rewrites-checks": Student(cheat(attacks.FAKE_ANSWERS + attacks.REWRITE_CHECKS, "rewrites-checks"),
                                   cheat_passes),
        "drops-errors": Student(cheat(attacks.FAKE_ANSWERS + attacks.DROP_ERRORS, "drops-errors"),
                                cheat_passes),
        "erases-errors": Student(cheat(attacks.ERASE_ERRORS, "erases-errors"), erased_passes),
        "displays-first": Student(cheat(attacks.DISPLAY_BEFORE_ERROR, "displays-first"), displayed_passes),
        "shadow-modules": Student(_insert_attacks(cheat(attacks.FAKE_ANSWERS, "shadow-modules"),
                                                  {"shadow-modules/check": attacks.SHADOW_CHECK}),
                                  cheat_passes, files=attacks.SHADOW_FILES),
        "reads-tests": Student(reader, every),
        "memfd": Student(memfd, every, Status.CRASHED if _memory_cap_problem() is None else Status.GRADED),
        "rich-outputs": Student(rich, every),
        "escape-codes": Student(escaped, None, Status.INVALID),
        "stubborn": Student(stubborn, {gid: gid in first_ids for gid in every}, Status.TIMED_OUT),
        "pasted-test": Student(pasted, every),
    }
    # Cells added here get random ids; number them instead, so that every build writes the same files.
    known = {c.get("id") for nb in (source, release, other) for c in nb.cells} | {"pasted-0", "pasted-1",
                                                                                  "escape-codes"}
    for what in students.values():
        for index, cell in enumerate(what.nb.cells if not isinstance(what.nb, bytes) else []):
            if cell.get("id") not in known:
                cell.id = f"added-{index}"
    return students


# Graded by plain nbgrader too, to compare: they do nothing a grader must be protected from.
BENIGN = ["reference", "untouched", "partial", "edited-tests", "deleted-tests", "endless-loop", "warns",
          "sys-exit", "os-exit", "kill-self", "stubborn", "pasted-test"]
# Also graded by plain nbgrader: the attacks on grades and feedback that the course's nbgrader
# configuration must stop without the sandbox.
PLAIN_ATTACKS = ["lying-values", "rewrites-checks", "drops-errors", "erases-errors", "displays-first",
                 "shadow-modules", "reads-tests", "rich-outputs"]
PLAIN = BENIGN + PLAIN_ATTACKS
# Every student of 01_parameters, graded by `course grade`.
STUDENTS = ["reference", "untouched", "partial", "edited-tests", "deleted-tests", "endless-loop", "warns",
            "hogs", "floods", "snoops", "monkeypatcher",
            "swallows-errors", "sys-exit", "os-exit", "kill-self", "corrupted",
            "other-assignment", "other-assignment-own-name", *PLAIN_ATTACKS, "stubborn", "pasted-test",
            "memfd", "escape-codes"]


# -- grading ----------------------------------------------------------------------------------
def submit(root, student, what: Student, assignment=FIRST):
    """Hand in ``what`` as ``student``'s submission of ``assignment`` in the course ``root``."""
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for relative, text in what.files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    if isinstance(what.nb, bytes):
        (folder / what.name).write_bytes(what.nb)
    else:
        nbformat.write(what.nb, str(folder / what.name))


def course_grade(root, *extra, env=None):
    """Run `course grade 01_parameters` in ``root``; the result also has ``seconds``."""
    started = time.monotonic()
    run = subprocess.run([*COURSE, "grade", FIRST, f"--timeout={TIMEOUT}", *extra], cwd=root,
                         capture_output=True, text=True, timeout=900, env=env)
    run.seconds = time.monotonic() - started
    return run


class _Listener:
    """A TCP server on the grading machine's loopback interface that counts who connects."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port, self.connections, self.running = self.sock.getsockname()[1], [], True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, address = self.sock.accept()
            except OSError:
                continue
            self.connections.append(address)
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()


class _UnixListener:
    """Unix sockets on the grading machine, a file outside /tmp and an abstract one, counting connections."""

    def __init__(self, folder: Path):
        self.path, self.abstract = folder / "grader.sock", f"course-test-{os.getpid()}-{time.monotonic_ns()}"
        self.socks = [socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX)]
        self.socks[0].bind(str(self.path))
        self.socks[1].bind("\0" + self.abstract)
        self.connections, self.running = [], True
        self.threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self.socks]
        for sock, thread in zip(self.socks, self.threads, strict=True):
            sock.listen(4)
            sock.settimeout(0.5)
            thread.start()

    def _serve(self, sock):
        while self.running:
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            self.connections.append(sock.getsockname())
            conn.close()

    def close(self):
        self.running = False
        for thread, sock in zip(self.threads, self.socks, strict=True):
            thread.join(timeout=5)
            sock.close()


def _sleeping_children() -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes() == f"sleep\0{CHILD_SLEEP}\0".encode():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


PORT_CLASH = "Address already in use"


def _nbgrader_batch(course: Path, prefix: str, timeout: int | None = None) -> dict:
    """`nbgrader autograde`, `generate_feedback` and `export` (to grades.csv) of every submission in
    ``course``: every assignment in one command each (``"*"``), so nbgrader starts three times, not
    three times per assignment; ``timeout`` (seconds per cell) replaces the course's own. Returns
    each command's return code, output and seconds, by name."""
    runs = {}
    nbgrader = [sys.executable, "-m", "nbgrader"]
    limit = [] if timeout is None else [f"--Execute.timeout={timeout}"]
    for name, args in (("autograde", ["autograde", "*", *limit]),
                       ("feedback", ["generate_feedback", "*"]),
                       ("export", ["export", "--to", str(course / "grades.csv")])):
        started = time.monotonic()
        done = subprocess.run([*nbgrader, *args, "--log-level=WARN"], cwd=course, capture_output=True,
                              text=True, timeout=900)
        output = done.stdout + done.stderr
        if name == "autograde" and done.returncode != 0 and PORT_CLASH in output:
            # jupyter_client picks a kernel's TCP ports before the kernel binds them, and a kernel
            # started meanwhile elsewhere on the machine can take one: nbgrader then drops that one
            # submission. Without --force, a second run grades just the dropped ones.
            done = subprocess.run([*nbgrader, *args, "--log-level=WARN"], cwd=course, capture_output=True,
                                  text=True, timeout=900)
            output += "\n-- again, after a kernel's port was taken --\n" + done.stdout + done.stderr
        (course / f"{name}.log").write_text(output)
        runs[prefix + name] = {"returncode": done.returncode, "output": output[-4000:],
                               "seconds": round(time.monotonic() - started, 1)}
    return runs


# Graded in both editions by plain nbgrader, to compare cell by cell (tests/test_grading_e2e.py): the
# reference of each (every cell passes only if no translated test text broke a test) and, for the
# first, the partial answer (some cells pass, hidden tests included). The English course grades all
# of them already: the references of the other assignments in "others", FIRST's students in "course".
SAME_IN_KOREAN = ["01_parameters", "02_conv_dims", "06_softmax"]


def _submit_korean(korean: Path) -> list:
    """Submit the Korean class: the reference of SAME_IN_KOREAN, FIRST's partial answer; return its pairs."""
    expected = []
    for assignment in SAME_IN_KOREAN:
        name = f"{assignment}.ipynb"
        source = read(korean / "source" / assignment / name)
        submit(korean, "reference", Student(quick(source), None, name=name), assignment)
        expected.append(["reference", assignment])
    source = read(korean / "source" / FIRST / f"{FIRST}.ipynb")
    release = read(korean / "release" / FIRST / f"{FIRST}.ipynb")
    submit(korean, "partial", Student(_partial(quick(release), source), None), FIRST)
    expected.append(["partial", FIRST])
    return expected


def _grade_korean(generated_korean, korean: Path, runs: dict, expected: list) -> None:
    """Copy the Korean course once it is generated (``generated_korean()``), submit its class, grade it."""
    shutil.copytree(generated_korean(), korean)
    expected += _submit_korean(korean)
    runs.update(_nbgrader_batch(korean, "korean "))


def grade_plain(generated: Path, folder: Path, generated_korean=None) -> dict:
    """Grade the class with plain nbgrader, as an instructor would: autograde, feedback, export.

    Copies of ``generated``, graded at once: ``folder``/course holds the students of 01_parameters
    that plain nbgrader can be trusted with (the same files `course grade` gets, see
    :func:`build_class`), ``folder``/others the reference of every other assignment (that their
    releases score nothing untouched is checked in-process: test_notebooks.py, play_release); with
    ``generated_korean`` (a function returning the generated Korean edition, called while the
    others are graded), ``folder``/korean holds the Korean class of :func:`_submit_korean`, graded
    at the same time. Returns plain data (it may be computed by another pytest-xdist worker):
    ``root`` (the first course), ``roots`` (the course of each assignment), ``runs`` (each command's
    return code, output and seconds; the other courses' prefixed "others " and "korean "),
    ``expected``: ``[student, assignment, {grade_id: passes}]`` for every English submission;
    ``korean`` (the Korean course) and ``korean_expected`` (``[student, assignment]`` of each Korean
    submission).
    """
    plain, others, korean = folder / "course", folder / "others", folder / "korean"
    shutil.copytree(generated, plain)
    shutil.copytree(generated, others)
    students = build_class(plain, 0, {"copy": "", "socket": "", "abstract": ""})   # the ones used need none
    expected, roots = [], {FIRST: str(plain)}
    for student in PLAIN:
        submit(plain, student, students[student])
        expected.append([student, FIRST, students[student].passes])
    for assignment in ASSIGNMENTS:
        if assignment == FIRST:
            continue
        name = f"{assignment}.ipynb"
        source = read(others / "source" / assignment / name)
        submit(others, "reference", Student(quick(source), None, name=name), assignment)
        expected.append(["reference", assignment, dict.fromkeys(points(source), True)])
        roots[assignment] = str(others)
    korean_expected: list = []
    runs: dict = {}
    threads = [threading.Thread(target=lambda: runs.update(_nbgrader_batch(others, "others ")))]
    if generated_korean is not None:
        threads.append(threading.Thread(target=_grade_korean,
                                        args=(generated_korean, korean, runs, korean_expected)))
    for thread in threads:
        thread.start()
    try:
        runs.update(_nbgrader_batch(plain, "", PLAIN_TIMEOUT))
    finally:
        for thread in threads:
            thread.join()
    print("plain nbgrader: " + ", ".join(f"{name} {run['seconds']:.0f} s" for name, run in runs.items()))
    return {"root": str(plain), "roots": roots, "runs": runs, "expected": expected,
            "korean": str(korean) if generated_korean is not None else None,
            "korean_expected": korean_expected}


def grade(generated: Path, tmp_path_factory) -> dict:
    """Build the class in a copy of ``generated`` and grade it with `course grade`.

    Returns the course root, the students, what `course grade` did, and what the sandbox
    attacks could observe from outside.
    """
    root = tmp_path_factory.mktemp("classgrade") / "course"
    scratch = tmp_path_factory.mktemp("tmpdir")     # the grader's TMPDIR: kernels' connection files go there
    shutil.copytree(generated, root)
    # Outside /tmp, which every sandbox replaces with its own: another checkout of the course with
    # its hidden tests, and a socket of the grading machine, both of which must stay out of reach.
    outside = Path(tempfile.mkdtemp(prefix="course-grade-test-", dir="/var/tmp"))
    copy_of_course = outside / "checkout" / "source" / FIRST / f"{FIRST}.ipynb"
    copy_of_course.parent.mkdir(parents=True)
    shutil.copy(SOURCE / FIRST / f"{FIRST}.ipynb", copy_of_course)
    listener, sockets = _Listener(), _UnixListener(outside)
    try:
        places = {"copy": copy_of_course, "socket": sockets.path, "abstract": sockets.abstract}
        students = build_class(root, listener.port, places)
        for student, what in students.items():
            submit(root, student, what)
        gradebook_before = (root / "gradebook.db").stat().st_size
        run = course_grade(root, "--workers=2", env={**os.environ, "TMPDIR": str(scratch),
                                                      "COURSE_GRADE_TEST_SECRET": SECRET})
        print(f"course grade: {run.seconds:.0f} s for {len(students)} students\n{run.stdout}")
        leftovers = _sleeping_children()
        for pid in leftovers:          # the fork bomb's children, had they outlived their sandbox
            os.kill(pid, signal.SIGKILL)
    finally:
        listener.close()
        sockets.close()
        shutil.rmtree(outside, ignore_errors=True)
    return {"root": root, "students": students, "run": run, "leftovers": leftovers, "scratch": scratch,
            "connections": listener.connections, "gradebook_before": gradebook_before,
            "unix_connections": sockets.connections}


# -- reading the results ----------------------------------------------------------------------
def scores(root, assignment=FIRST, automatic_only=False):
    """``{student: {grade_id: score}}`` from the gradebook, for every recorded submission.

    ``automatic_only`` leaves out grades nbgrader did not score itself (none, in this course).
    """
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        table = {}
        for submission in gradebook.find_assignment(assignment).submissions:
            notebook = gradebook.find_submission_notebook(assignment, assignment, submission.student.id)
            table[submission.student.id] = {g.name: g.score for g in notebook.grades
                                            if not automatic_only or g.auto_score is not None}
        return table


def max_points(assignment=FIRST) -> dict[str, float]:
    return points(read(SOURCE / assignment / f"{assignment}.ipynb"))


def expected_scores(passes, assignment=FIRST):
    maximum = max_points(assignment)
    return {gid: (maximum[gid] if ok else 0.0) for gid, ok in passes.items()}


def csv_rows(root):
    with open(root / f"grades-{FIRST}.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def statuses(run):
    """``{student: status}`` from the summary `course grade` prints at the end."""
    found = {}
    for line in run.stdout.splitlines():
        match = re.match(r"^  (\S+)\s+(-?[\d.]+)\s+([a-z ]+?)(?::.*)?$", line)
        if match:
            found[match.group(1)] = match.group(3)
    return found


def attack_output(root, label) -> str:
    """Everything the attack cells labelled ``label`` printed (stdout and errors), from the autograded
    notebook. A label is a student, or ``student/attack`` for one of several attacks."""
    student = label.split("/")[0]
    nb = read(root / "autograded" / student / FIRST / f"{FIRST}.ipynb")
    marker = re.compile(f"# attack: {re.escape(label)}\\b")
    cells = [c for c in nb.cells if c.cell_type == "code" and marker.match(c.source)]
    assert cells, f"no attack cell {label}"
    parts = []
    for output in (o for c in cells for o in c.outputs):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        else:
            parts.append(json.dumps(output.get("data", {})))
    return "\n".join(parts)


def breaches(root, label):
    return [line for line in attack_output(root, label).splitlines() if "BREACH" in line]


class _ActiveParts(HTMLParser):
    """What a browser would run in a page: script elements' text, event-handler and javascript: attributes."""

    def __init__(self, page: str):
        super().__init__()
        self.scripts, self.handlers, self._in_script = [], [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self._in_script = self._in_script or tag == "script"
        if tag == "script":
            self.scripts.append("")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def assert_no_submitted_script(page: str) -> None:
    """Check that no payload of the rich-outputs attacks runs in ``page``, as a script or an attribute."""
    active = _ActiveParts(page)
    for payload in attacks.PAYLOADS:
        assert not any(payload in script for script in active.scripts), f"{payload} runs in a script element"
        assert not any(payload in handler for handler in active.handlers), f"{payload} runs in an attribute"
