"""nbgrader configuration for the course. Run nbgrader commands from this folder."""

from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    SaveAutoGrades,
)

from course.grading import LimitOutputSize, ResilientExecute, kernel_arguments

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

c.CourseDirectory.course_id = "dl-basics-pytorch"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# The release replaces each solution with this stub, so every test fails until it is solved.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell time limit in seconds. An endless loop is interrupted after this long,
# that cell fails, and the rest of the notebook is still run and graded.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
# Grading kernels publish stderr as stdout: a warning must not zero a correct answer.
c.Execute.extra_arguments = kernel_arguments()

# A student who deletes a test cell gets it back, instead of losing it silently.
c.OverwriteCells.add_missing_cells = True

# nbgrader's own pipeline with ResilientExecute in place of Execute: a kernel that
# dies fails the remaining cells instead of dropping the whole submission.
c.Autograde.autograde_preprocessors = [
    ResilientExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutputSize,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# ResilientExecute subclasses Execute, so it takes the Execute settings above
# (and `--Execute.timeout=N` on the command line).

# Keep huge outputs from bloating autograded notebooks and feedback: lines and characters.
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 100
c.LimitOutputSize.max_chars = 100_000
