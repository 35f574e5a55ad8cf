"""Numerical gradient checking for the course's layers.

The layer contract
------------------
Every assignment builds networks out of *layers*. A layer is a pair of plain functions::

    out, cache = forward(*inputs)
    grads = backward(dout, cache)

- ``forward`` takes one or more arrays (for an affine layer ``x: (N, D)``, ``W: (D, M)``,
  ``b: (M,)``) and returns the output ``out`` together with a ``cache`` holding whatever
  ``backward`` will need.
- ``backward`` takes ``dout``, the gradient of the loss with respect to ``out`` (same shape
  as ``out``), and the ``cache``. It returns a tuple with **one gradient per input, in the
  same order as the inputs**, each with the shape of its input (``dx: (N, D)``,
  ``dW: (D, M)``, ``db: (M,)``). For a layer with a single input, a 1-tuple ``(dx,)`` or a
  bare array ``dx`` is accepted.

Constant arguments that have no gradient (labels, a dropout mask, hyperparameters) are not
inputs: bind them with a closure or ``functools.partial`` before checking the layer.

Checking a gradient
-------------------
The derivative of ``f`` at ``x`` is approximated by *central differences*::

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)

whose error shrinks like ``h**2`` (one-sided differences only shrink like ``h``). The
difference of two nearby function values loses precision, so this only works in float64:
in float32 the rounding error (about ``1e-7 * |f| / h``) swamps the derivative. The
analytic and numerical gradients are compared with :func:`relative_error`; for a correct
float64 implementation it is typically below ``1e-7``, while a bug gives ``1e-2`` or more.

Example::

    results = check_layer(affine_forward, affine_backward, [x, W, b])
    for r in results:
        print(r)        # input 0 (4, 5): relative error 3.2e-10  OK
"""

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "GradCheckResult",
    "check_gradient",
    "check_layer",
    "numerical_gradient",
    "numerical_gradient_array",
    "relative_error",
]

_LOW_PRECISION_MESSAGE = (
    "{what} has dtype {dtype}: central differences need float64, because with a step h "
    "the rounding error of (f(x + h) - f(x - h)) / (2h) in {dtype} swamps the derivative. "
    "Use x.astype(np.float64)."
)


@dataclass(frozen=True)
class GradCheckResult:
    """Outcome of comparing an analytic gradient with a numerical one.

    Attributes:
        name: what was checked, e.g. ``"input 0"``.
        shape: shape of the checked array.
        relative_error: ``relative_error(analytic, numerical)``, see :func:`relative_error`.
        passed: ``relative_error <= tol`` (False when the error is NaN).
        tol: the tolerance used.
        analytic: the analytic gradient, same shape as the input.
        numerical: the numerical gradient, same shape as the input.
    """

    name: str
    shape: tuple[int, ...]
    relative_error: float
    passed: bool
    tol: float
    analytic: np.ndarray = field(repr=False, compare=False)
    numerical: np.ndarray = field(repr=False, compare=False)

    def __str__(self) -> str:
        status = "OK" if self.passed else "FAIL"
        return f"{self.name} {self.shape}: relative error {self.relative_error:.1e}  {status}"


def _warn_if_low_precision(x: np.ndarray, what: str) -> None:
    """Warn when ``x`` is a floating array with less precision than float64."""
    if np.issubdtype(x.dtype, np.floating) and np.finfo(x.dtype).bits < 64:
        warnings.warn(
            _LOW_PRECISION_MESSAGE.format(what=what, dtype=x.dtype), UserWarning, stacklevel=3
        )


def _as_scalar(value: Any) -> float:
    """Convert the return value of a scalar function to a Python float."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(
            f"f must return a scalar, got an array of shape {arr.shape}; for array-valued "
            "functions use numerical_gradient_array(f, x, dout)"
        )
    return float(arr.reshape(()))


def numerical_gradient(
    f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    Each entry of ``x`` is perturbed **in place** by ``+h`` and ``-h`` and then restored
    (also when ``f`` raises). Because ``x`` itself is perturbed, ``f`` may ignore its
    argument and read ``x`` through a closure, e.g. to check a weight of a model:
    ``numerical_gradient(lambda _: model_loss(params), params["W1"])``.

    Inputs:
    - f: function mapping x to a scalar (a float or an array of size 1).
    - x: (any shape,) writable float64 array where the gradient is evaluated.
    - h: step size.

    Returns:
    - grad: float64 array with the shape of x; ``grad[i] ~ df/dx[i]``.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"x must be a NumPy array (it is perturbed in place), got {type(x).__name__}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"x must be a floating-point array, got dtype {x.dtype}; use x.astype(np.float64)"
        )
    if not x.flags.writeable:
        raise ValueError("x must be writable: it is perturbed in place and then restored")
    _warn_if_low_precision(x, "x")

    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index", "zerosize_ok"], op_flags=[["readonly"]])
    for _ in it:
        idx = it.multi_index
        old = x[idx].copy()
        try:
            x[idx] = old + h
            f_plus = _as_scalar(f(x))
            x[idx] = old - h
            f_minus = _as_scalar(f(x))
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], Any], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Central-difference gradient of an array-valued function, backpropagated from ``dout``.

    Computes the gradient of ``sum(f(x) * dout)`` with respect to ``x``, i.e. what a layer's
    backward pass must return for ``x`` when it receives ``dout``. ``x`` is perturbed in
    place and restored, as in :func:`numerical_gradient`.

    Inputs:
    - f: function mapping x to an array ``out`` with the shape of dout.
    - x: (any shape,) writable float64 array.
    - dout: upstream gradient, same shape as ``f(x)``.
    - h: step size.

    Returns:
    - grad: float64 array with the shape of x.
    """
    dout = np.asarray(dout)

    def projected(x_: np.ndarray) -> float:
        out = np.asarray(f(x_))
        if out.shape != dout.shape:
            raise ValueError(
                f"f(x) has shape {out.shape} but dout has shape {dout.shape}; they must match"
            )
        # Reduce immediately: f may return a view of x, which the next perturbation changes.
        return float(np.sum(out * dout))

    return numerical_gradient(projected, x, h)


def relative_error(a: Any, b: Any, eps: float = 1e-12) -> float:
    """Maximum elementwise relative error between two arrays.

    ``max_i |a_i - b_i| / max(eps, |a_i| + |b_i|)``

    The result lies in [0, 1]: about 1e-7 or less means the arrays agree to about seven
    significant digits, about 1 means they are unrelated. ``eps`` only avoids a division by
    zero where both entries are 0. Entries that should be exactly 0 but are only
    approximately 0 (e.g. 1e-11 vs 0) count as completely different, so compare gradients
    at points where they are not tiny.

    Inputs:
    - a: array of any shape.
    - b: array with the same shape as a.
    - eps: floor of the denominator.

    Returns:
    - err: the largest relative error (0.0 for empty arrays, NaN if an entry is NaN).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))


def _make_result(
    name: str, analytic: np.ndarray, numerical: np.ndarray, tol: float
) -> GradCheckResult:
    err = relative_error(analytic, numerical)
    return GradCheckResult(
        name=name,
        shape=tuple(numerical.shape),
        relative_error=err,
        passed=bool(err <= tol),
        tol=tol,
        analytic=analytic,
        numerical=numerical,
    )


def _float64_copy(x: Any, what: str) -> np.ndarray:
    """Copy x as a float64 array, warning when it was float32 (or another low precision)."""
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"{what} has dtype {arr.dtype}; only floating-point inputs have gradients (bind "
            "constant arguments such as labels with a closure or functools.partial)"
        )
    if np.finfo(arr.dtype).bits < 64:
        warnings.warn(
            _LOW_PRECISION_MESSAGE.format(what=what, dtype=arr.dtype)
            + " The check runs on a float64 copy.",
            UserWarning,
            stacklevel=3,
        )
    return np.array(arr, dtype=np.float64, copy=True)


def check_gradient(
    f: Callable[[np.ndarray], Any],
    x: np.ndarray,
    analytic_grad: np.ndarray,
    h: float = 1e-5,
    tol: float = 1e-6,
) -> GradCheckResult:
    """Compare the analytic gradient of a scalar function with a numerical one.

    The numerical gradient is computed on a float64 copy of ``x``.

    Inputs:
    - f: function mapping x to a scalar.
    - x: (any shape,) point where the gradient is checked.
    - analytic_grad: your gradient of f at x, same shape as x.
    - h: step size of the central differences.
    - tol: largest relative error that passes.

    Returns:
    - result: a GradCheckResult named ``"x"``; ``print(result)`` gives a one-line summary.
    """
    x64 = _float64_copy(x, "x")
    analytic = np.asarray(analytic_grad, dtype=np.float64)
    if analytic.shape != x64.shape:
        raise ValueError(
            f"analytic_grad must have the shape of x: expected {x64.shape}, "
            f"received {analytic.shape}"
        )
    numerical = numerical_gradient(f, x64, h)
    return _make_result("x", analytic, numerical, tol)


def _split_forward_output(value: Any) -> tuple[np.ndarray, Any]:
    if not (isinstance(value, tuple) and len(value) == 2):
        raise ValueError(
            f"forward(*inputs) must return a pair (out, cache), got {type(value).__name__}"
        )
    return np.asarray(value[0]), value[1]


def _normalize_grads(grads: Any, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """Turn backward's return value into a list of float64 arrays and validate it."""
    if isinstance(grads, tuple | list):
        grads = list(grads)
    elif len(shapes) == 1:
        grads = [grads]
    else:
        raise ValueError(
            f"backward must return a tuple of {len(shapes)} gradients (one per input), "
            f"got a single {type(grads).__name__}"
        )
    if len(grads) != len(shapes):
        raise ValueError(
            f"backward returned {len(grads)} gradients, expected {len(shapes)} "
            "(one per input of forward, in the same order)"
        )
    arrays = []
    for i, (grad, shape) in enumerate(zip(grads, shapes, strict=True)):
        if grad is None:
            raise ValueError(f"backward returned None as the gradient of input {i}")
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != shape:
            raise ValueError(
                f"gradient of input {i} has the wrong shape: expected {shape} "
                f"(the shape of input {i}), received {grad.shape}"
            )
        arrays.append(grad)
    return arrays


def check_layer(
    forward: Callable[..., tuple[Any, Any]],
    backward: Callable[[np.ndarray, Any], Any],
    inputs: Sequence[np.ndarray],
    dout: np.ndarray | None = None,
    seed: int = 0,
    h: float = 1e-5,
    tol: float = 1e-6,
) -> list[GradCheckResult]:
    """Check a layer's backward pass against numerical gradients of its forward pass.

    See the module docstring for the layer contract. The inputs are copied (as float64), so
    the caller's arrays are never modified.

    Inputs:
    - forward: ``forward(*inputs) -> (out, cache)``.
    - backward: ``backward(dout, cache) -> (dinput_0, dinput_1, ...)``.
    - inputs: the layer's inputs, e.g. ``[x, W, b]`` with x: (N, D), W: (D, M), b: (M,).
    - dout: upstream gradient with the shape of ``out``; if None a standard normal one is
      drawn with ``np.random.default_rng(seed)``.
    - seed: seed for the random dout.
    - h: step size of the central differences.
    - tol: largest relative error that passes.

    Returns:
    - results: one GradCheckResult per input, named ``"input 0"``, ``"input 1"``, ...

    Raises:
    - ValueError: if backward returns the wrong number of gradients or a gradient whose
      shape differs from its input's, or if dout does not have the shape of out.
    """
    if len(inputs) == 0:
        raise ValueError("inputs must contain at least one array")
    originals = [_float64_copy(x, f"input {i}") for i, x in enumerate(inputs)]
    shapes = [x.shape for x in originals]

    args = [x.copy() for x in originals]
    out, cache = _split_forward_output(forward(*args))
    if dout is None:
        dout = np.random.default_rng(seed).standard_normal(out.shape)
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != out.shape:
        raise ValueError(f"dout must have the shape of out: expected {out.shape}, got {dout.shape}")
    analytic = _normalize_grads(backward(dout.copy(), cache), shapes)
    for i, (arg, original) in enumerate(zip(args, originals, strict=True)):
        if not np.array_equal(arg, original, equal_nan=True):
            warnings.warn(
                f"forward or backward modified input {i} in place; layers must not change "
                "their inputs",
                UserWarning,
                stacklevel=2,
            )

    results = []
    for i, grad in enumerate(analytic):
        args = [x.copy() for x in originals]

        def f(xi: np.ndarray, i: int = i, args: list[np.ndarray] = args) -> np.ndarray:
            args[i] = xi
            return _split_forward_output(forward(*args))[0]

        numerical = numerical_gradient_array(f, args[i], dout, h)
        results.append(_make_result(f"input {i}", grad, numerical, tol))
    return results
