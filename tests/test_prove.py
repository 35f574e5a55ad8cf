"""``dlcourse prove`` can fail: a weakened hidden test lets bugs survive, a too strict one fails
a correct answer, broken variants files are reported without stopping the rest, and judging
only the test cells a change can reach gives the same verdicts as judging them all."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlcourse.build import HIDDEN_BEGIN, HIDDEN_END, is_test_cell, nbgrader_meta
from dlcourse.cli import main
from dlcourse.grader.prove import (
    FALSE_FAIL,
    SURVIVOR,
    Candidate,
    candidates,
    exercise_test_cell,
    open_prover,
    prove,
)
from dlcourse.grader.variants import default_variants_file, load_variants
from dlcourse.grader.workspace import bound_names
from dlcourse.grading import case_rng, generated_cases, hidden_test_seed

from harness import REPO

A01 = "01_perceptron_to_mlp"
FUNCTIONS = {"softmax": ["softmax"], "mse_loss": ["mse_loss"]}


def _scratch_course(tmp_path: Path, assignment: str = A01) -> Path:
    """A copy of the course with one assignment, to be edited."""
    root = tmp_path / "course-copy"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    for folder in ("course", "release"):
        shutil.copytree(REPO / folder / assignment, root / folder / assignment)
    shutil.copytree(REPO / "solutions", root / "solutions",
                    ignore=shutil.ignore_patterns("[0-9]*", "__pycache__"))  # fmt: skip
    variants = default_variants_file(root, assignment)
    variants.parent.mkdir(parents=True)
    shutil.copy(default_variants_file(REPO, assignment), variants)
    return root


def _edit_hidden_tests(root: Path, assignment: str, test: str, edit) -> None:
    path = root / "course" / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if is_test_cell(c) and nbgrader_meta(c)["grade_id"] == test)
    head, rest = cell.source.split(HIDDEN_BEGIN)
    hidden, tail = rest.split(HIDDEN_END)
    cell.source = head + HIDDEN_BEGIN + edit(hidden) + HIDDEN_END + tail
    nbformat.write(nb, path)


# --------------------------------------------------------------------------- the proof can fail
@pytest.mark.slow
def test_a_weakened_hidden_test_lets_bugs_survive(tmp_path):
    root = _scratch_course(tmp_path)
    _edit_hidden_tests(root, A01, "test_softmax", lambda hidden: "\npass\n")
    proof = prove(root, A01, exercise="softmax")
    survivors = [p for p in proof.problems if p.kind == SURVIVOR]
    assert survivors, proof.table()
    assert all(p.exercise == "softmax" for p in proof.problems), proof.table()
    assert not proof.ok
    assert "SURVIVOR" in proof.table() and survivors[0].candidate in proof.table()


@pytest.mark.slow
def test_a_too_strict_hidden_test_fails_a_correct_answer(tmp_path):
    root = _scratch_course(tmp_path)
    strict = (
        "_p, _t = np.array([0.1, 0.2, 0.7]), np.array([0.3, 0.3, 0.3])\n"
        "assert mse_loss(_p, _t) == ref.mse_loss(_p, _t), 'not bit for bit the reference'\n"
    )
    _edit_hidden_tests(root, A01, "test_mse_loss", lambda hidden: hidden + strict)
    rounding = tmp_path / "rounding.py"  # right up to the last digits, as a reordered sum is
    rounding.write_text(
        "CORRECT = {'mse_loss': {'last_digits': '''\n"
        "def mse_loss(pred, target):\n"
        "    return float(np.mean((pred - target) ** 2)) * (1 + 1e-15)\n'''}}\n"
    )
    proof = prove(root, A01, exercise="mse_loss", variants_files=[rounding])
    false_fails = [p for p in proof.problems if p.kind == FALSE_FAIL]
    assert [p.candidate for p in false_fails] == ["mse_loss/last_digits (rounding.py)"]
    assert "not bit for bit the reference" in false_fails[0].message
    tally = proof.exercises["mse_loss"]
    assert tally.kept == f"{len(tally.correct) - 1}/{len(tally.correct)}"


# --------------------------------------------------------------------------- bad variants files
def test_a_file_that_does_not_import_is_named(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("BUGGY = {\n")
    loaded = load_variants(path, FUNCTIONS)
    assert not loaded.variants
    assert loaded.errors == [loaded.errors[0]] and "broken.py: does not import" in loaded.errors[0]


def test_each_bad_entry_is_named_and_the_others_are_kept(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(
        "BUGGY = {\n"
        "    'softmax': {\n"
        "        'good': 'def softmax(Z):\\n    return Z\\n',\n"
        "        'wrong_function': 'def soft_max(Z):\\n    return Z\\n',\n"
        "        'syntax': 'def softmax(Z)\\n    return Z\\n',\n"
        "        'not_source': 42,\n"
        "    },\n"
        "    'no_such_exercise': {'x': 'def f():\\n    pass\\n'},\n"
        "}\n"
        "CORRECT = {'mse_loss': {'fine': 'def mse_loss(p, t):\\n    return 0.0\\n'}}\n"
    )
    loaded = load_variants(path, FUNCTIONS)
    assert [v.label for v in loaded.variants] == ["softmax/good", "mse_loss/fine"]
    assert [v.correct for v in loaded.variants] == [False, True]
    errors = "\n".join(loaded.errors)
    assert len(loaded.errors) == 4, errors
    assert "mine.py: BUGGY['softmax']['wrong_function']: does not define softmax" in errors
    assert "mine.py: BUGGY['softmax']['syntax']: the source does not compile" in errors
    assert "mine.py: BUGGY['softmax']['not_source']: the source must be a string" in errors
    assert "mine.py: BUGGY['no_such_exercise']: unknown answer cell" in errors


def test_a_file_without_variants_or_with_the_wrong_types_is_named(tmp_path):
    empty, wrong = tmp_path / "empty.py", tmp_path / "wrong.py"
    empty.write_text("X = 1\n")
    wrong.write_text("BUGGY = ['softmax']\nCORRECT = {'softmax': 'def softmax(Z): ...'}\n")
    assert load_variants(empty, FUNCTIONS).errors == ["empty.py: defines neither BUGGY nor CORRECT"]
    errors = load_variants(wrong, FUNCTIONS).errors
    assert "wrong.py: BUGGY must be a dict, not list" in errors
    assert "wrong.py: CORRECT['softmax'] must be a dict of sources" in errors
    assert load_variants(tmp_path / "missing.py", FUNCTIONS).errors == ["missing.py: no such file"]


@pytest.mark.slow
def test_the_command_reports_bad_input_and_still_judges_the_rest(tmp_path, capsys):
    path = tmp_path / "class_mistakes.py"
    path.write_text(
        "BUGGY = {'softmax': {\n"
        "    'no_max_shift': 'def softmax(Z):\\n    E = np.exp(Z)\\n"
        "    return E / E.sum(axis=1, keepdims=True)\\n',\n"
        "    'misnamed': 'def soft_max(Z):\\n    return Z\\n',\n"
        "}}\n"
    )
    args = ["--root", str(REPO), "prove", A01, "--exercise", "softmax", "--variants", str(path),
            "--no-default-variants", "--quiet"]  # fmt: skip
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "BAD INPUT" in out and "class_mistakes.py: BUGGY['softmax']['misnamed']" in out
    assert re.search(r"softmax +2 +passes +fails +1/1 ", out), out  # the good entry was judged
    assert "NOT PROVEN" in out


def test_the_command_refuses_unknown_files_exercises_and_seeds(capsys):
    assert main(["--root", str(REPO), "prove", A01, "--variants", "/no/such.py"]) == 2
    assert main(["--root", str(REPO), "prove", "--exercise", "no_such_exercise"]) == 2
    assert "no such variants file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--root", str(REPO), "prove", "--seeds", "0"])


# --------------------------------------------------------------------------- soundness
@pytest.mark.slow
@pytest.mark.parametrize("assignment", [A01, "02_backpropagation"])
def test_judging_only_the_reachable_test_cells_changes_no_verdict(assignment):
    """The assignments whose exercises call each other's functions (an MLP calling the
    activations, a loss calling layers): for the first bug and the first correct answer of
    every exercise, probing every test cell gives the verdicts of probing the reachable ones."""
    with open_prover(REPO, assignment) as prover:
        loaded = load_variants(default_variants_file(REPO, assignment),
                               prover.graded.function_names)  # fmt: skip
        firsts = {}
        for variant in loaded.variants:
            firsts.setdefault((variant.exercise, variant.correct), variant)
        for candidate in candidates(prover, firsts.values()):
            narrowed, probed = prover.judge(candidate.cells)
            everything, all_probed = prover.judge(candidate.cells, narrow=False)
            assert all_probed == len(prover.graded.tests)
            assert narrowed.keys() == everything.keys(), candidate.label
            if candidate.kind != "blank":
                assert probed < all_probed, candidate.label


@pytest.mark.slow
def test_a_changed_answer_reaches_the_functions_that_call_it():
    """A bug in one exercise that another exercise's reference calls fails that exercise's
    test cell too: replacing a cell re-binds the other answers to the new definitions."""
    with open_prover(REPO, A01) as prover:
        prover.judge_reference()
        uses_softmax = [g for g, reads in prover.reads.items() if "softmax" in reads]
        assert exercise_test_cell("softmax") in uses_softmax
        broken = Candidate("buggy", {"softmax": "def softmax(Z):\n    return Z * 0.0\n"})
        failed, _ = prover.judge(broken.cells)
        assert set(failed) == set(uses_softmax)


def test_bound_names_are_what_a_cell_defines():
    source = "import numpy as np\nfrom math import exp as e\nX = 1\n\ndef f():\n    y = 2\n"
    assert bound_names(source) == {"np", "e", "X", "f"}
    assert bound_names("def broken(:\n") == set()


# --------------------------------------------------------------------------- seeds
def test_seed_zero_is_the_written_draw_and_other_seeds_differ():
    assert case_rng(3).normal() == np.random.default_rng(3).normal()
    with hidden_test_seed(1):
        first = case_rng(3).normal()
        assert case_rng(3).normal() == first  # reproducible within a seed
    with hidden_test_seed(2):
        assert case_rng(3).normal() != first
    assert case_rng(3).normal() == np.random.default_rng(3).normal()  # put back

    def make(rng, dtype):
        return (rng.normal(size=3).astype(dtype),)

    written = generated_cases(make, seeds=range(2))
    with hidden_test_seed(5):
        moved = generated_cases(make, seeds=range(2))
    assert [c.label for c in written] == [c.label for c in moved]
    assert not np.array_equal(written[0].args[0], moved[0].args[0])


def test_a_misconception_is_a_source_with_its_hint(tmp_path):
    from dlcourse.grader.variants import Misconception, load_variants

    bug = Misconception("Adam's moments start at 0.", "def f(x):\n    return x\n")
    assert bug == "def f(x):\n    return x\n" and bug.hint.startswith("Adam")
    import copy
    import pickle

    for again in (copy.deepcopy(bug), pickle.loads(pickle.dumps(bug))):
        assert again == bug and again.hint == bug.hint
    path = tmp_path / "v.py"
    path.write_text(
        "from dlcourse.grader.variants import Misconception\n"
        "BUGGY = {'cell': {'hinted': Misconception('the hint', 'def f(x):\\n    return 1\\n'),\n"
        "                  'plain': 'def f(x):\\n    return 2\\n',\n"
        "                  'empty': Misconception(' ', 'def f(x):\\n    return 3\\n'),\n"
        "                  'long': Misconception('x' * 500, 'def f(x):\\n    return 4\\n')}}\n"
    )
    loaded = load_variants(path, {"cell": ["f"]})
    assert {v.name: v.hint for v in loaded.variants} == {"hinted": "the hint", "plain": ""}
    assert len(loaded.errors) == 2
    assert "needs its hint" in loaded.errors[0] and "500 characters" in loaded.errors[1]
