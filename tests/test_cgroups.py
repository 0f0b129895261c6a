"""Tests for course.grader.cgroups: finding where a group can be made, and what a group caps."""

import os
import subprocess
from pathlib import Path

import pytest

from course.grader import cgroups
from course.grader.cgroups import ControlGroup, cap_problem

REQUIRED = os.environ.get("COURSE_REQUIRE_SANDBOX") == "1" and os.geteuid() == 0


def _mountinfo(*mounts):
    """/proc/self/mountinfo lines for (root in the file system, mount point, type, super options)."""
    return "\n".join(f"{30 + i} 23 0:{30 + i} {root} {point} rw,relatime - {kind} cgroup {options}"
                     for i, (root, point, kind, options) in enumerate(mounts))


def test_v1_groups_go_under_this_process_own_cgroup(tmp_path):
    """Check that v1 hierarchies are found per controller, under this process's own cgroup first"""
    (tmp_path / "memory" / "box" / "me").mkdir(parents=True)
    (tmp_path / "pids").mkdir()
    (tmp_path / "cpu").mkdir()
    mountinfo = _mountinfo(("/", tmp_path / "memory", "cgroup", "rw,memory"),
                           ("/", tmp_path / "pids", "cgroup", "rw,pids"),
                           ("/", tmp_path / "cpu", "cgroup", "rw,cpu,cpuacct"),
                           ("/", "/proc", "proc", "rw"))
    membership = "9:name=systemd:/\n8:pids:/\n4:memory:/box/me\n1:cpu,cpuacct:/\n0::/"
    found = cgroups._hierarchies(mountinfo, membership)
    assert [(h.version, sorted(h.controllers), h.parent) for h in found] == [
        (1, ["memory"], tmp_path / "memory" / "box" / "me"),
        (1, ["memory"], tmp_path / "memory"),
        (1, ["pids"], tmp_path / "pids")]


def test_a_container_mount_of_its_own_cgroup_is_read_relative_to_its_root(tmp_path):
    """Check that a hierarchy mounted from inside (a container without cgroup namespace) maps the path"""
    (tmp_path / "memory" / "job").mkdir(parents=True)
    mountinfo = _mountinfo(("/docker/abc", tmp_path / "memory", "cgroup", "rw,memory"))
    found = cgroups._hierarchies(mountinfo, "4:memory:/docker/abc/job")
    assert [h.parent for h in found] == [tmp_path / "memory" / "job", tmp_path / "memory"]


def test_v2_offers_only_the_controllers_enabled_for_children(tmp_path):
    """Check that a v2 group goes where the parent enables memory and pids for its children"""
    (tmp_path / "user.slice").mkdir()
    (tmp_path / "cgroup.subtree_control").write_text("cpu memory pids\n")
    (tmp_path / "user.slice" / "cgroup.subtree_control").write_text("")
    mountinfo = _mountinfo(("/", tmp_path, "cgroup2", "rw,nsdelegate"))
    found = cgroups._hierarchies(mountinfo, "0::/user.slice")
    assert [(h.version, sorted(h.controllers), h.parent) for h in found] == [
        (2, ["memory", "pids"], tmp_path)]


def test_without_hierarchies_nothing_is_made_and_the_problem_is_named(monkeypatch):
    """Check that create returns None and cap_problem says why where no hierarchy offers a controller"""
    monkeypatch.setattr(cgroups, "_hierarchies", lambda *a: [])
    assert ControlGroup.create(10, 2**30) is None
    assert "memory controller" in cap_problem("memory")


def _cgroup_folders():
    """The groups this process made and that still exist (other processes, a parallel test worker
    or a grader, may make and remove theirs meanwhile)."""
    return {p for h in cgroups._hierarchies() for p in h.parent.glob(f"course-grade-{os.getpid()}-*")}


def test_asking_for_a_problem_creates_nothing():
    """Check that cap_problem and the sandbox's *_cap_problem only look: no cgroup appears or stays"""
    from course.grader.sandbox import memory_cap_problem, process_cap_problem

    before = _cgroup_folders()
    for _ in range(3):
        cap_problem("pids"), cap_problem("memory"), process_cap_problem(), memory_cap_problem()
    assert _cgroup_folders() == before


def test_a_group_caps_both_and_moves_a_program_into_every_folder():
    """Check that a new group holds its limits, takes the program in each hierarchy, and is removed after"""
    group = ControlGroup.create(processes=32, memory_bytes=300 * 2**20)
    if group is None or group.controllers != {"pids", "memory"}:
        if group is not None:
            group.destroy()
        problem = cap_problem("memory") or cap_problem("pids") or "a controller could not be set up"
        if REQUIRED:
            pytest.fail(f"COURSE_REQUIRE_SANDBOX=1 and root, yet no cgroup with pids and memory: {problem}")
        pytest.skip(f"no cgroup with pids and memory here: {problem}")
    try:
        settings = {f.name: f.read_text().strip() for p in group.paths for f in p.iterdir()
                    if f.name in ("pids.max", "memory.max", "memory.limit_in_bytes", "memory.swap.max",
                                  "memory.memsw.limit_in_bytes")}
        assert settings["pids.max"] == "32"
        assert settings.get("memory.max", settings.get("memory.limit_in_bytes")) == str(300 * 2**20)
        assert settings.get("memory.swap.max", "0") == "0"
        assert settings.get("memory.memsw.limit_in_bytes", str(300 * 2**20)) == str(300 * 2**20)
        sleeper = subprocess.Popen(group.prefix() + ["sleep", "60"])
        for _ in range(100):
            if sleeper.pid in group.tasks():
                break
            subprocess.run(["sleep", "0.05"])
        membership = Path(f"/proc/{sleeper.pid}/cgroup").read_text()
        assert all(f"/{p.name}\n" in membership for p in group.paths), membership
    finally:
        group.destroy()
    assert sleeper.wait(timeout=10) == -9
    assert all(not p.exists() for p in group.paths)


def test_a_read_only_or_foreign_hierarchy_is_a_named_problem(tmp_path, monkeypatch):
    """Check that cap_problem names the folder when no place for a new group is writable"""
    (tmp_path / "memory").mkdir()
    mountinfo = _mountinfo(("/", tmp_path / "memory", "cgroup", "rw,memory"))
    real = cgroups._hierarchies
    monkeypatch.setattr(cgroups, "_hierarchies", lambda *a: real(mountinfo, "4:memory:/"))
    monkeypatch.setattr(cgroups.os, "access", lambda path, mode: False)
    assert str(tmp_path / "memory") in cap_problem("memory") and "not writable" in cap_problem("memory")
    assert "pids controller" in cap_problem("pids")
