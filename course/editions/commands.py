"""`course edition ACTION LANGUAGE [ASSIGNMENT ...]`: keep an edition's catalogues and notebooks up to date.

* ``update``: bring ``locale/<language>/<assignment>.po`` in line with ``source/`` (new English
  starts untranslated, changed English is marked fuzzy with its old translation, nothing is lost);
* ``build``: write ``<language>/source/`` and ``<language>/nbgrader_config.py`` (then
  ``make release`` generates ``<language>/release/`` with nbgrader);
* ``check``: list what is untranslated or stale; exit 1 if anything is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from course.editions.build import assignments, build
from course.editions.catalog import catalogue_path, status, update

__all__ = ["run"]

ACTIONS = ("update", "build", "check")


def _notebook(root: Path, assignment: str):
    return nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)


def run(action: str, language: str, chosen: list[str], root: Path | None = None) -> int:
    """Do ``action`` for ``language`` in the course at ``root`` (the working folder); return the exit code."""
    from course.i18n import LANGUAGES

    root = Path.cwd() if root is None else Path(root)
    if not (root / "nbgrader_config.py").exists() or not (root / "source").is_dir():
        print(f"course edition: {root} is not the course root (no nbgrader_config.py and source/ here); "
              "run it from the folder that has them", file=sys.stderr)
        return 2
    if language == "en" or language not in LANGUAGES:
        others = [code for code in LANGUAGES if code != "en"]
        print(f"course edition: no edition {language!r}; the editions are {', '.join(others)} "
              "(English is the source itself)", file=sys.stderr)
        return 2
    known = assignments(root)
    unknown = [a for a in chosen if a not in known]
    if unknown:
        print(f"course edition: no assignment {', '.join(unknown)} in source/; "
              f"the assignments are {', '.join(known)}", file=sys.stderr)
        return 2
    selected = chosen or known
    if action == "update":
        for assignment in selected:
            counts = update(_notebook(root, assignment), catalogue_path(root, language, assignment), language,
                            project=assignment)
            print(f"{assignment}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        return 0
    if action == "build":
        for path in build(root, language):
            print(f"wrote {path.relative_to(root)}")
        return 0
    incomplete = 0
    for assignment in selected:
        found = status(_notebook(root, assignment), catalogue_path(root, language, assignment))
        print(f"{assignment}: {len(found.missing)} untranslated, {len(found.stale)} stale")
        for label in found.missing[:20]:
            print(f"  untranslated  {label}")
        for label in found.stale[:20]:
            print(f"  stale         {label}")
        incomplete += not found.complete
    return 1 if incomplete else 0
