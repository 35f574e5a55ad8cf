"""Holes found by attacking the grader (issue 17, points 2 and 5).

- Links in ``submitted/`` (a student folder, an assignment folder or a notebook that is a
  symbolic link, e.g. to another student's work or to the course's source notebook, which holds
  the answers) are refused, never followed: the student is ungradable with a plain reason.
- A submission that forks until the sandbox's process limit refuses is incomplete (or graded),
  never ungradable with a grader traceback; no reason, message or feedback shows a traceback or
  a path of the grading machine.

The sandbox cases are graded once, by one ``dlcourse grade`` call, for the whole module.
"""

from __future__ import annotations

import csv
import json
import os
import stat
import zipfile
from pathlib import Path

import nbformat
import pytest
from corpus_a01 import ASSIGNMENT, _first_code, _reference

from dlcourse.cli import main
from dlcourse.grader.intake import import_submissions
from dlcourse.grader.prepare import UngradableError
from dlcourse.grader.run import Paths, grade_class
from dlcourse.grader.sandbox import sandbox_available

from harness import scratch_course

pytestmark = pytest.mark.xdist_group("grading_hardening")
_SANDBOX = pytest.mark.skipif(
    not sandbox_available()[0], reason=f"no sandbox: {sandbox_available()[1]}"
)


def needs_sandbox(test):
    """Slow, and skipped where the sandbox cannot run."""
    return pytest.mark.slow(_SANDBOX(test))


GRADE_ARGS = ["--jobs", "2", "--cell-seconds", "10", "--wall-seconds", "60",
              "--memory-mb", "1024", "--max-processes", "64"]  # fmt: skip
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# Starts processes until the pids limit refuses them, and keeps them: later the kernel cannot
# start the thread it needs to send a message and its connection to the grader breaks (this
# came out "ungradable" with the grader's traceback, host paths included, as its reason).
FORKS = """
import os, time
started = 0
for _ in range(500):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    started += 1
print(f"started {started} processes")
"""


def _write(folder: Path, data: bytes) -> None:
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_bytes(data)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("hardening"))
    submitted = root / "submitted"
    reference = nbformat.writes(_reference()).encode()
    _write(submitted / "victim" / ASSIGNMENT, reference)
    _write(
        submitted / "forks" / ASSIGNMENT, nbformat.writes(_first_code(_reference(), FORKS)).encode()
    )
    # (a) a student folder that is a link to another student's folder
    (submitted / "linked_student").symlink_to("victim")
    # (b) a notebook that is a link to the course's source notebook (it holds the answers)
    (submitted / "linked_notebook" / ASSIGNMENT).mkdir(parents=True)
    source = root / "course" / ASSIGNMENT / NOTEBOOK
    (submitted / "linked_notebook" / ASSIGNMENT / NOTEBOOK).symlink_to(source)
    # (c) an assignment folder that is a link
    (submitted / "linked_assignment").mkdir()
    (submitted / "linked_assignment" / ASSIGNMENT).symlink_to(submitted / "victim" / ASSIGNMENT)
    assert main(["--root", str(root), "grade", ASSIGNMENT, *GRADE_ARGS]) == 0
    out = root / "grading" / ASSIGNMENT
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    with open(out / "grades.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return {"root": root, "out": out, "results": results, "rows": rows}


def _refused(graded: dict, student: str) -> None:
    row = graded["rows"][student]  # listed in the CSV, not silently dropped
    assert row["status"] == "ungradable", row
    assert "symbolic link" in row["reason"] and "not graded" in row["reason"], row
    assert float(row["score"]) == 0
    result = graded["results"][student]
    assert result["status"] == "ungradable" and sum(result["scores"].values()) == 0
    assert result["sha256"] == ""  # the linked target was never read, not even hashed
    assert not (graded["root"] / "autograded" / student).exists()
    assert not (graded["root"] / "feedback" / student).exists()


@needs_sandbox
def test_a_student_folder_that_is_a_link_is_refused(graded):
    _refused(graded, "linked_student")
    assert "student folder" in graded["rows"]["linked_student"]["reason"]
    victim = graded["results"]["victim"]  # the real folder is graded as usual
    assert victim["status"] == "graded" and sum(victim["scores"].values()) == 20


@needs_sandbox
def test_a_notebook_linked_to_the_course_source_is_refused(graded):
    _refused(graded, "linked_notebook")
    assert "notebook" in graded["rows"]["linked_notebook"]["reason"]


@needs_sandbox
def test_an_assignment_folder_that_is_a_link_is_refused(graded):
    _refused(graded, "linked_assignment")
    assert "assignment folder" in graded["rows"]["linked_assignment"]["reason"]


@needs_sandbox
def test_a_submission_that_forks_heavily_is_incomplete_with_a_plain_reason(graded):
    result = graded["results"]["forks"]
    assert result["status"] in ("incomplete", "graded"), result["reason"]
    assert "processes" in result["reason"], result["reason"]
    assert "Traceback" not in result["reason"] and "\n" not in result["reason"]
    if result["status"] == "incomplete":  # scored on what ran: the cells before the stop count
        assert 0 <= sum(result["scores"].values()) < 20
    root, out = graded["root"], graded["out"]
    shown = [out / "grades.csv", out / "report.html", *(out / "results").glob("*.json")]
    shown += (root / "autograded").rglob("*.ipynb")
    assert len(shown) >= 5
    for path in shown:
        text = path.read_text(errors="replace")
        for leak in (str(root), os.path.realpath(root), "/tmp/", "Traceback"):
            assert leak not in text, f"{path.relative_to(root)} shows {leak!r}"
    for path in (root / "feedback").rglob("*.html"):  # (nbgrader's CSS names "Traceback")
        text = path.read_text(errors="replace")
        assert str(root) not in text and "/tmp/" not in text, path.relative_to(root)


# --------------------------------------------------------------------------- no sandbox needed
def _zip_with_link(path: Path, member: str, target: str) -> None:
    info = zipfile.ZipInfo(member)
    info.create_system = 3  # unix: external_attr holds the mode
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("alice_1.ipynb", "{}")
        archive.writestr(info, target)


def test_a_zip_member_that_is_a_link_is_not_imported(tmp_path):
    archive = tmp_path / "lms.zip"
    _zip_with_link(archive, "mallory_1.ipynb", f"../../course/{ASSIGNMENT}/{NOTEBOOK}")
    submitted = tmp_path / "course" / "submitted"
    report = import_submissions(archive, submitted, ASSIGNMENT)
    assert report["alice"] == "imported"
    assert report.get("mallory", "").startswith("skipped"), report
    assert not (submitted / "mallory").exists()


def test_import_never_writes_through_a_link(tmp_path):
    submitted = tmp_path / "submitted"
    (submitted / "victim" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "victim" / ASSIGNMENT / NOTEBOOK).write_text("victim's work")
    (submitted / "mallory").symlink_to("victim")
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "mallory_1.ipynb").write_text("{}")
    report = import_submissions(folder, submitted, ASSIGNMENT, replace=True)
    assert report["mallory"].startswith("skipped"), report
    assert (submitted / "victim" / ASSIGNMENT / NOTEBOOK).read_text() == "victim's work"


def test_grading_some_students_keeps_the_whole_class_in_the_csvs(tmp_path):
    """``--student`` regrades a few: grades.csv and diagnoses.csv still list everyone graded
    before (they were rewritten with the run's students only, losing the others' rows)."""
    paths = Paths(tmp_path, ASSIGNMENT)
    paths.submitted.mkdir(parents=True)
    for student in ("ann", "bob", "cyd"):  # refused without a kernel: links are not graded
        (paths.submitted / student).symlink_to(tmp_path)
    assert len(grade_class(tmp_path, ASSIGNMENT, progress=False)) == 3
    again = grade_class(tmp_path, ASSIGNMENT, students=["bob"], progress=False, log=print)
    assert [r.student for r in again] == ["bob"]
    rows = list(csv.DictReader(open(paths.out / "grades.csv")))
    assert [r["student_id"] for r in rows] == ["ann", "bob", "cyd"]
    assert all(r["status"] == "ungradable" for r in rows)


def test_reading_a_submission_refuses_links_before_reading_anything(tmp_path):
    paths = Paths(tmp_path, ASSIGNMENT)
    secret = tmp_path / "answers.ipynb"
    secret.write_text('{"cells": []}')
    (paths.submitted / "ok" / ASSIGNMENT).mkdir(parents=True)
    (paths.submitted / "ok" / ASSIGNMENT / NOTEBOOK).write_text("mine")
    (paths.submitted / "nb" / ASSIGNMENT).mkdir(parents=True)
    (paths.submitted / "nb" / ASSIGNMENT / NOTEBOOK).symlink_to(secret)
    (paths.submitted / "other" / ASSIGNMENT).mkdir(parents=True)
    (paths.submitted / "other" / ASSIGNMENT / "x.ipynb").symlink_to(secret)  # any notebook
    (paths.submitted / "folder").symlink_to("ok")
    (paths.submitted / "fifo" / ASSIGNMENT).mkdir(parents=True)
    os.mkfifo(paths.submitted / "fifo" / ASSIGNMENT / NOTEBOOK)  # must not block the grader
    assert paths.read("ok") == b"mine"
    for student in ("nb", "other", "folder"):
        with pytest.raises(UngradableError, match="symbolic link"):
            paths.read(student)
    with pytest.raises(UngradableError, match="not a regular file"):
        paths.read("fifo")
    for student in ("../ok", "..", ""):
        with pytest.raises(UngradableError, match="not a valid student id"):
            paths.read(student)
    assert "folder" in paths.students()  # listed, so that it is reported, not dropped


def test_public_reason_shows_no_traceback_and_no_host_path(tmp_path):
    from dlcourse.grader.reasons import public_message, public_reason, scrub_paths

    root = tmp_path / "course"
    site = Path(json.__file__).parent
    trace = (
        "Traceback (most recent call last):\n"
        f'  File "{root}/grading/x.py", line 3, in grade\n'
        "    run(x)\n"
        "    ^^^^^^\n"
        f'  File "{site}/decoder.py", line 9, in run\n'
        f"OSError: [Errno 28] No space left on device: '/tmp/dlcourse-grade-1/work/{NOTEBOOK}'"
    )
    for text in (trace, f"grader error: {trace}", f"ValueError: bad input\n{trace}"):
        reason = public_reason(text, root)
        assert "\n" not in reason and "Traceback" not in reason and "File" not in reason
        for leak in (str(root), str(site), "/tmp/"):
            assert leak not in reason, reason
    assert public_reason(trace, root).startswith("OSError: [Errno 28] No space left")
    assert public_reason(f"grader error: {trace}", root).startswith("grader error: OSError")
    assert public_reason(f"ValueError: bad input\n{trace}", root) == "ValueError: bad input"
    message = public_message(f"expected 1, got 2\n{trace}", root)
    assert message.startswith("expected 1, got 2\n") and "Traceback" not in message
    assert "OSError" in message and "/tmp/" not in message and str(site) not in message
    shown = scrub_paths(f"{root}/submitted/a/{NOTEBOOK} in {Path.home()}/x; 1/2 and a/b", root)
    assert shown == f"<course>/submitted/a/{NOTEBOOK} in <home>/x; 1/2 and a/b"
    assert scrub_paths("/srv/data/mnist.npz") == "<path>/mnist.npz"


def test_a_refused_student_first_does_not_empty_the_report_chart(tmp_path):
    """A refused submission has no per-exercise maxima; sorted first, it used to decide the
    chart's panels (none)."""
    from dlcourse.grader.report import exercise_maxima, plot_scores
    from dlcourse.grader.submission import Result

    refused = Result("aaa-link", ASSIGNMENT, "ungradable", reason="a link")
    graded = Result("bob", ASSIGNMENT, "graded", scores={"t1": 1.0, "t2": 0.0},
                    max_scores={"t1": 1.0, "t2": 2.0})  # fmt: skip
    assert exercise_maxima([refused, graded]) == {"t1": 1.0, "t2": 2.0}
    plot_scores([refused, graded], tmp_path / "scores.png")
    assert (tmp_path / "scores.png").stat().st_size > 0


def test_the_report_shows_each_exercises_full_marks_and_known_mistakes(tmp_path):
    """Issue 18: per exercise, the share with full marks and the count of each diagnosed
    mistake, as a table and a plot."""
    from dlcourse.grader.report import exercise_summary, write_report
    from dlcourse.grader.submission import Result

    top = {"test_adam": 2.0, "test_sgd": 1.0}

    def student(name, adam, mistakes):
        scores = {"test_adam": adam, "test_sgd": 1.0}
        diagnoses = {"test_adam": mistakes} if mistakes else {}
        return Result(name, "03_optimization", "graded", scores=scores, max_scores=top,
                      diagnoses=diagnoses)  # fmt: skip

    results = [student("a", 2.0, []), student("b", 0.0, ["no_bias_correction"]),
               student("c", 0.0, ["no_bias_correction"]), student("d", 0.0, [])]  # fmt: skip
    summary = exercise_summary(results)
    assert summary["test_adam"][0] == 0.25 and summary["test_sgd"][0] == 1.0
    assert summary["test_adam"][1] == {"no_bias_correction": 2}
    page = write_report(results, tmp_path, "03_optimization").read_text()
    assert "no_bias_correction: 2" in page and "25%" in page and "mistakes.png" in page
    assert (tmp_path / "mistakes.png").stat().st_size > 0
    clean = write_report(results[:1], tmp_path / "clean", "03_optimization").read_text()
    assert "No known mistake was diagnosed" in clean
