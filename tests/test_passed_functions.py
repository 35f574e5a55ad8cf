"""Functions a test passes to a student's function reach the sandbox as plain data only.

The reference's functions (an activation passed to ``mlp_forward``, layers passed to
``mlp_loss``) and the test cells' own helpers must not enter the sandbox as code: a student
could call them in place of writing their own (issue 17, point 1). They are sent as tables
of what they answered while the reference ran (``dlcourse.grader.tables``).
"""

from __future__ import annotations

import inspect
import pickle
from pathlib import Path

import numpy as np
import pytest

from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.probe import ShippedFunction, _unship
from dlcourse.grader.replay import ReplayError, _ship, record, shipped_calls
from dlcourse.grader.tables import (
    FunctionTable,
    RecordedFunction,
    UnexpectedInputError,
    apply_in_place,
)
from dlcourse.grading import reference

REPO = Path(__file__).resolve().parents[1]
# The assignments whose tests pass functions to the students' functions.
PASSING_FUNCTIONS = ("01_perceptron_to_mlp", "02_backpropagation", "03_optimization",
                     "05_regularization")  # fmt: skip


def _walk(value):
    if isinstance(value, tuple | list):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    else:
        yield value


def _reference_bodies(assignment: str) -> dict[str, str]:
    """name -> the source of every function of the assignment's reference module."""
    module = reference(assignment)
    return {
        name: inspect.getsource(fn)
        for name, fn in vars(module).items()
        if inspect.isfunction(fn) and fn.__module__ == module.__name__
    }


@pytest.fixture(scope="module", params=PASSING_FUNCTIONS)
def loaded(request):
    return GradedAssignment.load(REPO, request.param)


def test_no_reference_code_is_in_what_the_sandbox_gets(loaded):
    bodies = _reference_bodies(loaded.assignment)
    sent_as_code, tables = [], 0
    for grade_id, recording in loaded.recordings.items():
        data = shipped_calls(recording)
        for name, body in bodies.items():
            # the first statement after the signature and docstring: a distinctive line
            lines = [ln.strip() for ln in body.splitlines()[1:] if ln.strip()]
            assert body.encode() not in data, f"{grade_id}: the source of {name} is sent"
            for line in lines[-2:]:
                if len(line) > 25:
                    assert line.encode() not in data, f"{grade_id}: code of {name} is sent"
        for _, args, kwargs in pickle.loads(data):
            for leaf in _walk((args, kwargs)):
                if isinstance(leaf, ShippedFunction):
                    sent_as_code.append(leaf)
                tables += isinstance(leaf, FunctionTable)
    for shipped in sent_as_code:
        numpy_own = shipped.source == f"{shipped.name} = np.{shipped.name}\n"
        # besides numpy's own, only expressions that take the student's Value objects
        assert numpy_own or loaded.assignment == "02_backpropagation", shipped.name
        assert shipped.name not in bodies, f"reference function {shipped.name} is sent as code"
    assert tables > 0, "the tests of this assignment pass functions: they go as tables"


def test_a_passed_in_function_is_no_oracle():
    """What the sandbox gets for the reference relu answers the recorded inputs only."""
    loaded = GradedAssignment.load(REPO, "01_perceptron_to_mlp")
    calls = pickle.loads(shipped_calls(loaded.recordings["test_mlp_forward"]))
    functions = [f for _, a, k in calls for f in _walk(_unship((a, k))) if callable(f)]
    relus = [f for f in functions if getattr(f, "__name__", "") == "relu"]
    assert relus and all(isinstance(f, RecordedFunction) for f in relus)
    with pytest.raises(UnexpectedInputError, match="relu"):
        relus[0](np.array([[-1.0, 2.0, 3.5]]))


def _table(fn, *calls):
    """A table recorded the way ``record`` does it: each call of ``fn`` logged."""
    from dlcourse.grader.replay import _with_recorders

    tables: dict[int, FunctionTable] = {}
    wrapped = _with_recorders(fn, tables)
    for args, kwargs in calls:
        wrapped(*args, **kwargs)
    return RecordedFunction(pickle.loads(pickle.dumps(tables[id(fn)])))


def test_a_recorded_function_binds_arguments_by_name():
    def backward(dout, cache, need_dx=True):
        return (dout * 2 if need_dx else None), cache.sum()

    dout, cache = np.ones((2, 2)), np.arange(4.0)
    recorded = _table(backward, ((dout, cache), {"need_dx": False}), ((dout, cache), {}))
    assert recorded(dout, cache, False)[0] is None  # positional for keyword
    assert np.array_equal(recorded(dout, cache=cache)[0], 2 * dout)  # default filled in
    assert np.array_equal(recorded(dout.astype(np.float32), cache)[0], 2 * dout)  # rounding
    with pytest.raises(UnexpectedInputError):
        recorded(dout + 1e-3, cache)
    with pytest.raises(UnexpectedInputError, match="do not fit"):
        recorded(dout, cache, True, "extra")


def test_a_recorded_function_tells_x_plus_h_from_x_minus_h():
    """Central differences: inputs 2h apart are told apart by the nearest match."""

    def f(v):
        return float(np.sum(v**3))

    x, h = np.array([3.0, -4.0]), 1e-5
    calls = []
    for i in range(2):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[i] += sign * h
            calls.append(((shifted,), {}))
    recorded = _table(f, *calls)
    for (args,), _ in calls:
        moved = args.copy()  # the same input computed another way: last-bit differences
        moved[np.argmax(np.abs(moved - x))] = moved[np.argmax(np.abs(moved - x))] * (1 + 1e-16)
        assert recorded(moved) == f(args)


def test_a_recorded_function_makes_its_in_place_changes():
    def decay(params):
        params["w"] *= 0.5
        params["steps"] = params["steps"] + 1

    params = {"w": np.array([8.0]), "steps": 0}
    recorded = _table(decay, (({"w": np.array([8.0]), "steps": 0},), {}))
    w = params["w"]
    assert recorded(params) is None
    assert params["steps"] == 1 and w[0] == 4.0 and params["w"] is w  # updated in place


def test_a_reference_function_that_takes_other_objects_is_never_sent_as_code():
    class Box:
        pass

    def reference_helper(box):
        return 1.0

    reference_helper.__module__ = "_dlcourse_reference_a99"
    table = FunctionTable("reference_helper", inspect.signature(reference_helper))
    table.plain = False
    with pytest.raises(ReplayError, match="not plain data"):
        _ship(reference_helper, {id(reference_helper): table})


def test_functions_passed_through_record_and_replay(tmp_path, monkeypatch):
    """The whole path: a test cell passes its own helper; the student's function gets a table
    and the verdict is right for a correct and a wrong student."""
    from test_replay import SETUP, _record_probe_replay

    source = """
def _square(v):
    return v * v
out = apply_twice(_square, np.array([2.0, 3.0]))
assert np.allclose(out, [16.0, 81.0]), f"apply_twice(square, [2, 3]) is [16, 81], got {out}"
"""

    class Ref:
        @staticmethod
        def apply_twice(f, x):
            return f(f(x))

    def good(f, x):
        return f(f(x))

    def wrong(f, x):
        return f(x) + f(x)  # calls f on its input once only: the second value is not asked

    verdict, _ = _record_probe_replay(
        "t", source, Ref, {"apply_twice": good}, tmp_path, monkeypatch
    )
    assert verdict.passed, verdict.message
    recording = record("t", source, SETUP, ["apply_twice"], Ref)
    assert "v * v" not in shipped_calls(recording).decode("latin-1")
    (tmp_path / "w").mkdir()
    verdict, _ = _record_probe_replay(
        "t", source, Ref, {"apply_twice": wrong}, tmp_path / "w", monkeypatch
    )
    assert not verdict.passed


def test_apply_in_place_keeps_array_identity():
    target = {"m": np.zeros(2), "gone": 1}
    m = target["m"]
    apply_in_place(target, {"m": np.ones(2), "new": 2})
    assert target["m"] is m and m.tolist() == [1.0, 1.0] and "gone" not in target
    assert target["new"] == 2


STEP_TEST = """
params = {"w": np.array([1.0, 2.0])}
state = {}
for grad in ([0.5, -1.0], [1.0, 1.0]):
    step(params, {"w": np.array(grad)}, state)
assert np.allclose(params["w"], [1.0 - 0.5 - 1.5, 2.0 + 1.0 - 0.0]), f"got {params['w']}"
"""


class _Momentum:
    @staticmethod
    def step(params, grads, state):
        velocity = state.setdefault("velocity", {})
        for name, g in grads.items():
            velocity[name] = velocity[name] + g if name in velocity else g.copy()
            params[name] -= velocity[name]


def test_a_state_that_aliases_the_callers_array_fails(tmp_path, monkeypatch):
    """Issue 17: right values, step by step, but the state holds the caller's gradient array;
    a loop that refills its gradient buffer would change it. The memory check names both."""
    from test_replay import _record_probe_replay

    def aliasing(params, grads, state):
        velocity = state.setdefault("velocity", {})
        for name, g in grads.items():
            velocity[name] = velocity[name] + g if name in velocity else g  # no copy
            params[name] -= velocity[name]

    verdict, _ = _record_probe_replay("t", STEP_TEST, _Momentum, {"step": _Momentum.step},
                                      tmp_path, monkeypatch)  # fmt: skip
    assert verdict.passed, verdict.message
    (tmp_path / "b").mkdir()
    verdict, _ = _record_probe_replay("t", STEP_TEST, _Momentum, {"step": aliasing},
                                      tmp_path / "b", monkeypatch)  # fmt: skip
    assert not verdict.passed
    assert "grads['w']" in verdict.message and "state['velocity']['w']" in verdict.message
    assert "share memory" in verdict.message


def test_an_alias_the_reference_makes_too_is_allowed(tmp_path, monkeypatch):
    from test_replay import _record_probe_replay

    class Keeps:
        @staticmethod
        def step(params, grads, state):  # documented: the state keeps the last gradient
            state["last"] = grads["w"]
            params["w"] -= grads["w"]

    source = """
params, state = {"w": np.array([1.0])}, {}
step(params, {"w": np.array([0.5])}, state)
assert np.allclose(params["w"], [0.5]) and np.allclose(state["last"], [0.5])
"""
    verdict, _ = _record_probe_replay("t", source, Keeps, {"step": Keeps.step},
                                      tmp_path, monkeypatch)  # fmt: skip
    assert verdict.passed, verdict.message


def test_a_forged_memory_report_is_read_safely():
    from dlcourse.grader.sharing import read_report

    assert read_report("nonsense") == {"aliases": set()}
    report = read_report({"aliases": [[["a", 0], ["a", 1, "w"]], [["x"], 3], "bad"] * 20})
    assert report == {"aliases": {frozenset({("a", 0), ("a", 1, "w")})}}
