"""The nbgrader configurations of ``course grade``, built in code from the course's own.

``course grade`` runs nbgrader twice with settings of its own on top of the course's
``nbgrader_config.py``: once per student in a job folder, with the kernel sandboxed
(:func:`job_config`), then once in the course folder, recording the outputs of those runs
instead of executing again (:func:`replay_config`). Both start from a copy of the course's
configuration, so every setting there (time limit, output caps, pipelines) applies; only the
execute step and what it needs change. Nothing here runs on import.
"""

from __future__ import annotations

import copy
from pathlib import Path

from traitlets.config import Config

__all__ = ["COURSE_CONFIG", "job_config", "load_course_config", "replay_config"]

COURSE_CONFIG = "nbgrader_config.py"


def load_course_config(root: Path) -> Config:
    """The configuration nbgrader reads from ``root/nbgrader_config.py``, as a traitlets ``Config``."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(COURSE_CONFIG, path=str(root)).load_config()


def _autograde_pipeline(course: Config) -> list:
    if "autograde_preprocessors" in course.Autograde:
        return list(course.Autograde.autograde_preprocessors)
    from course.grader.pipelines import nbgrader_default

    return nbgrader_default("Autograde", "autograde_preprocessors")


def job_config(course: Config, job: Path, hidden: list[Path], sandbox: bool = True,
               timeout: int | None = None) -> Config:
    """``course``'s configuration for autograding one student's copy in the job folder ``job``.

    With ``sandbox``, the execute step becomes :class:`~course.grader.preprocessors.SandboxedExecute`,
    whose kernel cannot see the ``hidden`` folders (the course root); ``timeout``, when given,
    replaces the per-cell time limit. ``course`` itself is left unchanged.
    """
    from course.grader.pipelines import swap_execute
    from course.grader.preprocessors import SandboxedExecute

    config = copy.deepcopy(course)
    config.CourseDirectory.root = str(job)
    if timeout is not None:
        config.Execute.timeout = timeout
    if sandbox:
        config.Autograde.autograde_preprocessors = swap_execute(_autograde_pipeline(course), SandboxedExecute)
        config.SandboxedKernelManager.hidden = [str(h) for h in hidden]
        # Every output is in by then, and the sandbox is thrown away: waiting for a graceful
        # shutdown (about 2.5 s after a torch notebook) buys nothing.
        config.SandboxedExecute.shutdown_kernel = "immediate"
    return config


def replay_config(course: Config, executed: Path) -> Config:
    """``course``'s configuration for recording, with outputs taken from ``executed/<student>/<nb>.ipynb``.

    The execute step becomes :class:`~course.grader.preprocessors.ReplayExecute`; everything
    else nbgrader does (scores, gradebook, ``autograded/``) stays as the course configured it.
    """
    from course.grader.pipelines import swap_execute
    from course.grader.preprocessors import ReplayExecute

    config = copy.deepcopy(course)
    config.Autograde.autograde_preprocessors = swap_execute(_autograde_pipeline(course), ReplayExecute)
    config.ReplayExecute.executed = str(executed)
    return config
