"""nbgrader configuration for the course. Run nbgrader commands from this folder."""

from pathlib import Path

from course.grader.outputs import FeedbackExporter
from course.grader.pipelines import autograde_pipeline, feedback_pipeline, sanitize_pipeline
from course.grader.preprocessors import kernel_arguments

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

# nbgrader's own pipelines, with the course's steps swapped in (see course.grader.pipelines): a kernel
# that dies or hangs fails cells instead of the submission, grade cells need the kernel's
# confirmation, a pasted test cell keeps its points, and no output or feedback shows hidden tests.
c.Autograde.sanitize_preprocessors = sanitize_pipeline()
c.Autograde.autograde_preprocessors = autograde_pipeline()
c.GenerateFeedback.preprocessors = feedback_pipeline()
c.GenerateFeedback.exporter_class = FeedbackExporter      # HTML a submission wrote never runs in feedback
# ResilientExecute subclasses Execute, so it takes the Execute settings above
# (and `--Execute.timeout=N` on the command line).

# Keep huge outputs from bloating autograded notebooks and feedback: lines, and characters of
# every kind of output (course.grader.outputs.LimitOutputSize has caps on pictures and outputs too).
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 100
c.LimitOutputSize.max_chars = 100_000
