"""Test set-up: a headless matplotlib, seeded randomness, closed figures, and the venv's tools;
the session's shared, expensive results (executed notebooks, the generated course, the graded
class); and the rule that tests not marked ``slow`` start no kernel, no nbgrader and no sandbox."""

import fcntl
import importlib.abc
import json
import os
import random
import shlex
import subprocess
import sys
import threading
import traceback
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbhelpers  # noqa: E402

# nbgrader runs `alembic` and the notebooks' kernels by name: put this interpreter's
# scripts first on PATH, so the tests work with or without an activated venv.
_scripts = str(Path(sys.executable).parent)
if os.environ.get("PATH", "").split(os.pathsep)[0] != _scripts:
    os.environ["PATH"] = _scripts + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("MPLBACKEND", "Agg")
# One PyTorch thread in every test process and in each kernel, grader and Dask worker they start:
# the suite runs one process more than there are cores (see the Makefile), and spare threads only
# spin against each other. Measured on two cores: the quick tests took 10 % less CPU this way.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


@pytest.fixture
def two_threads():
    """PyTorch on two threads for the test (the suite runs on one), the suite's count back after it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _seeded_and_tidy():
    random.seed(0)
    torch.manual_seed(0)
    yield
    plt.close("all")
    os.environ.pop("COURSE_LANGUAGE", None)       # a test that chose Korean leaves English behind
    matplotlib.rcParams["font.family"] = matplotlib.rcParamsDefault["font.family"]


# -- computed once per session, shared by every test that reads them ------------------------------
class _Once:
    """``once(key)``: ``make(key)`` the first time, the same result (or the same error) after that."""

    def __init__(self, make):
        self._make, self._done = make, {}

    def __call__(self, key):
        if key not in self._done:
            try:
                self._done[key] = (True, self._make(key))
            except Exception as error:  # noqa: BLE001 - every test that needs it reports it
                self._done[key] = (False, error)
        ok, value = self._done[key]
        if not ok:
            raise value
        return value


@pytest.fixture(scope="session")
def executed_source():
    """``executed_source(assignment)``: the instructor notebook, executed once per session.

    Executed by ``nbhelpers.execute``: as grading runs a submission, with the tests' guard, but
    with stderr left as stderr. Read it, don't change it.
    """
    return _Once(lambda assignment: nbhelpers.execute(nbhelpers.read(nbhelpers.source_notebook(assignment))))


class _OncePerRun:
    """``make(folder)`` computed once per test run, even across pytest-xdist workers.

    The first process to ask computes it in ``<run's temporary folder>/<name>/`` while holding a
    file lock; the others wait for the lock and read the result (JSON), or the error, it left.
    ``start()`` computes it in a background thread instead, for a caller with other work to do.
    """

    def __init__(self, tmp_path_factory, name, make):
        base = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            base = base.parent                      # shared by the workers of this run
        self.folder, self._lock, self._make = base / name, base / f"{name}.lock", make
        self._thread = None

    def get(self):
        if self._thread is not None:
            self._thread.join()
        outcome = self._compute()
        if "error" in outcome:
            raise RuntimeError(f"computing {self.folder.name} failed:\n{outcome['error']}")
        return outcome["value"]

    def start(self):
        self._thread = threading.Thread(target=self._compute, daemon=True)
        self._thread.start()

    def _compute(self) -> dict:
        with open(self._lock, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)        # released when the file closes
            done = self.folder / "result.json"
            if not done.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                try:
                    outcome = {"value": self._make(self.folder)}
                except Exception:  # noqa: BLE001 - recorded for every process that asks
                    outcome = {"error": traceback.format_exc()}
                done.write_text(json.dumps(outcome))
            return json.loads(done.read_text())


@pytest.fixture(scope="session")
def _generated(tmp_path_factory):
    return _OncePerRun(tmp_path_factory, "generated",
                       lambda folder: str(nbhelpers.generate_course(folder / "course")))


@pytest.fixture(scope="session")
def _generated_korean(tmp_path_factory):
    return _OncePerRun(tmp_path_factory, "generated-ko",
                       lambda folder: str(nbhelpers.generate_course(folder / "course", edition="ko")))


@pytest.fixture(scope="session")
def generated_korean_course(_generated_korean):
    """Like ``generated_course``, for the Korean edition (the course folder ko/)."""
    return Path(_generated_korean.get())


@pytest.fixture(scope="session")
def generated_course(_generated):
    """A course folder in which nbgrader (in the test process) generated every assignment: source/,
    release/, gradebook.db and the configuration; once per run. Read it, or copy it; don't change it."""
    return Path(_generated.get())


@pytest.fixture(scope="session")
def _plain(tmp_path_factory, _generated, _generated_korean):
    import classroom

    return _OncePerRun(tmp_path_factory, "plain", lambda folder: classroom.grade_plain(
        Path(_generated.get()), folder, lambda: Path(_generated_korean.get())))


@pytest.fixture(scope="session")
def plain_graded(_plain):
    """The session's class graded by plain nbgrader (see classroom.grade_plain), once per run.

    ``root`` (the course of 01_parameters), ``roots`` (the course of each assignment), ``runs`` (each
    nbgrader command's ``returncode``, ``output`` and ``seconds``), ``expected`` (``{(student,
    assignment): {grade_id: passes}}``), ``korean`` (the Korean edition's course, graded too) and
    ``korean_expected`` (its ``(student, assignment)`` pairs).
    """
    done = _plain.get()
    return {"root": Path(done["root"]), "roots": {a: Path(root) for a, root in done["roots"].items()},
            "runs": done["runs"],
            "expected": {(student, assignment): passes for student, assignment, passes in done["expected"]},
            "korean": Path(done["korean"]),
            "korean_expected": [tuple(pair) for pair in done["korean_expected"]]}


@pytest.fixture(scope="session")
def graded_class(request, generated_course, tmp_path_factory, _plain):
    """The session's class, graded by `course grade` (see classroom.grade).

    Without pytest-xdist, plain nbgrader grades the class meanwhile (for ``plain_graded``), when
    a test of this session needs it: the machine has cores to spare while `course grade`'s jobs
    start up or wait out a timeout. With pytest-xdist, another worker grades it.
    """
    import classroom

    if not os.environ.get("PYTEST_XDIST_WORKER") and any(
            "plain_graded" in item.fixturenames for item in request.session.items):
        _plain.start()
    return classroom.grade(generated_course, tmp_path_factory)


# -- pytest-xdist: tests of one xdist_group share a worker ------------------------------------------
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Give the tests of an ``xdist_group`` their group's suffix, so ``--dist loadgroup`` keeps them together.

    pytest-xdist 3.8 does this by assigning ``item._nodeid``, which pytest 9.2 no longer reads (a node's
    id is now ``item._id``), so without this the groups are ignored and each worker would build the
    session's shared results again. Does nothing where xdist's own suffix took.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        groups = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                         for m in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


# -- quick tests start no kernel, no nbgrader and no sandbox ----------------------------------------
# `make test-quick` runs the tests not marked slow (or browser) and must stay fast: during every
# such test (its fixtures included), starting a Jupyter kernel or server, running nbgrader (its
# command, `course grade`, or nbgrader in this process) or bubblewrap fails the test.
class _QuickRule:
    test: str | None = None          # the node id of the quick test now running, if any
    thread: int | None = None        # the thread it runs in (not, say, the class grading in the background)
    broken: list[str] = []

    @classmethod
    def applies(cls) -> bool:
        return cls.test is not None and threading.get_ident() == cls.thread

    @classmethod
    def refuse(cls, what: str) -> None:
        if cls.applies():
            cls.broken.append(what)
            raise QuickTestViolation(f"{cls.test} is not marked slow, but it {what}")


class QuickTestViolation(RuntimeError):
    pass


def _what_it_starts(args) -> str | None:
    """What a command line starts that quick tests must not, or None."""
    if isinstance(args, (str, bytes, os.PathLike)):
        args = shlex.split(os.fsdecode(args)) if isinstance(args, (str, bytes)) else [os.fspath(args)]
    words = [os.fsdecode(a) for a in args]
    names = [os.path.basename(w) for w in words]
    if "bwrap" in names:
        return "starts bubblewrap"
    if any("ipykernel" in w for w in words):
        return "starts a Jupyter kernel"
    if "nbgrader" in names or (names[:1] == ["course"] and "grade" in words):
        return "runs nbgrader"
    if "jupyter" in names and any(w in ("server", "lab", "notebook") for w in words):
        return "starts a Jupyter server"
    return None


_popen_init = subprocess.Popen.__init__


def _guarded_popen_init(self, args, *rest, **kwargs):
    what = _QuickRule.applies() and _what_it_starts(args)
    if what:
        _QuickRule.refuse(f"{what}: {args!r}")
    _popen_init(self, args, *rest, **kwargs)


subprocess.Popen.__init__ = _guarded_popen_init


def _refusing(function, what):
    def refuse_then_call(*args, **kwargs):
        _QuickRule.refuse(what)
        return function(*args, **kwargs)

    refuse_then_call.__wrapped__ = function
    return refuse_then_call


def _guard_kernels(module):
    manager = module.KernelManager
    manager._async_pre_start_kernel = _refusing(manager._async_pre_start_kernel, "starts a Jupyter kernel")


def _guard_nbgrader_api(module):
    module.NbGraderAPI.__init__ = _refusing(module.NbGraderAPI.__init__, "runs nbgrader (NbGraderAPI)")


def _guard_nbgrader_apps(module):
    module.NbGrader.start = _refusing(module.NbGrader.start, "runs nbgrader (an nbgrader app)")


def _guard_nbgrader_converters(module):
    module.BaseConverter.start = _refusing(module.BaseConverter.start, "runs nbgrader (a converter)")


_GUARDS = {"jupyter_client.manager": _guard_kernels,
           "nbgrader.apps.api": _guard_nbgrader_api,
           "nbgrader.apps.baseapp": _guard_nbgrader_apps,
           "nbgrader.converters.base": _guard_nbgrader_converters}


class _GuardOnImport(importlib.abc.MetaPathFinder):
    """Patches the modules in ``_GUARDS`` right after they are first imported, whoever imports them."""

    def find_spec(self, name, path=None, target=None):
        if name not in _GUARDS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _GuardingLoader(spec.loader, _GUARDS[name])
        return spec


class _GuardingLoader(importlib.abc.Loader):
    def __init__(self, loader, guard):
        self._loader, self._guard = loader, guard

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._guard(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


for _name, _guard in _GUARDS.items():
    if _name in sys.modules:
        _guard(sys.modules[_name])
sys.meta_path.insert(0, _GuardOnImport())


def _quick_phase(item):
    """Enforce the rule around one phase (setup, call, teardown) of a test not marked slow."""
    if item.get_closest_marker("slow") is not None:
        return (yield)
    _QuickRule.test, _QuickRule.thread, _QuickRule.broken = item.nodeid, threading.get_ident(), []
    try:
        result = yield
    finally:
        broken, _QuickRule.test, _QuickRule.broken = _QuickRule.broken, None, []
        if broken:
            pytest.fail(f"{item.nodeid} is not marked slow, but it " + "; ".join(broken)
                        + "\nQuick tests start no Jupyter kernel or server, no nbgrader and no bubblewrap: "
                        "mark it @pytest.mark.slow, or make it do without.", pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    return (yield from _quick_phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    return (yield from _quick_phase(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    return (yield from _quick_phase(item))
