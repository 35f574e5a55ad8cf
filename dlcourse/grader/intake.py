"""Bring submissions downloaded from an LMS into nbgrader's ``submitted/`` layout.

Accepts a zip file or a folder holding either ``<student>/<anything>.ipynb`` or flat
``<student>.ipynb`` / ``<student>_<anything>.ipynb`` files (Moodle and Canvas style: the
student id is the part before the first ``_``). The originals are only read; the copies go
to ``submitted/<student>/<assignment>/<assignment>.ipynb``. An existing submission is never
overwritten unless ``replace`` is set. Links are never imported (a zip member that is a
symbolic link, a linked file or folder) nor written through (a linked folder or notebook
already in ``submitted/``).
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

MAX_MEMBER_BYTES = 50 * 2**20
SAFE_ID = re.compile(r"[^A-Za-z0-9._@-]+")


def _student_id(relative: PurePosixPath) -> str:
    name = relative.parts[0] if len(relative.parts) > 1 else relative.stem.split("_")[0]
    student = SAFE_ID.sub("-", name).strip(".-")
    if not student:
        raise ValueError(f"no student id in {relative}")
    return student


def import_submissions(
    source: Path, submitted: Path, assignment: str, *, replace: bool = False
) -> dict[str, str]:
    """Copy notebooks from a zip or folder into ``submitted/``; return student -> what
    happened ("imported", "kept existing", or why it was skipped)."""
    report: dict[str, str] = {}

    def place(student: str, data: bytes) -> None:
        target = submitted / student / assignment / f"{assignment}.ipynb"
        if student in report and report[student] == "imported":
            report[student] = "several notebooks: the first was used"
            return
        if any(p.is_symlink() for p in (submitted / student, target.parent, target)):
            report[student] = "skipped: a symbolic link is in the way (never written through)"
            return
        if target.exists() and not replace:
            report[student] = "kept existing"
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        with os.fdopen(os.open(target, flags, 0o644), "wb") as f:
            f.write(data)
        report[student] = "imported"

    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                relative = PurePosixPath(info.filename)
                if info.is_dir() or relative.suffix != ".ipynb" or "__MACOSX" in relative.parts:
                    continue
                if ".." in relative.parts or relative.is_absolute():
                    continue  # a path that would escape the folder: never extracted
                student = _student_id(relative)
                if stat.S_ISLNK(info.external_attr >> 16):  # unzip would make it a link
                    report.setdefault(student, "skipped: a symbolic link, not a notebook")
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    report[student] = "skipped: notebook larger than 50 MiB"
                    continue
                place(student, archive.read(info))
    elif source.is_dir():
        for path in sorted(source.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts or path.is_symlink() or not path.is_file():
                continue  # (rglob does not enter linked folders)
            relative = PurePosixPath(path.relative_to(source).as_posix())
            place(_student_id(relative), path.read_bytes())
    else:
        raise FileNotFoundError(f"{source} is neither a zip file nor a folder")
    return report
