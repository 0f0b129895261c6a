"""Run grading kernels inside a bubblewrap sandbox with resource limits.

The kernel (the only process that runs student code) is started as

    prlimit <limits> -- bwrap <mounts> -- python -m ipykernel_launcher -f ...

so that it has

* no network (``--unshare-net``; it talks to the grader over Unix sockets);
* a read-only view of the machine, with the course folder (``source/``, the
  gradebook, every submission) and the home folders hidden behind empty tmpfs
  mounts, except the Python environment and the ``course`` package, which are
  mounted back read-only, and ``/etc/shadow`` masked;
* a read-only working folder holding this one submission, and a writable,
  size-capped ``/tmp`` (and a small ``/dev/shm``) as its only scratch space;
* none of the grader's environment variables but the few a kernel needs;
* caps on address space, CPU time, processes/threads and file size, plus
  nbgrader's per-cell timeout, which the grader enforces from outside. Linux does
  not apply the process cap (RLIMIT_NPROC) to root, so when grading runs as root
  the kernel is also put in a ``pids`` cgroup of its own, which caps its processes
  and lets the grader kill every one of them at the end.

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

__all__ = ["Limits", "ProcessGroup", "SandboxedKernelManager", "kernel_environment", "process_cap_problem",
           "sandbox_prefix", "sandbox_problem"]


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


class ProcessGroup:
    """A ``pids`` cgroup that caps how many processes and threads a sandbox may have.

    RLIMIT_NPROC counts per user and does not bind root at all, so a kernel started by
    root could fork without end; a cgroup caps it either way. Creating one needs write
    access to a cgroup hierarchy with the pids controller, which in practice means root.
    """

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls, limit: int) -> ProcessGroup | None:
        """A new group capped at ``limit`` tasks, or None where no cgroup can be made."""
        for hierarchy in _pids_hierarchies():
            path = hierarchy / f"course-grade-{os.getpid()}-{os.urandom(4).hex()}"
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(limit))
            except OSError:
                path.rmdir()
                continue
            return cls(path)
        return None

    def prefix(self) -> list[str]:
        """Command words that move the program into this group before it starts."""
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', str(self.path)]

    def tasks(self) -> list[int]:
        """Processes in the group now."""
        try:
            return [int(pid) for pid in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def destroy(self, wait_seconds: float = 10) -> None:
        """Kill whatever still runs in the group, then remove it."""
        import signal
        import time

        deadline = time.monotonic() + wait_seconds
        while (pids := self.tasks()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        try:
            self.path.rmdir()
        except OSError:
            pass  # still busy: an empty group is removed by the next cleanup of this folder


def _pids_hierarchies() -> list[Path]:
    """cgroup folders with the pids controller where a new group might be made."""
    found = []
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists():
        found.append(v1)
    v2 = Path("/sys/fs/cgroup")
    try:
        if "pids" in (v2 / "cgroup.subtree_control").read_text().split():
            found.append(v2)
    except OSError:
        pass
    return found


def process_cap_problem() -> str | None:
    """Why the sandbox cannot cap the number of processes here, or None when it can."""
    if os.geteuid() != 0:
        return None  # RLIMIT_NPROC binds every user but root
    group = ProcessGroup.create(1)
    if group is None:
        return ("grading runs as root, which RLIMIT_NPROC does not bind, and no pids cgroup can be "
                "created here (/sys/fs/cgroup is read-only or has no pids controller)")
    group.destroy()
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
    import site

    import course

    folders = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
               Path(sys.executable).resolve().parent.parent, Path(course.__file__).resolve().parent}
    user_site = Path(site.getusersitepackages())     # `pip install --user` puts packages here
    if site.ENABLE_USER_SITE and user_site.is_dir():
        folders.add(user_site)
    return [f.resolve() for f in folders]


# Where a grader's secrets usually are. Hidden for every kernel, not only when grading runs as
# root: even an ordinary user's home holds SSH keys and tokens that student code could print.
_PRIVATE_FOLDERS = ("/root", "/home", "/etc/ssh")
_PRIVATE_FILES = ("/etc/shadow", "/etc/gshadow")


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
                   limits: Limits = Limits(), group: ProcessGroup | None = None) -> list[str]:
    """The command words that start a program inside the sandbox.

    ``workdir`` is mounted read-only and becomes the working folder; ``writable``
    folders are mounted read-write (the kernel's socket folder); ``hidden`` folders
    are replaced by empty ones, then ``keep`` folders inside them (and the Python
    environment and ``course`` package, wherever they are) are mounted back read-only.
    ``group``, when given, is the pids cgroup the program is moved into first.
    """
    processes = _tasks_of_this_user() + limits.processes
    command = group.prefix() if group is not None else []
    command += ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
               f"--nproc={processes}", f"--fsize={limits.file_bytes}", "--core=0", "--"]
    # Started by root, bwrap leaves the sandboxed uid 0 every capability in its user namespace
    # (enough to unmount what hides the course and remount / read-write): drop them all.
    command += ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--ro-bind", "/", "/",
                "--dev", "/dev", "--size", str(limits.shm_bytes), "--tmpfs", "/dev/shm",
                "--proc", "/proc", "--size", str(limits.scratch_bytes), "--tmpfs", "/tmp"]
    hidden = [Path(f) for f in _PRIVATE_FOLDERS if Path(f).is_dir()] + [Path(h) for h in hidden]
    for secret in _PRIVATE_FILES:
        if Path(secret).exists():
            command += ["--ro-bind", "/dev/null", secret]
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

    The kernel has no network, so it listens on Unix sockets, and those live in the
    sandbox's own size-capped ``/tmp``: a folder on the grader's disk that the kernel
    could write to would let it fill that disk. The grader reaches them from outside
    through ``/proc/<pid>/root``, the kernel's view of the file system.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    hidden = List(Unicode(), help="folders hidden from the kernel").tag(config=True)
    keep = List(Unicode(), help="folders inside hidden ones mounted back read-only").tag(config=True)
    limit_values = Dict(help="Limits fields to override").tag(config=True)

    _SOCKETS_INSIDE = "/tmp/kernel"    # the sockets' path prefix as the kernel sees it

    async def _async_pre_start_kernel(self, **kw):
        # A fresh folder each start (restarts too) for the connection file, which the kernel
        # only reads: mounted read-only into the sandbox.
        private = Path(tempfile.mkdtemp(prefix="course-kernel-"))
        self._private_dir = private
        self.ip = self._SOCKETS_INSIDE
        self.connection_file = str(private / "connection.json")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        # bwrap does not pass SIGINT on to the sandboxed kernel (it dies of it instead), so
        # interrupts travel as messages: ipykernel then signals itself.
        self.kernel_spec.interrupt_mode = "message"
        kw["env"] = kernel_environment(kw.get("env") or dict(os.environ))
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        limits = Limits(**self.limit_values)
        self._group = ProcessGroup.create(limits.processes) if os.geteuid() == 0 else None
        prefix = sandbox_prefix(workdir, [], [Path(h) for h in self.hidden],
                                [Path(k) for k in self.keep] + [private], limits, self._group)
        return prefix + kernel_cmd, kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        inside = await _sandboxed_descendant(self.provisioner.process.pid)
        # From here on the grader connects through the kernel's root; the connection file
        # keeps the path the kernel itself binds.
        self.ip = f"/proc/{inside}/root{self._SOCKETS_INSIDE}"

    def cleanup_ipc_files(self) -> None:
        """Nothing to remove: the sockets vanish with the sandbox's /tmp.

        (Removing ``/proc/<pid>/root/...`` after the kernel ended could reach into an
        unrelated process that got the same pid.)
        """

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if getattr(self, "_group", None) is not None:
            self._group.destroy()
            self._group = None
        if getattr(self, "_private_dir", None):
            shutil.rmtree(self._private_dir, ignore_errors=True)

    # AsyncKernelManager binds this name to the base class's coroutine, which nbclient calls
    # alone after a kernel died: without this, a dead kernel's folder would stay in /tmp.
    cleanup_resources = _async_cleanup_resources


async def _sandboxed_descendant(pid: int, wait_seconds: float = 30) -> int:
    """The process under ``pid`` (bwrap) that bwrap started once the sandbox was built.

    Until bwrap has built the sandbox and started the kernel, ``/proc/<child>/root``
    still shows the grader's own /tmp, where anyone may plant a socket. bwrap starts
    the kernel only after the sandbox is complete, so this waits for a descendant that
    is no longer bwrap itself.
    """
    import asyncio
    import time

    # ``pid`` may still be the sh or prlimit that exec bwrap: compare with bwrap's own file.
    bwrap = os.path.realpath(shutil.which("bwrap") or "bwrap")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        waiting, seen = [pid], set()
        while waiting:
            current = waiting.pop()
            for child in _children(current):
                try:
                    program = os.readlink(f"/proc/{child}/exe")
                except OSError:
                    continue
                if program != bwrap:
                    return child
                if child not in seen:     # a bwrap reaper (pid 1 of the sandbox): look below it
                    seen.add(child)
                    waiting.append(child)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise RuntimeError("the sandboxed kernel exited while it started") from None
        await asyncio.sleep(0.01)
    raise RuntimeError(f"the sandbox of process {pid} was not ready after {wait_seconds} s")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
