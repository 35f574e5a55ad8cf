"""The helper that hidden tests use: compare a student's function with the reference.

A hidden-test cell of a course notebook looks like this::

    ### BEGIN HIDDEN TESTS
    from dlcourse.grading import check_function, generated_cases, reference
    ref = reference("01_perceptron_to_mlp")
    check_function(softmax, ref.softmax, generated_cases(make_softmax_case, seeds=range(5)))
    ### END HIDDEN TESTS

``check_function`` calls both functions on every case (each call gets its own copy of
the inputs) and raises ``AssertionError`` on the first case that differs. The message
shows what a student needs to debug: the input names, shapes, dtypes and ranges, the
expected and received values (an excerpt), and the largest error. It never shows the
hidden test's code or the reference's source, only values.

Reference solutions are generated modules in ``solutions/`` (``dlcourse build`` extracts
them from the solution cells of ``course/``); ``reference`` finds and loads them.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import inspect
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "Case",
    "ExplainedError",
    "case_rng",
    "hidden_test_seed",
    "Tolerance",
    "check_function",
    "generated_cases",
    "reference",
    "reference_module_name",
    "solutions_directory",
]

SOLUTIONS_ENV = "DLCOURSE_SOLUTIONS"


# --------------------------------------------------------------------------- cases
class ExplainedError(Exception):
    """An error whose message already says, for the student, what went wrong (e.g. what the
    student's function did in the sandbox); ``check_function`` shows it as it is."""


@dataclass(frozen=True)
class Case:
    """One input to a function under test: ``f(*args, **kwargs)``.

    ``label`` names the case in failure messages ("large logits", "seed 3, float32").
    """

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


_hidden_test_seed = 0


@contextlib.contextmanager
def hidden_test_seed(seed: int) -> Iterator[None]:
    """Draw the hidden tests' random inputs from another stream while inside.

    Seed 0 is the stream the tests were written with; ``dlcourse prove --seeds N`` proves the
    tests under seeds 0 to N-1, so that no bug is caught (and no correct answer failed) only
    by the luck of one draw.
    """
    global _hidden_test_seed
    previous, _hidden_test_seed = _hidden_test_seed, int(seed)
    try:
        yield
    finally:
        _hidden_test_seed = previous


def case_rng(seed: int) -> np.random.Generator:
    """The random generator of a hidden test's case ``seed``: ``np.random.default_rng(seed)``,
    or another stream for each ``hidden_test_seed``. Hidden tests draw inputs from it."""
    if _hidden_test_seed == 0:
        return np.random.default_rng(seed)
    return np.random.default_rng([_hidden_test_seed, int(seed)])


def generated_cases(
    make: Callable[[np.random.Generator, type], Case | tuple],
    *,
    seeds: Iterable[int] = range(5),
    dtypes: Sequence[type] = (np.float64, np.float32),
) -> list[Case]:
    """Build cases from a factory ``make(rng, dtype) -> Case | args tuple``.

    One case per (seed, dtype); ``rng = case_rng(seed)``. A factory that
    returns a plain tuple gets it wrapped as ``Case(args=...)``.
    """
    cases = []
    for dtype in dtypes:
        for seed in seeds:
            made = make(case_rng(seed), dtype)
            case = made if isinstance(made, Case) else Case(args=tuple(made))
            suffix = f"seed {seed}, {np.dtype(dtype).name}"
            label = f"{case.label}, {suffix}" if case.label else suffix
            cases.append(Case(case.args, case.kwargs, label))
    return cases


# --------------------------------------------------------------------------- tolerance
@dataclass(frozen=True)
class Tolerance:
    """Allowed difference ``|received - expected| <= atol + rtol * |expected|``.

    ``rtol32``/``atol32`` apply when any input array is float32 (or float16).
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    rtol32: float = 1e-4
    atol32: float = 1e-6

    def for_case(self, case: Case) -> tuple[float, float]:
        if any(_is_low_precision(a) for a in _leaves((case.args, dict(case.kwargs)))):
            return self.rtol32, self.atol32
        return self.rtol, self.atol


def _is_low_precision(value: Any) -> bool:
    return isinstance(value, np.ndarray | np.generic) and value.dtype in (np.float32, np.float16)


def _leaves(value: Any) -> list:
    if isinstance(value, Mapping):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


# --------------------------------------------------------------------------- describing
def _describe_value(value: Any) -> str:
    """A one-line description of an input or output value (never its source code)."""
    if isinstance(value, np.ndarray):
        text = f"array {value.dtype} shape {value.shape}"
        if value.size and np.issubdtype(value.dtype, np.number):
            finite = value[np.isfinite(value)] if value.dtype.kind in "fc" else value
            if finite.size:
                text += f", values in [{_fmt(finite.min())}, {_fmt(finite.max())}]"
            if finite.size < value.size:
                text += f", {value.size - finite.size} non-finite"
        elif value.size and value.dtype == bool:
            text += f", {int(value.sum())} True"
        return text
    if isinstance(value, np.generic | int | float | bool | complex):
        return f"{type(value).__name__} {_fmt(value)}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_describe_value(v) for v in value[:6])
        more = ", ..." if len(value) > 6 else ""
        return f"{type(value).__name__} of {len(value)}: [{inner}{more}]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k!r}: {_describe_value(v)}" for k, v in list(value.items())[:6])
        return f"dict {{{inner}}}"
    if callable(value):
        return f"function {getattr(value, '__name__', type(value).__name__)}"
    if value is None:
        return "None"
    return type(value).__name__


def _fmt(x: Any) -> str:
    if isinstance(x, bool | np.bool_):
        return str(bool(x))
    if isinstance(x, int | np.integer):
        return str(int(x))
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return repr(x)


def _excerpt(a: np.ndarray, limit: int = 6) -> str:
    flat = np.asarray(a).reshape(-1)
    shown = ", ".join(_fmt(v) for v in flat[:limit])
    return f"[{shown}{', ...' if flat.size > limit else ''}]"


def _argument_names(fn: Callable, count: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(count)]


def _describe_inputs(fn: Callable, case: Case) -> str:
    names = _argument_names(fn, len(case.args))
    lines = [f"    {name} = {_describe_value(v)}" for name, v in zip(names, case.args, strict=True)]
    lines += [f"    {name} = {_describe_value(v)}" for name, v in case.kwargs.items()]
    return "\n".join(lines) if lines else "    (no arguments)"


# --------------------------------------------------------------------------- comparing
class _Mismatch(Exception):
    """Internal: how a received value differs from the expected one."""


def _compare(
    expected: Any, received: Any, rtol: float, atol: float, where: str, dtypes: bool = False
) -> None:
    """Raise _Mismatch describing the first difference between two output structures.

    ``dtypes``: a NumPy array or scalar must also have the expected kind of dtype (bool,
    integer, float, complex) and, for floats, the expected precision."""
    if expected is None:
        if received is not None:
            raise _Mismatch(f"{where}: expected None, received {_describe_value(received)}")
        return
    if isinstance(expected, tuple | list):
        if not isinstance(received, tuple | list) or len(received) != len(expected):
            raise _Mismatch(
                f"{where}: expected a {type(expected).__name__} of {len(expected)} values, "
                f"received {_describe_value(received)}"
            )
        for i, (e, r) in enumerate(zip(expected, received, strict=True)):
            _compare(e, r, rtol, atol, f"{where}[{i}]", dtypes)
        return
    if isinstance(expected, Mapping):
        if not isinstance(received, Mapping) or set(received) != set(expected):
            raise _Mismatch(
                f"{where}: expected a dict with keys {sorted(expected)}, "
                f"received {_describe_value(received)}"
            )
        for key in expected:
            _compare(expected[key], received[key], rtol, atol, f"{where}[{key!r}]", dtypes)
        return
    if isinstance(expected, np.ndarray | np.generic | int | float | bool):
        _compare_arrays(np.asarray(expected), received, rtol, atol, where)
        if dtypes and isinstance(expected, np.ndarray | np.generic):
            _compare_dtypes(np.asarray(expected).dtype, np.asarray(received).dtype, where)
        return
    if expected != received:
        raise _Mismatch(f"{where}: expected {expected!r}, received {received!r}")


def _compare_arrays(expected: np.ndarray, received: Any, rtol: float, atol: float, where: str):
    if received is None:
        raise _Mismatch(
            f"{where}: received None; expected {_describe_value(expected)}"
            " (did you forget to return the result?)"
        )
    try:
        got = np.asarray(received)
    except Exception as exc:  # a ragged list, an object that cannot become an array
        raise _Mismatch(f"{where}: could not read the result as an array ({exc})") from None
    if got.dtype == object or not (np.issubdtype(got.dtype, np.number) or got.dtype == bool):
        raise _Mismatch(f"{where}: expected numbers, received {_describe_value(received)}")
    if got.shape != expected.shape:
        raise _Mismatch(
            f"{where}: expected shape {expected.shape}, received shape {got.shape}"
            f"\n  expected: {_excerpt(expected)}\n  received: {_excerpt(got)}"
        )
    exp = expected.astype(np.float64) if expected.dtype != bool else expected
    rec = got.astype(np.float64) if got.dtype != bool else got
    if exp.dtype == bool or rec.dtype == bool:
        bad = np.asarray(exp != rec)
        error = bad.astype(np.float64)
    else:
        both_nan = np.isnan(exp) & np.isnan(rec)
        same_inf = np.isinf(exp) & (exp == rec)
        with np.errstate(invalid="ignore", over="ignore"):
            error = np.abs(rec - exp)
            finite = np.isfinite(exp) & np.isfinite(rec)
            close = finite & (error <= atol + rtol * np.abs(exp))
        bad = ~(close | both_nan | same_inf)
        error = np.where(both_nan | same_inf, 0.0, np.where(finite, error, np.inf))
    if not bad.any():
        return
    index = np.unravel_index(int(np.argmax(np.where(bad, error, -1.0))), bad.shape)
    at = f" at index {tuple(int(i) for i in index)}" if bad.ndim else ""
    raise _Mismatch(
        f"{where}: {int(bad.sum())} of {bad.size} values differ"
        f" (tolerance: atol={atol:g}, rtol={rtol:g})\n"
        f"  largest error {_fmt(error[index])}{at}:"
        f" expected {_fmt(exp[index])}, received {_fmt(rec[index])}\n"
        f"  expected: {_excerpt(expected)}\n"
        f"  received: {_excerpt(got)}"
    )


_KINDS = {"b": "bool", "i": "integer", "u": "integer", "f": "float", "c": "complex"}


def _compare_dtypes(expected: np.dtype, received: np.dtype, where: str) -> None:
    """The dtype contract: the kind of number, and a float's precision (a float32 network
    stays float32; float64 inputs are not rounded to float32)."""
    kind_e, kind_r = _KINDS.get(expected.kind, "?"), _KINDS.get(received.kind, "?")
    if kind_e != kind_r:
        raise _Mismatch(
            f"{where}: the values are right but the dtype is {received.name} ({kind_r}); "
            f"expected {expected.name} ({kind_e})"
        )
    if kind_e in ("float", "complex") and expected != received:
        raise _Mismatch(
            f"{where}: the values are right but the dtype is {received.name}, expected "
            f"{expected.name}: keep the precision of the inputs (no silent upcast or "
            "downcast)"
        )


def _same_value(a: Any, b: Any) -> bool:
    try:
        _compare(a, b, 0.0, 0.0, "")
    except _Mismatch:
        return False
    return True


# --------------------------------------------------------------------------- checking
def check_function(
    student: Callable,
    expected_fn: Callable,
    cases: Iterable[Case | tuple],
    *,
    tolerance: Tolerance | None = None,
    name: str | None = None,
    check_inputs_unchanged: bool = True,
    in_place: bool = False,
    check_dtype: bool = False,
) -> None:
    """Compare ``student`` with ``expected_fn`` on every case; raise on the first mismatch.

    Returns nothing on purpose: a value left as the last expression of an nbgrader test
    cell would be read as a partial-credit score.

    Args:
        student: the student's function.
        expected_fn: the reference function (from ``reference(...)``).
        cases: ``Case`` objects or plain argument tuples.
        tolerance: allowed numerical difference (float32 inputs get a looser one).
        name: the function's name in messages; defaults to ``student.__name__``.
        check_inputs_unchanged: fail when the student's function modifies its inputs
            in place (a classic bug: ``z -= z.max()`` on the caller's array).
        in_place: the function is meant to update its inputs (an SGD step updating a
            parameter dict, an optimizer updating its state): compare the inputs after the
            call with the reference's inputs after its call, besides the return values.
            Implies ``check_inputs_unchanged=False``.
        check_dtype: NumPy arrays and scalars returned (and, with ``in_place``, the updated
            inputs) must have the reference's dtype: the same kind of number and, for
            floats, the same precision. Python numbers are compared by value only.

    Raises:
        AssertionError: with inputs, expected and received values and the largest error.
    """
    tolerance = tolerance or Tolerance()
    name = name or getattr(student, "__name__", "your function")
    cases = [c if isinstance(c, Case) else Case(args=tuple(c)) for c in cases]
    if not cases:
        raise ValueError("check_function needs at least one case")
    if not callable(student):
        raise AssertionError(f"{name} is not a function (it is {_describe_value(student)})")
    for number, case in enumerate(cases, start=1):
        expected_args = copy.deepcopy(case.args)
        expected_kwargs = copy.deepcopy(dict(case.kwargs))
        with np.errstate(all="ignore"):
            expected = expected_fn(*expected_args, **expected_kwargs)
        args = copy.deepcopy(case.args)
        kwargs = copy.deepcopy(dict(case.kwargs))
        header = (
            f"{name} is wrong on case {number} of {len(cases)}"
            f"{' (' + case.label + ')' if case.label else ''}.\n"
            f"  inputs:\n{_describe_inputs(expected_fn, case)}\n"
        )
        try:
            with np.errstate(all="ignore"):
                received = student(*args, **kwargs)
        except NotImplementedError:
            raise AssertionError(
                f"{name} is not implemented yet (it raised NotImplementedError)"
            ) from None
        except Exception as exc:
            if isinstance(exc, ExplainedError):
                raise AssertionError(f"{header}  {exc}") from None
            raise AssertionError(f"{header}  it raised {type(exc).__name__}: {exc}") from None
        rtol, atol = tolerance.for_case(case)
        try:
            _compare(expected, received, rtol, atol, "output", check_dtype)
        except _Mismatch as mismatch:
            raise AssertionError(f"{header}  {mismatch}") from None
        if in_place:
            names = _argument_names(expected_fn, len(args))
            try:
                for arg_name, e, r in zip(names, expected_args, args, strict=True):
                    _compare(e, r, rtol, atol, f"{arg_name} after the call", check_dtype)
                for key in expected_kwargs:
                    _compare(
                        expected_kwargs[key],
                        kwargs.get(key),
                        rtol,
                        atol,
                        f"{key} after the call",
                        check_dtype,
                    )
            except _Mismatch as mismatch:
                raise AssertionError(f"{header}  {mismatch}") from None
        elif check_inputs_unchanged and not _same_value(case.args, args):
            raise AssertionError(
                f"{header}  it returned the right values but modified its input arrays in"
                " place; work on a copy (for example `z = z - z.max()` instead of `z -= ...`)"
            )


# --------------------------------------------------------------------------- references
def reference_module_name(assignment: str) -> str:
    """The module name of an assignment's reference: ``01_perceptron_to_mlp`` ->
    ``a01_perceptron_to_mlp`` (a Python name cannot start with a digit)."""
    return "a" + assignment if assignment[:1].isdigit() else assignment


def solutions_directory() -> Path:
    """Where the reference modules are.

    In order: the ``DLCOURSE_SOLUTIONS`` environment variable; a ``solutions/`` folder
    beside an ``nbgrader_config.py`` in the working directory or one of its parents (an
    instructor autograding inside the course repository); the ``solutions/`` folder of
    the checkout this toolkit was installed from.
    """
    if os.environ.get(SOLUTIONS_ENV):
        return Path(os.environ[SOLUTIONS_ENV]).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder / "solutions"
    return Path(__file__).resolve().parents[1] / "solutions"


def reference(assignment: str) -> ModuleType:
    """Load the reference solutions of ``assignment`` (e.g. ``"01_perceptron_to_mlp"``).

    The module is loaded from its file under a private name, so nothing a student's
    notebook defined can shadow it.
    """
    module_name = reference_module_name(assignment)
    path = solutions_directory() / f"{module_name}.py"
    if not path.is_file():
        raise FileNotFoundError(
            f"reference solutions for {assignment!r} not found at {path}; run `dlcourse build`"
            f" or set {SOLUTIONS_ENV} to the folder that holds {module_name}.py"
        )
    spec = importlib.util.spec_from_file_location(f"_dlcourse_reference_{module_name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
