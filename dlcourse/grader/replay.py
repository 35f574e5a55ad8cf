"""Record and replay: the student's code runs in the sandbox, the judging runs outside.

A test cell (visible checks and hidden tests) never runs in the student's kernel. Instead:

1. **Record** (trusted, once per assignment): the test cell runs here with every student
   function replaced by a stub that calls the reference and logs its arguments. This yields
   the exact calls the test cell makes: ``[(function name, args, kwargs), ...]``.
2. **Probe** (sandbox): after the student's cells, a probe cell calls the student's
   functions on those arguments and writes the results as plain numbers (JSON + ``.npy``
   files, never pickles), together with the arguments' state after the call.
3. **Replay** (trusted, per student): the test cell runs here again; each stub now returns
   the student's recorded result (and applies any in-place change the student's function
   made to its inputs). The assertions, ``check_function`` included, run in this process, on
   numbers, with a pristine numpy: nothing the student did to their own kernel can change
   the verdict, and the hidden tests' source never enters the sandbox.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import io
import itertools
import json
import linecache
import pickle
import textwrap
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlcourse.grader.probe import CALLS_DIR, RESULTS_DIR, ShippedFunction
from dlcourse.grader.sharing import array_leaves, describe, memory_report, read_report
from dlcourse.grader.tables import (
    FunctionTable,
    TableEntry,
    apply_in_place,
    bind,
    distance,
    is_plain,
)
from dlcourse.grading import ExplainedError

MAX_RESULT_BYTES = 64 * 2**20  # all results of one test cell, arrays included


class ReplayError(Exception):
    """The test cell asked for a call that was not recorded (the grading is broken)."""


class StudentCallError(ExplainedError):
    """What a student's function did instead of returning numbers, re-raised at replay."""


# --------------------------------------------------------------------------- cells
def defined_names(sources: Iterable[str]) -> list[str]:
    """Top-level function (and class) names defined by the given cell sources."""
    names: list[str] = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.append(node.name)
    return list(dict.fromkeys(names))


def _compile_cell(source: str, name: str) -> types.CodeType:
    """Compile a cell so that ``inspect.getsource`` works on the functions it defines."""
    filename = f"<dlcourse-test-cell {name}>"
    lines = [line + "\n" for line in source.split("\n")]
    linecache.cache[filename] = (len(source), None, lines, filename)
    return compile(source, filename, "exec")


def _namespace(setup: str, stubs: dict[str, Callable]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__dlcourse_test__"}
    exec(compile(setup, "<dlcourse-setup>", "exec"), namespace)  # the notebook's imports
    namespace.update(stubs)
    return namespace


# --------------------------------------------------------------------------- record
@dataclass
class Call:
    """One call a test cell makes to a student function, and what the functions passed to it
    answered while the reference ran (``tables``, keyed by the passed function's ``id``)."""

    function: str
    args: tuple
    kwargs: dict
    tables: dict[int, FunctionTable] = field(default_factory=dict)
    # what the reference's call did to its arguments' memory (``sharing.memory_report``), and
    # the reference's parameter names (to name positions in messages)
    memory: dict[str, set] = field(default_factory=dict)
    parameters: list[str] = field(default_factory=list)


@dataclass
class Recording:
    """The calls of one test cell, and whether the cell passed with the reference."""

    cell: str
    calls: list[Call] = field(default_factory=list)
    error: str | None = None


def _is_numpy_function(value: Any) -> bool:
    return isinstance(value, np.ufunc) or (
        callable(value) and getattr(np, getattr(value, "__name__", ""), None) is value
    )


def _signature(function: Callable) -> inspect.Signature | None:
    try:
        return inspect.signature(function)
    except (TypeError, ValueError):
        return None


class _Recorder:
    """Stands in for a function passed to the reference: calls it and logs every call."""

    def __init__(self, function: Callable, table: FunctionTable) -> None:
        self._function, self._table = function, table
        self.__name__ = getattr(function, "__name__", "function")
        self.__qualname__ = getattr(function, "__qualname__", self.__name__)
        self.__doc__ = getattr(function, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        table = self._table
        if not table.plain:  # it works on other objects: it goes as code (or not at all)
            return self._function(*args, **kwargs)
        before = bind(table.signature, args, kwargs)
        if not is_plain(before):
            table.plain, table.entries = False, []
            return self._function(*args, **kwargs)
        before = copy.deepcopy(before)
        result = self._function(*args, **kwargs)
        after = bind(table.signature, args, kwargs)
        if not (is_plain(result) and is_plain(after)):
            table.plain, table.entries = False, []
            return result
        changed = distance(after, before) != 0.0
        table.entries.append(
            TableEntry(before, copy.deepcopy(result), copy.deepcopy(after) if changed else None)
        )
        return result


def _with_recorders(value: Any, tables: dict[int, FunctionTable]) -> Any:
    """``value`` with every passed-in function (not numpy's) wrapped in a ``_Recorder``;
    containers are rebuilt only where they hold a function, so in-place changes to the
    others still reach the caller."""
    if callable(value) and not isinstance(value, type) and not _is_numpy_function(value):
        if id(value) not in tables:
            tables[id(value)] = FunctionTable(
                getattr(value, "__name__", "function"), _signature(value)
            )
        return _Recorder(value, tables[id(value)])
    if isinstance(value, tuple | list | dict):
        items = list(value.items() if isinstance(value, dict) else enumerate(value))
        wrapped = {k: _with_recorders(v, tables) for k, v in items}
        if all(wrapped[k] is v for k, v in items):
            return value
        if isinstance(value, dict):
            return type(value)(wrapped) if type(value) is dict else value
        rebuilt = [wrapped[i] for i in range(len(value))]
        return tuple(rebuilt) if isinstance(value, tuple) else rebuilt
    return value


def record(cell: str, source: str, setup: str, names: list[str], reference: Any) -> Recording:
    """Run a test cell against the reference, logging every call to a student function and
    every call the reference makes to the functions passed to it."""
    recording = Recording(cell)

    def stub_for(name: str) -> Callable:
        def stub(*args, **kwargs):
            call = Call(name, copy.deepcopy(args), copy.deepcopy(kwargs))
            recording.calls.append(call)
            function = getattr(reference, name)
            signature = _signature(function)
            call.parameters = list(signature.parameters) if signature else []
            before = array_leaves(args, kwargs)
            wrapped_args, wrapped_kwargs = _with_recorders((args, kwargs), call.tables)
            result = function(*wrapped_args, **wrapped_kwargs)
            call.memory = read_report(memory_report(before, args, kwargs))
            return result

        stub.__name__ = name
        return stub

    namespace = _namespace(setup, {n: stub_for(n) for n in names if hasattr(reference, n)})
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(_compile_cell(source, cell), namespace)
    except Exception as exc:  # the reference must pass its own tests
        recording.error = f"{type(exc).__name__}: {exc}"
    return recording


# --------------------------------------------------------------------------- ship calls
TEST_CELL_MODULE = "__dlcourse_test__"  # the module name of functions a test cell defines


def _table_is_plain(table: FunctionTable) -> bool:
    return table.plain and all(
        is_plain(e.before) and is_plain(e.result) and (e.after is None or is_plain(e.after))
        for e in table.entries
    )


def _ship(value: Any, tables: dict[int, FunctionTable] | None = None) -> Any:
    """Arguments as the probe gets them. A function becomes: numpy's own, by name; a table of
    the answers it gave the reference (``tables``), when they are plain data; or, for a
    function the test cell defines whose calls take the student's own objects (an expression
    of ``Value`` objects), its source. A reference function is never sent as code."""
    tables = tables if tables is not None else {}
    if _is_numpy_function(value):
        return ShippedFunction(value.__name__, f"{value.__name__} = np.{value.__name__}\n")
    if callable(value) and not isinstance(value, type):
        name = getattr(value, "__name__", "function")
        table = tables.get(id(value)) or FunctionTable(name, _signature(value))
        if _table_is_plain(table):
            return table
        if getattr(value, "__module__", None) != TEST_CELL_MODULE or not isinstance(
            value, types.FunctionType
        ):
            raise ReplayError(
                f"{name} is passed to a student function, but the reference calls it with"
                " objects that are not plain data: it cannot be sent to the sandbox"
            )
        if name == "<lambda>":
            raise ReplayError("pass named functions, not lambdas, to student functions")
        try:
            source = textwrap.dedent(inspect.getsource(value))
        except (OSError, TypeError) as exc:
            raise ReplayError(f"cannot send function {name} to the sandbox") from exc
        return ShippedFunction(name, source)
    if isinstance(value, tuple):
        return tuple(_ship(v, tables) for v in value)
    if isinstance(value, list):
        return [_ship(v, tables) for v in value]
    if isinstance(value, dict):
        return {k: _ship(v, tables) for k, v in value.items()}
    return value


def shipped_calls(recording: Recording) -> bytes:
    """A test cell's calls as the probe reads them: pickled, functions shipped (``_ship``).

    Pickle is safe in this direction: the grader writes it, the probe reads it.
    """
    shipped = [
        (c.function, _ship(c.args, c.tables), _ship(c.kwargs, c.tables)) for c in recording.calls
    ]
    return pickle.dumps(shipped, protocol=pickle.HIGHEST_PROTOCOL)


def write_calls(recording: Recording, workdir: Path) -> None:
    """Write a test cell's calls where the probe reads them (``.dlcourse/calls/<cell>.pkl``)."""
    folder = workdir / CALLS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{recording.cell}.pkl").write_bytes(shipped_calls(recording))


def probe_source(cell: str) -> str:
    """The code of the probe cell that takes the place of test cell ``cell``."""
    return (
        "# Autograding: your functions are called on the test inputs here; the results are\n"
        "# checked by the grader outside this notebook.\n"
        "from dlcourse.grader.probe import run_probe as _dlcourse_run_probe\n"
        f"_dlcourse_run_probe(globals(), {cell!r})"
    )


# --------------------------------------------------------------------------- read results
def _decode(node: Any, arrays: dict[str, np.ndarray], depth: int = 0) -> Any:
    """Rebuild a value from the probe's JSON tree; anything unexpected is an error."""
    if depth > 32 or not isinstance(node, dict):
        raise ValueError("malformed result")
    kind = node.get("t")
    if kind == "array":
        return arrays[str(node["i"])]
    if kind == "scalar":
        return arrays[str(node["i"])][()]
    if kind == "pyfloat":
        return float(arrays[str(node["i"])][()])
    if kind in ("tuple", "list"):
        items = [_decode(v, arrays, depth + 1) for v in node["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        keys = node["k"]
        if not all(isinstance(k, str | int) for k in keys):
            raise ValueError("malformed dict keys")
        return {k: _decode(v, arrays, depth + 1) for k, v in zip(keys, node["v"], strict=True)}
    if kind == "int" and type(node["v"]) is int:
        return node["v"]
    if kind == "float" and type(node["v"]) in (int, float):
        return float(node["v"])
    if kind == "bool" and type(node["v"]) is bool:
        return node["v"]
    if kind == "str" and type(node["v"]) is str:
        return node["v"]
    if kind == "none":
        return None
    raise ValueError(f"unexpected result type {kind!r}")


@dataclass
class Outcome:
    """What the student's function did on one recorded call."""

    result: Any = None
    error: str | None = None
    args_after: Any = None  # the arguments' state after the call (in-place changes)
    memory: dict[str, set] = field(default_factory=dict)  # see sharing.memory_report


def outcome_from(entry: dict, arrays: dict[str, np.ndarray]) -> Outcome:
    """One probe entry (see ``probe_calls``) as an Outcome; a malformed one raises ValueError."""
    if "error" in entry:
        return Outcome(error=str(entry["error"])[:2000])
    args_after = _decode(entry["args_after"], arrays)
    if not (isinstance(args_after, list | tuple) and len(args_after) == 2):
        raise ValueError("malformed arguments")
    memory = read_report(entry.get("memory"))
    return Outcome(_decode(entry["result"], arrays), None, args_after, memory)


def read_results(workdir: Path, cell: str) -> list[Outcome]:
    """The probe's results for one test cell, validated (no pickle, bounded size)."""
    folder = workdir / RESULTS_DIR / cell
    index = folder / "index.json"
    if not index.is_file():
        return []
    files = [p for p in folder.iterdir() if p.is_file()]
    if sum(p.stat().st_size for p in files) > MAX_RESULT_BYTES:
        return [Outcome(error="the results were too large")]
    outcomes = []
    try:
        entries = json.loads(index.read_text())
        for entry in entries:
            arrays = {}
            for key in entry.get("arrays", []):
                path = folder / f"{int(entry['n'])}_{int(key)}.npy"
                arrays[str(key)] = np.load(path, allow_pickle=False)
            outcomes.append(outcome_from(entry, arrays))
    except Exception as exc:  # tampered or truncated results count as no result
        outcomes.append(Outcome(error=f"unreadable results ({type(exc).__name__})"))
    return outcomes


# --------------------------------------------------------------------------- replay
def _same(a: Any, b: Any) -> bool:
    """Whether a test cell's call has the recorded inputs, up to rounding.

    A test cell may pass one of the student's results back to the student (a forward pass's
    cache into the backward pass). The probe called the student's function on the recorded
    inputs, which came from the reference; a correct student's own result may differ from
    them in the last bits, and that must not fail the check. Inputs that differ by more than
    rounding (an earlier call modified its arguments in place, or returned wrong values that
    the test cell then passed on) are reported.
    """
    if isinstance(a, np.ndarray | np.generic) or isinstance(b, np.ndarray | np.generic):
        return _close_arrays(a, b)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if callable(a):
        return callable(b) and getattr(a, "__name__", None) == getattr(b, "__name__", None)
    numbers = (a, b)
    if all(isinstance(v, float | int) and not isinstance(v, bool) for v in numbers) and any(
        isinstance(v, float) for v in numbers
    ):  # a count kept as 1.0 where the reference keeps 1: the same input
        return _close_arrays(np.asarray(float(a)), np.asarray(float(b)))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _close_arrays(a: Any, b: Any) -> bool:
    try:
        x, y = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if x.shape != y.shape or x.dtype.kind != y.dtype.kind:
        return False
    if x.dtype.kind not in "fc":
        return bool(np.array_equal(x, y))
    with np.errstate(all="ignore"):
        return bool(np.allclose(x, y, rtol=1e-5, atol=1e-8, equal_nan=True))


def _check_memory(name: str, call: Call, outcome: Outcome) -> None:
    """Fail a call that made two of its arguments share memory where the reference did not
    (see ``sharing``)."""
    names = call.parameters
    allowed = call.memory or {"aliases": set()}
    aliases = sorted(outcome.memory.get("aliases", set()) - allowed["aliases"], key=str)
    if aliases:
        p, q = sorted(aliases[0], key=str)
        raise StudentCallError(
            f"{name}: after the call, {describe(p, names)} and {describe(q, names)} share memory"
            " (one holds the other array itself, not a copy). In a training loop that refills"
            " the caller's arrays in place for the next step, the other would change too:"
            " store a copy (np.copy or .copy())."
        )


@dataclass
class Verdict:
    """The result of replaying one test cell."""

    cell: str
    passed: bool
    message: str = ""  # shown to the student: assertion messages, never source code
    stdout: str = ""


def replay(
    cell: str,
    source: str,
    setup: str,
    names: list[str],
    recording: Recording,
    outcomes: list[Outcome],
) -> Verdict:
    """Run a test cell with the student's recorded results in place of their functions."""
    counter = itertools.count()

    def stub_for(name: str) -> Callable:
        def stub(*args, **kwargs):
            i = next(counter)
            if i >= len(recording.calls) or recording.calls[i].function != name:
                raise ReplayError(f"unexpected call {i} to {name}")
            call = recording.calls[i]
            if not (_same(call.args, args) and _same(call.kwargs, kwargs)):
                raise StudentCallError(
                    f"the inputs of check {i + 1} differ from the expected ones: did an earlier"
                    " call modify its input arrays in place?"
                )
            if i >= len(outcomes):
                raise StudentCallError(
                    f"{name} gave no result (it did not finish within the time limit, "
                    "or the notebook stopped before the tests)"
                )
            outcome = outcomes[i]
            if outcome.error is not None:
                raise StudentCallError(outcome.error)
            _check_memory(name, call, outcome)
            # copies: the test's objects take in what the call left, and a later call or the
            # test itself changes them in place; the outcomes must stay as the probe read them
            # (diagnose.py compares them with the known bugs' afterwards)
            after = copy.deepcopy(outcome.args_after)
            apply_in_place(args, after[0])
            apply_in_place(kwargs, after[1])
            return copy.deepcopy(outcome.result)

        stub.__name__ = name
        return stub

    namespace = _namespace(setup, {n: stub_for(n) for n in names})
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            exec(_compile_cell(source, cell), namespace)
    except ReplayError:
        raise
    except AssertionError as exc:
        message = str(exc) or "a hidden check failed"
        return Verdict(cell, False, message, stdout.getvalue())
    except StudentCallError as exc:
        return Verdict(cell, False, str(exc), stdout.getvalue())
    except Exception as exc:
        return Verdict(cell, False, f"{type(exc).__name__}: {exc}", stdout.getvalue())
    return Verdict(cell, True, "", stdout.getvalue())
