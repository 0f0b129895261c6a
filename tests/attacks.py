"""Code of hostile submissions for the adversarial grading suite (tests/test_classgrade.py).

Each constant is a code cell's source, or a set of files a submission hands in. Sources
with format fields, or braces doubled for ``str.format``, are formatted before use. The
wrong-answer attacks define the three functions of 01_parameters wrongly and then try to
make the tests pass anyway; the others try to read or leak the hidden tests, or to hurt the
grader. Format fields ({root}, {repo}, ...) are filled in by the suite.
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
STUBBORN = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"

# A grade id with terminal escapes: it retitles the terminal and clears the screen if printed raw.
ESCAPE_ID = "p01_\x1b]0;pwned\x07\x1b[2J\x1b[31m"
