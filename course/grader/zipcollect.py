"""Gather LMS downloads into nbgrader's ``submitted/`` tree with nbgrader's own ``zip_collect``.

``course grade ASSIGNMENT --zip DIR`` copies the files in ``DIR`` (zip archives or
loose notebooks, as an LMS hands them out) into ``downloaded/ASSIGNMENT/archive/``
and runs ``nbgrader zip_collect``, which extracts them and copies each notebook to
``submitted/<student>/ASSIGNMENT/``. Which student a file belongs to comes from its
name. Without a ``FileNameCollectorPlugin.named_regexp`` in ``nbgrader_config.py``,
:class:`LmsFileCollector` understands two common shapes:

* ``<student>_<anything>_<notebook>.ipynb`` (Canvas, Blackboard and most LMS exports:
  the student id is the text before the first ``_``);
* ``<student>.zip`` or a folder ``<student>/`` (also inside one class-wide zip) that
  holds ``<notebook>.ipynb``.

Files that fit neither are skipped, and the summary names them.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from nbgrader.plugins.zipcollect import FileNameCollectorPlugin

__all__ = ["Collected", "LmsFileCollector", "ZipCollectError", "collect_zip"]

_STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.@-]*")


class Collected(NamedTuple):
    """What ``collect_zip`` did: the students whose submission it wrote, and the files it skipped."""

    students: list[str]
    skipped: list[str]


class ZipCollectError(RuntimeError):
    """The LMS downloads could not be gathered; the message says why and what to do."""


class LmsFileCollector(FileNameCollectorPlugin):
    """Find the student and notebook from an LMS download's path (see the module docstring)."""

    def collect(self, submitted_file: str) -> dict | None:
        """The student id and notebook name of one extracted file, or None to skip it."""
        if self.named_regexp:
            return super().collect(submitted_file)
        path = Path(submitted_file)
        if path.suffix not in self.valid_ext:
            return None
        app = self.parent
        extracted = Path(app._format_collect_path(app.extracted_directory))
        released = Path(app.coursedir.format_path(app.coursedir.release_directory, ".",
                                                  app.coursedir.assignment_id))
        notebooks = sorted((p.name for p in released.glob("*.ipynb")), key=len, reverse=True)
        folders = path.relative_to(extracted).parts[:-1]
        # The nearest folder that is not named after the assignment or a notebook: "alice" in
        # alice.zip/01_parameters.ipynb, class.zip/alice/01_parameters/01_parameters.ipynb.
        generic = {app.coursedir.assignment_id, *(Path(n).stem for n in notebooks)}
        owner = next((f for f in reversed(folders) if f not in generic), None)
        if path.name in notebooks and owner is not None:
            student = owner
        else:
            notebook = next((n for n in notebooks if path.name.endswith("_" + n)), None)
            if notebook is None:
                self.log.warning("Skipped %s: its name ends in no notebook of the assignment", path.name)
                return None
            student = path.name.split("_", 1)[0]
            path = path.with_name(notebook)
        if not _STUDENT_ID.fullmatch(student):
            self.log.warning("Skipped %s: %r is not a usable student id (letters, digits, . @ -)",
                             submitted_file, student)
            return None
        return {"student_id": student, "file_id": path.name}


def collect_zip(root: Path, assignment: str, downloads: Path) -> Collected:
    """Copy ``downloads`` into nbgrader's archive folder and run ``zip_collect``.

    Each student found gets ``submitted/<student>/<assignment>/`` replaced by the
    download (nbgrader's ``zip_collect --force``); students not in the download are
    left as they are. An earlier, different download in the archive folder is moved to
    ``archive-before-<time>`` so that it is not collected again.
    """
    downloads = downloads.expanduser().resolve()
    if not downloads.is_dir():
        raise ZipCollectError(f"--zip {downloads}: no such folder. Give the folder that holds the LMS "
                              "downloads (zip files or notebooks).")
    files = [p for p in downloads.rglob("*") if p.is_file()]
    if not files:
        raise ZipCollectError(f"--zip {downloads}: the folder is empty. Download the submissions from "
                              "the LMS into it first.")
    archive = root / "downloaded" / assignment / "archive"
    if archive.resolve() != downloads and _contents(archive) != _contents(downloads):
        # zip_collect gathers the whole archive folder: an earlier download left there would be
        # collected again, so it is moved aside (never deleted) before this one is copied in.
        if archive.exists():
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            archive.rename(archive.with_name(f"archive-before-{stamp}"))
        for source in files:
            target = archive / source.relative_to(downloads)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    before = _submitted_students(root, assignment)
    command = [sys.executable, "-m", "nbgrader", "zip_collect", assignment, "--force", "--strict",
               "--ZipCollectApp.collector_plugin=course.grader.zipcollect.LmsFileCollector"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise ZipCollectError("nbgrader zip_collect failed:\n" + _last_lines(result.stderr))
    collected = sorted(s for s, stamp in _submitted_students(root, assignment).items()
                       if before.get(s) != stamp)
    if not collected:
        raise ZipCollectError(f"--zip {downloads}: no file there could be matched to a student and a "
                              f"notebook of {assignment}. Name them <student>_..._<notebook>.ipynb, or "
                              "set FileNameCollectorPlugin.named_regexp in nbgrader_config.py. "
                              "nbgrader said:\n" + _last_lines(result.stderr))
    extracted = root / "downloaded" / assignment / "extracted"
    skipped = [str(Path(line.split(_SKIPPED, 1)[1].strip()).relative_to(extracted))
               for line in result.stderr.splitlines() if _SKIPPED in line]
    return Collected(collected, skipped)


_SKIPPED = "Skipped submission with no match information provided: "


def _contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _submitted_students(root: Path, assignment: str) -> dict[str, tuple]:
    """Each student with a submission, and a stamp that changes when zip_collect rewrites it."""
    found = {}
    for folder in (root / "submitted").glob(f"*/{assignment}"):
        found[folder.parent.name] = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()))
    return found


def _last_lines(text: str, count: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-count:])
