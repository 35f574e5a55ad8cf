"""``dlcourse grade`` end to end: adversarial and broken submissions, a class of 30 graded with
``--jobs 2``, an LMS zip, resuming, the gradebook, the CSV, the feedback and the report."""

from __future__ import annotations

import csv
import hashlib
import html as html_module
import json
import random
import zipfile
from pathlib import Path

import nbformat
import pytest
from corpus_a01 import ASSIGNMENT, CASES, Expect, _reference
from test_grading import _variants_module

from dlcourse.build import hidden_region, is_test_cell, significant_lines
from dlcourse.cli import main
from dlcourse.grader.sandbox import sandbox_available

from harness import REPO, sandbox_leftovers, scratch_course

pytestmark = [
    pytest.mark.slow,
    # one pytest worker grades the class once for every test of this module
    pytest.mark.xdist_group("trusted_grading"),
    pytest.mark.skipif(not sandbox_available()[0], reason=f"no sandbox: {sandbox_available()[1]}"),
]

CLASS_SIZE = 30
LMS_STUDENTS = ("lms-alice", "lms-bob")
GRADE_ARGS = ["--jobs", "2", "--cell-seconds", "10", "--wall-seconds", "120",
              "--memory-mb", "1024", "--max-processes", "64"]  # fmt: skip


def _class_of_30() -> dict[str, tuple[bytes, dict[str, str]]]:
    """Students with a random mix of realistic bugs; student -> (notebook, exercise -> the
    bug's name)."""
    bugs = _variants_module(ASSIGNMENT).BUGGY
    rng = random.Random(30)
    students = {}
    for i in range(CLASS_SIZE):
        chosen = {ex: rng.choice(sorted(b)) for ex, b in bugs.items() if rng.random() < 0.25}
        nb = _reference(**{ex: bugs[ex][name] for ex, name in chosen.items()})
        students[f"class{i:02d}"] = (nbformat.writes(nb).encode(), chosen)
    return students


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("course"), known_bugs=True)
    submissions = {case.name: case.build() for case in CASES}
    klass = _class_of_30()
    submissions.update({s: nb for s, (nb, _) in klass.items()})
    for student, data in submissions.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(data)
    lms_zip = root / "lms-download.zip"
    with zipfile.ZipFile(lms_zip, "w") as archive:
        for student in LMS_STUDENTS:
            archive.writestr(f"{student}_attempt_1.ipynb", nbformat.writes(_reference()))
        archive.writestr("../escape.ipynb", "{}")  # a path that tries to leave the folder
    hashes = {p: _sha(p) for p in (root / "submitted").rglob("*.ipynb")}
    assert main(["--root", str(root), "grade", ASSIGNMENT, "--submissions", str(lms_zip),
                 *GRADE_ARGS]) == 0  # fmt: skip
    results = {
        p.stem: json.loads(p.read_text())
        for p in (root / "grading" / ASSIGNMENT / "results").glob("*.json")
    }
    return {"root": root, "results": results, "class": klass, "hashes": hashes}


def _check_scores(result: dict, expect: Expect) -> None:
    scores, top = result["scores"], result["max_scores"]
    assert set(scores) == set(top) and len(top) == 12
    if expect.any_score or expect.status == "ungradable":
        return
    for cell, score in scores.items():
        deserved = 0.0 if (expect.all_zero or cell in expect.zero) else top[cell]
        if expect.at_most:
            assert score <= deserved, f"{cell}: {score} > {deserved}"
        else:
            assert score == deserved, f"{cell}: {score} != {deserved} ({result['messages']})"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_corpus_case_gets_its_expected_outcome(graded, case):
    result = graded["results"][case.name]
    summary = json.dumps({k: result[k] for k in ("status", "reason", "flags", "messages")})[:3000]
    assert result["status"] == case.expect.status, summary
    assert case.expect.reason in result["reason"], summary
    for flag in case.expect.flags:
        assert any(flag in f for f in result["flags"]), f"missing flag {flag!r}: {summary}"
    _check_scores(result, case.expect)


def test_a_class_of_30_is_graded_exactly(graded):
    for student, (_, bugged) in graded["class"].items():
        result = graded["results"][student]
        assert result["status"] == "graded", result["reason"]
        for cell, score in result["scores"].items():
            expected = 0.0 if cell.removeprefix("test_") in bugged else result["max_scores"][cell]
            assert score == expected, f"{student} {cell}: {result['messages'].get(cell)}"


def test_lms_zip_was_imported_safely(graded):
    root = graded["root"]
    for student in LMS_STUDENTS:
        assert graded["results"][student]["status"] == "graded"
        assert sum(graded["results"][student]["scores"].values()) == 20
    assert not (root / "submitted" / "escape.ipynb").exists()
    assert not list((root / "submitted").glob("..*"))


def test_csv_has_one_row_per_student_with_status_and_flags(graded):
    path = graded["root"] / "grading" / ASSIGNMENT / "grades.csv"
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert {"student_id", "assignment", "score", "max_score", "status", "flags"} <= set(rows[0])
    by_student = {r["student_id"]: r for r in rows}
    assert set(by_student) == set(graded["results"])
    assert by_student["invalid_json"]["status"] == "ungradable"
    assert by_student["reference"]["score"] == "20" and by_student["blank"]["score"] == "0"


def test_gradebook_holds_every_result(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded['root'] / 'gradebook.db'}") as gb:
        for student, result in graded["results"].items():
            submission = gb.find_submission(ASSIGNMENT, student)
            assert submission.score == pytest.approx(sum(result["scores"].values())), student


def test_submissions_are_never_modified(graded):
    for path, digest in graded["hashes"].items():
        assert _sha(path) == digest, f"{path} was modified"


def test_feedback_shows_failures_but_never_hidden_tests(graded):
    root = graded["root"]
    source = nbformat.read(REPO / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    hidden = set().union(*(significant_lines(hidden_region(c.source))
                           for c in source.cells if is_test_cell(c)))  # fmt: skip
    feedback = list((root / "feedback").rglob("*.html"))
    assert len(feedback) >= CLASS_SIZE
    for path in feedback + list((root / "autograded").rglob("*.ipynb")):
        text = path.read_text(errors="replace")
        assert "HIDDEN TESTS" not in text, path
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{path} shows hidden-test lines: {leaked[:3]}"
    html = (root / "feedback" / "rebinds_numpy" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "softmax" in html and "0 / 2 points" in html


def test_feedback_names_each_exercise_and_renders_math_offline(graded):
    """dlcourse grade's feedback (nbgrader's generate_feedback with the course's template):
    'Exercise N · name' in the summary, MathJax written into the page, no hidden line, no
    machine path (the same checks as stock nbgrader's feedback in test_feedback.py)."""
    from test_feedback import (
        _assert_names_exercises,
        _assert_never_hidden,
        _assert_no_machine_path,
        _assert_offline_math,
    )

    root = graded["root"]
    page = (root / "feedback" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    _assert_names_exercises(page, {"test_perceptron_predict": 1.0})
    _assert_offline_math(page)
    _assert_never_hidden(page)
    _assert_no_machine_path(page, root)


def test_report_lists_what_needs_a_look(graded):
    folder = graded["root"] / "grading" / ASSIGNMENT
    page = (folder / "report.html").read_text()
    assert (folder / "scores.png").stat().st_size > 1000
    for name in ("invalid_json", "rebinds_numpy", "dead_kernel"):
        assert name in page


def test_grading_again_resumes_and_gives_the_same_results(graded):
    root = graded["root"]
    folder = root / "grading" / ASSIGNMENT / "results"
    before = {p.name: p.read_text() for p in folder.glob("*.json")}
    assert main(["--root", str(root), "grade", ASSIGNMENT, *GRADE_ARGS]) == 0
    after = {p.name: p.read_text() for p in folder.glob("*.json")}
    assert after == before, "a finished result was graded again"
    again = ["--force", "--student", "reference", "--student", "class03", "--student", "blank"]
    assert main(["--root", str(root), "grade", ASSIGNMENT, *GRADE_ARGS, *again]) == 0
    for student in ("reference", "class03", "blank"):
        old, new = (
            json.loads(before[f"{student}.json"]),
            json.loads((folder / f"{student}.json").read_text()),
        )
        assert (old["scores"], old["status"], old["flags"]) == (
            new["scores"],
            new["status"],
            new["flags"],
        )


def test_no_sandbox_is_left_behind(graded):
    """No process runs as this run's sandbox uids and no cgroup of theirs remains after
    grading (another pytest worker's runs in other slots are not this run's)."""
    stray, cgroups = sandbox_leftovers(range(int(GRADE_ARGS[GRADE_ARGS.index("--jobs") + 1])))
    assert not stray, f"sandbox processes still running: {stray}"
    assert not cgroups, f"cgroups left: {cgroups}"


def test_the_class_is_graded_under_its_own_secret_seed(graded):
    from dlcourse.grader.secret import course_seed, seed_fingerprint

    seed = course_seed(graded["root"])
    assert seed == 1
    inputs = {r["inputs"] for r in graded["results"].values() if r["status"] != "ungradable"}
    assert inputs == {seed_fingerprint(seed)}


def test_known_mistakes_are_named_in_the_result_the_csv_and_the_feedback(graded):
    """Issue 18: a student whose function behaves like a known bug is told which mistake it
    looks like; no exercise with full marks is ever diagnosed."""
    from dlcourse.grader.prove import exercise_test_cell

    bugs = _variants_module(ASSIGNMENT).BUGGY
    named = wrong = 0
    for student, (_, chosen) in graded["class"].items():
        result = graded["results"][student]
        for cell in result["diagnoses"]:
            assert result["scores"][cell] < result["max_scores"][cell], (student, cell)
        for exercise, bug in chosen.items():
            mistakes = result["diagnoses"].get(exercise_test_cell(exercise), [])
            named += bug in mistakes
            wrong += bool(mistakes) and bug not in mistakes
    total = sum(len(chosen) for _, chosen in graded["class"].values())
    print(f"class of {CLASS_SIZE}: {named} of {total} bugs named, {wrong} named wrongly")
    assert wrong == 0 and named >= 0.8 * total, (named, wrong, total)
    for result in graded["results"].values():
        if result["status"] == "graded" and result["scores"] == result["max_scores"]:
            assert not result["diagnoses"]
    out = graded["root"] / "grading" / ASSIGNMENT
    listed = {row["student_id"] for row in csv.DictReader(open(out / "grades.csv"))}
    rows = {
        (r["student_id"], r["test"], r["mistake"])
        for r in csv.DictReader(open(out / "diagnoses.csv"))
    }
    assert rows == {(s, test, mistake) for s in listed
                    for test, mistakes in graded["results"][s]["diagnoses"].items()
                    for mistake in mistakes}  # fmt: skip
    student, exercise, bug = next(
        (s, ex, bug)
        for s, (_, chosen) in graded["class"].items()
        for ex, bug in chosen.items()
        if bug in graded["results"][s]["diagnoses"].get(exercise_test_cell(ex), [])
    )
    html = (graded["root"] / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    hint = bugs[exercise][bug].hint
    assert "This looks like" in html and hint in html_module.unescape(html)
