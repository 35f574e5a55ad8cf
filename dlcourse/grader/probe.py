"""The probe: runs inside the student's (sandboxed) kernel during grading.

It calls the student's functions on the arguments the grader recorded and writes what they
returned as plain numbers: ``index.json`` plus one ``.npy`` file per array, in
``.dlcourse/results/<cell>/``. Results are written after every call, so a function that
hangs or a kernel that dies costs only the calls that did not finish. The probe judges
nothing: the grader compares the results outside the sandbox (see ``replay``).
"""

from __future__ import annotations

import json
import os
import pickle
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlcourse.grader.sharing import array_leaves, memory_report
from dlcourse.grader.tables import FunctionTable, RecordedFunction, UnexpectedInputError

# Paths relative to the sandbox's working folder; the grader uses the same ones.
CALLS_DIR = Path(".dlcourse/calls")
RESULTS_DIR = Path(".dlcourse/results")
CONFIG = Path(".dlcourse/config.json")
SECONDS_PER_CALL = 10.0  # unless the grader's config says otherwise


class CallTimeout(Exception):
    """A student function ran past SECONDS_PER_CALL."""


@dataclass(frozen=True)
class ShippedFunction:
    """A function argument sent into the sandbox as source: numpy's own (``tanh = np.tanh``)
    or an expression a test cell defines that works on the student's own objects. Reference
    functions never: they are sent as tables of answers (``tables.FunctionTable``)."""

    name: str
    source: str


def _unship(value: Any) -> Any:
    """Turn shipped functions back into functions: sources are defined with numpy available
    as np; tables answer from what they recorded (``RecordedFunction``)."""
    if isinstance(value, FunctionTable):
        return RecordedFunction(value)
    if isinstance(value, ShippedFunction):
        namespace: dict[str, Any] = {"np": np}
        exec(value.source, namespace)
        return namespace[value.name]
    if isinstance(value, tuple):
        return tuple(_unship(v) for v in value)
    if isinstance(value, list):
        return [_unship(v) for v in value]
    if isinstance(value, dict):
        return {k: _unship(v) for k, v in value.items()}
    return value


def _encode(value: Any, arrays: list[np.ndarray], depth: int = 0) -> dict:
    """A JSON tree for a value; arrays go to ``arrays``. Unsupported objects raise TypeError."""
    if depth > 32:
        raise TypeError("the result is nested too deeply")
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": value} if abs(value) < 2**53 else {"t": "float", "v": value}
    if type(value) is float:  # a Python float stays one (np.float64 is a float subclass)
        arrays.append(np.asarray(value, dtype=np.float64))
        return {"t": "pyfloat", "i": len(arrays) - 1}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise TypeError(f"an array of {array.dtype} is not numbers")
        arrays.append(np.array(array, copy=True))
        return {"t": "array" if isinstance(value, np.ndarray) else "scalar", "i": len(arrays) - 1}
    if isinstance(value, tuple | list):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": kind, "v": [_encode(v, arrays, depth + 1) for v in value]}
    if isinstance(value, dict):
        keys = list(value)
        if not all(type(k) in (str, int) for k in keys):
            raise TypeError("dict keys must be strings or integers")
        return {"t": "dict", "k": keys, "v": [_encode(value[k], arrays, depth + 1) for k in keys]}
    if value is None:
        return {"t": "none"}
    if isinstance(value, str):
        return {"t": "str", "v": value[:10000]}
    if callable(value):  # a function passed through (e.g. an activation) is not a result
        return {"t": "none"}
    raise TypeError(
        f"returned an object of type {type(value).__name__}, which is not a number or an array"
    )


def _call_seconds() -> float:
    try:
        return float(json.loads(CONFIG.read_text())["call_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return SECONDS_PER_CALL


def _on_alarm(signum, frame):
    raise CallTimeout()


def probe_calls(
    namespace: dict, calls: list, seconds: float
) -> Iterator[tuple[dict[str, Any], list[np.ndarray]]]:
    """Call the student's functions (looked up in ``namespace``) on the recorded ``calls``.

    Yields, call by call, the JSON entry of what the function returned (or raised) and the
    arrays that entry refers to by index. A function that runs past ``seconds`` is not called
    again. Both ``run_probe`` (in the sandbox) and ``dlcourse prove`` (in the grader's process)
    go through here.
    """
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    timed_out: set[str] = set()
    try:
        for n, (name, args, kwargs) in enumerate(calls):
            entry: dict[str, Any] = {"n": n}
            arrays: list[np.ndarray] = []
            args, kwargs = _unship(args), _unship(kwargs)
            function = namespace.get(name)
            try:
                if name in timed_out:
                    raise CallTimeout()
                if not callable(function):
                    raise NameError(f"{name} is not defined (did its cell run without errors?)")
                before = array_leaves(args, kwargs)
                signal.setitimer(signal.ITIMER_REAL, seconds)
                try:
                    with np.errstate(all="ignore"):
                        result = function(*args, **kwargs)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                entry["memory"] = memory_report(before, args, kwargs)
                entry["result"] = _encode(result, arrays)
                entry["args_after"] = _encode((args, kwargs), arrays)
                entry["arrays"] = list(range(len(arrays)))
            except CallTimeout:
                timed_out.add(name)
                error = f"{name} ran past the {seconds:g} s time limit"
            except NotImplementedError:
                error = f"{name} is not implemented yet"
            except UnexpectedInputError as exc:
                error = f"{name}: {exc}"[:2000]
            except Exception as exc:
                error = f"{name} raised {type(exc).__name__}: {exc}"[:2000]
            else:
                error = None
            if error is not None:  # what was encoded before the failure is dropped
                entry, arrays = {"n": n, "error": error}, []
            yield entry, arrays
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_probe(namespace: dict, cell: str) -> None:
    """Call the student's functions for test cell ``cell`` and write the results."""
    with open(CALLS_DIR / f"{cell}.pkl", "rb") as f:
        calls = pickle.load(f)
    out = RESULTS_DIR / cell
    out.mkdir(parents=True, exist_ok=True)
    index: list[dict] = []
    for entry, arrays in probe_calls(namespace, calls, _call_seconds()):
        for i, array in enumerate(arrays):
            np.save(out / f"{entry['n']}_{i}.npy", array, allow_pickle=False)
        index.append(entry)
        partial = out / "index.json.part"  # replaced in one step: never half written
        partial.write_text(json.dumps(index))
        os.replace(partial, out / "index.json")
    print(f"autograding: {len(calls)} calls recorded for {cell}")
