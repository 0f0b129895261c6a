"""What a graded notebook keeps of a submission's outputs, and what its feedback shows.

nbgrader preprocessors that ``nbgrader_config.py`` puts in the autograde and feedback
pipelines, so ``nbgrader autograde``, ``nbgrader generate_feedback`` and ``course grade``
treat outputs alike:

* :class:`DeduplicateCells`: a test cell pasted twice keeps its points (nbgrader's own
  ``DeduplicateIds`` leaves the copy with empty metadata, on which ``add_missing_cells``
  fails and the whole notebook scores 0).
* :class:`StrictGradeCells`: a grade cell's result is never taken from a value the
  submission displayed (``sys.displayhook("…")`` before the test fails).
* :class:`LimitOutputSize`: caps on every kind of output, per cell and per notebook.
* :class:`ScrubHiddenTests` and :class:`HideHiddenTests`: no output line that quotes a
  hidden test survives, and the feedback shows neither hidden test code nor pictures a
  submission could have drawn after the hidden tests ran.
* :class:`FeedbackExporter`: the feedback page's HTML exporter, which also cleans the HTML
  that markdown cells turn into (nbgrader's feedback template renders them unsanitised).

Nothing here runs on import.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

import bleach
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbgrader.preprocessors import DeduplicateIds, LimitOutput, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Integer, Unicode, default

__all__ = ["DeduplicateCells", "FeedbackExporter", "HideHiddenTests", "LimitOutputSize", "ScrubHiddenTests",
           "StrictGradeCells", "hidden_lines"]

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
REMOVED = "[removed: this output quoted hidden test code]"
# Shorter hidden lines ("else:", ")") say nothing about a test and appear in honest output.
_MIN_HIDDEN_CHARS = 12
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "image/svg+xml")


class DeduplicateCells(DeduplicateIds):
    """nbgrader's ``DeduplicateIds``, except that a duplicate becomes an ordinary cell.

    Like nbgrader, the last cell with a ``grade_id`` keeps it (a test pasted above its
    original is then graded where the original stood or later, never earlier). The other
    copies lose their nbgrader metadata entirely, instead of keeping an empty dict that
    ``OverwriteCells.add_missing_cells`` then fails on with ``KeyError: 'grade_id'``.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        meta = cell.metadata.get("nbgrader")
        if not meta or "grade_id" not in meta:
            if meta is not None and not meta:
                del cell.metadata["nbgrader"]     # an empty dict left by a pasted cell
            return cell, resources
        if meta["grade_id"] in self.grade_ids:
            self.log.warning("Cell with id '%s' exists several times; the copy is graded as ordinary code",
                             meta["grade_id"])
            del cell.metadata["nbgrader"]
        else:
            self.grade_ids.add(meta["grade_id"])
        return cell, resources


class StrictGradeCells(NbGraderPreprocessor):
    """A grade cell's ``execute_result`` outputs become ``display_data``.

    nbgrader reads the first ``execute_result`` of a test cell as a partial-credit score and
    stops looking, so a wrong answer that calls ``sys.displayhook("…")`` before its test
    fails would earn full points. The course's tests never score through a displayed value:
    with this, a test cell that holds an error scores 0, whatever else it holds. The value
    itself stays visible.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and is_grade(cell) and not is_solution(cell):
            for output in cell.outputs:
                if output.get("output_type") == "execute_result":
                    output.output_type = "display_data"
                    output.pop("execution_count", None)
        return cell, resources


class LimitOutputSize(LimitOutput):
    """nbgrader's ``LimitOutput`` (which counts lines), plus caps on characters of every output kind.

    One ``print('x' * 20_000_000)`` is a single line, and a displayed value, a picture or an
    error message has no lines to count: without these caps each would be kept whole in the
    autograded notebook and the feedback.
    """

    max_chars = Integer(100_000, help="characters of text output (streams, text data, errors) kept per cell"
                        ).tag(config=True)
    max_image_chars = Integer(2_000_000, help="characters of pictures (base64) kept per cell"
                              ).tag(config=True)
    max_outputs = Integer(200, help="outputs kept per cell").tag(config=True)
    max_notebook_chars = Integer(10_000_000, help="characters of all outputs kept per notebook"
                                 ).tag(config=True)

    def preprocess(self, nb, resources):
        self._notebook_budget = self.max_notebook_chars
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type != "code":
            return cell, resources
        if len(cell.outputs) > self.max_outputs:
            cell.outputs = cell.outputs[:self.max_outputs] + [_note(
                f"... {len(cell.outputs) - self.max_outputs} more outputs not kept ...")]
        budget = {"text": self.max_chars, "image": self.max_image_chars}
        notebook = getattr(self, "_notebook_budget", self.max_notebook_chars)
        for output in cell.outputs:
            for kind, get, put in _pieces(output):
                value = get()
                limit = max(min(budget[kind], notebook), 0)
                if len(value) > limit:
                    value = value[:limit] + "\n... Output truncated ...\n" if kind == "text" else ""
                    put(value or None)
                budget[kind] -= len(value)
                notebook -= len(value)
        self._notebook_budget = notebook
        return cell, resources


def _note(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text + "\n")


def _pieces(output):
    """(kind, get, put) for every string an output holds, kind "text" or "image".

    ``put(None)`` drops a value that cannot be cut (a picture, a JSON object) and leaves a
    plain-text note in its place.
    """
    kind = output.get("output_type")
    if kind == "stream":
        yield "text", lambda: output.text, lambda v: output.__setitem__("text", v)
    elif kind == "error":
        yield "text", lambda: output.get("evalue", ""), lambda v: output.__setitem__("evalue", v)
        for i in range(len(output.get("traceback", []))):
            yield ("text", lambda i=i: output.traceback[i],
                   lambda v, i=i: output.traceback.__setitem__(i, v))
    elif kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        # Texts first: a note left where a picture is dropped must not be cut by the text cap.
        for mime in sorted(data, key=lambda m: not m.startswith(_TEXT_TYPES)):
            value = data[mime]
            text = mime.startswith(_TEXT_TYPES)
            if isinstance(value, list):              # nbformat allows a text as a list of lines
                value = data[mime] = "".join(value)
            if isinstance(value, str) and text:
                yield "text", lambda m=mime: data[m], lambda v, m=mime: _put(data, m, v)
            else:
                size = len(value) if isinstance(value, str) else len(json.dumps(value))
                yield (("text" if text else "image"), lambda s=size: "x" * s,
                       lambda v, m=mime: _put(data, m, None))


def _put(data, mime, value) -> None:
    if value is not None:
        data[mime] = value
        return
    del data[mime]
    if mime != "text/plain":
        data["text/plain"] = (data.get("text/plain", "") + "\n[" + mime + " output not kept: over the size "
                              "limit]").lstrip("\n")


# -- hidden tests ---------------------------------------------------------------------------
def _normal(text: str) -> str:
    """``text`` reduced to what a reader sees: re-indented, repr()'d, requoted or padded code still matches.

    Whitespace and backslashes go, every quote becomes ``"`` (quotes are kept, so the text of
    a hint in a check's message does not match the hidden line that holds it as a string),
    HTML entities are decoded, invisible formatting characters (zero-width spaces and the
    like) are dropped, look-alike letters are folded (NFKC) and case is ignored.
    """
    text = unicodedata.normalize("NFKC", html.unescape(text)).translate(_QUOTES)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return re.sub(r"[\s\\]+", "", text).casefold()


_QUOTES = str.maketrans({"'": '"', "`": '"', "\u2018": '"', "\u2019": '"', "\u201c": '"', "\u201d": '"'})


def hidden_lines(nb) -> list[str]:
    """The normalised lines of hidden test code that appear nowhere else in ``nb``'s code."""
    hidden, visible = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        inside = False
        for line in cell.source.splitlines():
            if BEGIN_HIDDEN in line:
                inside = True
            elif END_HIDDEN in line:
                inside = False
            else:
                (hidden if inside else visible).add(_normal(line))
    return sorted(line for line in hidden - visible
                  if len(line) >= _MIN_HIDDEN_CHARS and not line.startswith("#"))


def _scrub(text: str, hidden: list[str]) -> str:
    """``text`` with every line that quotes hidden test code replaced; all of it if a quote spans lines."""
    if not hidden or not text:
        return text
    lines = text.split("\n")
    kept = [REMOVED if any(h in _normal(line) for h in hidden) else line for line in lines]
    joined = _normal("".join(kept))
    if any(h in joined for h in hidden):
        return REMOVED + ("\n" if text.endswith("\n") else "")
    return "\n".join(kept)


def _scrub_output(output, hidden: list[str]) -> None:
    for kind, get, put in _pieces(output):
        if kind == "text":
            value = get()
            cleaned = _scrub(value, hidden)
            if cleaned != value:
                put(cleaned)
    if output.get("output_type") == "error":
        output.ename = _scrub(output.get("ename", ""), hidden)


class ScrubHiddenTests(NbGraderPreprocessor):
    """Remove from every output each line that quotes hidden test code.

    Student code runs in the kernel that runs the hidden tests, so it can read them (from
    ``In``, its caller's frame, the traceback) and print them. Whatever text it writes,
    displays or raises that contains a whole line of hidden test code (ignoring
    whitespace and escapes) is replaced by a placeholder.
    """

    def preprocess(self, nb, resources):
        self._hidden = hidden_lines(nb)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and self._hidden:
            for output in cell.get("outputs", []):
                _scrub_output(output, self._hidden)
        return cell, resources


class HideHiddenTests(ScrubHiddenTests):
    """For feedback: also hide the hidden tests' code, their tracebacks, and later pictures.

    * hidden-test code in a cell is replaced by a placeholder comment;
    * the traceback of a cell with hidden tests is cut to its error name and message, so a
      student still learns what was wrong;
    * from the first cell with hidden tests on, outputs keep only their plain text: a
      picture, HTML or SVG drawn after the hidden tests ran could show their code in a
      form no text filter recognises.
    """

    begin = Unicode(BEGIN_HIDDEN).tag(config=True)
    end = Unicode(END_HIDDEN).tag(config=True)
    placeholder = Unicode("[picture or rich output not shown in feedback]").tag(config=True)

    def preprocess(self, nb, resources):
        self._after_hidden = False
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.cell_type != "code":
            return cell, resources
        has_hidden = self.begin in cell.source
        self._after_hidden = self._after_hidden or has_hidden
        if self._after_hidden:
            for output in cell.outputs:
                data = output.get("data")
                if data and set(data) - {"text/plain"}:
                    output.data = {"text/plain": data.get("text/plain", self.placeholder)}
                    output.metadata = {}
        if not has_hidden:
            return cell, resources
        kept, hiding = [], False
        for line in cell.source.splitlines():
            if self.begin in line:
                hiding = True
                kept.append(line[:len(line) - len(line.lstrip())] + "# (hidden tests: not shown in feedback)")
            elif self.end in line:
                hiding = False
            elif not hiding:
                kept.append(line)
        cell.source = "\n".join(kept)
        for output in cell.outputs:
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# -- the feedback page -------------------------------------------------------------------------
_MARKDOWN_TAGS = [*bleach.ALLOWED_TAGS, "p", "div", "span", "pre", "code", "br", "hr", "img", "del", "s",
                  "sup", "sub", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td",
                  "h1", "h2", "h3", "h4", "h5", "h6"]
_MARKDOWN_ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href", "title"], "img": ["src", "alt", "title"],
                        "th": ["align"], "td": ["align"]}


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter, sanitising outputs and the HTML that markdown renders to.

    A markdown link ``[x](javascript:...)`` is no tag, so cleaning the markdown source lets it
    through; it is removed here, after rendering, with every tag or attribute outside an
    allowlist and every link that is not http(s), mailto or an embedded picture.
    """

    @default("sanitize_html")
    def _sanitize_html_default(self):
        return True

    @pass_context
    def markdown2html(self, context, source):
        """Markdown to HTML, then cleaned by bleach."""
        return bleach.clean(super().markdown2html(context, source), tags=_MARKDOWN_TAGS,
                            attributes=_MARKDOWN_ATTRIBUTES, protocols=["http", "https", "mailto", "data"],
                            strip_comments=True)
