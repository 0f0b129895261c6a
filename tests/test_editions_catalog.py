"""Tests of course.editions.catalog: a notebook's messages, merging a catalogue, and what is stale."""

from babel.messages.pofile import read_po, write_po
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course.editions.catalog import status, translations, units, update


def _notebook(intro="An intro.", hint="Add one."):
    nb = new_notebook(cells=[new_markdown_cell(intro),
                             new_code_cell(f'expect_true(ok, call="c", hint="{hint}")'),
                             new_markdown_cell("A summary.")])
    for number, cell in enumerate(nb.cells):
        cell.id = f"cell-{number}"
    return nb


def _translate_all(path, prefix="번역: "):
    with open(path, "rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if message.id:
            message.string = prefix + message.id
    with open(path, "wb") as handle:
        write_po(handle, catalogue, width=0, include_previous=True)


def test_units_are_markdown_cells_by_id_and_code_prose_once():
    nb = _notebook()
    nb.cells.append(new_code_cell('expect_true(ok, call="c", hint="Add one.")'))
    assert [(u.context, u.text) for u in units(nb)] == [
        ("markdown cell-0", "An intro."), ("code", "Add one."), ("markdown cell-2", "A summary.")]


def test_a_new_catalogue_is_all_untranslated(tmp_path):
    path = tmp_path / "ko" / "a.po"
    assert update(_notebook(), path, "ko", "a") == {"new": 3, "stale": 0, "kept": 0, "obsolete": 0}
    found = status(_notebook(), path)
    assert len(found.missing) == 3 and found.stale == [] and not found.complete


def test_changed_english_is_stale_with_its_old_translation_kept_and_nothing_is_lost(tmp_path):
    path = tmp_path / "a.po"
    update(_notebook(), path, "ko", "a")
    _translate_all(path)
    assert status(_notebook(), path).complete
    changed = _notebook(intro="A better intro.", hint="Add two.")
    # Before `update`, the changed cell has no entry for its new text: stale, not silently English.
    assert [label.split(":")[0] for label in status(changed, path).stale] == ["cell cell-0"]
    counts = update(changed, path, "ko", "a")
    assert counts == {"new": 1, "stale": 1, "kept": 1, "obsolete": 1}
    text = path.read_text()
    assert "#, fuzzy" in text and '#| msgid "An intro."' in text     # the translator sees what changed
    assert '#~ msgid "Add one."' in text and '#~ msgstr "번역: Add one."' in text   # kept as obsolete
    found = status(changed, path)
    assert len(found.stale) == 1 and len(found.missing) == 1
    markdown, code = translations(path)
    assert "cell-0" not in markdown and markdown["cell-2"] == ("A summary.", "번역: A summary.")
    assert code == {}


def test_update_twice_changes_nothing(tmp_path):
    path = tmp_path / "a.po"
    update(_notebook(), path, "ko", "a")
    _translate_all(path)
    before = path.read_bytes()
    update(_notebook(), path, "ko", "a")
    assert path.read_bytes() == before
