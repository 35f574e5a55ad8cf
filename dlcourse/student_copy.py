"""A student's own copy of the course notebooks, outside the course repository.

The repository holds ``course/`` (the instructor notebooks, hidden tests included),
``solutions/`` and the git-tracked ``release/``. A student on their own should not work in
it: saving, autosaving and *Validate* would write into tracked files, and the next
``git pull`` conflicts. Two ways out, both carrying the release notebooks and nothing else:

- :func:`make_student_copy` writes ``<dest>/<id>/<id>.ipynb`` into a folder outside the
  repository, and never replaces a notebook that is already there (a student's work);
- :func:`make_student_bundle` writes the same notebooks into a zip to hand out
  (``dlcourse-notebooks/<id>/<id>.ipynb``).

Before anything is written, every notebook is checked to be a student version: one that
still carries a solution or hidden-test delimiter (a broken or hand-edited ``release/``) is
refused, so neither a copy nor a bundle can leak them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.build import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END, Course

BUNDLE_FOLDER = "dlcourse-notebooks"
# Text that only the instructor's notebooks carry: a release notebook holding any of it is
# not a student version.
FORBIDDEN_MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
# A fixed timestamp makes a bundle byte-for-byte reproducible from the same release.
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


class StudentCopyError(Exception):
    """Bad input for a student copy or bundle; the message says what to do instead."""


@dataclass
class CopyReport:
    """What :func:`make_student_copy` did, as paths relative to the destination."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def release_notebooks(root: Path, assignments: Sequence[str] = ()) -> dict[str, Path]:
    """The release notebook of each assignment, keyed by its path in a student copy
    (``<id>/<id>.ipynb``); all assignments when ``assignments`` is empty.

    Raises :class:`StudentCopyError` for an unknown assignment, a missing release notebook
    or a release notebook that still carries a solution or hidden-test delimiter.
    """
    course = Course(root)
    known = [a for a in course.assignments() if _release_path(course, a).is_file()]
    if not known:
        raise StudentCopyError("this course has no release notebooks (release/<id>/<id>.ipynb)")
    unknown = [a for a in assignments if a not in known]
    if unknown:
        raise StudentCopyError(
            f"unknown assignment(s): {', '.join(unknown)}; known: {', '.join(known)}"
        )
    notebooks = {}
    for assignment in assignments or known:
        path = _release_path(course, assignment)
        text = path.read_text(encoding="utf-8")
        leaked = [marker for marker in FORBIDDEN_MARKERS if marker in text]
        if leaked:
            raise StudentCopyError(
                f"release/{assignment}/{path.name} contains {leaked[0]!r}: it is not a student "
                "version; rebuild it with `dlcourse build` before handing it out"
            )
        notebooks[f"{assignment}/{path.name}"] = path
    return notebooks


def make_student_copy(root: Path, dest: Path, assignments: Sequence[str] = ()) -> CopyReport:
    """Copy the release notebooks into ``dest`` (created if needed), outside the repository.

    A notebook already in ``dest`` is the student's work: it is kept as it is and listed in
    :attr:`CopyReport.kept`, never overwritten, so running the command again after new
    assignments are released adds only the new ones.
    """
    dest = Path(dest).expanduser()
    _refuse_inside(root, dest)
    if dest.exists() and not dest.is_dir():
        raise StudentCopyError(f"{dest} exists and is not a folder")
    notebooks = release_notebooks(root, assignments)
    report = CopyReport()
    for relative, source in notebooks.items():
        target = dest / relative
        if target.exists() or target.is_symlink():
            report.kept.append(relative)
            continue
        if target.parent.exists() and not target.parent.is_dir():
            raise StudentCopyError(f"{target.parent} exists and is not a folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:  # "x": never replaces a file that appeared in the meantime
            with open(target, "xb") as out:
                out.write(source.read_bytes())
        except FileExistsError:
            report.kept.append(relative)
            continue
        report.written.append(relative)
    return report


def make_student_bundle(root: Path, out: Path, assignments: Sequence[str] = ()) -> list[str]:
    """Write the release notebooks into the zip ``out`` (which must not exist yet), under
    ``dlcourse-notebooks/<id>/<id>.ipynb``; return the names of its entries."""
    out = Path(out).expanduser()
    if out.suffix.lower() != ".zip":
        raise StudentCopyError(f"{out.name}: the bundle is a zip file; name it <something>.zip")
    if out.exists() or out.is_symlink():
        raise StudentCopyError(f"{out} already exists; choose another name or remove it first")
    if not out.parent.is_dir():
        raise StudentCopyError(f"{out.parent} is not a folder")
    notebooks = release_notebooks(root, assignments)
    try:  # "x": never replaces a file created meanwhile
        bundle = zipfile.ZipFile(out, "x", compression=zipfile.ZIP_DEFLATED)
    except FileExistsError as exc:
        raise StudentCopyError(f"{out} already exists; choose another name") from exc
    names = []
    try:
        with bundle:
            for relative, source in notebooks.items():
                name = f"{BUNDLE_FOLDER}/{relative}"
                info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(info, source.read_bytes())
                names.append(name)
    except BaseException:
        out.unlink(missing_ok=True)  # ours, half written
        raise
    return names


def find_release_root(start: Path | None = None) -> Path:
    """The course repository that holds ``release/``: found from ``start`` (default: the
    current folder) upward, else the clone this package is installed from (``pip install -e``),
    so that a student can run the command from anywhere."""
    from dlcourse.build import find_course_root

    try:
        return find_course_root(start)
    except FileNotFoundError:
        if start is not None:
            raise
    try:
        return find_course_root(Path(__file__).resolve().parent)
    except FileNotFoundError:
        raise StudentCopyError(
            "the course's release notebooks were not found: run this command from your clone "
            "of the course repository (pip install -e . installs it from there)"
        ) from None


def _release_path(course: Course, assignment: str) -> Path:
    return course.release / assignment / f"{assignment}.ipynb"


def _refuse_inside(root: Path, dest: Path) -> None:
    """Refuse a destination inside the repository (links followed: a link from outside that
    points in is inside too)."""
    repo = root.resolve()
    target = dest.resolve()
    if target == repo or repo in target.parents:
        raise StudentCopyError(
            f"{dest} is inside the course repository: work in a folder of your own outside it "
            "(e.g. ~/dlcourse-work), so that git never touches your notebooks"
        )
