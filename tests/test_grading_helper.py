"""The hidden-test helper: it must catch wrong answers, explain them, and leak nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.grading import (
    Case,
    Tolerance,
    check_function,
    generated_cases,
    reference,
    reference_module_name,
    solutions_directory,
)


def ref_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def make_logits(rng, dtype):
    return (rng.normal(0, 3, size=(rng.integers(1, 6), rng.integers(2, 9))).astype(dtype),)


CASES = generated_cases(make_logits, seeds=range(4)) + [
    Case((np.array([[1000.0, 0.0, -1000.0]]),), label="very large logits")
]


def failure_message(student, expected=ref_softmax, cases=CASES, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check_function(student, expected, cases, **kwargs)
    return str(info.value)


def test_correct_function_passes_and_returns_nothing():
    assert check_function(ref_softmax, ref_softmax, CASES) is None


def test_alternative_correct_formula_passes():
    def via_logsumexp(z):
        m = z.max(axis=-1, keepdims=True)
        return np.exp(z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))

    check_function(via_logsumexp, ref_softmax, CASES)


def test_overflow_bug_is_caught_and_explained():
    message = failure_message(naive_softmax)
    assert "naive_softmax is wrong" in message
    assert "very large logits" in message
    assert "z = array float64 shape (1, 3), values in [-1000, 1000]" in message
    assert "expected 1, received nan" in message
    assert "largest error" in message


def test_message_never_shows_source_code():
    message = failure_message(naive_softmax)
    for secret in ("keepdims", "np.exp", "def ", "return", "make_logits", "max(axis"):
        assert secret not in message


def test_wrong_axis_reports_values_and_index():
    def wrong_axis(z):
        e = np.exp(z - z.max())
        return e / e.sum(axis=0, keepdims=True)

    message = failure_message(wrong_axis)
    assert "values differ" in message and "at index" in message
    assert "expected: [" in message and "received: [" in message


def test_wrong_shape_is_reported_with_both_shapes():
    message = failure_message(lambda z: ref_softmax(z)[:, :1])
    assert "expected shape" in message and "received shape" in message


def test_missing_return_is_reported():
    def forgot_return(z):
        ref_softmax(z)

    assert "received None" in failure_message(forgot_return)


def test_not_implemented_is_reported():
    def stub(z):
        raise NotImplementedError()

    assert "not implemented yet" in failure_message(stub)


def test_exception_in_student_code_is_reported_with_inputs():
    def crashes(z):
        return z @ np.ones((99, 1))

    message = failure_message(crashes)
    assert "raised ValueError" in message and "shape" in message


def test_in_place_modification_of_input_is_caught():
    def in_place(z):
        z -= z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    assert "modified its input" in failure_message(in_place)


def test_float32_cases_get_the_looser_tolerance():
    def float32_math(z):  # errors of about 1e-5 relative: fine in float32, not in float64
        return ref_softmax(z) * (1 + 1e-5)

    cases64 = generated_cases(make_logits, dtypes=(np.float64,))
    cases32 = generated_cases(make_logits, dtypes=(np.float32,))
    check_function(float32_math, ref_softmax, cases32)
    with pytest.raises(AssertionError):
        check_function(float32_math, ref_softmax, cases64)


def test_tolerance_can_be_set():
    def slightly_off(z):
        return ref_softmax(z) * (1 + 1e-3)

    with pytest.raises(AssertionError):
        check_function(slightly_off, ref_softmax, CASES)
    check_function(slightly_off, ref_softmax, CASES, tolerance=Tolerance(rtol=1e-2, rtol32=1e-2))


def test_structured_outputs_are_compared_element_by_element():
    def ref(x):
        return x.sum(), (x * 2, {"n": int(x.size)})

    def wrong_in_nested(x):
        return x.sum(), (x * 2, {"n": int(x.size) + 1})

    cases = [Case((np.arange(6.0).reshape(2, 3),))]
    check_function(ref, ref, cases)
    message = failure_message(wrong_in_nested, ref, cases)
    assert "output[1][1]['n']" in message


def test_tuple_of_wrong_length_is_reported():
    message = failure_message(lambda x: (x,), lambda x: (x, x), [Case((np.ones(3),))])
    assert "expected a tuple of 2 values" in message


def test_nan_where_nan_expected_is_accepted_and_inf_must_match():
    check_function(lambda x: np.log(x), np.log, [Case((np.array([-1.0, 0.0, 1.0]),))])
    message = failure_message(lambda x: -np.log(x), np.log, [Case((np.array([0.0, 1.0]),))])
    assert "expected -inf, received inf" in message


def test_integer_and_boolean_outputs():
    check_function(lambda x: x > 0, lambda x: x > 0, [Case((np.array([-1.0, 2.0]),))])
    message = failure_message(lambda x: x >= 0, lambda x: x > 0, [Case((np.array([0.0, 2.0]),))])
    assert "1 of 2 values differ" in message


def test_generated_cases_are_deterministic_and_labelled():
    first = generated_cases(make_logits, seeds=range(3))
    second = generated_cases(make_logits, seeds=range(3))
    assert len(first) == 6
    assert all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(first, second, strict=True))
    assert first[0].label == "seed 0, float64" and first[-1].label == "seed 2, float32"
    assert first[-1].args[0].dtype == np.float32


def test_empty_case_list_is_an_error_in_the_test_not_a_pass():
    with pytest.raises(ValueError):
        check_function(ref_softmax, ref_softmax, [])


@settings(max_examples=30, deadline=None)
@given(st.floats(-1e3, 1e3), st.integers(1, 5), st.integers(1, 5))
def test_any_perturbation_above_tolerance_is_caught(shift, n, c):
    rng = np.random.default_rng(n * 10 + c)
    x = rng.normal(size=(n, c))
    expected = np.tanh

    def perturbed(z):
        out = np.tanh(z)
        out.flat[-1] += 1e-3 + abs(shift) * 1e-6
        return out

    check_function(np.tanh, expected, [Case((x,))])
    with pytest.raises(AssertionError):
        check_function(perturbed, expected, [Case((x,))])


def test_reference_loads_a_module_by_path_under_a_private_name(tmp_path, monkeypatch):
    (tmp_path / "a99_demo.py").write_text("def answer():\n    return 42\n")
    monkeypatch.setenv("DLCOURSE_SOLUTIONS", str(tmp_path))
    assert solutions_directory() == tmp_path.resolve()
    module = reference("99_demo")
    assert module.answer() == 42
    assert module.__name__ == "_dlcourse_reference_a99_demo"


def test_reference_missing_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_SOLUTIONS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="dlcourse build"):
        reference("98_missing")


def test_solutions_directory_found_from_a_course_subfolder(tmp_path, monkeypatch):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "nbgrader_config.py").write_text("")
    deep = tmp_path / "autograded" / "alice" / "01_x"
    deep.mkdir(parents=True)
    monkeypatch.delenv("DLCOURSE_SOLUTIONS", raising=False)
    monkeypatch.chdir(deep)
    assert solutions_directory() == (tmp_path / "solutions").resolve()


def test_reference_module_name():
    assert reference_module_name("01_perceptron_to_mlp") == "a01_perceptron_to_mlp"


def _ref_sgd(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]


def _sgd_case():
    return Case(({"W": np.ones((2, 2)), "b": np.zeros(2)}, {"W": np.eye(2), "b": np.ones(2)}, 0.1))


def test_in_place_compares_the_updated_inputs():
    def rebinds(params, grads, lr):  # a different style, the same effect
        for name in list(params):
            params[name] = params[name] - lr * grads[name]

    def forgets_the_bias(params, grads, lr):
        params["W"] -= lr * grads["W"]

    check_function(rebinds, _ref_sgd, [_sgd_case()], in_place=True)
    with pytest.raises(AssertionError, match=r"params after the call\['b'\]"):
        check_function(forgets_the_bias, _ref_sgd, [_sgd_case()], in_place=True)
    with pytest.raises(AssertionError, match="modified its input arrays in place"):
        check_function(rebinds, _ref_sgd, [_sgd_case()])  # without in_place it is a bug


def test_an_expected_none_must_be_none():
    def ref(x, need=True):
        return (2 * x if need else None), x.sum()

    def always_computes(x, need=True):
        return 2 * x, x.sum()

    check_function(ref, ref, [Case((np.ones(3),), {"need": False})])
    with pytest.raises(AssertionError, match=r"output\[0\]: expected None, received array"):
        check_function(always_computes, ref, [Case((np.ones(3),), {"need": False})])


def test_check_dtype_holds_the_dtype_contract():
    """With check_dtype, right values in another dtype fail, with a message that says so;
    without it (the default) values alone count."""
    import numpy as np

    from dlcourse.grading import Case, check_function

    def ref(x):
        return {"out": x * 2, "n": np.int64(x.size)}

    def upcast(x):
        return {"out": (x * 2).astype(np.float64), "n": np.int64(x.size)}

    def float_count(x):
        return {"out": x * 2, "n": np.float64(x.size)}

    cases = [Case((np.ones(3, np.float32),), label="float32")]
    check_function(upcast, ref, cases)  # values only
    check_function(ref, ref, cases, check_dtype=True)
    with pytest.raises(AssertionError, match="dtype is float64, expected float32"):
        check_function(upcast, ref, cases, check_dtype=True)
    with pytest.raises(AssertionError, match=r"float64 \(float\); expected int64 \(integer\)"):
        check_function(float_count, ref, cases, check_dtype=True)

    def step(params):
        params["w"] -= 1.0

    def upcasting_step(params):
        params["w"] = params["w"] - np.float64(1.0)

    params = [Case(({"w": np.ones(2, np.float32)},))]
    check_function(upcasting_step, step, params, in_place=True)
    with pytest.raises(AssertionError, match="params after the call.*dtype is float64"):
        check_function(upcasting_step, step, params, in_place=True, check_dtype=True)
