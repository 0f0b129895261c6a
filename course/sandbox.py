"""Run grading kernels inside a bubblewrap sandbox with resource limits.

The kernel (the only process that runs student code) is started as

    prlimit <limits> -- bwrap <mounts> -- python -m ipykernel_launcher -f ...

so that it has

* no network (``--unshare-net``; it talks to the grader over Unix sockets);
* a read-only view of the machine, with the course folder (``source/``, the
  gradebook, every submission) hidden behind an empty tmpfs, except the Python
  environment and the ``course`` package, which are mounted back read-only;
* a read-only working folder holding this one submission, and a writable,
  size-capped ``/tmp`` (and a small ``/dev/shm``) as its only scratch space;
* none of the grader's environment variables but the few a kernel needs;
* caps on address space, CPU time, processes/threads and file size, plus
  nbgrader's per-cell timeout, which the grader enforces from outside.

Limits of this design are listed in README's instructor section.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, Dict, List, Unicode

__all__ = ["Limits", "SandboxedKernelManager", "kernel_environment", "sandbox_prefix", "sandbox_problem"]


@dataclass(frozen=True)
class Limits:
    """Resource caps for one grading kernel."""

    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 600
    processes: int = 256          # on top of what this user already runs; threads count too
    file_bytes: int = 64 * 2**20
    scratch_bytes: int = 256 * 2**20
    shm_bytes: int = 64 * 2**20


def sandbox_problem() -> str | None:
    """Why no sandbox can be had here, or None when it works."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    for tool, package in [("bwrap", "bubblewrap"), ("prlimit", "util-linux"), ("setpriv", "util-linux")]:
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (Debian package {package}: apt-get install {package})"
    probe = ["bwrap", "--unshare-all", "--ro-bind", "/", "/", "--dev", "/dev",
             "--proc", "/proc", "--", "true"]
    result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        return ("bubblewrap cannot create a sandbox here (user namespaces may be disabled): "
                + (result.stderr.strip() or f"exit status {result.returncode}"))
    return None


def _tasks_of_this_user() -> int:
    """Processes and threads this uid runs now: RLIMIT_NPROC counts them all, per user."""
    uid, count = os.getuid(), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nUid:\t{uid}\t" in text:
            count += int(text.split("\nThreads:\t", 1)[1].split()[0])
    return count


def _runtime_folders() -> list[Path]:
    """Folders the sandboxed Python needs: its environment and the ``course`` package."""
    import course

    folders = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
               Path(sys.executable).resolve().parent.parent, Path(course.__file__).resolve().parent}
    return [f.resolve() for f in folders]


def _with_runtime(keep: list[Path], hidden: list[Path]) -> list[Path]:
    """``keep`` plus every runtime folder that /tmp's tmpfs or a hidden folder would cover.

    A fresh clone may well live under /tmp, and its virtual environment with it: without
    this, the sandbox would hide the very interpreter it is asked to run.
    """
    covering = [Path("/tmp"), *(Path(h).resolve() for h in hidden)]
    extra = [f for f in _runtime_folders() if any(f.is_relative_to(c) for c in covering)]
    folders = sorted({Path(k).resolve() for k in keep} | set(extra), key=lambda f: len(f.parts))
    # A folder inside another kept one is mounted with it already.
    return [f for i, f in enumerate(folders) if not any(f.is_relative_to(g) for g in folders[:i])]


def sandbox_prefix(workdir: Path, writable: list[Path], hidden: list[Path], keep: list[Path],
                   limits: Limits = Limits()) -> list[str]:
    """The command words that start a program inside the sandbox.

    ``workdir`` is mounted read-only and becomes the working folder; ``writable``
    folders are mounted read-write (the kernel's socket folder); ``hidden`` folders
    are replaced by empty ones, then ``keep`` folders inside them (and the Python
    environment and ``course`` package, wherever they are) are mounted back read-only.
    """
    processes = _tasks_of_this_user() + limits.processes
    command = ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={processes}", f"--fsize={limits.file_bytes}", "--core=0", "--"]
    # Started by root, bwrap leaves the sandboxed uid 0 every capability in its user namespace
    # (enough to unmount what hides the course and remount / read-write): drop them all.
    command += ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--ro-bind", "/", "/",
                "--dev", "/dev", "--size", str(limits.shm_bytes), "--tmpfs", "/dev/shm",
                "--proc", "/proc", "--size", str(limits.scratch_bytes), "--tmpfs", "/tmp"]
    # Shallower mounts first: a kept folder inside a hidden one shows through it, and a hidden
    # folder inside a kept one (a course that lives inside the Python environment) stays hidden.
    mounts = [(f, "--ro-bind") for f in _with_runtime(keep, hidden)] + [(Path(f), "--tmpfs") for f in hidden]
    for folder, kind in sorted(mounts, key=lambda m: (len(m[0].parts), m[1] == "--tmpfs")):
        command += ["--tmpfs", str(folder)] if kind == "--tmpfs" else ["--ro-bind", str(folder), str(folder)]
    command += ["--ro-bind", str(workdir), str(workdir)]
    for folder in writable:
        command += ["--bind", str(folder), str(folder)]
    # The tmpfs bwrap puts on /dev and those that hide folders are writable and have no size
    # limit: files written there would fill the machine's memory. Once the mounts inside them
    # are made, they turn read-only (the device nodes and the mounts inside are not affected).
    for folder in ["/dev", *hidden]:
        command += ["--remount-ro", str(folder)]
    # In its own PID namespace the kernel's parent is pid 1, which ipykernel would take for an orphaning.
    command += ["--unsetenv", "JPY_PARENT_PID"]
    command += ["--chdir", str(workdir), "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
                "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib",
                "--"]
    return command


# The grader's environment stays outside: it may hold secrets (API tokens, passwords) that
# student code would print into its feedback. These variables are all a kernel needs.
_KERNEL_ENVIRONMENT = ("PATH", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUNBUFFERED",
                       "LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND")
_KERNEL_ENVIRONMENT_PREFIXES = ("LC_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "CUDA_", "JPY_", "PYDEVD_",
                                "NBGRADER_")


def kernel_environment(environment: dict[str, str]) -> dict[str, str]:
    """The part of ``environment`` a sandboxed kernel gets."""
    return {key: value for key, value in environment.items()
            if key in _KERNEL_ENVIRONMENT or key.startswith(_KERNEL_ENVIRONMENT_PREFIXES)}


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel inside ``sandbox_prefix``.

    The kernel listens on Unix sockets in a private folder, since it has no network.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    hidden = List(Unicode(), help="folders hidden from the kernel").tag(config=True)
    keep = List(Unicode(), help="folders inside hidden ones mounted back read-only").tag(config=True)
    limit_values = Dict(help="Limits fields to override").tag(config=True)

    async def _async_pre_start_kernel(self, **kw):
        socket_dir = Path(tempfile.mkdtemp(prefix="ck-"))  # short: Unix socket paths are limited to 107 bytes
        self._socket_dir = socket_dir
        self.ip = str(socket_dir / "k")
        self.connection_file = str(socket_dir / "connection.json")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        # bwrap does not pass SIGINT on to the sandboxed kernel (it dies of it instead), so
        # interrupts travel as messages: ipykernel then signals itself.
        self.kernel_spec.interrupt_mode = "message"
        kw["env"] = kernel_environment(kw.get("env") or dict(os.environ))
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        prefix = sandbox_prefix(workdir, [socket_dir], [Path(h) for h in self.hidden],
                                [Path(k) for k in self.keep], Limits(**self.limit_values))
        return prefix + kernel_cmd, kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart and getattr(self, "_socket_dir", None):
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    # AsyncKernelManager binds this name to the base class's coroutine, which nbclient calls
    # alone after a kernel died: without this, a dead kernel's socket folder stays in /tmp.
    cleanup_resources = _async_cleanup_resources
