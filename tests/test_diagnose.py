"""Diagnosis by outcomes: a student's function that behaves like a known bug is named."""

from __future__ import annotations

import numpy as np
import pytest
from test_grading import ASSIGNMENTS

from dlcourse.grader import diagnose
from dlcourse.grader.diagnose import (
    KnownBug,
    cached_known_bugs,
    matches,
    name_mistakes,
    same_value,
    self_consistency,
)
from dlcourse.grader.prove import open_prover
from dlcourse.grader.replay import Outcome
from dlcourse.grader.variants import default_variants_file, load_variants

from harness import REPO


def _ok(result, after=((), {})):
    return Outcome(result=result, args_after=list(after))


def test_values_match_within_the_checks_tolerance_and_dtype():
    x = np.array([1.0, 2.0])
    assert same_value(x, x + 1e-12)
    assert not same_value(x, x + 1e-3)
    x32 = x.astype(np.float32)
    assert same_value(x32, x32 * (1 + 1e-5))  # float32: a looser tolerance
    assert not same_value(x, x[:1])
    assert same_value({"a": (x, 2)}, {"a": (x, 2.0)})
    assert not same_value({"a": x}, {"b": x})
    assert not same_value(np.array([True]), np.array([1.0]))
    assert not same_value(np.array([1, 0]), np.array([1.0, 0.0]))  # labels as floats
    assert not same_value(x, x32)  # the same values in another precision


def test_a_variant_matches_every_answered_call_or_none():
    a, b = np.array([1.0]), np.array([2.0])
    student = [_ok(a), _ok(b)]
    assert matches(student, [_ok(a), _ok(b)])
    assert matches(student, [_ok(a), _ok(b), _ok(a)])  # the student stopped early
    assert not matches(student, [_ok(a), _ok(a)])
    assert not matches(student, [_ok(a)])
    assert not matches([], [_ok(a)])


def test_errors_match_by_kind_and_an_error_alone_is_no_diagnosis():
    raised = Outcome(error="f raised ValueError: shapes (2,) and (3,) not aligned")
    other = Outcome(error="f raised ValueError: another message")
    index = Outcome(error="f raised IndexError: out of range")
    a = np.array([1.0])
    assert matches([_ok(a), raised], [_ok(a), other])
    assert not matches([_ok(a), raised], [_ok(a), index])
    assert not matches([raised], [other])  # nothing but errors: e.g. not written yet
    assert not matches([Outcome(error="f is not implemented yet")], [_ok(a)])


def test_in_place_changes_are_part_of_the_behaviour():
    params_after = [({"w": np.array([0.9])}, {}), {}]
    other_after = [({"w": np.array([0.5])}, {}), {}]
    student = [Outcome(result=None, args_after=params_after)]
    assert matches(student, [Outcome(result=None, args_after=params_after)])
    assert not matches(student, [Outcome(result=None, args_after=other_after)])


def test_only_failed_cells_are_diagnosed_and_ties_show_all():
    a, b = np.array([1.0]), np.array([2.0])
    student = {"test_f": [_ok(a)], "test_g": [_ok(b)]}
    known = {
        "test_f": {
            name: KnownBug(name, f"hint {name}", (_ok(value),))
            for name, value in [("forgets_bias", a), ("same_as_forgets_bias", a), ("other", b)]
        },
        "test_g": {"forgets_bias": KnownBug("forgets_bias", "hint", (_ok(b),))},
    }
    named = name_mistakes(student, known, ["test_f"])
    assert {cell: [bug.name for bug in bugs] for cell, bugs in named.items()} == {
        "test_f": ["forgets_bias", "same_as_forgets_bias"]
    }
    assert name_mistakes(student, known, []) == {}


def test_an_alias_is_part_of_the_behaviour():
    a = np.array([1.0])
    alias = {"aliases": {frozenset({("a", 1, "w"), ("a", 2, "velocity", "w")})}}
    assert not matches([_ok(a)], [Outcome(result=a, args_after=[(), {}], memory=alias)])
    assert matches([Outcome(result=a, args_after=[(), {}], memory=alias)],
                   [Outcome(result=a, args_after=[(), {}], memory=alias)])  # fmt: skip


def test_known_bugs_are_computed_once_per_course_version_and_seed(tmp_path, monkeypatch):
    """The cache beside the results: a regrade reads the known bugs back; a new variants
    file, a new reference, another seed or a damaged cache file computes them again."""
    a = "01_perceptron_to_mlp"
    root = tmp_path / "course-root"
    for path, text in ((f"tests/variants/a{a}.py", "BUGGY = {}"),
                       (f"course/{a}/{a}.ipynb", "{}"), (f"solutions/a{a}.py", "x = 1")):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    computed = []

    def fake(root_, assignment, seed):
        computed.append(seed)
        return {"test_relu": {"no_zero": KnownBug("no_zero", "a hint", (_ok(seed),))}}

    monkeypatch.setattr(diagnose, "known_bugs", fake)
    folder = tmp_path / "grading"
    first = cached_known_bugs(root, a, 7, folder)
    assert cached_known_bugs(root, a, 7, folder) == first and computed == [7]
    assert first["test_relu"]["no_zero"].outcomes[0].result == 7
    cached_known_bugs(root, a, 8, folder)
    assert computed == [7, 8]
    (root / f"tests/variants/a{a}.py").write_text("BUGGY = {'relu': {}}")
    cached_known_bugs(root, a, 8, folder)
    (root / f"solutions/a{a}.py").write_text("x = 2")
    cached_known_bugs(root, a, 8, folder)
    assert computed == [7, 8, 8, 8]
    [cache] = folder.glob("known-bugs-*.pickle")  # only the current version is kept
    cache.write_bytes(b"not a pickle")
    again = cached_known_bugs(root, a, 8, folder)
    assert again["test_relu"]["no_zero"].outcomes[0].result == 8
    assert computed == [7, 8, 8, 8, 8]
    (root / f"tests/variants/a{a}.py").unlink()  # no variants: nothing to diagnose with
    assert cached_known_bugs(root, a, 8, folder) == {} and len(computed) == 5


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_known_bug_names_itself_and_no_correct_answer_is_diagnosed(assignment):
    """Issue 18's self-consistency: each buggy variant's outcomes on its exercise's test cell
    diagnose it as itself (unless it raises on every call: nothing to match), and neither
    the reference nor a correct variant matches any bug. Bugs that no input tells apart are
    allowed; their hints must then be read together (see Consistency.alike)."""
    with open_prover(REPO, assignment) as prover:
        path = default_variants_file(REPO, assignment)
        loaded = load_variants(path, prover.graded.function_names)
        found = self_consistency(prover, loaded.variants)
    assert found.false == [], "correct answers diagnosed as bugs"
    assert found.not_itself == [], "bugs that do not match their own outcomes"
    assert found.diagnosed_as_itself + len(found.only_errors) == found.buggy > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_known_bug_has_a_hint_for_the_student(assignment):
    """The misconception library: each buggy variant carries what the student got wrong, in
    words for the student (never the grader's vocabulary)."""
    from test_grading import _variants_module

    module = _variants_module(assignment)
    for exercise, bugs in module.BUGGY.items():
        for name, bug in bugs.items():
            hint = getattr(bug, "hint", "")
            assert hint.strip(), f"{exercise}/{name} has no hint"
            assert len(hint) <= 300, f"{exercise}/{name}: a hint of {len(hint)} characters"
            for word in ("hidden test", "hidden input", "variant", "grader"):
                assert word not in hint.lower(), f"{exercise}/{name}: the hint says {word!r}"
