"""``dlcourse grade`` (sandboxed, judged outside the kernel) on every assignment with a variants
file: the reference, the blank release, the first realistic bug of every exercise and the first
set of correct alternatives get the same verdicts as under stock nbgrader (test_grading.py).

This catches what only the sandboxed path exercises: values that must survive the trip out of
the sandbox (caches, dicts updated in place, Python and NumPy scalars), functions sent into it
as arguments, and a notebook's data loading inside it.
"""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
import torch
from corpus_a01 import ASSIGNMENT as CORPUS_ASSIGNMENT
from test_grading import ASSIGNMENTS, _variants_module

from dlcourse.cli import main
from dlcourse.grader.sandbox import sandbox_available

from harness import REPO, assignment_notebooks, make_submission, solution_sources

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox_available()[0], reason=f"no sandbox: {sandbox_available()[1]}"),
]


def _submissions(assignment: str) -> dict[str, tuple[nbformat.NotebookNode, set[str] | None]]:
    """student -> (notebook, the exercises that must score 0; None: every exercise)."""
    source, release = assignment_notebooks(assignment)
    reference = solution_sources(source)
    variants = _variants_module(assignment)
    subs = {"reference": (make_submission(release, reference), set()), "blank": (release, None)}
    for exercise, bugs in variants.BUGGY.items():
        name, code = next(iter(bugs.items()))
        subs[f"bug-{exercise}"] = (make_submission(release, {**reference, exercise: code}),
                                   {exercise})  # fmt: skip
    alternatives = {ex: next(iter(alts.values())) for ex, alts in variants.CORRECT.items()}
    subs["alternatives"] = (make_submission(release, {**reference, **alternatives}), set())
    return subs


# test_trusted_grading.py grades the corpus assignment (reference, blank, a class of 30 with
# its realistic bugs, adversarial notebooks) in depth already.
@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a != CORPUS_ASSIGNMENT])
def test_sandboxed_grading_agrees_with_the_variants(assignment, tmp_path):
    # A parallel torch operation in this process first, as a notebook or a test session may
    # have run: the grading workers must not inherit its OpenMP thread pool (a forked worker
    # hung in the hidden tests' torch comparisons).
    torch.ones(1_000_000, dtype=torch.float64).std()
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    for folder in ("course", "release", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    submissions = _submissions(assignment)
    for student, (nb, _) in submissions.items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    args = ["--root", str(root), "grade", assignment, "--jobs", "2", "--cell-seconds", "60"]
    assert main(args) == 0
    for student, (_, zero) in submissions.items():
        result = json.loads((root / "grading" / assignment / "results" / f"{student}.json")
                            .read_text())  # fmt: skip
        assert result["status"] == "graded", (student, result["reason"])
        assert not result["flags"], (student, result["flags"])
        for cell, score in result["scores"].items():
            exercise = cell.removeprefix("test_")
            deserved = 0.0 if zero is None or exercise in zero else result["max_scores"][cell]
            if zero is not None and exercise in zero:
                assert score < result["max_scores"][cell], f"{student} kept full marks on {cell}"
            else:
                assert score == deserved, f"{student} {cell}: {result['messages'].get(cell)}"
