"""Benchmark: how well, and at what cost, grading names known mistakes (issue 18).

    python benchmarks/diagnose.py                       # all three parts, every assignment
    python benchmarks/diagnose.py --part class --students 12 03_optimization
    python benchmarks/diagnose.py --part timing 01_perceptron_to_mlp

Three parts, figures only (the assertions live in tests/test_diagnose.py and
tests/test_trusted_grading.py):

1. ``consistency``: per assignment, the known bugs diagnosed as themselves, those that raise
   on every call (nothing to match), false diagnoses of the reference and the correct
   alternatives, and the pairs of bugs that no hidden input tells apart.
2. ``class``: a generated class per assignment, graded by ``dlcourse grade`` in the sandbox.
   Each student holds, per exercise, the reference (40%), the blank stub (20%) or one of
   its known bugs (40%), at random. Of the exercises that lost points it counts those
   rightly diagnosed (a bug named as itself, or as a bug no input tells apart from it; a
   blank named as nothing) and those wrongly diagnosed.
3. ``timing``: the same class graded without naming (``diagnose=False``), with naming and
   a cold cache (the known bugs computed), and with naming and a warm cache (a regrade):
   seconds per submission and the extra over no naming (off and warm: the best of 3 and 2).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_grading import ASSIGNMENTS, _variants_module  # noqa: E402

from dlcourse.build import answer_sources  # noqa: E402
from dlcourse.grader.diagnose import Consistency, self_consistency  # noqa: E402
from dlcourse.grader.prove import exercise_test_cell, open_prover  # noqa: E402
from dlcourse.grader.run import grade_class  # noqa: E402
from dlcourse.grader.sandbox import Limits  # noqa: E402
from dlcourse.grader.variants import default_variants_file, load_variants  # noqa: E402

from harness import assignment_notebooks, make_submission, scratch_course  # noqa: E402

SEED = 1  # the class secret the variants are proven under (tests/harness.scratch_course)
BLANK = "(blank)"
REFERENCE = "(reference)"


def consistency(assignment: str) -> Consistency:
    """The known bugs of ``assignment`` diagnosed against each other (see self_consistency)."""
    with open_prover(REPO, assignment) as prover:
        prover.use_seed(SEED)
        loaded = load_variants(default_variants_file(REPO, assignment),
                               prover.graded.function_names)  # fmt: skip
        return self_consistency(prover, loaded.variants)


def generated_class(assignment: str, students: int, seed: int) -> dict[str, dict[str, str]]:
    """student -> exercise -> what it holds: REFERENCE, BLANK or a known bug's name."""
    source, _ = assignment_notebooks(assignment)
    bugs = _variants_module(assignment).BUGGY
    rng = random.Random(seed)
    klass = {}
    for i in range(students):
        chosen = {}
        for exercise in answer_sources(source):
            draw = rng.random()
            if draw < 0.4 and bugs.get(exercise):
                chosen[exercise] = rng.choice(sorted(bugs[exercise]))
            elif draw < 0.6:
                chosen[exercise] = BLANK
            else:
                chosen[exercise] = REFERENCE
        klass[f"gen{i:03d}"] = chosen
    return klass


def write_class(root: Path, assignment: str, klass: dict[str, dict[str, str]]) -> None:
    source, release = assignment_notebooks(assignment)
    reference = answer_sources(source)
    bugs = _variants_module(assignment).BUGGY
    for student, chosen in klass.items():
        cells = {}
        for exercise, what in chosen.items():
            if what == REFERENCE:
                cells[exercise] = reference[exercise]
            elif what != BLANK:
                cells[exercise] = str(bugs[exercise][what])
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(make_submission(release, cells), folder / f"{assignment}.ipynb")


def _grade(root: Path, assignment: str, jobs: int, diagnose: bool, force: bool = False):
    start = time.perf_counter()
    results = grade_class(root, assignment, jobs=jobs, limits=Limits(cell_seconds=60),
                          force=force, progress=False, diagnose=diagnose,
                          log=lambda _: None)  # fmt: skip
    return results, time.perf_counter() - start


def class_figures(assignment: str, students: int, jobs: int, scratch: Path) -> dict[str, int]:
    klass = generated_class(assignment, students, seed=18)
    root = scratch_course(scratch / f"class-{assignment}", seed=SEED, known_bugs=True)
    write_class(root, assignment, klass)
    found = consistency(assignment)
    same = {frozenset((a.split("/")[1], b.split("/")[1])) for a, b in found.alike}
    raising = {label.split("/")[1] for label in found.only_errors}
    results, _ = _grade(root, assignment, jobs, diagnose=True)
    missed: list[str] = []
    counts = {"failed": 0, "bug failed": 0, "bug named": 0, "bug only raises": 0,
              "blank failed": 0, "blank silent": 0, "wrong": 0, "not graded": 0}  # fmt: skip
    for result in results:
        if result.status != "graded":
            counts["not graded"] += 1
            continue
        for exercise, what in klass[result.student].items():
            cell = exercise_test_cell(exercise)
            if result.scores.get(cell, 0) >= result.max_scores.get(cell, 0):
                continue
            counts["failed"] += 1
            named = set(result.diagnoses.get(cell, []))
            if what == BLANK:
                counts["blank failed"] += 1
                counts["blank silent"] += not named
                counts["wrong"] += bool(named)
            elif what != REFERENCE:
                counts["bug failed"] += 1
                counts["bug named"] += what in named
                counts["bug only raises"] += what in raising and what not in named
                if what not in named and what not in raising:
                    missed.append(f"{result.student}: {exercise}/{what}")
                counts["wrong"] += any(
                    n != what and frozenset((n, what)) not in same for n in named
                )
    for line in missed:
        print(f"    not named: {line}")
    return counts


def timing(assignment: str, students: int, jobs: int, scratch: Path) -> dict[str, float]:
    klass = generated_class(assignment, students, seed=18)
    root = scratch_course(scratch / f"timing-{assignment}", seed=SEED, known_bugs=True)
    write_class(root, assignment, klass)
    _, off = _grade(root, assignment, jobs, diagnose=False)
    _, cold = _grade(root, assignment, jobs, diagnose=True, force=True)
    warm = []
    for _ in range(2):  # the best of two each, alternated (the machine's noise is a few %)
        warm.append(_grade(root, assignment, jobs, diagnose=True, force=True)[1])
        off = min(off, _grade(root, assignment, jobs, diagnose=False, force=True)[1])
    return {"off": off, "cold": cold, "warm": min(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--part", choices=("consistency", "class", "timing", "all"),
                        default="all")  # fmt: skip
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    parts = ("consistency", "class", "timing") if args.part == "all" else (args.part,)
    if "consistency" in parts:
        print(f"{'assignment':34} {'bugs':>5} {'itself':>7} {'only raise':>10} {'false':>6}")
        for a in args.assignments:
            found = consistency(a)
            print(f"{a:34} {found.buggy:5} {found.diagnosed_as_itself:7} "
                  f"{len(found.only_errors):10} {len(found.false):6}")  # fmt: skip
            for x, y in found.alike:
                print(f"    no hidden input tells apart {x} and {y}")
    with tempfile.TemporaryDirectory(prefix="dlcourse-diagnose-") as tmp:
        scratch = Path(tmp)
        if "class" in parts:
            print(f"\ngenerated class of {args.students} per assignment (seed 18):")
            total: dict[str, int] = {}
            for a in args.assignments:
                c = class_figures(a, args.students, args.jobs, scratch)
                total = {k: total.get(k, 0) + v for k, v in c.items()}
                print(f"{a:34} {c}")
            right = total["bug named"] + total["blank silent"]
            print(f"{'all':34} {total}")
            print(f"failed exercises rightly diagnosed: {right}/{total['failed']} "
                  f"({100 * right / max(total['failed'], 1):.1f}%); wrongly: {total['wrong']}; "
                  f"bugs named: {total['bug named']}/{total['bug failed']} "
                  f"({total['bug only raises']} not named raise on every call)")  # fmt: skip
        if "timing" in parts:
            print(f"\nseconds per submission, {args.students} students, {args.jobs} jobs:")
            print(f"{'assignment':34} {'off':>6} {'cold':>6} {'warm':>6} {'cold %':>7} "
                  f"{'warm %':>7}")  # fmt: skip
            for a in args.assignments:
                t = {k: v / args.students for k, v in timing(a, args.students, args.jobs,
                                                             scratch).items()}  # fmt: skip
                print(f"{a:34} {t['off']:6.2f} {t['cold']:6.2f} {t['warm']:6.2f} "
                      f"{100 * (t['cold'] / t['off'] - 1):+6.1f}% "
                      f"{100 * (t['warm'] / t['off'] - 1):+6.1f}%")  # fmt: skip


if __name__ == "__main__":
    main()
