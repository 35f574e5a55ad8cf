"""``dlcourse prove``: the mutation test of an assignment's hidden tests, in seconds.

For every exercise, the reference must keep full marks, the blank release must score zero,
every realistic bug (a variants file's ``BUGGY``) must lose points on its own exercise and on
no other, and every correct alternative (``CORRECT``) must keep full marks.

Each made-up submission is judged without a kernel of its own: the notebook's given code runs
once (``Workspace``), each submission's answer cells are defined in a fresh copy of that
namespace, and each test cell is judged through the very code ``dlcourse grade`` uses: the
calls recorded against the reference (``record``), shipped and called as the sandbox's probe
does (``probe_calls``), their results encoded and decoded as the probe's files are, and the
test cell replayed on them (``replay``) in this process.

A submission is probed only on the test cells that can see its change: while the reference
is probed, the code each test cell runs is traced, and a test cell that reads none of the
names a submission redefines gets the reference's verdict. (Replaying it would give the
same: it would run the same code on the same inputs.) And a test cell's calls are made as the
replay asks for them, so that judging stops at the first failing check.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import sys
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from dlcourse.build import Course, answer_sources, is_solution_cell, is_test_cell, nbgrader_meta
from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.probe import probe_calls
from dlcourse.grader.replay import (
    Outcome,
    ReplayError,
    Verdict,
    outcome_from,
    replay,
    shipped_calls,
)
from dlcourse.grader.submission import CALL_SECONDS
from dlcourse.grader.variants import Variant, default_variants_file, load_variants
from dlcourse.grader.workspace import Workspace, bound_names, environment, scratch_folder
from dlcourse.grading import SOLUTIONS_ENV, hidden_test_seed

REFERENCE, BLANK, BUGGY, CORRECT = "reference", "blank", "buggy", "correct"

# Kinds of problem a proof can find; any of them fails the proof.
SURVIVOR = "survivor"  # a bug kept full marks on its exercise
FALSE_FAIL = "false fail"  # a correct alternative lost points
COLLATERAL = "collateral"  # a bug also cost points on another exercise
REFERENCE_FAILS = "reference fails"
BLANK_PASSES = "blank passes"
BAD_INPUT = "bad input"  # a variants file or entry that could not be used
BROKEN_NOTEBOOK = "given code fails"  # the notebook's own code raised with the reference


def exercise_test_cell(exercise: str) -> str:
    """The grade_id of an exercise's test cell."""
    return f"test_{exercise}"


@dataclass(frozen=True)
class Candidate:
    """A made-up submission: answer cells (grade_id -> source) replacing the reference's."""

    kind: str  # REFERENCE | BLANK | BUGGY | CORRECT
    cells: Mapping[str, str]
    exercise: str | None = None
    name: str = ""
    origin: str = ""

    @property
    def label(self) -> str:
        return f"{self.exercise}/{self.name}" if self.exercise else self.kind


@dataclass(frozen=True)
class Problem:
    kind: str
    exercise: str  # "" when it concerns no one exercise
    candidate: str
    message: str
    seed: int = 0

    def describe(self) -> str:
        seed = f" [seed {self.seed}]" if self.seed else ""
        head = f"{self.kind.upper()}{seed}: {self.candidate}"
        body = "\n".join("      " + line for line in self.message.strip().splitlines()[:8])
        return f"  {head}\n{body}" if body else f"  {head}"


@dataclass
class ExerciseProof:
    """The tally of one exercise (over every seed)."""

    exercise: str
    points: float
    reference_passes: bool = True
    blank_fails: bool = True
    bugs: set[str] = field(default_factory=set)
    survivors: set[str] = field(default_factory=set)  # kept full marks on some seed
    correct: set[str] = field(default_factory=set)
    false_fails: set[str] = field(default_factory=set)  # lost points on some seed

    @property
    def caught(self) -> str:
        return f"{len(self.bugs - self.survivors)}/{len(self.bugs)}"

    @property
    def kept(self) -> str:
        return f"{len(self.correct - self.false_fails)}/{len(self.correct)}"


@dataclass
class Proof:
    """What ``prove`` found for one assignment."""

    assignment: str
    exercises: dict[str, ExerciseProof] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    judged: int = 0  # submissions judged (over every seed)
    probed: int = 0  # test cells probed and replayed
    seconds: dict[str, float] = field(default_factory=dict)
    seeds: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        """The per-exercise table and every problem, as text."""
        rows = [("exercise", "points", "reference", "blank", "bugs caught", "correct kept")]
        for e in self.exercises.values():
            rows.append((
                e.exercise, f"{e.points:g}", "passes" if e.reference_passes else "FAILS",
                "fails" if e.blank_fails else "PASSES", e.caught, e.kept,
            ))  # fmt: skip
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"{self.assignment}: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in self.seconds.items()
        ) + f"; {self.judged} submissions, {self.probed} test cells replayed"
            + (f", {self.seeds} seeds" if self.seeds > 1 else "")]  # fmt: skip
        for i, row in enumerate(rows):
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
            if i == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        if self.problems:
            lines.append(f"{len(self.problems)} problem(s):")
            lines += [p.describe() for p in self.problems]
        else:
            lines.append("proven: every bug caught, every correct answer kept")
        return "\n".join(lines)


# --------------------------------------------------------------------------- judging
def _code_names(code: types.CodeType) -> set[str]:
    """The global (and attribute) names a code object and the code nested in it refer to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _owners(namespace: Mapping[str, Any], names: Iterable[str]) -> dict[types.CodeType, str]:
    """The code objects of the functions and class methods bound to ``names``."""
    owners = {}
    for name in names:
        value = namespace.get(name)
        functions = [value]
        if isinstance(value, type):
            functions = [getattr(v, "__func__", v) for v in vars(value).values()]
        for function in functions:
            if isinstance(function, types.FunctionType):
                owners[function.__code__] = name
    return owners


class _OnDemand(Sequence):
    """A test cell's outcomes, each probed when the replay first asks for it.

    The replay stops at the first failing check, so the calls after it are never made: their
    results could not change the verdict (the calls before it run in the same order as in
    the sandbox, where the probe makes them all). A bug that hangs in a later call then
    costs nothing instead of the call's time limit.
    """

    def __init__(self, probe: Iterator[Outcome], count: int) -> None:
        self._probe, self._count, self._done = probe, count, []

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice) or not 0 <= index < self._count:
            raise IndexError(index)
        while len(self._done) <= index:
            self._done.append(next(self._probe))
        return self._done[index]


class Prover:
    """Judges made-up submissions of one assignment (see the module's docstring)."""

    def __init__(self, root: Path, assignment: str, workdir: Path) -> None:
        course = Course(root)
        source = nbformat.read(course.source_notebook(assignment), as_version=4)
        release = nbformat.read(course.release / assignment / f"{assignment}.ipynb", as_version=4)
        self.assignment = assignment
        self.graded = GradedAssignment.load(root, assignment)
        self.reference = answer_sources(source)
        self.blank = answer_sources(release, reference=False)
        cells = []
        for cell in release.cells:
            if cell.cell_type != "code" or is_test_cell(cell):
                continue
            cells.append((nbgrader_meta(cell)["grade_id"] if is_solution_cell(cell) else None,
                          cell.source))  # fmt: skip
        start = time.perf_counter()
        self.workspace = Workspace.run(cells, self.reference, workdir)
        self.seconds_given = time.perf_counter() - start
        self.record()

    def use_seed(self, seed: int) -> None:
        """Draw the hidden tests' inputs under ``seed`` from now on (recording again if it is
        not the current one). Judging must then run inside ``hidden_test_seed(seed)``."""
        if seed != self.graded.seed:
            self.graded.seed = seed
            self.record()

    def record(self) -> dict[str, str]:
        """Record the test cells' calls against the reference again (under the assignment's
        ``seed``); returns the test cells the reference fails."""
        failures = self.graded.record_all(strict=False)
        self._shipped = {g: shipped_calls(r) for g, r in self.graded.recordings.items()}
        self.reads: dict[str, set[str]] = {}
        self._reference_failed: dict[str, str] = dict(failures)
        return failures

    # ----------------------------------------------------------------- one test cell
    def _probe(self, grade_id: str, namespace: dict) -> Iterator[Outcome]:
        """The student's outcomes on a test cell's recorded calls, one by one, as ``grade``
        reads them from the probe's files."""
        assert self.workspace.state is not None
        self.workspace.state.restore()
        calls = pickle.loads(self._shipped[grade_id])
        for entry, arrays in probe_calls(namespace, calls, CALL_SECONDS):
            # the same round trip as the probe's index.json and .npy files
            files = {str(i): array for i, array in enumerate(arrays)}
            yield outcome_from(json.loads(json.dumps(entry)), files)

    def _traced_probe(self, grade_id: str, namespace: dict, trace: set) -> list[Outcome]:
        """Every outcome, adding to ``trace`` the code of ``namespace`` that ran."""

        def profile(frame, event, arg):
            if event == "call" and frame.f_globals is namespace:
                trace.add(frame.f_code)

        previous = sys.getprofile()
        sys.setprofile(profile)
        try:
            return list(self._probe(grade_id, namespace))
        finally:
            sys.setprofile(previous)

    def _replay(self, grade_id: str, outcomes: Sequence[Outcome]) -> Verdict:
        test = self.graded.tests[grade_id]
        try:
            return replay(grade_id, test.source, self.graded.setup, self.graded.names,
                          self.graded.recordings[grade_id], outcomes)  # fmt: skip
        except ReplayError as exc:
            return Verdict(grade_id, False, f"the grading is broken: {exc}")

    # ----------------------------------------------------------------- submissions
    def judge_reference(self) -> dict[str, str]:
        """Judge the reference, tracing what each test cell reads; failing tests -> message."""
        recorded_failures = dict(self._reference_failed)
        with self.workspace.inside():
            namespace, errors = self.workspace.namespace({})
            owners = _owners(namespace, set().union(*map(bound_names, self.reference.values())))
            for grade_id in self.graded.tests:
                codes: set[types.CodeType] = set()
                verdict = self._replay(grade_id, self._traced_probe(grade_id, namespace, codes))
                reads = {c.function for c in self.graded.recordings[grade_id].calls}
                for code in codes:
                    reads |= _code_names(code)
                    if code in owners:
                        reads.add(owners[code])
                self.reads[grade_id] = reads
                if grade_id in recorded_failures:
                    self._reference_failed[grade_id] = recorded_failures[grade_id]
                elif not verdict.passed:
                    self._reference_failed[grade_id] = verdict.message
        for grade_id, error in errors.items():
            self._reference_failed.setdefault(exercise_test_cell(grade_id), error)
        return dict(self._reference_failed)

    def judge(self, cells: Mapping[str, str], *, narrow: bool = True) -> tuple[dict[str, str], int]:
        """Judge a submission whose answer cells ``cells`` replace the reference's.

        Returns the failing test cells (grade_id -> message; every other test cell passes)
        and how many test cells were probed and replayed. ``narrow=False`` probes every test
        cell, even those that read nothing the submission changed.
        """
        if not self.reads:
            self.judge_reference()
        changed = set()
        for grade_id, source in cells.items():
            changed |= bound_names(source) | bound_names(self.reference.get(grade_id, ""))
        failed, probed = {}, 0
        with self.workspace.inside():
            namespace, _ = self.workspace.namespace(cells)
            for grade_id in self.graded.tests:
                if narrow and not self.reads[grade_id] & changed:
                    if grade_id in self._reference_failed:
                        failed[grade_id] = self._reference_failed[grade_id]
                    continue
                probed += 1
                with contextlib.closing(self._probe(grade_id, namespace)) as probe:
                    outcomes = _OnDemand(probe, len(self.graded.recordings[grade_id].calls))
                    verdict = self._replay(grade_id, outcomes)
                if not verdict.passed:
                    failed[grade_id] = verdict.message
        return failed, probed

    def outcomes(self, cells: Mapping[str, str], grade_id: str) -> list[Outcome]:
        """Every outcome of test cell ``grade_id``'s calls for a submission whose answer cells
        ``cells`` replace the reference's (all of them: the replay is not consulted)."""
        with self.workspace.inside():
            namespace, _ = self.workspace.namespace(cells)
            with contextlib.closing(self._probe(grade_id, namespace)) as probe:
                return list(probe)


@contextlib.contextmanager
def open_prover(root: Path, assignment: str) -> Iterator[Prover]:
    """A Prover of ``assignment`` working in a scratch folder, its hidden tests loading this
    course's reference (as ``dlcourse grade``'s workers do)."""
    solutions = {SOLUTIONS_ENV: str(Path(root).resolve() / "solutions")}
    with environment(solutions), scratch_folder() as workdir:
        yield Prover(root, assignment, workdir)


# --------------------------------------------------------------------------- a proof
def candidates(prover: Prover, variants: Iterable[Variant]) -> list[Candidate]:
    """The blank release and one submission per variant (the reference is judged apart)."""
    found = [Candidate(BLANK, dict(prover.blank))]
    for v in variants:
        found.append(Candidate(CORRECT if v.correct else BUGGY, {v.exercise: v.source},
                               v.exercise, v.name, v.origin))  # fmt: skip
    return found


def _assess(proof: Proof, candidate: Candidate, failed: Mapping[str, str], seed: int) -> None:
    """Tally one judged submission and record what it proves wrong."""

    def problem(kind: str, exercise: str, message: str) -> None:
        label = candidate.label + (f" ({candidate.origin})" if candidate.origin else "")
        proof.problems.append(Problem(kind, exercise, label, message, seed))

    for exercise, tally in proof.exercises.items():
        test = exercise_test_cell(exercise)
        if candidate.kind == BLANK and test not in failed:
            tally.blank_fails = False
            problem(BLANK_PASSES, exercise, f"the blank release keeps full marks on {test}")
    if candidate.kind == BUGGY and candidate.exercise in proof.exercises:
        tally = proof.exercises[candidate.exercise]
        test = exercise_test_cell(candidate.exercise)
        tally.bugs.add(candidate.label)
        if test not in failed:
            tally.survivors.add(candidate.label)
            problem(SURVIVOR, candidate.exercise, f"kept full marks on {test}")
        for other, message in failed.items():
            if other != test:
                problem(COLLATERAL, candidate.exercise, f"also lost points on {other}: {message}")
    if candidate.kind == CORRECT and candidate.exercise in proof.exercises:
        tally = proof.exercises[candidate.exercise]
        tally.correct.add(candidate.label)
        if failed:
            tally.false_fails.add(candidate.label)
        for test, message in failed.items():
            problem(FALSE_FAIL, candidate.exercise, f"lost points on {test}: {message}")


def prove(
    root: Path,
    assignment: str,
    *,
    exercise: str | None = None,
    variants_files: Iterable[Path] = (),
    use_default_variants: bool = True,
    seeds: int | Sequence[int] = 1,
    progress: Callable[[Iterable, int, str], Iterable] | None = None,
) -> Proof:
    """Prove the hidden tests of ``assignment`` with its variants (and ``variants_files``).

    ``exercise`` limits the proof to one answer cell's grade_id; ``seeds`` proves the hidden
    tests under ``hidden_test_seed`` 0 to seeds-1 (or under each seed of a sequence: a
    course's secret seed, for instance). ``progress(iterable, total, description)``
    may wrap the loop over submissions (a progress bar).
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if not seed_list or min(seed_list) < 0:
        raise ValueError("seeds must be at least 1 (or a sequence of seeds >= 0)")
    proof = Proof(assignment, seeds=len(seed_list))
    start = time.perf_counter()
    with open_prover(root, assignment) as prover:
        proof.seconds["given code"] = prover.seconds_given
        exercises = list(prover.reference)
        if exercise is not None and exercise not in exercises:
            raise ValueError(
                f"{assignment} has no exercise {exercise!r}; its exercises: {', '.join(exercises)}"
            )
        points = {g: t.points for g, t in prover.graded.tests.items()}
        for name in [exercise] if exercise else exercises:
            test = exercise_test_cell(name)
            if test not in points:
                proof.problems.append(Problem(BAD_INPUT, name, name, f"no test cell {test}"))
                continue
            proof.exercises[name] = ExerciseProof(name, points[test])
        for error in prover.workspace.cell_errors:
            proof.problems.append(Problem(BROKEN_NOTEBOOK, "", "reference", error))
        files = [default_variants_file(root, assignment)] if use_default_variants else []
        variants: list[Variant] = []
        for path in [*files, *variants_files]:
            loaded = load_variants(Path(path), prover.graded.function_names)
            variants += loaded.variants
            proof.problems += [Problem(BAD_INPUT, "", Path(path).name, e) for e in loaded.errors]
        if exercise:
            variants = [v for v in variants if v.exercise == exercise]
        todo = candidates(prover, variants)
        for seed in seed_list:
            prover.use_seed(seed)
            with hidden_test_seed(seed):
                _prove_seed(proof, prover, todo, seed, progress)
    proof.seconds["judging"] = time.perf_counter() - start - proof.seconds["given code"]
    return proof


def _prove_seed(
    proof: Proof, prover: Prover, todo: list[Candidate], seed: int,
    progress: Callable[[Iterable, int, str], Iterable] | None,
) -> None:  # fmt: skip
    for test, message in prover.judge_reference().items():
        name = test.removeprefix("test_")
        if name in proof.exercises:
            proof.exercises[name].reference_passes = False
            proof.problems.append(Problem(REFERENCE_FAILS, name, "reference",
                                          f"{test}: {message}", seed))  # fmt: skip
    proof.judged += 1
    description = f"proving {proof.assignment}" + (f" (seed {seed})" if seed else "")
    loop = progress(todo, len(todo), description) if progress else todo
    for candidate in loop:
        failed, probed = prover.judge(candidate.cells)
        proof.judged += 1
        proof.probed += probed
        _assess(proof, candidate, failed, seed)
