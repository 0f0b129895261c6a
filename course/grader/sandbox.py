"""Run grading kernels inside a bubblewrap sandbox with resource limits.

The kernel (the only process that runs student code; :mod:`course.grader.kernelmanager` starts
it) is started as

    [sh -c 'move into cgroup'] prlimit <limits> -- bwrap <mounts> -- python -m ipykernel_launcher -f ...

so that it has

* no network (``--unshare-net``; it talks to the grader over Unix sockets);
* a file system built from an allowlist, all read-only: the Python runtime (interpreter,
  standard library, site-packages), the ``course`` package folder alone, the system folders
  (/usr and the /bin, /lib... links into it), a few files of /etc (the loader's cache, time
  zone, user names, fonts; no /etc/shadow, no /etc/ssh) and /sys/devices/system/cpu, which
  PyTorch's CPU detection reads. Nothing else of the machine exists inside: no course folder,
  no other submission, no home folder, /var, /run, /opt or /srv, and so no Unix socket file
  made by a host process either. Folders passed as ``hidden`` (the course root) stay empty
  even where they lie inside an allowlisted folder;
* an empty, writable working folder ``/tmp/work`` of its own inside a size-capped ``/tmp``
  (and a small ``/dev/shm``), its only scratch space. The submission's folder is not mounted:
  files a student handed in (a ``course/`` package of their own, say) cannot shadow real
  modules, and the notebook, hidden tests restored, cannot be read back;
* none of the grader's environment variables but the few a kernel needs;
* caps on address space, CPU time, processes/threads and file size, plus nbgrader's per-cell
  timeout, which the grader enforces from outside;
* where a cgroup can be made (as root, in practice), a cgroup of its own (:mod:`course.grader.cgroups`)
  that caps its memory, memfds and tmpfs files included, and its processes, which Linux's
  RLIMIT_NPROC does not do for root; past the memory cap the kernel is killed, and the grader
  records a crashed kernel. The grader kills whatever is left in the group at the end.

Without a cgroup (not root, or a read-only cgroup file system), :func:`memory_cap_problem` says
why and only RLIMIT_AS applies: memory held in memfds, which needs no address space, is then not
capped, and tmpfs memory only by the sizes of /tmp and /dev/shm. Likewise, as root without a
pids cgroup, :func:`process_cap_problem` says why nothing caps the number of processes.

Read-only mounts do not stop ``connect()``: a socket file that a host process puts inside an
allowlisted folder (the Python environment, say) would be reachable. Abstract Unix sockets are
not, in the sandbox's own network namespace. Other limits are listed in README's instructor section.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from course.grader.cgroups import ControlGroup, cap_problem

__all__ = ["Limits", "memory_cap_problem", "process_cap_problem", "sandbox_prefix", "sandbox_problem"]


@dataclass(frozen=True)
class Limits:
    """Resource caps for one grading kernel.

    ``memory_bytes`` caps both the address space (RLIMIT_AS) and, where a cgroup can be
    made, the memory the kernel's processes hold, swap, memfds and tmpfs files included.
    """

    memory_bytes: int = 4 * 2**30
    cpu_seconds: int = 600
    processes: int = 256          # on top of what this user already runs; threads count too
    file_bytes: int = 64 * 2**20
    scratch_bytes: int = 256 * 2**20
    shm_bytes: int = 64 * 2**20


_PROBE_SECONDS = 30


def sandbox_problem() -> str | None:
    """Why no sandbox can be had here, or None when it works."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    for tool, package in [("bwrap", "bubblewrap"), ("prlimit", "util-linux"), ("setpriv", "util-linux")]:
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (Debian package {package}: apt-get install {package})"
    # The very mounts a kernel gets, with this interpreter: a missing library shows here.
    probe = _bwrap_arguments([], [], Limits()) + [sys.executable, "-c", "pass"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=_PROBE_SECONDS)
    except subprocess.TimeoutExpired:
        return (f"bubblewrap did not start a Python in the sandbox within {_PROBE_SECONDS} s (the machine "
                "may be overloaded, or a mount may hang); try again, or check `bwrap --version`")
    if result.returncode != 0:
        return ("bubblewrap cannot create a sandbox here (user namespaces may be disabled): "
                + (result.stderr.strip() or f"exit status {result.returncode}"))
    return None


def process_cap_problem() -> str | None:
    """Why the sandbox cannot cap the number of processes here, or None when it can.

    Creates nothing (cheap, no side effects); see :func:`course.grader.cgroups.cap_problem`.
    """
    if os.geteuid() != 0:
        return None  # RLIMIT_NPROC binds every user but root
    if (problem := cap_problem("pids")) is not None:
        return f"grading runs as root, which RLIMIT_NPROC does not bind, and {problem}"
    return None


def memory_cap_problem() -> str | None:
    """Why the sandbox cannot cap a kernel's memory with a cgroup here, or None when it can.

    Creates nothing (cheap, no side effects).
    """
    if (problem := cap_problem("memory")) is not None:
        return (f"{problem}; only the address-space limit applies, so memory a kernel holds in "
                "memfds is not capped (nor tmpfs memory beyond the sizes of /tmp and /dev/shm)")
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
    """Folders the sandboxed Python needs: its environment, its site-packages and ``course``."""
    import site

    import course

    folders = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
               Path(sys.executable).resolve().parent.parent, Path(course.__file__).resolve().parent,
               *(Path(p) for p in site.getsitepackages())]
    if site.ENABLE_USER_SITE:          # `pip install --user` puts packages here
        folders.append(Path(site.getusersitepackages()))
    return [f.resolve() for f in folders if f.is_dir()]


# Debian links most of these to /usr: a link is made as a link, a folder is mounted.
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The loader's cache and config, the time zone, user and group names (getpass, pwd), the
# alternatives /usr/bin links through, and fontconfig's config (matplotlib runs fc-list).
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ld.so.preload", "localtime", "timezone", "passwd",
        "group", "nsswitch.conf", "alternatives", "fonts")
# PyTorch's cpuinfo (and OpenBLAS) read the CPU topology here; some builds complain on stderr
# without it, and nbgrader fails a grade cell that writes to stderr.
_SYS = ("/sys/devices/system/cpu",)
_WORKDIR = "/tmp/work"    # the program's working folder, empty and its own


def _covered(folder: Path, by: Path, hidden: list[Path]) -> bool:
    """Whether mounting ``by`` shows ``folder`` already: inside it, with no hidden folder between."""
    return folder.is_relative_to(by) and not any(
        folder.is_relative_to(h) and h.is_relative_to(by) and h != by for h in hidden)


def _bwrap_arguments(hidden: list[Path], keep: list[Path], limits: Limits) -> list[str]:
    """bwrap and its options up to the ``--`` that precedes the program."""
    # Started by root, bwrap leaves the sandboxed uid 0 every capability in its user namespace
    # (enough to unmount what hides the course and remount / read-write): drop them all.
    command = ["bwrap", "--unshare-all", "--die-with-parent", "--cap-drop", "ALL",
               "--dev", "/dev", "--size", str(limits.shm_bytes), "--tmpfs", "/dev/shm",
               "--proc", "/proc", "--size", str(limits.scratch_bytes), "--tmpfs", "/tmp"]
    binds = []
    for name in _SYSTEM:
        if os.path.islink(name):
            command += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            binds.append(Path(name))
    for name in (f"/etc/{n}" for n in _ETC):
        if os.path.islink(name):
            command += ["--symlink", os.readlink(name), name]
        elif os.path.exists(name):
            binds.append(Path(name))
    binds += [Path(p) for p in _SYS if os.path.isdir(p)]
    hidden = [h for h in dict.fromkeys(Path(h).resolve() for h in hidden) if h.is_dir()]
    binds += [f for f in _runtime_folders() + [Path(k).resolve() for k in keep] if f.exists()]
    binds = list(dict.fromkeys(binds))
    mounts = [(f, "--ro-bind") for i, f in enumerate(binds)
              if not any(_covered(f, g, hidden) for g in binds[:i] + binds[i + 1:] if g != f)]
    # A hidden folder outside every mount does not exist in the sandbox anyway; one inside
    # a mount (a course inside the Python environment) is covered by an empty tmpfs.
    covers = [h for h in hidden if any(h.is_relative_to(f) for f, _ in mounts)]
    mounts += [(h, "--tmpfs") for h in covers]
    # Shallower first: a kept folder inside a hidden one shows through it, and at equal depth
    # the hidden one wins.
    for folder, kind in sorted(mounts, key=lambda m: (len(m[0].parts), m[1] == "--tmpfs")):
        command += [kind, str(folder)] if kind == "--tmpfs" else [kind, str(folder), str(folder)]
    # The tmpfs bwrap makes for / (where it creates mount points), for /dev and for covers are
    # writable and have no size limit: files written there would fill the machine's memory.
    # Once the mounts inside them are made, they turn read-only.
    for folder in ["/dev", *map(str, covers), "/"]:
        command += ["--remount-ro", folder]
    command += ["--dir", _WORKDIR, "--chdir", _WORKDIR,
                # In its own PID namespace the kernel's parent is pid 1, which ipykernel would take
                # for an orphaning.
                "--unsetenv", "JPY_PARENT_PID",
                # Neither Python (-m, -c) nor IPython then puts the working folder on sys.path.
                "--setenv", "PYTHONSAFEPATH", "1",
                "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
                "--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.matplotlib",
                "--"]
    return command


def sandbox_prefix(workdir: Path | None, hidden: list[Path], keep: list[Path],
                   limits: Limits = Limits(), group: ControlGroup | None = None) -> list[str]:
    """The command words that start a program inside the sandbox.

    The program runs in ``/tmp/work``, an empty writable folder of its own. ``workdir``, the
    folder the caller would have run it in (a submission's), is not mounted, and stays hidden
    like the ``hidden`` folders even where it lies inside an allowlisted one; ``keep``
    folders (and the Python runtime and ``course`` package, wherever they are) are mounted
    read-only, inside hidden folders too. ``group``, when given, is the cgroup the program is
    moved into first.
    """
    processes = _tasks_of_this_user() + limits.processes
    command = group.prefix() if group is not None else []
    command += ["prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
                f"--nproc={processes}", f"--fsize={limits.file_bytes}", "--core=0", "--"]
    hidden = [Path(h) for h in hidden] + ([Path(workdir)] if workdir is not None else [])
    return command + _bwrap_arguments(hidden, keep, limits)
