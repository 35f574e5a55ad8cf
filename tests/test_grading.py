"""Proof that the autograding is right, for every assignment with a variants file.

``dlcourse prove`` (see ``dlcourse/grader/prove.py``) judges, for every exercise of every
assignment in course/ that has ``tests/variants/a<id>.py``:

- the reference: full marks on every test cell;
- the blank release as students get it: zero on every exercise;
- every realistic bug: fewer points on its exercise's test cell, full marks on every other;
- every correct alternative: full marks everywhere;

under two draws of the hidden tests' random inputs. ``test_prove_agrees_with_grading.py``
shows that stock ``nbgrader autograde`` and sandboxed ``dlcourse grade`` give the same
verdicts on a sample packed into a few notebooks.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from dlcourse.build import Course, answer_sources
from dlcourse.grader.prove import exercise_test_cell, prove

from harness import REPO, assignment_notebooks, grade_cell_points

VARIANTS = Path(__file__).parent / "variants"
MIN_BUGGY_PER_EXERCISE = 3
SEEDS = 2  # seed 0 is the draw the hidden tests were written with; one more must prove too


def _variants_module(assignment: str) -> ModuleType:
    path = VARIANTS / f"a{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"variants_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _graded_assignments() -> list[str]:
    return [a for a in Course(REPO).assignments() if (VARIANTS / f"a{a}.py").is_file()]


ASSIGNMENTS = _graded_assignments()


# ------------------------------------------------------------------ structure
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_a_test_cell_and_variants(assignment):
    source, _ = assignment_notebooks(assignment)
    exercises = set(answer_sources(source))
    points = grade_cell_points(source)
    variants = _variants_module(assignment)
    assert len(exercises) >= 8, f"only {len(exercises)} exercises"
    for exercise in exercises:
        assert points.get(exercise_test_cell(exercise), 0) > 0, f"{exercise} has no test cell"
        bugs = variants.BUGGY.get(exercise, {})
        assert len(bugs) >= MIN_BUGGY_PER_EXERCISE, f"{exercise}: {len(bugs)} buggy variants"
        assert variants.CORRECT.get(exercise), f"{exercise}: no correct alternative"
    assert set(variants.BUGGY) <= exercises and set(variants.CORRECT) <= exercises
    assert set(points) == {exercise_test_cell(e) for e in exercises}, "test cells without exercise"


# ------------------------------------------------------------------ the proof
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_catch_every_bug_and_keep_every_correct_answer(assignment):
    proof = prove(REPO, assignment, seeds=SEEDS)
    print(proof.table())
    assert proof.ok, proof.table()
    variants = _variants_module(assignment)
    # every variant of the file was judged (none dropped as a bad entry), on every exercise
    assert set(proof.exercises) == set(answer_sources(assignment_notebooks(assignment)[0]))
    for exercise, tally in proof.exercises.items():
        assert len(tally.bugs) == len(variants.BUGGY.get(exercise, {})), exercise
        assert len(tally.correct) == len(variants.CORRECT.get(exercise, {})), exercise
        assert tally.reference_passes and tally.blank_fails, exercise
    # one judgement per submission and seed: the reference, the blank and each variant
    count = sum(map(len, variants.BUGGY.values())) + sum(map(len, variants.CORRECT.values()))
    assert proof.judged == SEEDS * (count + 2)
