"""Proof that the autograding is right, for every assignment with a variants file.

Each assignment in course/ that has ``tests/variants/a<id>.py`` is autograded by nbgrader
in a temporary course (see harness.py) with these made-up submissions:

- ``reference``: every solution cell holds the reference code -> full marks everywhere;
- ``blank``: the release notebook as students get it -> zero on every exercise;
- ``bug--<exercise>--<name>``: the reference with one cell replaced by a realistic bug ->
  fewer points on that exercise's test cell, full marks on every other one;
- ``alt--<k>``: every exercise replaced by its k-th correct alternative -> full marks.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from dlcourse.build import Course

from harness import (
    REPO,
    GradedSubmission,
    assignment_notebooks,
    autograde,
    grade_cell_points,
    make_submission,
    solution_sources,
)

VARIANTS = Path(__file__).parent / "variants"
MIN_BUGGY_PER_EXERCISE = 3


def _variants_module(assignment: str) -> ModuleType:
    path = VARIANTS / f"a{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"variants_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _graded_assignments() -> list[str]:
    return [a for a in Course(REPO).assignments() if (VARIANTS / f"a{a}.py").is_file()]


ASSIGNMENTS = _graded_assignments()


def _bug_params():
    return [
        pytest.param(a, ex, name, id=f"{a}/{ex}/{name}")
        for a in ASSIGNMENTS
        for ex, bugs in _variants_module(a).BUGGY.items()
        for name in bugs
    ]


def _alt_count(assignment: str) -> int:
    return max((len(v) for v in _variants_module(assignment).CORRECT.values()), default=0)


def _alt_params():
    return [
        pytest.param(a, k, id=f"{a}/alternative-set-{k}")
        for a in ASSIGNMENTS
        for k in range(_alt_count(a))
    ]


def _submissions(assignment: str) -> dict:
    source, release = assignment_notebooks(assignment)
    reference = solution_sources(source)
    variants = _variants_module(assignment)
    subs = {"reference": make_submission(release, reference), "blank": release}
    for exercise, bugs in variants.BUGGY.items():
        for name, code in bugs.items():
            buggy = {**reference, exercise: code}
            subs[f"bug--{exercise}--{name}"] = make_submission(release, buggy)
    for k in range(_alt_count(assignment)):
        alternatives = {
            ex: list(alts.values())[k] for ex, alts in variants.CORRECT.items() if len(alts) > k
        }
        subs[f"alt--{k}"] = make_submission(release, {**reference, **alternatives})
    return subs


@cache
def _grades(assignment: str, scratch: Path) -> dict[str, GradedSubmission]:
    return autograde(scratch / assignment, assignment, _submissions(assignment))


@pytest.fixture(scope="session")
def grades(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("autograde")
    return lambda assignment: _grades(assignment, scratch)


def _test_cell_of(exercise: str) -> str:
    return f"test_{exercise}"


# ------------------------------------------------------------------ structure
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_a_test_cell_and_variants(assignment):
    source, _ = assignment_notebooks(assignment)
    exercises = set(solution_sources(source))
    points = grade_cell_points(source)
    variants = _variants_module(assignment)
    assert len(exercises) >= 8, f"only {len(exercises)} exercises"
    for exercise in exercises:
        assert points.get(_test_cell_of(exercise), 0) > 0, f"{exercise} has no test cell"
        bugs = variants.BUGGY.get(exercise, {})
        assert len(bugs) >= MIN_BUGGY_PER_EXERCISE, f"{exercise}: {len(bugs)} buggy variants"
        assert variants.CORRECT.get(exercise), f"{exercise}: no correct alternative"
    assert set(variants.BUGGY) <= exercises and set(variants.CORRECT) <= exercises
    assert set(points) == {_test_cell_of(e) for e in exercises}, "test cells without exercise"


# ------------------------------------------------------------------ grading
@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks(grades, assignment):
    graded = grades(assignment)["reference"]
    assert graded.scores, "no grade cells were graded"
    assert graded.scores == graded.max_scores, graded.describe()


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_release_scores_zero(grades, assignment):
    graded = grades(assignment)["blank"]
    assert graded.scores, "no grade cells were graded"
    assert all(score == 0 for score in graded.scores.values()), graded.describe()


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "exercise", "bug"), _bug_params())
def test_buggy_variant_loses_points_on_its_exercise_only(grades, assignment, exercise, bug):
    graded = grades(assignment)[f"bug--{exercise}--{bug}"]
    own = _test_cell_of(exercise)
    assert graded.scores[own] < graded.max_scores[own], (
        f"bug {bug!r} in {exercise} kept full marks\n" + graded.describe()
    )
    others = {c: s for c, s in graded.scores.items() if c != own and s < graded.max_scores[c]}
    assert not others, f"bug {bug!r} in {exercise} also cost points on {sorted(others)}\n" + (
        graded.describe()
    )


@pytest.mark.slow
@pytest.mark.parametrize(("assignment", "k"), _alt_params())
def test_correct_alternatives_keep_full_marks(grades, assignment, k):
    graded = grades(assignment)[f"alt--{k}"]
    assert graded.scores == graded.max_scores, graded.describe()
