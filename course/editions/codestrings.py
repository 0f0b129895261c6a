"""The prose inside code cells: the test cells' docstrings, and the hints and details their checks print.

Code is written once, in English. What a student reads from a code cell, though, is prose: the
one-line docstring that opens a test cell, and the strings passed as ``hint=`` or ``detail=`` to
the checks (directly, through ``+``, an ``if``-``else`` or an f-string, or through a name bound to
them in the same cell: ``hint = "..."``, ``for case, hint in [(..., "..."), ...]``). These are
found in the parsed cell (:func:`find`), so nothing else in the code can change: a value a test
compares is never a hint. :func:`substitute` replaces each one with its translation and leaves
every other character of the cell as it was; :func:`check_fstring` makes sure a translated
f-string computes exactly the values the English one does.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["Literal", "TranslationError", "check_fstring", "find", "substitute", "template"]

KEYWORDS = ("hint", "detail")
_WIDTH = 88          # translated strings longer than this are split over lines, at spaces


class TranslationError(ValueError):
    """A translation that cannot replace its English text (an f-string with other fields, say)."""


@dataclass(frozen=True)
class Literal:
    """One string literal of a cell: its text (an f-string's template) and where it is."""

    text: str
    start: int          # character offsets into the cell's source
    end: int
    fstring: bool
    column: int         # of the first character, for continuation lines
    docstring: bool = False


def _literals(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
        yield node
    elif isinstance(node, ast.BinOp):
        yield from _literals(node.left)
        yield from _literals(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _literals(element)


def _rows(iterable, bound):
    """The rows of a literal table that a ``for`` loop walks: a list or tuple of tuples, or a dict's items."""
    if isinstance(iterable, ast.Name):
        iterable = bound.get(iterable.id, iterable)
    if isinstance(iterable, (ast.List, ast.Tuple)):
        return [row.elts for row in iterable.elts if isinstance(row, ast.Tuple)]
    if (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute)
            and iterable.func.attr == "items"):
        table = iterable.func.value
        table = bound.get(table.id, table) if isinstance(table, ast.Name) else table
        if isinstance(table, ast.Dict):
            return [[key, value] for key, value in zip(table.keys, table.values, strict=True)]
    return []


def _message_nodes(tree) -> list[ast.AST]:
    bound = {n.targets[0].id: n.value for n in ast.walk(tree)
             if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}
    nodes, names, tables = [], set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in KEYWORDS:
            nodes += _literals(node.value)
            if isinstance(node.value, ast.Name):
                names.add(node.value.id)
            elif isinstance(node.value, ast.Subscript) and isinstance(node.value.value, ast.Name):
                tables.add(node.value.value.id)
    for name in names:
        if name in bound:
            nodes += _literals(bound[name])
        for loop in ast.walk(tree):
            if isinstance(loop, (ast.For, ast.comprehension)) and isinstance(loop.target, ast.Tuple):
                slots = [i for i, e in enumerate(loop.target.elts)
                         if isinstance(e, ast.Name) and e.id == name]
                for row in _rows(loop.iter, bound) if slots else []:
                    if len(row) == len(loop.target.elts):
                        nodes += _literals(row[slots[0]])
    for name in tables:
        if isinstance(bound.get(name), ast.Dict):
            for value in bound[name].values:
                nodes += _literals(value)
    return nodes


def _offsets(source: str):
    """(line, UTF-8 column) -> character offset: ``ast`` counts columns in bytes."""
    starts, total = [], 0
    lines = source.splitlines(keepends=True)
    for line in lines:
        starts.append(total)
        total += len(line)

    def offset(lineno: int, column: int) -> int:
        line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
        return starts[lineno - 1] + len(line.encode()[:column].decode())
    return offset


def _field(node: ast.FormattedValue, source: str) -> str:
    text = "{" + ast.get_source_segment(source, node.value)
    if node.conversion != -1:
        text += "!" + chr(node.conversion)
    if node.format_spec is not None:
        text += ":" + template(node.format_spec, source)
    return text + "}"


def template(node: ast.JoinedStr, source: str) -> str:
    """An f-string as the text a translator sees: literal braces doubled, each field as written."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(value.value.replace("{", "{{").replace("}", "}}"))
        else:
            parts.append(_field(value, source))
    return "".join(parts)


def find(source: str, grade_cell: bool = False) -> list[Literal]:
    """The translatable literals of a code cell, in order: a test cell's docstring, then every hint."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    offset, found, seen = _offsets(source), [], set()
    nodes = _message_nodes(tree)
    first = tree.body[0] if tree.body else None
    docstring = None
    if (grade_cell and isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        docstring = first.value
        nodes.insert(0, docstring)
    for node in nodes:
        if id(node) in seen:
            continue
        seen.add(id(node))
        fstring = isinstance(node, ast.JoinedStr)
        text = template(node, source) if fstring else node.value
        if not text.strip():
            continue
        found.append(Literal(text, offset(node.lineno, node.col_offset),
                             offset(node.end_lineno, node.end_col_offset), fstring, node.col_offset,
                             node is docstring))
    return sorted(found, key=lambda literal: literal.start)


def _segments(text: str) -> list[tuple[bool, str]]:
    """An f-string template split into (is_field, text): literal runs keep their doubled braces."""
    segments, index, literal = [], 0, []
    while index < len(text):
        if text.startswith(("{{", "}}"), index):
            literal.append(text[index:index + 2])
            index += 2
        elif text[index] == "{":
            depth, end = 0, index
            while end < len(text):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
                if depth == 0:
                    break
            if depth:
                raise TranslationError(f"an unclosed {{ in the f-string template {text!r}")
            segments += [(False, "".join(literal)), (True, text[index:end])]
            literal, index = [], end
        elif text[index] == "}":
            raise TranslationError(f"a single }} in the f-string template {text!r}: write }}}} for a brace")
        else:
            literal.append(text[index])
            index += 1
    return [*segments, (False, "".join(literal))]


def _fstring_source(text: str) -> str:
    """An f-string literal whose template is ``text``, each field kept exactly as written."""
    segments = _segments(text)
    fields = "".join(part for is_field, part in segments if is_field)
    if "\\" in fields:
        raise TranslationError(f"a field of {text!r} has a backslash, which an f-string field cannot hold")
    quote = next((q for q in ('"', "'") if q not in fields), None)
    if quote is None:
        raise TranslationError(f"the fields of {text!r} use both kinds of quote")
    # Literal runs: backslashes, control characters and the chosen quote escaped; braces stay doubled.
    escape = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", quote: "\\" + quote}
    body = [part if is_field else "".join(escape.get(c, c) for c in part) for is_field, part in segments]
    return "f" + quote + "".join(body) + quote


def _fields(text: str) -> list[str]:
    """The fields of an f-string template, as ``ast`` dumps them (so spacing does not matter)."""
    try:
        node = ast.parse(_fstring_source(text), mode="eval").body
    except SyntaxError as error:
        raise TranslationError(f"{text!r} is not a valid f-string template: {error.msg}") from None
    return sorted(ast.dump(v) for v in ast.walk(node) if isinstance(v, ast.FormattedValue))


def check_fstring(english: str, translated: str) -> None:
    """Raise :class:`TranslationError` unless ``translated`` has exactly the fields of ``english``."""
    if _fields(english) != _fields(translated):
        raise TranslationError(f"the translation of the f-string {english!r} must keep exactly its fields "
                               "({...} parts), each as written, and may only move them")


def _quote(text: str) -> str:
    """A Python string literal for ``text``."""
    return repr(text)


def _chunks(text: str, width: int, fstring: bool) -> list[str]:
    """``text`` cut after spaces into pieces of about ``width`` chars, never inside an f-string field."""
    cuts, depth, index = [], 0, 0
    while index < len(text):
        if fstring and text.startswith(("{{", "}}"), index):
            index += 2
            continue
        char = text[index]
        if fstring and char in "{}":
            depth += 1 if char == "{" else -1
        elif char == " " and depth == 0:
            cuts.append(index + 1)
        index += 1
    pieces, start, last = [], 0, 0
    for cut in cuts:
        if cut - start > width and last > start:
            pieces.append(text[start:last])
            start = last
        last = cut
    if len(text) - start > width and last > start:
        pieces.append(text[start:last])
        start = last
    return [*pieces, text[start:]]


def _literal_source(literal: Literal, text: str) -> str:
    if literal.docstring:
        if '"""' in text or "\\" in text or "\n" in text:
            raise TranslationError(f"a test cell's docstring is one line, without quotes or backslashes: "
                                   f"{text!r}")
        return '"""' + text + '"""'
    make = _fstring_source if literal.fstring else _quote
    pieces = _chunks(text, max(_WIDTH - literal.column, 40), literal.fstring)
    if len(pieces) == 1:
        return make(text)
    indent = "\n" + " " * (literal.column + 1)
    return "(" + indent.join(make(piece) for piece in pieces) + ")"


def substitute(source: str, translations: dict[str, str], grade_cell: bool = False) -> str:
    """``source`` with every literal of :func:`find` replaced by its translation (missing: kept)."""
    result = source
    for literal in reversed(find(source, grade_cell)):
        translated = translations.get(literal.text)
        if not translated:
            continue
        if literal.fstring:
            check_fstring(literal.text, translated)
        result = result[:literal.start] + _literal_source(literal, translated) + result[literal.end:]
    return result
