"""Tests for course.grader.config: the job and replay configurations, built without starting nbgrader."""

from pathlib import Path

import pytest
from nbgrader.preprocessors import ClearOutput, Execute, SaveCells
from traitlets.config import Config

from course.grader.config import job_config, load_course_config, replay_config
from course.grader.preprocessors import ReplayExecute, ResilientExecute, SandboxedExecute

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_config():
    """The course's own nbgrader_config.py, as nbgrader would load it."""
    return load_course_config(REPO)


def test_the_course_config_is_what_nbgrader_config_py_sets(course_config):
    """Check that loading the course config runs nbgrader_config.py: its pipeline and limits are there"""
    assert ResilientExecute in course_config.Autograde.autograde_preprocessors
    assert course_config.Execute.timeout == 60 and course_config.OverwriteCells.add_missing_cells


def test_a_sandboxed_job_swaps_the_kernel_and_keeps_everything_else(course_config, tmp_path):
    """Check that a job's config moves the root, sandboxes the execute step in place and keeps the rest"""
    before = repr(course_config)
    config = job_config(course_config, tmp_path / "job", [REPO], sandbox=True)
    ours, theirs = config.Autograde.autograde_preprocessors, course_config.Autograde.autograde_preprocessors
    assert ours == [SandboxedExecute if p is ResilientExecute else p for p in theirs]
    assert config.CourseDirectory.root == str(tmp_path / "job")
    assert config.SandboxedKernelManager.hidden == [str(REPO)]
    assert config.SandboxedExecute.shutdown_kernel == "immediate"
    assert config.Execute.timeout == 60 and config.LimitOutputSize.max_chars == 100_000
    assert config.Autograde.sanitize_preprocessors == course_config.Autograde.sanitize_preprocessors
    assert repr(course_config) == before, "building a job config changed the course's"


def test_an_unsandboxed_job_keeps_the_courses_execute_step(course_config, tmp_path):
    """Check that --no-sandbox leaves the course's ResilientExecute and sets no sandbox settings"""
    config = job_config(course_config, tmp_path / "job", [REPO], sandbox=False)
    assert config.Autograde.autograde_preprocessors == course_config.Autograde.autograde_preprocessors
    assert "SandboxedKernelManager" not in config and config.CourseDirectory.root == str(tmp_path / "job")


def test_a_timeout_given_on_the_command_line_replaces_the_courses(course_config, tmp_path):
    """Check that --timeout overrides Execute.timeout in the job, and only there"""
    assert job_config(course_config, tmp_path, [], timeout=7).Execute.timeout == 7
    assert job_config(course_config, tmp_path, [], timeout=None).Execute.timeout == 60
    assert course_config.Execute.timeout == 60


def test_the_replay_takes_outputs_from_the_executed_folder(course_config, tmp_path):
    """Check that the replay config swaps in ReplayExecute where Execute stood and points it at the runs"""
    config = replay_config(course_config, tmp_path / "executed")
    theirs = course_config.Autograde.autograde_preprocessors
    assert config.Autograde.autograde_preprocessors == [ReplayExecute if p is ResilientExecute else p
                                                        for p in theirs]
    assert config.ReplayExecute.executed == str(tmp_path / "executed")
    assert config.GenerateFeedback.preprocessors == course_config.GenerateFeedback.preprocessors


def test_a_course_without_its_own_pipeline_gets_nbgraders_with_the_step_swapped(tmp_path):
    """Check that a plain nbgrader config (no pipeline set) still gets a sandboxed or replayed Execute"""
    plain = Config()
    sandboxed = job_config(plain, tmp_path, []).Autograde.autograde_preprocessors
    replayed = replay_config(plain, tmp_path).Autograde.autograde_preprocessors
    assert SandboxedExecute in sandboxed and Execute not in sandboxed
    assert ReplayExecute in replayed and Execute not in replayed


def test_a_pipeline_without_an_execute_step_is_refused(tmp_path):
    """Check that a course pipeline with no Execute step fails with a message, instead of grading unrun"""
    broken = Config()
    broken.Autograde.autograde_preprocessors = [SaveCells, ClearOutput]
    with pytest.raises(ValueError, match="exactly one Execute step"):
        job_config(broken, tmp_path, [])
    with pytest.raises(ValueError, match="exactly one Execute step"):
        replay_config(broken, tmp_path)
