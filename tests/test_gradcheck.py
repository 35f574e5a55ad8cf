"""Tests for dlcourse.gradcheck: numerical gradients, relative errors and layer checks."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlcourse.gradcheck import (
    GradCheckResult,
    check_gradient,
    check_layer,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)

FAST = settings(max_examples=30, deadline=None, database=None)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random float64 values with 0.5 <= |x| <= 2 (relative errors are meaningless near 0)."""
    return np.asarray(rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape))


# --- layers used as fixtures ------------------------------------------------------------


def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def affine_backward_transposed_dW(dout, cache):
    x, W = cache
    return dout @ W.T, (x.T @ dout).T, dout.sum(axis=0)


def affine_backward_unsummed_db(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout


def affine_backward_two_grads(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout


def mse_forward(pred, target):
    diff = pred - target
    return np.mean(diff**2), diff


def mse_backward(dout, diff):
    return dout * 2 * diff / diff.size, -dout * 2 * diff / diff.size


def mse_backward_missing_mean(dout, diff):
    return dout * 2 * diff, -dout * 2 * diff


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, x):
    return dout * (x > 0)


@pytest.fixture
def affine_inputs():
    rng = np.random.default_rng(1)
    return [rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)]


@pytest.fixture
def square_affine_inputs():
    rng = np.random.default_rng(2)
    return [rng.standard_normal((6, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)]


# --- numerical_gradient on functions with known gradients -------------------------------


def test_numerical_gradient_of_cubic():
    x = away_from_zero(np.random.default_rng(0), (3, 4))
    grad = numerical_gradient(lambda x: np.sum(x**3), x)
    assert grad.shape == x.shape and grad.dtype == np.float64
    assert relative_error(grad, 3 * x**2) < 1e-7


def test_numerical_gradient_of_sin_times_x():
    x = np.random.default_rng(1).uniform(-1.5, 1.5, size=(5, 2))
    grad = numerical_gradient(lambda x: np.sum(np.sin(x) * x), x)
    assert relative_error(grad, np.cos(x) * x + np.sin(x)) < 1e-7


def softmax_cross_entropy(W, X, labels):
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(X)), labels])


def test_numerical_gradient_of_softmax_cross_entropy():
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal((8, 5)), 0.5 * rng.standard_normal((5, 3))
    labels = rng.integers(0, 3, size=8)
    scores = X @ W
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(8), labels] -= 1
    analytic = X.T @ probs / 8

    grad = numerical_gradient(lambda W: softmax_cross_entropy(W, X, labels), W)
    assert relative_error(grad, analytic) < 1e-7
    result = check_gradient(lambda W: softmax_cross_entropy(W, X, labels), W, analytic)
    assert result.passed and result.name == "x" and result.shape == (5, 3)


def test_numerical_gradient_of_closure_over_perturbed_array():
    """f may ignore its argument and read the perturbed array through a closure."""
    params = {"W": away_from_zero(np.random.default_rng(4), (3, 3))}
    grad = numerical_gradient(lambda _: np.sum(params["W"] ** 3), params["W"])
    assert relative_error(grad, 3 * params["W"] ** 2) < 1e-7


def test_numerical_gradient_of_scalar_array():
    x = np.array(1.5)
    assert numerical_gradient(lambda x: x**2, x) == pytest.approx(3.0, rel=1e-9)


def test_numerical_gradient_array_matches_backprop_of_matmul():
    rng = np.random.default_rng(5)
    x, A, dout = (
        rng.standard_normal((4, 3)),
        rng.standard_normal((3, 2)),
        rng.standard_normal((4, 2)),
    )
    grad = numerical_gradient_array(lambda x: x @ A, x, dout)
    assert relative_error(grad, dout @ A.T) < 1e-7


def test_numerical_gradient_array_handles_functions_returning_views():
    x = away_from_zero(np.random.default_rng(6), (2, 3))
    dout = away_from_zero(np.random.default_rng(7), (3, 2))
    grad = numerical_gradient_array(lambda x: x.T, x, dout)
    assert relative_error(grad, dout.T) < 1e-7


def test_numerical_gradient_array_rejects_mismatched_dout():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        numerical_gradient_array(lambda x: x, np.ones((2, 3)), np.ones((3, 2)))


# --- property-based tests ---------------------------------------------------------------


@FAST
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 2**32 - 1))
def test_numerical_gradient_property_any_shape(shape, seed):
    x = away_from_zero(np.random.default_rng(seed), shape)
    before = x.copy()
    grad = numerical_gradient(lambda x: np.sum(np.sin(x) + x**3), x)
    assert grad.shape == x.shape
    assert relative_error(grad, np.cos(x) + 3 * x**2) < 1e-7
    np.testing.assert_array_equal(x, before)


@FAST
@given(
    x=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=st.floats(-10, 10, allow_nan=False),
    )
)
def test_numerical_gradient_of_square_is_twice_x(x):
    before = x.copy()
    grad = numerical_gradient(lambda x: np.sum(x**2), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x, before)


@FAST
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**32 - 1))
def test_numerical_gradient_array_property_elementwise(shape, seed):
    rng = np.random.default_rng(seed)
    x, dout = away_from_zero(rng, shape), away_from_zero(rng, shape)
    grad = numerical_gradient_array(np.tanh, x, dout)
    assert relative_error(grad, (1 - np.tanh(x) ** 2) * dout) < 1e-7


# --- in-place perturbation is always undone --------------------------------------------


def test_x_is_restored_when_f_raises():
    x = np.random.default_rng(8).standard_normal((3, 3))
    before = x.copy()
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return np.sum(x)

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_non_scalar_f_is_rejected_with_a_hint():
    with pytest.raises(ValueError, match="numerical_gradient_array"):
        numerical_gradient(lambda x: x * 2, np.ones(3))


def test_integer_and_readonly_arrays_are_rejected():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda x: np.sum(x), np.arange(3))
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        numerical_gradient(lambda x: np.sum(x), x)
    with pytest.raises(TypeError, match="NumPy array"):
        numerical_gradient(lambda x: sum(x), [1.0, 2.0])


def test_float32_warns_that_float64_is_needed():
    x = np.ones(3, dtype=np.float32)
    with pytest.warns(UserWarning, match="float64"):
        numerical_gradient(lambda x: np.sum(x**2), x)
    with pytest.warns(UserWarning, match="float64"):
        results = check_layer(
            relu_forward, relu_backward, [np.linspace(-1, 1, 6, dtype=np.float32)]
        )
    assert results[0].passed


def test_central_differences_beat_one_sided_differences():
    x = away_from_zero(np.random.default_rng(9), (10,))
    f, h = (lambda x: np.sum(np.exp(x))), 1e-4
    analytic = np.exp(x)
    one_sided = np.empty_like(x)
    for i in range(x.size):
        x_plus = x.copy()
        x_plus[i] += h
        one_sided[i] = (f(x_plus) - f(x)) / h
    central = numerical_gradient(f, x, h=h)
    err_one_sided, err_central = (
        relative_error(one_sided, analytic),
        relative_error(central, analytic),
    )
    assert err_one_sided > 1e-6  # error ~ h
    assert err_central < 1e-8  # error ~ h**2
    assert err_central < err_one_sided / 1000


# --- relative_error ---------------------------------------------------------------------


def test_relative_error_values():
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([1.0, 2.0], [3.0, 2.0]) == pytest.approx(0.5)
    assert relative_error([1e-3], [-1e-3]) == pytest.approx(1.0)
    assert relative_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_relative_error_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=re.escape("(2, 3)") + ".*" + re.escape("(3, 2)")):
        relative_error(np.zeros((2, 3)), np.zeros((3, 2)))


# --- check_gradient and check_layer -----------------------------------------------------


def test_check_gradient_detects_wrong_gradient_and_shape():
    x = away_from_zero(np.random.default_rng(10), (4,))
    assert check_gradient(lambda x: np.sum(x**3), x, 3 * x**2).passed
    bad = check_gradient(lambda x: np.sum(x**3), x, 2 * x**2)
    assert not bad.passed and bad.relative_error > 0.1
    with pytest.raises(ValueError, match=r"expected \(4,\), received \(4, 1\)"):
        check_gradient(lambda x: np.sum(x**3), x, np.zeros((4, 1)))


def test_check_layer_passes_on_correct_affine(affine_inputs):
    before = [x.copy() for x in affine_inputs]
    results = check_layer(affine_forward, affine_backward, affine_inputs)
    assert len(results) == 3
    assert all(isinstance(r, GradCheckResult) for r in results)
    assert [r.name for r in results] == ["input 0", "input 1", "input 2"]
    assert [r.shape for r in results] == [(4, 5), (5, 3), (3,)]
    assert all(r.passed and r.relative_error < 1e-7 for r in results)
    assert re.fullmatch(r"input 0 \(4, 5\): relative error \d\.\de-\d\d  OK", str(results[0]))
    for x, original in zip(affine_inputs, before, strict=True):
        np.testing.assert_array_equal(x, original)


def test_check_layer_fails_on_transposed_weight_gradient(square_affine_inputs):
    dx, dW, db = check_layer(affine_forward, affine_backward_transposed_dW, square_affine_inputs)
    assert dx.passed and db.passed
    assert not dW.passed and dW.relative_error > 1e-2
    assert str(dW).endswith("FAIL")


def test_check_layer_rejects_unsummed_bias_gradient(affine_inputs):
    with pytest.raises(ValueError, match=r"input 2.*expected \(3,\).*received \(4, 3\)"):
        check_layer(affine_forward, affine_backward_unsummed_db, affine_inputs)


def test_check_layer_fails_when_gradient_misses_one_over_n():
    rng = np.random.default_rng(11)
    inputs = [rng.standard_normal((5, 2)), rng.standard_normal((5, 2))]
    assert all(r.passed for r in check_layer(mse_forward, mse_backward, inputs))
    results = check_layer(mse_forward, mse_backward_missing_mean, inputs)
    assert not any(r.passed for r in results)
    assert min(r.relative_error for r in results) > 0.5  # (N - 1) / (N + 1) with N = 10


def test_check_layer_rejects_wrong_number_of_gradients(affine_inputs):
    with pytest.raises(ValueError, match="returned 2 gradients, expected 3"):
        check_layer(affine_forward, affine_backward_two_grads, affine_inputs)
    with pytest.raises(ValueError, match="tuple of 3 gradients"):
        check_layer(affine_forward, lambda dout, cache: dout, affine_inputs)


def test_check_layer_accepts_bare_array_and_one_tuple_for_single_input():
    x = np.random.default_rng(12).standard_normal((3, 4))
    (bare,) = check_layer(relu_forward, relu_backward, [x])
    (one_tuple,) = check_layer(relu_forward, lambda dout, x: (relu_backward(dout, x),), [x])
    assert bare.passed and one_tuple.passed


def test_check_layer_dout_is_seeded_and_validated(affine_inputs):
    a = check_layer(affine_forward, affine_backward, affine_inputs, seed=5)
    b = check_layer(affine_forward, affine_backward, affine_inputs, seed=5)
    np.testing.assert_array_equal(a[1].analytic, b[1].analytic)
    dout = np.ones((4, 3))
    (dx, _, db) = check_layer(affine_forward, affine_backward, affine_inputs, dout=dout)
    np.testing.assert_allclose(db.analytic, np.full(3, 4.0))
    with pytest.raises(ValueError, match=r"expected \(4, 3\), got \(3, 4\)"):
        check_layer(affine_forward, affine_backward, affine_inputs, dout=np.ones((3, 4)))


def test_check_layer_warns_when_forward_mutates_its_input():
    def forward(x):
        x *= 2
        return x.copy(), None

    with pytest.warns(UserWarning, match="modified input 0 in place"):
        check_layer(forward, lambda dout, cache: 2 * dout, [np.ones(3)])


# --- comparison with PyTorch autograd ---------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_numerical_gradient_matches_torch_autograd(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    A, c = rng.standard_normal((4, 3)), rng.standard_normal(3)
    pairs = [(np.tanh, torch.tanh), (np.sin, torch.sin), (np.exp, torch.exp), (np.cos, torch.cos)]
    (np_g, torch_g), (np_h, torch_h) = (pairs[i] for i in rng.choice(4, size=2, replace=False))

    def f_np(x):
        return np.sum(np_g(x @ A) * c) + np.sum(np_h(x) ** 2)

    def f_torch(x):
        return torch.sum(torch_g(x @ torch.from_numpy(A)) * torch.from_numpy(c)) + torch.sum(
            torch_h(x) ** 2
        )

    x = rng.standard_normal((5, 4))
    x_torch = torch.tensor(x, requires_grad=True)
    f_torch(x_torch).backward()
    assert relative_error(numerical_gradient(f_np, x), x_torch.grad.numpy()) < 1e-6
