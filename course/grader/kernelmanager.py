"""A Jupyter kernel manager whose kernels start inside the sandbox of :mod:`course.grader.sandbox`.

:class:`SandboxedKernelManager` is what :class:`~course.grader.preprocessors.SandboxedExecute`
starts its kernels with: each kernel gets a cgroup of its own (:mod:`course.grader.cgroups`),
the caps of :class:`~course.grader.sandbox.Limits`, only the environment variables of
:func:`kernel_environment`, and Unix sockets inside the sandbox, which the grader reaches through
the kernel's ``/proc/<pid>/root``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum, List, Unicode

from course.grader.cgroups import ControlGroup
from course.grader.sandbox import Limits, sandbox_prefix

__all__ = ["SandboxedKernelManager", "kernel_environment"]


# The grader's environment stays outside: it may hold secrets (API tokens, passwords) that
# student code would print into its feedback. These variables are all a kernel needs.
_KERNEL_ENVIRONMENT = ("PATH", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONUNBUFFERED",
                       "LANG", "LANGUAGE", "TZ", "TERM", "MPLBACKEND")
_KERNEL_ENVIRONMENT_PREFIXES = ("LC_", "OMP_", "MKL_", "OPENBLAS_", "KMP_", "CUDA_", "JPY_", "PYDEVD_",
                                "NBGRADER_")


def kernel_environment(environment: dict[str, str]) -> dict[str, str]:
    """The part of ``environment`` a sandboxed kernel gets.

    ``PYTHONPATH`` keeps only absolute folders: Python reads an empty or relative entry
    against the working folder, where student code could plant modules.
    """
    kept = {key: value for key, value in environment.items()
            if key in _KERNEL_ENVIRONMENT or key.startswith(_KERNEL_ENVIRONMENT_PREFIXES)}
    if "PYTHONPATH" in kept:
        entries = kept["PYTHONPATH"].split(os.pathsep)
        kept["PYTHONPATH"] = os.pathsep.join(p for p in entries if os.path.isabs(p))
    return kept


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel inside ``sandbox_prefix``.

    The kernel has no network, so it listens on Unix sockets, and those live in the
    sandbox's own size-capped ``/tmp``: a folder on the grader's disk that the kernel
    could write to would let it fill that disk. The grader reaches them from outside
    through ``/proc/<pid>/root``, the kernel's view of the file system.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    hidden = List(Unicode(), help="folders hidden from the kernel, even inside mounted ones").tag(config=True)

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
        limits = Limits()
        # Also for users RLIMIT_NPROC binds: only a cgroup caps memfd and tmpfs memory.
        self._group = ControlGroup.create(limits.processes, limits.memory_bytes)
        prefix = sandbox_prefix(workdir, [Path(h) for h in self.hidden],
                                [private], limits, self._group)
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
