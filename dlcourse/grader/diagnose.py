"""Name the mistake: does a student's function behave exactly like a known buggy variant?

A test cell's recorded calls give, for the student, one ``Outcome`` per call (what the
function returned, or raised, and what it left in its arguments). The grader can compute the
same outcomes for every known buggy variant (``tests/variants``) on the same calls. A variant
whose outcomes agree with every call the student's function answered, within the tolerance
of a check, diagnoses the student's mistake; its ``Misconception`` hint explains it.

This module only compares outcomes; where they come from is the caller's business.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlcourse.grader.replay import Outcome
from dlcourse.grader.threads import one_math_thread

if TYPE_CHECKING:
    from dlcourse.grader.prove import Prover
    from dlcourse.grader.variants import Variant


@dataclass(frozen=True)
class KnownBug:
    """A known buggy variant as grading uses it: its name, its hint, and its outcomes on one
    test cell's recorded calls."""

    name: str
    hint: str
    outcomes: tuple[Outcome, ...]


KnownBugs = dict[str, dict[str, KnownBug]]  # test cell -> variant name -> the bug

# Like check_function's default tolerance, per array dtype (float32 results get a looser one).
RTOL, ATOL = 1e-6, 1e-9
RTOL32, ATOL32 = 1e-4, 1e-6


def same_value(a: Any, b: Any, depth: int = 0) -> bool:
    """Whether two decoded results agree: same structure, numbers within the tolerance."""
    if depth > 32:
        return False
    if isinstance(a, np.ndarray | np.generic) or isinstance(b, np.ndarray | np.generic):
        return _same_numbers(a, b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return _same_numbers(np.float64(a), np.float64(b))
    if isinstance(a, tuple | list):
        return (
            isinstance(b, tuple | list)
            and len(a) == len(b)
            and all(same_value(x, y, depth + 1) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same_value(a[k], b[k], depth + 1) for k in a)
        )
    return type(a) is type(b) and a == b


def _same_numbers(a: Any, b: Any) -> bool:
    try:
        x, y = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if x.shape != y.shape or x.dtype.kind not in "biufc" or y.dtype.kind not in "biufc":
        return False
    kinds = {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}
    if kinds[x.dtype.kind] != kinds[y.dtype.kind]:
        return False  # float labels are not integer labels, even of the same values
    if x.dtype.kind in "fc" and x.dtype.itemsize != y.dtype.itemsize:
        return False  # nor is a float64 result a float32 one
    low = any(v.dtype in (np.float32, np.float16) for v in (x, y))
    rtol, atol = (RTOL32, ATOL32) if low else (RTOL, ATOL)
    with np.errstate(all="ignore"):
        if x.dtype.kind == "b" or y.dtype.kind == "b":
            return x.dtype == y.dtype and bool(np.array_equal(x, y))
        return bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))


def _same_outcome(student: Outcome, variant: Outcome) -> bool:
    if student.error is not None or variant.error is not None:
        # both failed the same way (the exception's type, as the probe words it)
        return (
            student.error is not None
            and variant.error is not None
            and _error_kind(student.error) == _error_kind(variant.error)
        )
    return (
        same_value(student.result, variant.result)
        and same_value(student.args_after, variant.args_after)
        and student.memory.get("aliases", set()) == variant.memory.get("aliases", set())
    )


def _error_kind(error: str) -> str:
    """``"f raised ValueError: ..."`` -> ``"ValueError"``; other probe errors as they are."""
    head = error.split(":", 1)[0]
    return head.split(" raised ", 1)[1] if " raised " in head else head


def matches(student: Sequence[Outcome], variant: Sequence[Outcome]) -> bool:
    """Whether the variant behaves like the student on every call the student answered (and
    on at least one with a result: a function that only raised, e.g. one not written yet,
    is no diagnosis)."""
    answered = list(student)
    if not answered or len(variant) < len(answered):
        return False
    if all(o.error is not None for o in answered):
        return False
    return all(_same_outcome(s, v) for s, v in zip(answered, variant, strict=False))


# --------------------------------------------------------------------------- consistency
@dataclass
class Consistency:
    """Whether the known bugs of an assignment name themselves (see ``self_consistency``)."""

    buggy: int = 0
    diagnosed_as_itself: int = 0
    not_itself: list[str] = field(default_factory=list)  # bugs that do not match themselves
    # bugs that raise on every call: no result to match, so never diagnosed
    only_errors: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)  # "correct/ref -> bug": a wrong diagnosis
    alike: list[tuple[str, str]] = field(default_factory=list)  # bugs no input tells apart


def self_consistency(prover: Prover, variants: Iterable[Variant]) -> Consistency:
    """Diagnose every variant (and the reference) against the buggy variants of its exercise,
    on the exercise's test cell: each bug must be diagnosed as itself, no correct answer as
    anything; pairs of bugs that match each other are listed (their hints should agree, or
    the inputs should tell them apart)."""
    from dlcourse.grader.prove import exercise_test_cell

    found = Consistency()
    by_exercise: dict[str, list[Variant]] = {}
    for variant in variants:
        by_exercise.setdefault(variant.exercise, []).append(variant)
    for exercise, group in by_exercise.items():
        cell = exercise_test_cell(exercise)
        if cell not in prover.graded.tests:
            continue
        outcomes = {v.name: prover.outcomes({exercise: v.source}, cell) for v in group}
        bugs = {v.name: outcomes[v.name] for v in group if not v.correct}
        reference = prover.outcomes({}, cell)
        for v in group:
            named = [b for b, theirs in bugs.items() if matches(outcomes[v.name], theirs)]
            label = f"{exercise}/{v.name}"
            if v.correct:
                found.false += [f"{label} -> {b}" for b in named]
                continue
            found.buggy += 1
            if v.name in named:
                found.diagnosed_as_itself += 1
            elif all(o.error is not None for o in outcomes[v.name]):
                found.only_errors.append(label)
            else:
                found.not_itself.append(label)
            found.alike += [(label, f"{exercise}/{b}") for b in named if b > v.name]
        found.false += [
            f"{exercise}/reference -> {b}"
            for b, theirs in bugs.items()
            if matches(reference, theirs)
        ]
    return found


# --------------------------------------------------------------------------- grading
def known_bugs(root: Path, assignment: str, seed: int = 0) -> KnownBugs:
    """Every known bug of ``assignment`` (the course's ``tests/variants`` file, if any) with
    its outcomes on its exercise's test cell, under the class's seed ``seed``: computed once
    per grading run, in the grader's own process (the variants are the course's code)."""
    from dlcourse.grader.prove import exercise_test_cell, open_prover
    from dlcourse.grader.variants import default_variants_file, load_variants

    path = default_variants_file(root, assignment)
    if not path.is_file():
        return {}
    found: KnownBugs = {}
    with one_math_thread(), open_prover(root, assignment) as prover:
        prover.use_seed(seed)  # the outcomes need no replay, so no hidden_test_seed block
        loaded = load_variants(path, prover.graded.function_names)
        for variant in loaded.variants:
            cell = exercise_test_cell(variant.exercise)
            if variant.correct or cell not in prover.graded.tests:
                continue
            outcomes = tuple(prover.outcomes({variant.exercise: variant.source}, cell))
            found.setdefault(cell, {})[variant.name] = KnownBug(
                variant.name, variant.hint, outcomes
            )
    return found


def cached_known_bugs(root: Path, assignment: str, seed: int, folder: Path) -> KnownBugs:
    """``known_bugs`` through a cache in ``folder`` (the grading run's own folder): the
    outcomes are computed once per course version and class seed, and a later run (a
    regrade, late submissions) reads them back. The key covers everything they depend on:
    the variants file, the course notebook, the reference module, the grader's code and the
    seed; a damaged or stale cache file is computed again and replaced."""
    key = _cache_key(root, assignment, seed)
    if key is None:
        return {}
    path = folder / f"known-bugs-{key[:24]}.pickle"
    try:
        with open(path, "rb") as f:
            found = pickle.load(f)
        if isinstance(found, dict):
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    found = known_bugs(root, assignment, seed)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("known-bugs-*.pickle"):  # one course version at a time
        old.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(found, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return found


def _cache_key(root: Path, assignment: str, seed: int) -> str | None:
    """A digest of what the known bugs' outcomes depend on; None if there are no variants."""
    from dlcourse.grader.variants import default_variants_file
    from dlcourse.grading import reference_module_name

    variants = default_variants_file(root, assignment)
    if not variants.is_file():
        return None
    code = Path(__file__).resolve().parents[1]  # the dlcourse package: grader and checks
    sources = [
        variants,
        root / "course" / assignment / f"{assignment}.ipynb",
        root / "solutions" / f"{reference_module_name(assignment)}.py",
        *sorted(code.rglob("*.py")),
    ]
    digest = hashlib.sha256(f"seed {seed}\n".encode())
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes() if source.is_file() else b"(missing)")
    return digest.hexdigest()


def name_mistakes(
    student: Mapping[str, Sequence[Outcome]], known: KnownBugs, failed: Iterable[str]
) -> dict[str, list[KnownBug]]:
    """For each test cell the student failed, the known bugs their outcomes match."""
    found: dict[str, list[KnownBug]] = {}
    for cell in failed:
        answered = student.get(cell, [])
        bugs = [b for b in known.get(cell, {}).values() if matches(answered, b.outcomes)]
        if bugs:
            found[cell] = sorted(bugs, key=lambda b: b.name)
    return found


def feedback_text(bugs: Sequence[KnownBug]) -> str:
    """What the student reads under an exercise their function got wrong like a known bug."""
    hints = list(dict.fromkeys(b.hint for b in bugs if b.hint))
    if not hints:
        return ""
    if len(hints) == 1:
        return f"This looks like a known mistake: {hints[0]}"
    return "This looks like one of these known mistakes:\n" + "\n".join(f"- {h}" for h in hints)
