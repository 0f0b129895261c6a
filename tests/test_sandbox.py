"""Tests for course.sandbox: what a program started inside the sandbox can and cannot do."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.sandbox import Limits, ProcessGroup, process_cap_problem, sandbox_prefix, sandbox_problem

if shutil.which("bwrap") is None and os.environ.get("COURSE_REQUIRE_SANDBOX") != "1":
    pytest.skip("bubblewrap is not installed (apt-get install bubblewrap)", allow_module_level=True)


@pytest.fixture
def run(tmp_path):
    """Run Python code in the sandbox, with tmp_path/course hidden and tmp_path/work as working folder."""
    course, work = tmp_path / "course", tmp_path / "work"
    (course / "source").mkdir(parents=True)
    (course / "source" / "hidden.txt").write_text("the hidden tests")
    work.mkdir()
    (work / "mine.txt").write_text("my submission")

    def _run(code, limits=None):
        command = sandbox_prefix(work, [], [course], [], limits or Limits()) + [sys.executable, "-c", code]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    _run.course, _run.work = course, work
    return _run


def test_sandbox_is_available_here():
    """Check that bubblewrap can build a sandbox on this machine"""
    assert sandbox_problem() is None


def test_own_files_are_readable_and_hidden_folders_are_empty(run):
    """Check that the working folder is readable and a hidden folder shows nothing"""
    result = run(f"import os; print(open('mine.txt').read()); print(os.listdir({str(run.course)!r}))")
    assert result.stdout.split("\n")[:2] == ["my submission", "[]"], result.stderr


def test_file_system_is_read_only_except_tmp(run):
    """Check that writes fail in the working folder and elsewhere, and succeed in /tmp"""
    code = ("import os\nfor path in ['mine.txt', 'new.txt', '/etc/course-test', '/tmp/ok']:\n"
            "    try:\n        open(path, 'w').write('x'); print(path, 'written')\n"
            "    except OSError as err:\n        print(path, type(err).__name__)")
    lines = run(code).stdout.splitlines()
    assert lines[-1] == "/tmp/ok written"
    assert all("written" not in line for line in lines[:-1]), lines
    assert (run.work / "mine.txt").read_text() == "my submission"


def test_no_network(run):
    """Check that no connection can be opened, not even to this machine"""
    code = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 22), timeout=3)\n"
            "except OSError as err:\n    print(type(err).__name__)")
    assert run(code).stdout.strip() in ("ConnectionRefusedError", "OSError")
    result = run("import socket; print(socket.if_nameindex())")
    assert "eth" not in result.stdout and "ens" not in result.stdout


def test_memory_and_file_size_are_capped(run):
    """Check that allocating past the memory cap and writing past the file cap both fail"""
    limits = Limits(memory_bytes=2 * 2**30, file_bytes=2**20)
    code = ("try:\n    blocks = [bytearray(2**28) for _ in range(16)]\n    print('allocated')\n"
            "except MemoryError:\n    print('MemoryError')\n"
            "try:\n    open('/tmp/big', 'wb').write(b'x' * 2**21)\n    print('wrote')\n"
            "except OSError as err:\n    print(type(err).__name__)")
    assert run(code, limits).stdout.split() == ["MemoryError", "OSError"]


def test_processes_of_the_sandbox_cannot_see_the_outside(run):
    """Check that the sandbox has its own process table"""
    result = run("import os; print(len([p for p in os.listdir('/proc') if p.isdigit()]))")
    assert int(result.stdout) < 5, result.stdout


def test_python_runs_even_where_its_environment_is_hidden(tmp_path):
    """Check that the interpreter and course package stay visible when /tmp or a hidden folder holds them"""
    # A fresh clone under /tmp keeps its virtual environment inside the course root, which is
    # hidden, under /tmp, which is replaced by scratch space: both would hide the interpreter.
    environment_parent = Path(sys.prefix).resolve().parent
    work = tmp_path / "work"
    work.mkdir()
    code = "import course, torch; print('ran', torch.ones(2).sum().item())"
    command = sandbox_prefix(work, [], [environment_parent], []) + [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ran 2.0", result.stderr


def test_hidden_folder_inside_a_kept_one_stays_hidden(tmp_path):
    """Check that the mount order hides a folder inside a kept one and shows a kept one inside a hidden one"""
    outer, work = tmp_path / "outer", tmp_path / "work"
    (outer / "secret").mkdir(parents=True)
    (outer / "secret" / "answers.txt").write_text("hidden")
    (outer / "shared.txt").write_text("visible")
    work.mkdir()
    code = (f"import os; print(open({str(outer / 'shared.txt')!r}).read());"
            f"print(os.listdir({str(outer / 'secret')!r}))")
    command = sandbox_prefix(work, [], [outer / "secret"], [outer]) + [sys.executable, "-c", code]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.stdout.split("\n")[:2] == ["visible", "[]"], result.stderr


@pytest.mark.skipif(process_cap_problem() is not None, reason="no process cap can be had here")
def test_processes_are_capped_even_for_root(run):
    """Check that forking stops at the cap, whoever runs the grader, and nothing outlives the group"""
    group = ProcessGroup.create(40) if os.geteuid() == 0 else None
    code = ("import os, time\nstarted = 0\ntry:\n    for _ in range(300):\n"
            "        if os.fork() == 0:\n            time.sleep(30); os._exit(0)\n        started += 1\n"
            "except OSError as err:\n    print('stopped after', started, type(err).__name__)\nelse:\n"
            "    print('started', started)")
    try:
        command = sandbox_prefix(run.work, [], [run.course], [], Limits(processes=40), group) + \
            [sys.executable, "-c", code]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        words = result.stdout.split()
        assert words[:2] == ["stopped", "after"] and int(words[2]) < 60, result.stdout + result.stderr
    finally:
        if group is not None:
            group.destroy()
            assert not group.path.exists()


def test_home_folders_and_password_hashes_are_hidden(run):
    """Check that a file in the grader's home and the contents of /etc/shadow cannot be read"""
    home = Path.home()
    secret = home / f".course-sandbox-probe-{os.getpid()}"
    secret.write_text("the grader's token")
    try:
        code = (f"import os\nprint(os.path.exists({str(secret)!r}))\n"
                "try:\n    print(len(open('/etc/shadow').read()))\nexcept OSError as err:\n"
                "    print(type(err).__name__)")
        lines = run(code).stdout.split()
        assert lines[0] == "False", lines
        assert lines[1] in ("0", "FileNotFoundError", "PermissionError"), lines
    finally:
        secret.unlink()
