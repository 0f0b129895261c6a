"""The instructor's side: grading a class with nbgrader, safely.

Nothing here is imported by the student side (``course.checks``, ``course.data``,
``course.plots``, ``course.widgets``), and nothing runs on import. See README's
"Architecture" section for how the pieces fit together.
"""
