"""``dlcourse prove`` gives the verdicts that grading gives, exercise by exercise.

``prove`` judges hundreds of variants in one process; this checks it against the real thing.
For every assignment, a sample is graded end to end by stock ``nbgrader autograde`` (a kernel
per notebook, the test cells run in it) and by sandboxed ``dlcourse grade`` (bubblewrap, the
test cells replayed outside): the reference, the blank release, and two notebooks that between
them hold the first bug and the first correct alternative of every exercise (bugs in the even
exercises and alternatives in the odd ones, then the other way round). The test cells that
fail must be the same under all three, notebook by notebook.

This also catches what only a real run exercises: values that must survive the trip out of
the sandbox, functions sent into it as arguments, a notebook's data loading inside it.
"""

from __future__ import annotations

import json
from functools import cache

import nbformat
import pytest
import torch
from test_grading import ASSIGNMENTS, _variants_module

from dlcourse.build import answer_sources
from dlcourse.cli import main
from dlcourse.grader.prove import exercise_test_cell, open_prover
from dlcourse.grader.sandbox import sandbox_available

from harness import REPO, assignment_notebooks, autograde, make_submission, scratch_course

pytestmark = pytest.mark.slow


def _packed(assignment: str) -> dict[str, dict[str, str] | None]:
    """student -> the answer cells that replace the reference's (None: the blank release)."""
    source, _ = assignment_notebooks(assignment)
    variants = _variants_module(assignment)
    mixes: list[dict[str, str]] = [{}, {}]
    for i, exercise in enumerate(answer_sources(source)):
        bug = next(iter(variants.BUGGY[exercise].values()))
        correct = next(iter(variants.CORRECT[exercise].values()))
        mixes[i % 2][exercise] = bug
        mixes[1 - i % 2][exercise] = correct
    return {"reference": {}, "blank": None, "mix-0": mixes[0], "mix-1": mixes[1]}


def _notebooks(assignment: str) -> dict[str, nbformat.NotebookNode]:
    source, release = assignment_notebooks(assignment)
    reference = answer_sources(source)
    return {
        student: release if cells is None else make_submission(release, {**reference, **cells})
        for student, cells in _packed(assignment).items()
    }


@cache
def _predicted(assignment: str) -> dict[str, set[str]]:
    """student -> the test cells prove says fail."""
    with open_prover(REPO, assignment) as prover:
        predicted = {}
        for student, cells in _packed(assignment).items():
            failed, _ = prover.judge(prover.blank if cells is None else cells)
            predicted[student] = set(failed)
    return predicted


def _assert_agree(assignment: str, grader: str, failed: dict[str, set[str]]) -> None:
    predicted = _predicted(assignment)
    assert predicted["reference"] == set(), predicted["reference"]
    assert predicted["blank"] == {exercise_test_cell(e) for e in _variants_module(assignment).BUGGY}
    assert predicted["mix-0"] and predicted["mix-1"], "each mix holds bugs that fail"
    for student, cells in predicted.items():
        assert failed[student] == cells, (
            f"{student}: {grader} fails {sorted(failed[student])}, prove fails {sorted(cells)}"
        )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stock_nbgrader_agrees_with_prove(assignment, tmp_path):
    graded = autograde(tmp_path, assignment, _notebooks(assignment), workers=1)
    failed = {
        student: {cell for cell, score in g.scores.items() if score < g.max_scores[cell]}
        for student, g in graded.items()
    }
    _assert_agree(assignment, "nbgrader autograde", failed)


@pytest.mark.skipif(not sandbox_available()[0], reason=f"no sandbox: {sandbox_available()[1]}")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_sandboxed_grading_agrees_with_prove(assignment, tmp_path):
    # A parallel torch operation in this process first, as a notebook or a test session may
    # have run: the grading workers must not inherit its OpenMP thread pool (a forked worker
    # hung in the hidden tests' torch comparisons).
    torch.ones(1_000_000, dtype=torch.float64).std()
    root = scratch_course(tmp_path / "course")
    for student, nb in _notebooks(assignment).items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    assert main(["--root", str(root), "grade", assignment, "--cell-seconds", "60"]) == 0
    failed = {}
    for student in _packed(assignment):
        result = json.loads((root / "grading" / assignment / "results" / f"{student}.json")
                            .read_text())  # fmt: skip
        assert result["status"] == "graded", (student, result["reason"])
        assert not result["flags"], (student, result["flags"])
        failed[student] = {c for c, s in result["scores"].items() if s < result["max_scores"][c]}
    _assert_agree(assignment, "dlcourse grade", failed)
