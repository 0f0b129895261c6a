"""Code of hostile submissions for the adversarial grading suite (tests/classroom.py builds the class
from them; tests/test_classgrade.py and tests/test_grading_e2e.py check how it was graded).

Each constant is a code cell's source, or a set of files a submission hands in. Sources
with format fields, or braces doubled for ``str.format``, are formatted before use. The
wrong-answer attacks define the four functions of 01_parameters wrongly and then try to
make the tests pass anyway; the others try to read or leak the hidden tests, or to hurt the
grader. Format fields ({root}, {port}, {sleep}, {repo}, ...) are filled in by the suite.
"""

# -- wrong answers that lie about what they are -------------------------------------------------
LYING_VALUES = """\
import torch
from torch import nn


class _Liar(int):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = int.__hash__


class _LyingTensor(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "eq", "__eq__"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

    def __eq__(self, other):
        return True


class _LyingLinear(nn.Linear):
    def forward(self, x):
        return torch.zeros_like(x).as_subclass(_LyingTensor)


def count_parameters(model, trainable_only=True):
    return _Liar(0)


def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
    return _Liar(-1)


def make_identity_linear(n):
    return _LyingLinear(n, n)


def init_relu_mlp_(model):
    return None
"""

# The checks' own code objects, defaults and closures rewritten through the garbage collector.
REWRITE_CHECKS = """\
import gc, types


def _nothing(*args, **kwargs):
    return None


for _f in gc.get_objects():
    if isinstance(_f, types.FunctionType) and _f.__module__ in ("course.checks", "course.plain"):
        if _f.__kwdefaults__ and "atol" in _f.__kwdefaults__:
            _f.__kwdefaults__ = {**_f.__kwdefaults__, "atol": 1e30, "rtol": 1e30}
        try:
            _f.__code__ = _nothing.__code__
        except ValueError:            # a function with a closure: empty the closure's cells
            for _c in _f.__closure__ or ():
                _c.cell_contents = _nothing
"""

# During the test: the error is never shown, and IPython's record of it is erased before the
# kernel reads it, so the kernel itself replies "ok".
ERASE_ERRORS = """\
def _arm():
    _shell = get_ipython()
    _shell._showtraceback = lambda *args, **kwargs: None
    _shell.events.register("post_run_cell", lambda result: setattr(result, "error_in_exec", None))


def count_parameters(model, trainable_only=True):
    _arm()
    return 0


def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
    _arm()
    return 0


def make_identity_linear(n):
    _arm()
    return nn.Identity()


def init_relu_mlp_(model):
    _arm()
    return None
"""

# Error messages vanish and every reply says "ok".
DROP_ERRORS = """\
_kernel = get_ipython().kernel
_send = _kernel.session.send


def _quiet_send(stream, msg_or_type, content=None, parent=None, *args, **kwargs):
    if msg_or_type == "error":
        return None
    if msg_or_type == "execute_reply" and content and content.get("status") == "error":
        content = {"status": "ok", "execution_count": content.get("execution_count"),
                   "user_expressions": {}, "payload": []}
    return _send(stream, msg_or_type, content, parent, *args, **kwargs)


_kernel.session.send = _quiet_send
type(_kernel.session).send = lambda self, *args, **kwargs: _quiet_send(*args, **kwargs)
"""

# A value displayed before the test fails: nbgrader reads it as a partial-credit score.
DISPLAY_BEFORE_ERROR = """\
import sys


def count_parameters(model, trainable_only=True):
    sys.displayhook("full marks, please")
    return -1


def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
    sys.displayhook(1e9)
    return -1


def make_identity_linear(n):
    sys.displayhook("yes")
    raise ValueError("no")


def init_relu_mlp_(model):
    sys.displayhook("scale kept")
    raise ValueError("no")
"""

# Handed in next to the notebook: a course package whose checks and guard do nothing.
SHADOW_FILES = {
    "course/__init__.py": "",
    "course/checks.py": (
        "class CheckFailure(AssertionError):\n    pass\n\n\n"
        "def _nothing(*args, **kwargs):\n    return None\n\n\n"
        "expect_equal = expect_close = expect_true = expect_raises = _nothing\n"),
    "course/guard.py": "def install():\n    pass\n\n\ndef restore():\n    pass\n",
    "numpy.py": "raise SystemExit('a shadow numpy was imported')\n",
}
SHADOW_CHECK = """\
import os, course.checks
print("course.checks from", course.checks.__file__)
print("working folder holds", sorted(os.listdir(".")))
"""

# -- reading the hidden tests from inside the kernel -----------------------------------------
# Put right after the first answer: the answer prints the code of the test cell that calls it.
READ_CALLER = """\
import inspect, linecache

_honest_count = count_parameters


def count_parameters(model, trainable_only=True):
    _caller = inspect.currentframe().f_back
    _source = "".join(linecache.getlines(_caller.f_code.co_filename))
    print("CALLER", _source)
    print("CALLER-REPR", repr(_source))
    print("CALLER-REQUOTED", _source.replace('"', "'").replace("(", "( "))
    print("CALLER-INVISIBLE", "\u200b".join(_source))
    return _honest_count(model, trainable_only)
"""

# Put after every test: everything the kernel ran, three ways.
READ_HISTORY = """\
import textwrap
print("\\n".join(In))
print(repr(In))
print(textwrap.fill(" ".join(In), 40))
raise RuntimeError("\\n".join(In))
"""

# Another checkout of the course elsewhere on the machine, and the repository the suite runs in.
OTHER_CHECKOUTS = """\
import glob, pathlib
_paths = [pathlib.Path({copy!r}), pathlib.Path({repo!r}) / "source" / "01_parameters" / "01_parameters.ipynb"]
_paths += [pathlib.Path(p) for p in glob.glob("/var/tmp/**/*.ipynb", recursive=True)]
_paths += [pathlib.Path(p) for p in glob.glob("/opt/**/*.ipynb", recursive=True)]
for _p in _paths:
    try:
        _text = _p.read_text()
    except OSError as _e:
        print("blocked", _p, type(_e).__name__)
        continue
    print("BREACH read", _p, "BEGIN HIDDEN TESTS" in _text)
"""

UNIX_SOCKETS = """\
import socket
for _address in ({path!r}, "\\0" + {abstract!r}):
    _s = socket.socket(socket.AF_UNIX)
    try:
        _s.connect(_address)
        print("BREACH connected to", repr(_address))
    except OSError as _e:
        print("blocked", repr(_address), type(_e).__name__)
    finally:
        _s.close()
"""

# memfd pages count against no address-space limit: only a memory cgroup stops this.
MEMFD = """\
import os
_fds, _error = [], None
try:
    while len(_fds) < 120:                     # 120 x 48 MB = 5.6 GB at most, even without a cap
        _fd = os.memfd_create("hog")
        os.posix_fallocate(_fd, 0, 48 * 2**20)   # real pages, quicker than writing them
        _fds.append(_fd)
        print(f"HELD {{len(_fds) * 48}} MB", flush=True)
except OSError as _e:
    _error = type(_e).__name__
print(f"MEMFD {{len(_fds)}} x 48 MB; stopped by {{_error}}")
"""

# -- outputs that are too big or run in the instructor's browser ---------------------------------
HUGE_RESULT = "'r' * 3_000_000"
HUGE_DISPLAY = """\
from IPython.display import display
display({{'text/html': '<b>' + 'h' * 3_000_000 + '</b>'}}, raw=True)
"""
HUGE_ERROR = "raise ValueError('e' * 6_000_000)"
SCRIPTS = """\
from IPython.display import HTML, Javascript, display
display(HTML("<script>document.title = 'pwned-by-html'</script><img src=x onerror=\\"alert('pwned-img')\\">"))
display(Javascript("alert('pwned-by-javascript')"))
"""
MARKDOWN_SCRIPT = "A note. <script>alert('pwned-by-markdown')</script> [link](javascript:alert('pwned-link'))"
PAYLOADS = ("pwned-by-html", "pwned-img", "pwned-by-javascript", "pwned-by-markdown", "pwned-link")

# -- honest students the grader must not zero ------------------------------------------------
# A cell that ignores the interrupt. It sleeps rather than spins: to the grader the two look the
# same (the interrupt changes nothing, so the kernel must be stopped), and sleeping leaves the
# machine's cores to the other jobs.
STUBBORN = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "while True:\n    time.sleep(0.1)")

# A grade id with terminal escapes: it retitles the terminal and clears the screen if printed raw.
ESCAPE_ID = "p01_\x1b]0;pwned\x07\x1b[2J\x1b[31m"


# -- attacks on the grading machine (`course grade`'s sandbox) ---------------------------------
# Each prints BREACH when it got somewhere it must not; the tests look for that word.
LOCATE = """\
import glob, os, pathlib
ROOT = pathlib.Path({root!r})                     # what an insider would know
_places = {{ROOT, *pathlib.Path.cwd().parents}}     # what anyone can find out
"""

GRADEBOOK = LOCATE + """\
import sqlite3
_targets = {{p / "gradebook.db" for p in _places}}
_targets |= {{pathlib.Path(p) for p in glob.glob("/tmp/**/gradebook.db", recursive=True)}}
_targets |= {{pathlib.Path(p) for p in glob.glob(str(ROOT) + "/**/gradebook.db", recursive=True)}}
for _t in sorted(_targets):
    if not _t.exists():
        print("absent", _t)
        continue
    for _how in ("sqlite", "overwrite", "delete"):
        try:
            if _how == "sqlite":
                with sqlite3.connect(f"file:{{_t}}?mode=rw", uri=True) as _db:
                    _db.execute("DELETE FROM grade")
            elif _how == "overwrite":
                _t.write_bytes(b"not a gradebook")
            else:
                _t.unlink()
            print("BREACH", _how, _t)
        except Exception as _e:
            print("blocked", _how, _t, type(_e).__name__)
try:
    (pathlib.Path.cwd() / "gradebook.db").write_text("planted")
    print("planted a gradebook in the working folder", pathlib.Path.cwd())
except OSError as _e:
    print("blocked planting", type(_e).__name__)
"""

# The sandbox hides the course behind mounts; a process with the capability to undo mounts
# (root inside its user namespace) sees the course again, and can make / writable.
MOUNTS = """\
import ctypes, os, pathlib, subprocess
ROOT = pathlib.Path({root!r})
_libc = ctypes.CDLL(None, use_errno=True)
for _target in (str(ROOT), "/tmp"):               # detach what hides the course (MNT_DETACH)
    if _libc.umount2(_target.encode(), 2) == 0:
        print("BREACH unmounted", _target)
    else:
        print("blocked umount", _target, os.strerror(ctypes.get_errno()))
_run = subprocess.run(["mount", "-o", "remount,rw,bind", "/"], capture_output=True, text=True)
print("BREACH remounted / read-write" if _run.returncode == 0 else "blocked remount", _run.stderr.strip())
"""

HIDDEN_TESTS = LOCATE + """\
_found = [p / "source" / "01_parameters" / "01_parameters.ipynb" for p in _places]
_found += [pathlib.Path(p) for p in glob.glob("/tmp/**/source/**/*.ipynb", recursive=True)]
_found += [pathlib.Path(p) for p in glob.glob(str(ROOT) + "/**/*.ipynb", recursive=True)]
for _p in _found:
    try:
        _text = _p.read_text()
    except OSError as _e:
        print("blocked", _p, type(_e).__name__)
        continue
    if "BEGIN HIDDEN TESTS" in _text:
        print("BREACH", _p)
        print(_text)
print("listing of the course root:", os.listdir(ROOT) if ROOT.exists() else "absent")
"""

OTHERS = LOCATE + """\
_found = [ROOT / "submitted" / "reference" / "01_parameters" / "01_parameters.ipynb",
          ROOT / "autograded" / "reference" / "01_parameters" / "01_parameters.ipynb",
          ROOT / ".course-grade" / "01_parameters" / "jobs" / "reference" / "submitted" / "reference"
          / "01_parameters" / "01_parameters.ipynb",
          ROOT / ".course-grade" / "01_parameters" / "executed" / "reference" / "01_parameters.ipynb"]
_found += [p / "reference" / "01_parameters" / "01_parameters.ipynb" for p in _places]
_found += [pathlib.Path(p) for p in glob.glob("/tmp/**/reference/**/*.ipynb", recursive=True)]
for _p in _found:
    try:
        print("BREACH read", _p, len(_p.read_bytes()), "bytes")
    except OSError as _e:
        print("blocked", _p, type(_e).__name__)
"""

NETWORK = """\
import socket
for _host, _port in [("127.0.0.1", {port}), ("localhost", {port}), ("pypi.org", 443), ("1.1.1.1", 53)]:
    try:
        socket.create_connection((_host, _port), timeout=3).close()
        print("BREACH connected to", _host, _port)
    except OSError as _e:
        print("blocked", _host, _port, type(_e).__name__, _e)
"""

ENVIRONMENT = """\
import glob, os
print("environment:", dict(os.environ))
for _p in glob.glob("/proc/*/environ"):
    try:
        print(_p, open(_p, "rb").read().replace(b"\\0", b" ").decode(errors="replace"))
    except OSError as _e:
        print("blocked", _p, type(_e).__name__)
"""

MEMORY = """\
import numpy
_chunks, _error = [], None
try:
    while len(_chunks) < 24:                   # 24 x 256 MB = 6 GB at most, even without a cap
        _chunks.append(numpy.ones(2**25))      # 256 MB, every page written
except MemoryError as _e:
    _error = type(_e).__name__
print(f"ALLOCATED {{len(_chunks)}} x 256 MB; stopped by {{_error}}")
del _chunks
"""

PROCESSES = """\
import subprocess, time
_children, _error, _start = [], None, time.monotonic()
try:
    while len(_children) < 1000:               # bounded, even without a cap (which is 256)
        _children.append(subprocess.Popen(["sleep", "{sleep}"]))
except OSError as _e:
    _error = type(_e).__name__
print(f"STARTED {{len(_children)}} processes; stopped by {{_error}}; {{time.monotonic() - _start:.1f}} s")
"""

FILES = """\
import errno, os, pathlib
from ipykernel import get_connection_file
ROOT = pathlib.Path({root!r})
_places = {{"working folder": pathlib.Path.cwd(), "tmp": pathlib.Path("/tmp"), "course root": ROOT,
           "dev": pathlib.Path("/dev"), "dev-shm": pathlib.Path("/dev/shm"),
           "socket folder": pathlib.Path(get_connection_file()).parent}}
_block = bytes(2**20)
for _label, _folder in _places.items():
    _sizes, _error = [], None
    while _error in (None, "EFBIG") and sum(_sizes) < 2**30 and len(_sizes) < 16:   # 1 GB at most
        _sizes.append(0)
        try:
            with open(_folder / f"big-{{len(_sizes)}}.bin", "wb", buffering=0) as _f:
                while sum(_sizes) < 2**30:
                    _sizes[-1] += _f.write(_block)
        except OSError as _e:                   # EFBIG: the file-size cap; try another file
            _error = errno.errorcode.get(_e.errno, type(_e).__name__)
    for _i in range(len(_sizes)):
        try:
            os.remove(_folder / f"big-{{_i + 1}}.bin")
        except OSError:
            pass
    print(f"WROTE {{_label}}: {{sum(_sizes) // 2**20}} MB, largest file {{max(_sizes, default=0) // 2**20}}"
          f" MB, {{len(_sizes)}} files; stopped by {{_error}}")
"""

FAKE_ANSWERS = """\
import numpy
import torch
from course import checks

def count_parameters(model, trainable_only=True):
    return 0

def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
    return 0

class _NotALinear(nn.Module):
    in_features = out_features = 0
    weight = torch.zeros(0, 0)

    def __init__(self):
        super().__init__()
        self.offset = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x + self.offset

def make_identity_linear(n):
    return _NotALinear()

def init_relu_mlp_(model):
    return None
"""

PATCHES = FAKE_ANSWERS + """
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
numpy.allclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
checks.expect_equal = checks.expect_close = checks.expect_true = lambda *a, **k: None

def expect_equal(*args, **kwargs):
    pass

def expect_close(*args, **kwargs):
    pass

def expect_true(*args, **kwargs):
    pass
"""

SWALLOW = FAKE_ANSWERS + """
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
"""


def lines(count, width):
    """A cell that prints ``count`` lines of ``width`` characters."""
    return f"import sys\nfor _i in range({count}):\n    sys.stdout.write('x' * {width} + '\\n')"
