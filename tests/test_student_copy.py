"""`dlcourse student-copy` and `dlcourse student-bundle`: a student's own notebooks, outside the
repository, with the release notebooks and nothing from course/, solutions/ or tests/."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from dlcourse.build import Course
from dlcourse.student_copy import (
    BUNDLE_FOLDER,
    StudentCopyError,
    make_student_bundle,
    make_student_copy,
)

from harness import REPO

COURSE = Course(REPO)
ASSIGNMENTS = COURSE.assignments()
EXPECTED = {f"{a}/{a}.ipynb" for a in ASSIGNMENTS}


def _instructor_lines(assignment: str) -> dict[str, list[str]]:
    """Per kind, the code lines only the instructor has: every line of 20 characters or more
    (comments left out) between the solution and the hidden-test delimiters of the
    assignment's course notebook. (A later assignment may give as code what an earlier one
    asks for, so each notebook is checked against its own course notebook.)"""
    found: dict[str, list[str]] = {"solution": [], "hidden test": []}
    blocks = {
        "solution": r"### BEGIN SOLUTION(.*?)### END SOLUTION",
        "hidden test": r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS",
    }
    notebook = nbformat.read(COURSE.source_notebook(assignment), as_version=4)
    for cell in notebook.cells:
        for kind, pattern in blocks.items():
            for block in re.findall(pattern, cell.source, re.S):
                found[kind] += [
                    line.strip()
                    for line in block.splitlines()
                    if len(line.strip()) >= 20 and not line.strip().startswith("#")
                ]
    return found


def _assert_student_only(name: str, data: bytes) -> None:
    instructor = _instructor_lines(Path(name).stem)
    text = data.decode("utf-8")
    for marker in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION"):
        assert marker not in text, f"{name} contains {marker!r}"
    notebook = nbformat.reads(text, as_version=4)
    content = "\n".join(
        cell.source + json.dumps(cell.get("outputs", [])) for cell in notebook.cells
    )
    for kind, lines in instructor.items():
        leaked = [line for line in lines if line in content]
        assert not leaked, f"{name} holds {kind} code: {leaked[:3]}"
    assert str(REPO) not in text, f"{name} names a path of this machine"


def test_the_instructor_lines_are_found():
    # the leak checks below are only as good as these lists
    for assignment in ASSIGNMENTS:
        instructor = _instructor_lines(assignment)
        assert len(instructor["solution"]) > 20 and len(instructor["hidden test"]) > 100
        # and they catch the reference notebook, whose solutions carry no delimiters
        name = f"{assignment}/{assignment}.ipynb"
        with pytest.raises(AssertionError, match="holds solution code"):
            _assert_student_only(name, (COURSE.solutions / name).read_bytes())


def test_copy_writes_exactly_the_release_notebooks(tmp_path):
    dest = tmp_path / "work"
    report = make_student_copy(REPO, dest)
    assert set(report.written) == EXPECTED and report.kept == []
    files = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert files == EXPECTED
    for relative in files:
        data = (dest / relative).read_bytes()
        assert data == (COURSE.release / relative).read_bytes()
        _assert_student_only(relative, data)


def test_copy_of_chosen_assignments(tmp_path):
    report = make_student_copy(REPO, tmp_path, [ASSIGNMENTS[0]])
    assert report.written == [f"{ASSIGNMENTS[0]}/{ASSIGNMENTS[0]}.ipynb"]
    assert [p.name for p in tmp_path.iterdir()] == [ASSIGNMENTS[0]]


def test_copy_never_overwrites_a_students_work(tmp_path):
    first, second = ASSIGNMENTS[0], ASSIGNMENTS[1]
    mine = tmp_path / first / f"{first}.ipynb"
    mine.parent.mkdir()
    mine.write_text("my answers, half done")
    report = make_student_copy(REPO, tmp_path, [first, second])
    assert mine.read_text() == "my answers, half done"
    assert report.kept == [f"{first}/{first}.ipynb"]
    assert report.written == [f"{second}/{second}.ipynb"]
    # again: everything is the student's by now, nothing is written
    (tmp_path / second / f"{second}.ipynb").write_text("more answers")
    again = make_student_copy(REPO, tmp_path, [first, second])
    assert again.written == [] and len(again.kept) == 2
    assert (tmp_path / second / f"{second}.ipynb").read_text() == "more answers"


def test_copy_keeps_a_link_in_place_of_a_notebook(tmp_path):
    first = ASSIGNMENTS[0]
    elsewhere = tmp_path / "elsewhere.ipynb"
    elsewhere.write_text("kept")
    (tmp_path / "work" / first).mkdir(parents=True)
    (tmp_path / "work" / first / f"{first}.ipynb").symlink_to(elsewhere)
    assert make_student_copy(REPO, tmp_path / "work", [first]).kept == [f"{first}/{first}.ipynb"]
    assert elsewhere.read_text() == "kept"


@pytest.mark.parametrize("inside", [".", "release", "release/new", "course", "deeper/still"])
def test_copy_refuses_the_repository(inside):
    dest = REPO / inside
    existed = dest.exists()
    with pytest.raises(StudentCopyError, match="inside the course repository"):
        make_student_copy(REPO, dest)
    assert dest.exists() == existed


def test_copy_refuses_a_link_into_the_repository(tmp_path):
    link = tmp_path / "looks-outside"
    link.symlink_to(REPO / "release")
    with pytest.raises(StudentCopyError, match="inside the course repository"):
        make_student_copy(REPO, link)


def test_copy_refuses_a_file_as_destination(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StudentCopyError, match="not a folder"):
        make_student_copy(REPO, tmp_path / "file")


def test_unknown_assignment_is_named(tmp_path):
    with pytest.raises(StudentCopyError, match="unknown assignment.*nope.*known: 01_"):
        make_student_copy(REPO, tmp_path, ["nope"])
    assert list(tmp_path.iterdir()) == []


def _fake_course(root: Path, release_text: str) -> Path:
    (root / "course" / "a").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("")
    (root / "course" / "a" / "a.ipynb").write_text("{}")
    (root / "release" / "a").mkdir(parents=True)
    (root / "release" / "a" / "a.ipynb").write_text(release_text)
    return root


def test_a_release_that_still_holds_solutions_is_refused(tmp_path):
    root = _fake_course(tmp_path / "course-repo", '{"source": "### BEGIN SOLUTION\\nx = 1"}')
    with pytest.raises(StudentCopyError, match="not a student version.*dlcourse build"):
        make_student_copy(root, tmp_path / "work")
    assert not (tmp_path / "work").exists()
    with pytest.raises(StudentCopyError, match="not a student version"):
        make_student_bundle(root, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_bundle_holds_the_release_notebooks_and_nothing_else(tmp_path):
    out = tmp_path / "notebooks.zip"
    names = make_student_bundle(REPO, out)
    with zipfile.ZipFile(out) as bundle:
        assert bundle.testzip() is None
        entries = bundle.namelist()
        assert sorted(entries) == sorted(names) == sorted(f"{BUNDLE_FOLDER}/{e}" for e in EXPECTED)
        for name in entries:
            data = bundle.read(name)
            assert data == (COURSE.release / name.removeprefix(f"{BUNDLE_FOLDER}/")).read_bytes()
            _assert_student_only(name, data)
    # the zip's own bytes, compressed, hold no marker either (nothing stored beside the entries)
    raw = out.read_bytes()
    for marker in (b"BEGIN HIDDEN TESTS", b"BEGIN SOLUTION", str(REPO).encode()):
        assert marker not in raw


def test_bundle_is_reproducible(tmp_path):
    make_student_bundle(REPO, tmp_path / "a.zip")
    make_student_bundle(REPO, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_bundle_refuses_to_overwrite_and_bad_names(tmp_path):
    out = tmp_path / "out.zip"
    out.write_bytes(b"someone's file")
    with pytest.raises(StudentCopyError, match="already exists"):
        make_student_bundle(REPO, out)
    assert out.read_bytes() == b"someone's file"
    with pytest.raises(StudentCopyError, match="zip file"):
        make_student_bundle(REPO, tmp_path / "out.tar")
    with pytest.raises(StudentCopyError, match="not a folder"):
        make_student_bundle(REPO, tmp_path / "missing" / "out.zip")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dlcourse.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_cli_from_outside_the_repository(tmp_path):
    # a student runs it from their home folder: the course is found from the installed package
    done = _cli("student-copy", "work", ASSIGNMENTS[0], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "work" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb").is_file()
    assert "1 notebook(s) copied into work" in done.stdout
    assert "python -m jupyterlab work" in done.stdout
    again = _cli("student-copy", "work", ASSIGNMENTS[0], cwd=tmp_path)
    assert again.returncode == 0 and "never overwritten" in again.stdout
    bundle = _cli("student-bundle", "nb.zip", cwd=tmp_path)
    assert bundle.returncode == 0, bundle.stderr
    assert zipfile.ZipFile(io.BytesIO((tmp_path / "nb.zip").read_bytes())).namelist()
    for output in (done.stdout, again.stdout, bundle.stdout):
        assert str(REPO) not in output and str(tmp_path) not in output


def test_cli_refusals_are_clear(tmp_path):
    inside = _cli("student-copy", "release", cwd=REPO)
    assert inside.returncode == 2
    assert "inside the course repository" in inside.stderr and "Traceback" not in inside.stderr
    unknown = _cli("student-copy", str(tmp_path / "w"), "nope", cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown assignment(s): nope" in unknown.stderr
    unwritable = _cli("student-copy", "/proc/dlcourse-nowhere", cwd=tmp_path)
    assert unwritable.returncode == 2 and "No such file or directory" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr
    (tmp_path / "x.zip").write_text("")
    exists = _cli("student-bundle", "x.zip", cwd=tmp_path)
    assert exists.returncode == 2 and "already exists" in exists.stderr
