"""nbgrader's own pipelines, with the course's steps swapped in where nbgrader's stand.

``nbgrader_config.py`` sets ``Autograde.sanitize_preprocessors``, ``Autograde.autograde_preprocessors``
and ``GenerateFeedback.preprocessors`` from these functions. Each starts from the list nbgrader itself
defines, so a newer nbgrader's extra steps are kept; a step the course replaces that is missing
raises ValueError naming it. Nothing here runs on import.
"""

from __future__ import annotations

from nbgrader.preprocessors import Execute

from course.grader.preprocessors import ResilientExecute

__all__ = ["autograde_pipeline", "feedback_pipeline", "nbgrader_default", "sanitize_pipeline", "swap_execute"]


def nbgrader_default(converter: str, trait: str) -> list:
    """nbgrader's own default list of ``converter``'s ``trait`` (e.g. Autograde, autograde_preprocessors)."""
    from nbgrader import converters

    return getattr(converters, converter).class_traits()[trait].default()


def autograde_pipeline(default: list | None = None) -> list:
    """nbgrader's autograde preprocessors (``default``, else nbgrader's own list) with the course's.

    ``Execute`` becomes :class:`ResilientExecute`, followed by
    :class:`~course.grader.outputs.StrictGradeCells`; ``LimitOutput`` becomes
    :class:`~course.grader.outputs.LimitOutputSize`, followed by
    :class:`~course.grader.outputs.ScrubHiddenTests`. Every other step stays where nbgrader put it,
    so a newer nbgrader's steps are kept.
    """
    from nbgrader.preprocessors import LimitOutput

    from course.grader.outputs import LimitOutputSize, ScrubHiddenTests, StrictGradeCells

    default = nbgrader_default("Autograde", "autograde_preprocessors") if default is None else default
    swaps = {Execute: (ResilientExecute, StrictGradeCells), LimitOutput: (LimitOutputSize, ScrubHiddenTests)}
    missing = [p.__name__ for p in swaps if p not in default]
    if missing:
        raise ValueError(f"nbgrader's autograde pipeline has no {', '.join(missing)}: "
                         "check the nbgrader version")
    return [step for p in default for step in swaps.get(p, (p,))]


def sanitize_pipeline(default: list | None = None) -> list:
    """nbgrader's sanitize preprocessors, with ``DeduplicateCells`` in place of ``DeduplicateIds``."""
    from nbgrader.preprocessors import DeduplicateIds

    from course.grader.outputs import DeduplicateCells

    default = nbgrader_default("Autograde", "sanitize_preprocessors") if default is None else default
    if DeduplicateIds not in default:
        raise ValueError("nbgrader's sanitize pipeline has no DeduplicateIds: check the nbgrader version")
    return [DeduplicateCells if p is DeduplicateIds else p for p in default]


def feedback_pipeline(default: list | None = None) -> list:
    """nbgrader's feedback preprocessors, with hidden tests hidden and HTML sanitised after ``GetGrades``.

    nbconvert's ``SanitizeHTML`` escapes unsafe HTML in markdown and outputs and drops
    JavaScript, so nothing a submission wrote runs when the feedback page is opened.
    """
    from nbconvert.preprocessors.sanitize import SanitizeHTML
    from nbgrader.preprocessors import GetGrades

    from course.grader.outputs import HideHiddenTests

    default = nbgrader_default("GenerateFeedback", "preprocessors") if default is None else default
    if GetGrades not in default:
        raise ValueError("nbgrader's feedback pipeline has no GetGrades: check the nbgrader version")
    after = {GetGrades: (GetGrades, HideHiddenTests, SanitizeHTML)}
    return [step for p in default for step in after.get(p, (p,))]


def swap_execute(pipeline: list, replacement: type[Execute]) -> list:
    """``pipeline`` with its execute step (``Execute`` or a subclass of it) replaced by ``replacement``.

    Raises ValueError when the pipeline has no execute step, or more than one.
    """
    steps = [isinstance(p, type) and issubclass(p, Execute) for p in pipeline]
    if steps.count(True) != 1:
        raise ValueError(f"the autograde pipeline must have exactly one Execute step to replace with "
                         f"{replacement.__name__}; it has {steps.count(True)}: check nbgrader_config.py")
    return [replacement if is_execute else p for p, is_execute in zip(pipeline, steps, strict=True)]
