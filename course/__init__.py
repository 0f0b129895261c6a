"""Helpers for the deep-learning basics course: checks, data, plots and grading glue.

Importing the package does nothing but make its modules available; import the
module you need, e.g. ``from course.checks import expect_equal``.
"""

__version__ = "0.1.0"
