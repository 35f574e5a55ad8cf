"""Record, probe and replay without a sandbox: the judging happens outside the student's code."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from dlcourse.grader.intake import import_submissions
from dlcourse.grader.prepare import UngradableError, read_submission
from dlcourse.grader.probe import run_probe
from dlcourse.grader.replay import (
    Outcome,
    defined_names,
    read_results,
    record,
    replay,
    write_calls,
)
from dlcourse.grader.scan import scan

SETUP = "import numpy as np"
TEST_CELL = """
out = double(np.array([1.0, 2.0]))
assert np.allclose(out, [2.0, 4.0]), "double([1, 2]) should be [2, 4]"
### BEGIN HIDDEN TESTS
from dlcourse.grading import Case, check_function
def _ref(x):
    return 2 * x
check_function(double, _ref, [Case((np.arange(5.0),)), Case((np.ones((2, 3), np.float32),))])
print("hidden checks ran")
### END HIDDEN TESTS
"""


class Reference:
    @staticmethod
    def double(x):
        return 2 * x


def _record_probe_replay(cell, source, reference, student, tmp_path, monkeypatch, calls=None):
    """Record test cell ``source`` against ``reference``, probe the ``student`` functions
    (name -> function), replay the verdict; returns (verdict, the probe's outcomes)."""
    names = list(student)
    recording = record(cell, source, SETUP, names, reference)
    assert recording.error is None
    assert calls is None or len(recording.calls) == calls
    write_calls(recording, tmp_path)
    monkeypatch.chdir(tmp_path)
    run_probe(student, cell)
    outcomes = read_results(tmp_path, cell)
    return replay(cell, source, SETUP, names, recording, outcomes), outcomes


def _run(student_double, tmp_path, monkeypatch):
    """Record against the reference, probe the student's function, replay the verdict."""
    student = {"double": student_double}
    args = ("test_double", TEST_CELL, Reference, student, tmp_path, monkeypatch)
    return _record_probe_replay(*args, calls=3)[0]


def test_a_correct_function_passes(tmp_path, monkeypatch):
    verdict = _run(lambda x: x + x, tmp_path, monkeypatch)
    assert verdict.passed and "hidden checks ran" in verdict.stdout


def test_a_wrong_function_fails_with_the_hidden_message(tmp_path, monkeypatch):
    verdict = _run(lambda x: x * 2 + (x.size > 2), tmp_path, monkeypatch)
    assert not verdict.passed
    assert "double is wrong on case 1 of 2" in verdict.message
    assert "check_function" not in verdict.message and "_ref" not in verdict.message


def test_an_always_equal_object_is_not_a_result(tmp_path, monkeypatch):
    class Anything:
        def __eq__(self, other):
            return True

    verdict = _run(lambda x: Anything(), tmp_path, monkeypatch)
    assert not verdict.passed and "not a number or an array" in verdict.message


def test_an_exception_is_reported(tmp_path, monkeypatch):
    def broken(x):
        raise ValueError("shapes do not match")

    verdict = _run(broken, tmp_path, monkeypatch)
    assert not verdict.passed and "ValueError: shapes do not match" in verdict.message


def test_in_place_changes_are_seen_by_the_checks(tmp_path, monkeypatch):
    def in_place(x):
        x *= 2
        return x

    verdict = _run(in_place, tmp_path, monkeypatch)
    assert not verdict.passed and "modified" in verdict.message


def test_rebinding_numpy_in_the_student_process_changes_nothing(tmp_path, monkeypatch):
    original = np.allclose
    try:
        np.allclose = lambda *a, **k: True  # what a student's cell would do in its kernel
        recording = record("test_double", TEST_CELL, SETUP, ["double"], Reference)
        write_calls(recording, tmp_path)
        monkeypatch.chdir(tmp_path)
        run_probe({"double": lambda x: x * 3}, "test_double")
    finally:
        np.allclose = original
    outcomes = read_results(tmp_path, "test_double")
    verdict = replay("test_double", TEST_CELL, SETUP, ["double"], recording, outcomes)
    assert not verdict.passed


def test_missing_results_mean_no_points(tmp_path):
    recording = record("test_double", TEST_CELL, SETUP, ["double"], Reference)
    verdict = replay("test_double", TEST_CELL, SETUP, ["double"], recording, [])
    assert not verdict.passed and "gave no result" in verdict.message


@pytest.mark.parametrize(
    "index",
    [
        "not json",
        json.dumps([{"n": 0, "result": {"t": "pickle", "v": "x"}, "args_after": {"t": "none"}}]),
        json.dumps([{"n": 0, "result": {"t": "array", "i": 0}, "arrays": [0]}]),
        json.dumps({"not": "a list"}),
    ],
)
def test_tampered_results_are_rejected(tmp_path, index):
    folder = tmp_path / ".dlcourse" / "results" / "test_double"
    folder.mkdir(parents=True)
    (folder / "index.json").write_text(index)
    outcomes = read_results(tmp_path, "test_double")
    assert outcomes and all(o.error for o in outcomes[-1:])


def test_results_never_unpickle(tmp_path):
    folder = tmp_path / ".dlcourse" / "results" / "test_double"
    folder.mkdir(parents=True)
    np.save(folder / "0_0.npy", np.array([object()], dtype=object), allow_pickle=True)
    entry = {"n": 0, "result": {"t": "array", "i": 0}, "args_after": {"t": "none"}, "arrays": [0]}
    (folder / "index.json").write_text(json.dumps([entry]))
    assert read_results(tmp_path, "test_double")[0].error == "unreadable results (ValueError)"


def test_outcome_defaults():
    assert Outcome().error is None


def test_defined_names_reads_top_level_functions():
    code = "import numpy as np\ndef relu(z):\n    def inner():\n        pass\n    return z\n"
    code += "class A: pass"
    assert defined_names([code, "def (broken"]) == ["relu", "A"]


def test_read_submission_rejects_what_is_not_a_notebook(tmp_path):
    for content, reason in [("{", "invalid JSON"), ("[]", "not a notebook"),
                            ('{"cells": []}', "no cells")]:  # fmt: skip
        path = tmp_path / "nb.ipynb"
        path.write_text(content)
        with pytest.raises(UngradableError, match=reason):
            read_submission(path)


def test_read_submission_is_lenient_with_odd_cells(tmp_path):
    cells = [{"cell_type": "code", "source": ["x = ", "1"]}, 5, {"cell_type": "weird"},
             {"cell_type": "markdown", "source": "# hi", "metadata": "not a dict"}]  # fmt: skip
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    nb = read_submission(path)
    assert [c.source for c in nb.cells] == ["x = 1", "# hi"]


def test_scan_flags_tricks_and_not_honest_code():
    assert scan(["def relu(z):\n    return np.maximum(z, 0)"]) == []
    flags = scan(["np.allclose = lambda *a: True", "get_ipython().input_transformers_post"])
    assert any("numpy" in f for f in flags) and any("IPython" in f for f in flags)


def test_scan_skips_the_courses_given_code_only_while_unchanged():
    given = frozenset({"import subprocess\nsubprocess.run(['torchrun', 'ddp.py'])"})
    assert scan(["  import subprocess\nsubprocess.run(['torchrun', 'ddp.py'])\n"], given) == []
    edited = "import subprocess\nsubprocess.run(['torchrun', 'ddp.py'])\nos.system('x')"
    assert scan([edited], given) == ["code starts or kills processes"]
    assert scan(["import subprocess"], given) == ["code starts or kills processes"]


def test_zip_intake_refuses_paths_that_escape(tmp_path):
    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice_1.ipynb", "{}")
        z.writestr("bob/attempt.ipynb", "{}")
        z.writestr("../evil.ipynb", "{}")
        z.writestr("/abs/evil.ipynb", "{}")
    submitted = tmp_path / "course" / "submitted"
    report = import_submissions(archive, submitted, "01_x")
    assert report == {"alice": "imported", "bob": "imported"}
    assert sorted(os.listdir(submitted)) == ["alice", "bob"]
    assert (submitted / "alice" / "01_x" / "01_x.ipynb").is_file()
    assert import_submissions(archive, submitted, "01_x")["alice"] == "kept existing"


STEP_CELL = """
from dlcourse.grading import Case, check_function
def _ref_step(params, grads, state, lr):
    for name, grad in grads.items():
        state[name] = state.get(name, 0.0) * 0.5 + grad
        params[name] -= lr * state[name]
    state["t"] = state.get("t", 0) + 1
    return None
_params = {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
_grads = {"w": np.array([0.1, -0.2]), "b": np.array([1.0])}
_state = {"t": 3, "w": np.ones(2), "b": np.zeros(1)}
_cases = [Case((_params, _grads, {}, 0.1)), Case((_params, _grads, _state, 0.5))]
check_function(step, _ref_step, _cases, in_place=True)
"""


class StepReference:
    @staticmethod
    def step(params, grads, state, lr):
        for name, grad in grads.items():
            state[name] = state.get(name, 0.0) * 0.5 + grad
            params[name] -= lr * state[name]
        state["t"] = state.get("t", 0) + 1


def _replay_step(student_step, tmp_path, monkeypatch):
    args = ("test_step", STEP_CELL, StepReference, {"step": student_step}, tmp_path, monkeypatch)
    return _record_probe_replay(*args, calls=2)[0]


def test_in_place_updates_of_dicts_are_replayed(tmp_path, monkeypatch):
    """A function that fills a state dict, counts steps in it and replaces (rather than
    updates) the parameter arrays: what it did to its arguments is judged as it happened."""

    def rebinding_step(params, grads, state, lr):
        state["t"] = state.get("t", 0) + 1
        for name in grads:
            first = grads[name].copy()  # a copy: the state must not alias the caller's array
            state[name] = 0.5 * state[name] + grads[name] if name in state else first
            params[name] = params[name] - lr * state[name]

    assert _replay_step(rebinding_step, tmp_path, monkeypatch).passed


def test_a_wrong_in_place_update_fails(tmp_path, monkeypatch):
    def forgets_the_counter(params, grads, state, lr):
        for name, grad in grads.items():
            state[name] = state.get(name, 0.0) * 0.5 + grad
            params[name] -= lr * state[name]

    verdict = _replay_step(forgets_the_counter, tmp_path, monkeypatch)
    assert not verdict.passed and "state after the call" in verdict.message


CACHE_CELL = """
out, cache = forward(np.array([-1.0, 2.0]), 0.1)
assert np.allclose(backward(np.ones(2), cache), [0.1, 1.0])
"""


class CacheReference:
    @staticmethod
    def forward(x, alpha):
        return np.where(x > 0, x, alpha * x), (x, alpha, np.float64(alpha))

    @staticmethod
    def backward(dout, cache):
        x, alpha, _ = cache
        return np.where(x > 0, dout, alpha * dout)


def test_a_returned_cache_is_passed_back_with_its_types(tmp_path, monkeypatch):
    """A cache holding a Python float and a NumPy float comes back from the sandbox with the
    same types, so the next call's inputs match the recorded ones exactly."""
    student = {"forward": CacheReference.forward, "backward": CacheReference.backward}
    verdict, outcomes = _record_probe_replay(
        "test_cache", CACHE_CELL, CacheReference, student, tmp_path, monkeypatch
    )
    _, (_, python_float, numpy_float) = outcomes[0].result
    assert type(python_float) is float and type(numpy_float) is np.float64
    assert verdict.passed, verdict.message


CHAIN_CELL = """
out, cache = forward(np.array([-1.0, 0.5, 2.0]), 0.1)
assert np.allclose(backward(np.ones(3), cache), [0.1, 1.0, 1.0])
"""


@pytest.mark.parametrize(("perturbation", "passes"), [(1e-12, True), (1e-3, False)])
def test_a_result_passed_back_may_differ_by_rounding_only(
    tmp_path, monkeypatch, perturbation, passes
):
    """The test cell feeds the student's forward result into the student's backward: the
    probe ran backward on the reference's result, so the two must agree up to rounding."""

    def forward(x, alpha):
        out, (x_cached, a, a64) = CacheReference.forward(x, alpha)
        return out, (x_cached * (1 + perturbation), a, a64)

    student = {"forward": forward, "backward": CacheReference.backward}
    verdict, _ = _record_probe_replay(
        "test_chain", CHAIN_CELL, CacheReference, student, tmp_path, monkeypatch
    )
    assert verdict.passed is passes, verdict.message
    if not passes:
        assert "differ from the expected ones" in verdict.message


def test_a_count_kept_as_a_float_is_the_same_input(tmp_path, monkeypatch):
    """A state that counts steps as 1.0 where the reference counts 1 is passed back to the
    next call: the same input (it used to fail as "the inputs differ")."""

    def float_counter(params, grads, state, lr):
        for name, grad in grads.items():
            state[name] = state.get(name, 0.0) * 0.5 + grad
            params[name] -= lr * state[name]
        state["t"] = float(state.get("t", 0) + 1)

    source = STEP_CELL + """
_p, _s = {"w": np.array([1.0])}, {}
step(_p, {"w": np.array([1.0])}, _s, 0.1)
step(_p, {"w": np.array([1.0])}, _s, 0.1)
assert _s["t"] == 2
"""
    args = ("test_step", source, StepReference, {"step": float_counter}, tmp_path, monkeypatch)
    verdict = _record_probe_replay(*args, calls=4)[0]
    assert verdict.passed, verdict.message


LOOP_CELL = """
_params, _state = {"w": np.array([1.0, 2.0])}, {}
for _ in range(3):  # one state dict through successive steps, as an optimizer's tests do
    step(_params, {"w": np.array([0.5, -1.0])}, _state, 0.1)
assert _state["t"] == 3
"""


def test_replay_leaves_the_outcomes_it_replays_unchanged(tmp_path, monkeypatch):
    """Replaying puts a call's results into the test's own objects; a later call updates those
    in place. The outcomes themselves must stay as the probe read them: naming a known
    mistake compares them afterwards (a stateful optimizer's first state read as its last)."""
    cell = "test_loop"
    student = {"step": StepReference.step}
    verdict, outcomes = _record_probe_replay(
        cell, LOOP_CELL, StepReference, student, tmp_path, monkeypatch, calls=3
    )
    assert verdict.passed, verdict.message
    pristine = read_results(tmp_path, cell)
    firsts = [o.args_after[0][2]["w"] for o in outcomes]
    assert [o.args_after[0][2]["t"] for o in outcomes] == [1, 2, 3]
    for replayed, read in zip(outcomes, pristine, strict=True):
        assert np.array_equal(replayed.args_after[0][2]["w"], read.args_after[0][2]["w"])
        assert np.array_equal(replayed.args_after[0][0]["w"], read.args_after[0][0]["w"])
    assert not np.array_equal(firsts[0], firsts[2])
