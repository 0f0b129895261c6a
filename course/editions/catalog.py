"""One gettext catalogue per notebook and language: ``locale/<language>/<assignment>.po``.

Every unit of prose in a source notebook is one message. A markdown cell is a message whose
context is ``markdown <cell id>`` and whose ``msgid`` is the cell's English text, so the entry
records exactly which version of the cell it translates. The prose inside code cells (see
:mod:`course.editions.codestrings`) is one message per distinct English text, context ``code``.

:func:`update` brings a catalogue in line with its notebook the way ``msgmerge`` does: an
unchanged message keeps its translation; a markdown cell whose English changed keeps its old
translation, marked fuzzy with the previous English beside it, for a translator to revise; a
new text starts untranslated; a message no longer used is kept as obsolete, so no translation
is ever thrown away. :func:`status` says what is missing or stale. Translators can use any PO
editor (Poedit, Lokalize, Weblate); the files are read and written with Babel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from course.editions.codestrings import find

__all__ = ["Status", "Unit", "catalogue_path", "read", "status", "translations", "units", "update"]

CODE = "code"
_HEADER = """\
# The {language} edition of {project}: one message per markdown cell (context "markdown <cell id>",
# the English cell as msgid) and one per prose string in code cells (context "code": test
# docstrings, hints). `course edition update {language}` merges it with source/; translate it with
# any PO editor; `course edition build {language}` writes the edition's notebook.
#"""


def catalogue_path(root: Path, language: str, assignment: str) -> Path:
    """Where the catalogue of ``assignment`` in ``language`` lives in the course at ``root``."""
    return Path(root) / "locale" / language / f"{assignment}.po"


@dataclass(frozen=True)
class Unit:
    """One message a notebook needs translated."""

    context: str        # "markdown <cell id>" or "code"
    text: str           # the English
    where: str          # a note for translators: which cell


def _is_grade_cell(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def _cell_name(cell) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {cell.get('id')}" + (f" ({grade_id})" if grade_id else "")


def units(nb) -> list[Unit]:
    """Every message of ``nb``, in the order a reader meets them; code texts once each."""
    found, seen = [], set()
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            if not cell.get("id"):
                raise ValueError("a markdown cell has no id: save the notebook with nbformat 4.5 or later")
            found.append(Unit(f"markdown {cell.id}", cell.source, _cell_name(cell)))
        elif cell.cell_type == "code":
            for literal in find(cell.source, _is_grade_cell(cell)):
                if literal.text not in seen:
                    seen.add(literal.text)
                    note = ", f-string: keep every {...} field" if literal.fstring else ""
                    where = _cell_name(cell) + note
                    found.append(Unit(CODE, literal.text, where))
    return found


def read(path: Path):
    """The Babel catalogue at ``path`` (an empty one if there is none yet)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not Path(path).exists():
        return Catalog()
    with open(path, "rb") as handle:
        return read_po(handle, abort_invalid=True)


def _by_context(catalogue) -> dict[str, list]:
    table: dict[str, list] = {}
    for message in catalogue:
        if message.id:
            table.setdefault(message.context, []).append(message)
    return table


def update(nb, path: Path, language: str, project: str) -> dict[str, int]:
    """Rewrite the catalogue at ``path`` for ``nb``; return how many messages are new, stale, obsolete."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    old = read(path)
    contexts = _by_context(old)
    new = Catalog(locale=language, project=project, fuzzy=False, header_comment=_HEADER.format(
        project=project, language=language), creation_date=old.creation_date, revision_date=old.revision_date)
    counts = {"new": 0, "stale": 0, "kept": 0, "obsolete": 0}
    used = set()
    for unit in units(nb):
        same = old.get(unit.text, context=unit.context)
        if same is not None and same.string:
            new.add(unit.text, same.string, auto_comments=[unit.where], context=unit.context,
                    flags=same.flags)
            counts["stale" if same.fuzzy else "kept"] += 1
            used.add((unit.context, unit.text))
            continue
        earlier = [m for m in contexts.get(unit.context, []) if m.string] if unit.context != CODE else []
        if earlier:
            new.add(unit.text, earlier[0].string, auto_comments=[unit.where], context=unit.context,
                    flags={"fuzzy"}, previous_id=earlier[0].id)
            used.add((unit.context, earlier[0].id))
            counts["stale"] += 1
        else:
            new.add(unit.text, "", auto_comments=[unit.where], context=unit.context)
            counts["new"] += 1
    for message in old:
        if message.id and (message.context, message.id) not in used and message.string and (
                new.get(message.id, context=message.context) is None):
            new.obsolete[(message.id, message.context)] = message
            counts["obsolete"] += 1
    for key, message in old.obsolete.items():
        if new.get(message.id, context=message.context) is None and key not in new.obsolete:
            new.obsolete[key] = message
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        write_po(handle, new, width=0, omit_header=False, include_previous=True, sort_output=False)
    return counts


@dataclass
class Status:
    """What a catalogue lacks for its notebook."""

    missing: list[str] = field(default_factory=list)   # no translation at all
    stale: list[str] = field(default_factory=list)     # translates an older English text

    @property
    def complete(self) -> bool:
        return not self.missing and not self.stale


def status(nb, path: Path) -> Status:
    """Which of ``nb``'s messages the catalogue at ``path`` lacks, or translates from older English."""
    catalogue, result = read(path), Status()
    contexts = _by_context(catalogue)
    for unit in units(nb):
        message = catalogue.get(unit.text, context=unit.context)
        label = f"{unit.where}: {unit.text[:60]!r}"
        if message is None:
            stale = unit.context != CODE and any(m.string for m in contexts.get(unit.context, []))
            (result.stale if stale else result.missing).append(label)
        elif message.fuzzy:
            result.stale.append(label)
        elif not message.string:
            result.missing.append(label)
    return result


def translations(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """``({cell id: markdown}, {English code text: translation})``, fuzzy and empty entries left out."""
    markdown, code = {}, {}
    for message in read(path):
        if not message.id or not message.string or message.fuzzy:
            continue
        if message.context == CODE:
            code[message.id] = message.string
        elif message.context and message.context.startswith("markdown "):
            markdown[message.context.split(" ", 1)[1]] = (message.id, message.string)
    return markdown, code
