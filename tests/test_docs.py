"""README quotes numbers that live in code: check that it quotes them right."""

from pathlib import Path

from course.grader.sandbox import Limits

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
MB = 2**20


def test_readme_quotes_the_sandbox_limits_from_limits():
    """Check that every cap README lists for a grading kernel is the one course.grader.sandbox.Limits sets"""
    limits = Limits()
    quoted = [
        f"{limits.memory_bytes // 2**30} GB of address space",
        f"a memory cgroup of {limits.memory_bytes // 2**30} GB",
        f"a {limits.scratch_bytes // MB} MB `/tmp`",
        f"a {limits.shm_bytes // MB} MB `/dev/shm`",
        f"CPU time ({limits.cpu_seconds} s)",
        f"processes and threads ({limits.processes},",
        f"file size ({limits.file_bytes // MB} MB)",
    ]
    flat = " ".join(README.split())
    missing = [q for q in quoted if q not in flat]
    assert not missing, f"README does not quote these as Limits sets them: {missing}"
