"""Control groups that cap the processes and the memory of one sandboxed program.

Resource limits (``prlimit``) leave two holes that only a cgroup closes: Linux does not
apply RLIMIT_NPROC to root, and RLIMIT_AS counts address space, not memory, so pages
held in memfds or tmpfs files (which need no mapping) escape it. A :class:`ControlGroup`
caps both, whoever runs the grader, and lets the grader kill every process in it.

cgroup v1 keeps each controller in a hierarchy of its own (``/sys/fs/cgroup/pids``,
``/sys/fs/cgroup/memory``), so one group is a folder in each; under v2 it is a single
folder. New groups go under this process's own cgroup where that works, so that any limit
set on the grader (a container's, say) binds its kernels too; otherwise under the root.
"""

from __future__ import annotations

import os
import shlex
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ControlGroup", "cap_problem"]

# What each controller is asked for, by cgroup version: (file, whether the group fails without it).
# Swap is capped too: without it, v1 lets a group page out past its memory limit.
_SETTINGS = {
    (1, "pids"): [("pids.max", True)],
    (1, "memory"): [("memory.limit_in_bytes", True), ("memory.memsw.limit_in_bytes", False)],
    (2, "pids"): [("pids.max", True)],
    (2, "memory"): [("memory.max", True), ("memory.swap.max", False)],
}


@dataclass(frozen=True)
class _Hierarchy:
    version: int
    controllers: frozenset[str]   # those a new group made here gets
    parent: Path                  # the folder new groups go into


def _hierarchies(mountinfo: str | None = None, membership: str | None = None) -> list[_Hierarchy]:
    """Where a new group may be made, per mounted hierarchy, best place first.

    ``mountinfo`` and ``membership`` default to this process's ``/proc/self/mountinfo``
    and ``/proc/self/cgroup`` (parameters only for tests).
    """
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text() if mountinfo is None else mountinfo
        membership = Path("/proc/self/cgroup").read_text() if membership is None else membership
    except OSError:
        return []
    own = {}  # controller ("" for v2) -> this process's cgroup in that hierarchy
    for line in membership.splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            own[name] = path
    found = []
    for line in mountinfo.splitlines():
        fields, _, rest = line.partition(" - ")
        fields, rest = fields.split(), rest.split()
        if len(fields) < 5 or len(rest) < 3 or rest[0] not in ("cgroup", "cgroup2"):
            continue
        root, mount = fields[3], Path(fields[4].replace("\\040", " "))
        if rest[0] == "cgroup":
            controllers = frozenset(o for o in rest[2].split(",") if o in ("pids", "memory"))
            here = own.get(next(iter(controllers), None))
        else:
            controllers, here = frozenset(("pids", "memory")), own.get("")
        if not controllers:
            continue
        places = [mount]
        if here is not None and here.startswith(root):
            places.insert(0, mount / here[len(root):].lstrip("/"))
        for place in dict.fromkeys(places):
            if rest[0] == "cgroup2":
                # v2 hands a child only the controllers its parent enables for children.
                try:
                    given = controllers & set((place / "cgroup.subtree_control").read_text().split())
                except OSError:
                    continue
            else:
                given = controllers if place.is_dir() else frozenset()
            if given:
                found.append(_Hierarchy(1 if rest[0] == "cgroup" else 2, frozenset(given), place))
    return found


def cap_problem(controller: str) -> str | None:
    """Why no group with ``controller`` ("pids" or "memory") can be made here, or None when one can.

    Only looks: it creates nothing, so it is cheap enough to call at import time.
    """
    places = [h.parent for h in _hierarchies() if controller in h.controllers]
    if not places:
        return f"no cgroup hierarchy here offers the {controller} controller"
    if any(os.access(p, os.W_OK) for p in places):
        return None
    return (f"no {controller} cgroup can be created: {places[0]} is not writable (grading does not "
            "run as root, or the cgroup file system is read-only)")


class ControlGroup:
    """One program's cgroup: a folder per hierarchy, which together cap processes and memory."""

    def __init__(self, paths: list[Path], controllers: frozenset[str] = frozenset()):
        self.paths, self.controllers = paths, controllers

    @property
    def path(self) -> Path:
        """The group's first folder (its only one under cgroup v2)."""
        return self.paths[0]

    @classmethod
    def create(cls, processes: int | None = None, memory_bytes: int | None = None) -> ControlGroup | None:
        """A new group capped at ``processes`` tasks and ``memory_bytes`` of memory (swap included).

        A cap that is None is not asked for. Returns a group with the caps that could be had
        (``controllers`` says which), or None where not one could.
        """
        wanted = {name: value for name, value in (("pids", processes), ("memory", memory_bytes))
                  if value is not None}
        paths, got = [], set()
        for hierarchy in _hierarchies():
            mine = {n: v for n, v in wanted.items() if n in hierarchy.controllers and n not in got}
            if mine and (path := _make(hierarchy, mine)) is not None:
                paths.append(path)
                got |= set(mine)
        return cls(paths, frozenset(got)) if paths else None

    def prefix(self) -> list[str]:
        """Command words that move the program into this group before it starts."""
        moves = " && ".join(f"echo $$ > {shlex.quote(str(p / 'cgroup.procs'))}" for p in self.paths)
        return ["sh", "-c", f'{moves} && exec "$@"', "sh"]

    def tasks(self) -> list[int]:
        """Processes in the group now."""
        found = set()
        for path in self.paths:
            try:
                found.update(int(pid) for pid in (path / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(found)

    def destroy(self, wait_seconds: float = 10) -> None:
        """Kill whatever still runs in the group, then remove it."""
        for path in self.paths:
            try:
                (path / "cgroup.kill").write_text("1")   # v2, Linux 5.14+: every task at once
            except OSError:
                pass
        deadline = time.monotonic() + wait_seconds
        while (pids := self.tasks()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass  # still busy: an empty group is removed by the next cleanup of this folder


def _make(hierarchy: _Hierarchy, limits: dict[str, int]) -> Path | None:
    path = hierarchy.parent / f"course-grade-{os.getpid()}-{os.urandom(4).hex()}"
    try:
        path.mkdir()
    except OSError:
        return None
    for controller, value in limits.items():
        for name, required in _SETTINGS[hierarchy.version, controller]:
            text = "0" if name == "memory.swap.max" else str(value)
            try:
                (path / name).write_text(text)
            except OSError:
                if required:
                    path.rmdir()
                    return None
    return path
