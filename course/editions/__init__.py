"""Editions of the course in other languages, built from the English source and gettext catalogues.

:mod:`~course.editions.codestrings` finds the prose inside code cells, :mod:`~course.editions.catalog`
keeps one PO catalogue per notebook and language, :mod:`~course.editions.build` writes an edition's
course folder, and :mod:`~course.editions.commands` is `course edition`. The ``course`` package's
own messages are translated at run time by :mod:`course.i18n`.
"""
