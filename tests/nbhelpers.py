"""Shared helpers for tests that read, run or grade the course notebooks."""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import io
import textwrap
import threading
import types
from pathlib import Path

import nbformat
import torch

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "source"
RELEASE = REPO / "release"
EDITIONS = ("ko",)          # course folders of the translated editions, beside source/ (see course.editions)
# An assignment is a folder of source/ holding a notebook named after it.
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").exists())


def source_notebook(assignment: str) -> Path:
    """Path of the single instructor notebook of ``assignment``."""
    return SOURCE / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> Path:
    """Path of the single student notebook of ``assignment``."""
    return RELEASE / assignment / f"{assignment}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_grade_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("grade"))


def is_solution_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))


def grade_cells(nb) -> list:
    return [c for c in nb.cells if is_grade_cell(c)]


def points(nb) -> dict[str, float]:
    """Points of every grade cell, by grade_id."""
    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"]) for c in grade_cells(nb)}


def setup_cell(nb):
    """The first code cell: the notebook's imports, which every test cell may rely on."""
    return next(c for c in nb.cells if c.cell_type == "code")


_ONE_AT_A_TIME = threading.Lock()


def grade_with(assignment: str, overrides: dict | None = None, source: str | None = None,
               only_affected: bool = False) -> dict:
    """Run the notebook's grade cells in-process and return ``{grade_id: passed}``.

    The namespace gets the setup cell and every solution cell of the instructor
    notebook (the reference solution); then ``overrides`` replace names in it,
    which is how a test plays a student with one wrong function. ``source``
    (code text) is executed after the overrides, for wrong answers that are
    easier to write as code. Grade cells must need nothing else, which keeps
    them robust against students who break unrelated cells.

    ``only_affected`` runs only the grade cells that can see a replaced name: a cell whose code,
    followed through the code of every function and class it uses, never names one of them
    gives the reference solution's result, which is taken from one full run. That holds because
    grade cells share nothing but the setup cell and the answers; when ``source`` does anything
    but define functions, classes and plain names, every cell runs.
    """
    nb = read(source_notebook(assignment))
    reference = _reference_results(assignment) if only_affected else {}
    # One at a time: redirect_stdout swaps sys.stdout for the whole process (the class may be
    # built in two threads at once, see conftest.plain_graded).
    with _ONE_AT_A_TIME, contextlib.redirect_stdout(io.StringIO()):
        namespace = _answered(nb)
        namespace.update(overrides or {})
        if source:
            exec(compile(textwrap.dedent(source), "<override>", "exec"), namespace)
        results = {}
        changed = _changed_names(overrides, source) if only_affected else None
        for cell in grade_cells(nb):
            grade_id = nbgrader_meta(cell)["grade_id"]
            if changed is not None and not _uses(compile(cell.source, grade_id, "exec"), namespace) & changed:
                results[grade_id] = reference[grade_id]
            else:
                results[grade_id] = _error_of(cell, namespace) is None
    return results


def play_release(assignment: str) -> dict:
    """Run the student notebook as handed out, in-process: ``{grade_id: error}`` of each grade cell.

    Its setup cell, its (unsolved) answer cells and its visible grade cells, in a namespace of their
    own, as `nbgrader validate` would run it with the demonstrations emptied (see ``quick``); ``error``
    is the exception a grade cell raised, None when it passed.
    """
    nb = read(release_notebook(assignment))
    with _ONE_AT_A_TIME, contextlib.redirect_stdout(io.StringIO()):
        namespace = _answered(nb)
        return {nbgrader_meta(cell)["grade_id"]: _error_of(cell, namespace) for cell in grade_cells(nb)}


def _answered(nb) -> dict:
    """A fresh namespace after ``nb``'s setup cell and every solution cell."""
    namespace: dict = {"__name__": "__main__"}
    exec(compile(setup_cell(nb).source, "<setup>", "exec"), namespace)
    for cell in nb.cells:
        if is_solution_cell(cell):
            exec(compile(cell.source, "<solution>", "exec"), namespace)
    return namespace


def _error_of(cell, namespace: dict) -> Exception | None:
    """Run the grade cell in ``namespace``; the exception it raised, or None when it passed."""
    torch.manual_seed(0)    # a cell's verdict must not hang on what the cells before it drew
    try:
        exec(compile(cell.source, nbgrader_meta(cell)["grade_id"], "exec"), namespace)
    except Exception as error:  # noqa: BLE001 - a failing grade cell is the result we record
        return error
    return None


@functools.cache
def _reference_results(assignment: str) -> dict:
    return grade_with(assignment)


def _changed_names(overrides: dict | None, source: str | None) -> set[str] | None:
    """The names ``overrides`` and ``source`` bind, or None when ``source`` also runs other code."""
    changed = set(overrides or {})
    for node in ast.parse(textwrap.dedent(source or "")).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue                                    # a docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            changed |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not _runs_code(node):
            changed.add(node.name)
        elif (isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets)
              and not _runs_code(node.value)):
            changed |= {t.id for t in node.targets}
        else:
            return None
    return changed


def _runs_code(node) -> bool:
    """Whether defining ``node`` calls anything: decorators, default values, class bodies, values."""
    if isinstance(node, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
        return True
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        parts = [*getattr(node, "decorator_list", []), *node.args.defaults, *node.args.kw_defaults]
        return any(_runs_code(part) for part in parts if part is not None)
    if isinstance(node, ast.ClassDef):
        return any(_runs_code(part) for part in [*node.decorator_list, *node.bases, *node.body])
    return any(_runs_code(child) for child in ast.iter_child_nodes(node))


def _code_names(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _uses(code, namespace: dict) -> set[str]:
    """Every global name ``code`` can reach through the functions and classes of ``namespace``."""
    todo, seen = set(_code_names(code)), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        value = namespace.get(name)
        while hasattr(value, "__wrapped__"):            # functools.wraps
            todo |= _code_names(value.__code__) if hasattr(value, "__code__") else set()
            value = value.__wrapped__
        if isinstance(value, types.FunctionType):
            todo |= _code_names(value.__code__)
        elif isinstance(value, type) and value.__module__ == namespace.get("__name__"):
            for klass in (k for k in value.__mro__ if k.__module__ == value.__module__):
                for member in vars(klass).values():
                    member = getattr(member, "__func__", getattr(member, "fget", member))
                    if isinstance(member, types.FunctionType):
                        todo |= _code_names(member.__code__)
    return seen


def failing(results: dict) -> set[str]:
    return {grade_id for grade_id, passed in results.items() if not passed}


def quick(nb):
    """A copy of ``nb`` with its demonstration cells emptied: code cells without nbgrader metadata.

    The setup, solution and test cells stay, which is all the grade cells need (see ``grade_with``).
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and not nbgrader_meta(cell):
            cell.source, cell.outputs = "", []
    return nb


def execute(nb, timeout: int = 120):
    """Run a copy of ``nb`` as the grader runs a submission, but with stderr left as stderr; return it.

    The course's own execute preprocessor (``ResilientExecute``: the tests' guard restores the tools
    before every grade cell, and a grade cell passes only when the kernel confirms it ran to its
    end), in a kernel that loads the guard but, unlike a grading kernel, does not publish stderr
    as stdout: a warning in a grade cell, which would cost a student that cell, stays visible.
    The notebook tests execute the course's notebooks only through here.
    """
    from course.grader.preprocessors import ResilientExecute, kernel_arguments

    arguments = kernel_arguments(stderr_as_stdout=False)
    for attempt in (1, 2):
        executed = copy.deepcopy(nb)
        try:
            ResilientExecute(timeout=timeout, extra_arguments=arguments).preprocess(
                executed, {"metadata": {"path": str(REPO)}})
        except RuntimeError as error:
            # The kernel could not start: jupyter_client picks its TCP ports before the kernel binds
            # them, and a kernel started meanwhile elsewhere on the machine can take one. Once more.
            if attempt == 2 or "before replying to kernel_info" not in str(error):
                raise
        else:
            return executed


def generate_course(root: Path, assignments=None, edition: str | None = None) -> Path:
    """A course folder at ``root``: the configuration, source/, and release/ plus gradebook.db made
    by ``nbgrader generate_assignment`` for every assignment, run in this process (one import of
    nbgrader instead of one per command). ``edition`` (``"ko"``) starts from that edition's course
    folder (``ko/``) instead of the English one."""
    import shutil

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    course = REPO / edition if edition else REPO
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(course / "nbgrader_config.py", root)
    for assignment in assignments or ASSIGNMENTS:
        shutil.copytree(course / "source" / assignment, root / "source" / assignment)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for assignment in assignments or ASSIGNMENTS:
        result = api.generate_assignment(assignment, force=False)
        assert result["success"], (f"generate_assignment {assignment}:\n"
                                   f"{result.get('log', '')}{result.get('error', '')}")
    return root



@contextlib.contextmanager
def jupyter_server(root: Path, app: str = "server", log: Path | None = None, args: tuple[str, ...] = ()):
    """Run a Jupyter server on ``root`` (with nbgrader's extensions); yield ``request(path, data=None)``.

    ``request`` sends GET (or POST with form ``data``) and returns the decoded JSON reply; its
    ``url`` and ``token`` attributes are what a browser needs. ``app="lab"`` starts JupyterLab
    instead of the bare server. With ``log`` the server's output goes to that file, which a
    failing test can quote; ``args`` are extra command-line options.
    """
    import json
    import os
    import shutil
    import socket
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.parse
    import urllib.request

    if app not in ("server", "lab"):
        raise ValueError(f"app must be 'server' or 'lab', got {app!r}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "course-tests"
    # A private config dir: no user settings leak in, and nothing is written into ``root``.
    config_dir = tempfile.mkdtemp(prefix="jupyter-config-")
    output = open(log, "wb") if log is not None else subprocess.DEVNULL  # closed in ``finally``
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", app, "--no-browser", "--allow-root",
         f"--port={port}", f"--ServerApp.token={token}", "--ServerApp.port_retries=0",
         "--ServerApp.disable_check_xsrf=True", *args],
        cwd=root, stdout=output, stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
        env={**os.environ, "JUPYTER_CONFIG_DIR": config_dir})

    def request(path, data=None, timeout=300):
        url = f"http://127.0.0.1:{port}{path}?token={token}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with urllib.request.urlopen(url, data=body, timeout=timeout) as response:
            return json.loads(response.read())

    request.url = f"http://127.0.0.1:{port}"
    request.token = token
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request("/api/status")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield request
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        if log is not None:
            output.close()
        shutil.rmtree(config_dir, ignore_errors=True)
