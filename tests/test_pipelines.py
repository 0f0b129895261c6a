"""Tests for course.grader.pipelines: nbgrader's own pipelines with the course's steps in place."""

import pytest
from nbgrader.preprocessors import ClearOutput, Execute, LimitOutput, SaveCells

from course.grader import outputs, pipelines
from course.grader.preprocessors import ReplayExecute, ResilientExecute, SandboxedExecute


def test_the_pipelines_swap_the_course_steps_into_nbgraders_own():
    """Check that nbgrader's pipelines keep every step, with the course's swapped in at their places"""
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.preprocessors import DeduplicateIds, Execute, GetGrades, LimitOutput


    def default(converter, trait):
        return converter.class_traits()[trait].default()

    autograde = default(Autograde, "autograde_preprocessors")
    ours = pipelines.autograde_pipeline()
    assert [p for p in ours if p not in (outputs.StrictGradeCells, outputs.ScrubHiddenTests)] == [
        {Execute: ResilientExecute, LimitOutput: outputs.LimitOutputSize}.get(p, p) for p in autograde]
    assert ours[ours.index(ResilientExecute) + 1] is outputs.StrictGradeCells
    assert ours[ours.index(outputs.LimitOutputSize) + 1] is outputs.ScrubHiddenTests
    sanitize = pipelines.sanitize_pipeline()
    assert sanitize == [outputs.DeduplicateCells if p is DeduplicateIds else p
                        for p in default(Autograde, "sanitize_preprocessors")]
    feedback = pipelines.feedback_pipeline()
    assert feedback[:3] == [GetGrades, outputs.HideHiddenTests, pipelines.feedback_pipeline()[2]]
    assert feedback[2].__name__ == "SanitizeHTML" and len(feedback) == len(
        default(GenerateFeedback, "preprocessors")) + 2
    with pytest.raises(ValueError, match="Execute"):
        pipelines.autograde_pipeline([LimitOutput])


def test_swap_execute_replaces_the_execute_step_in_place():
    """Check that swap_execute replaces Execute or a subclass where it stands, and refuses zero or two"""
    course_pipeline = pipelines.autograde_pipeline()
    swapped = pipelines.swap_execute(course_pipeline, SandboxedExecute)
    assert swapped == [SandboxedExecute if p is ResilientExecute else p for p in course_pipeline]
    assert pipelines.swap_execute([SaveCells, Execute, ClearOutput], ReplayExecute) == [
        SaveCells, ReplayExecute, ClearOutput]
    with pytest.raises(ValueError, match="exactly one Execute step"):
        pipelines.swap_execute([SaveCells, LimitOutput], ReplayExecute)
    with pytest.raises(ValueError, match="it has 2"):
        pipelines.swap_execute([Execute, ResilientExecute], ReplayExecute)
