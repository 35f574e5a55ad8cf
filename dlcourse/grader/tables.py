"""Functions sent into the sandbox as plain data: what they returned for the inputs they got.

A test cell may pass a function to a student's function: an activation to ``mlp_forward``,
layers to ``mlp_loss``, a loss to ``sgd_epoch``, a curve to ``early_stopping``. The reference
(or the test cell's own helper) must not enter the sandbox as code: a student could call it
in place of writing their own. So while the test cell runs against the reference, each such
function is recorded: every call the reference's function makes to it, with the arguments
before and after and the result (``FunctionTable``). In the sandbox the student's function
gets a ``RecordedFunction`` instead, which answers from that table: for the inputs a correct
implementation passes (up to rounding, in any order, positionally or by keyword) it returns
the recorded result and makes the recorded in-place changes; for any other input it raises
``UnexpectedInputError``. It never computes anything.

Both sides use this module: the grader builds the tables, the probe (in the sandbox) answers
from them, and the replay applies in-place changes with ``apply_in_place``.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Two inputs match when every float differs by at most ATOL + RTOL * |recorded| (the nearest
# recorded input wins, so a central difference's x + h and x - h are never confused).
RTOL, ATOL = 1e-5, 1e-8


class UnexpectedInputError(Exception):
    """A recorded function was called with inputs it has no recorded answer for."""


@dataclass
class TableEntry:
    """One call of a passed-in function: its bound arguments before and after, and result."""

    before: dict[str, Any]
    result: Any
    after: dict[str, Any] | None = None  # None: the call changed none of its arguments


@dataclass
class FunctionTable:
    """What a passed-in function answered during one recorded call of a student function."""

    name: str
    signature: inspect.Signature | None
    entries: list[TableEntry] = field(default_factory=list)
    plain: bool = True  # False: some call took or gave other objects (nothing was recorded)


# --------------------------------------------------------------------------- plain data
def is_plain(value: Any, depth: int = 0) -> bool:
    """Numbers, numeric arrays, strings, None, and tuples, lists and dicts of them."""
    if depth > 32:
        return False
    if value is None or isinstance(value, bool | int | float | complex | str):
        return True
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype.kind in "biufc"
    if isinstance(value, tuple | list):
        return type(value) in (tuple, list) and all(is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return type(value) is dict and all(
            isinstance(k, str | int) and is_plain(v, depth + 1) for k, v in value.items()
        )
    return False


def bind(signature: inspect.Signature | None, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The arguments of a call by parameter name, defaults filled in (so that ``f(x, True)``
    and ``f(x, flag=True)`` are the same call); ``{"args": ..., "kwargs": ...}`` without a
    signature."""
    if signature is None:
        return {"args": tuple(args), "kwargs": dict(kwargs)}
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


# --------------------------------------------------------------------------- matching
def distance(received: Any, recorded: Any, depth: int = 0) -> float:
    """How far ``received`` is from ``recorded``: 0 for equal values, at most 1 within the
    tolerance, ``inf`` for another structure, type, shape, dtype or non-float value."""
    if depth > 32:
        return np.inf
    if isinstance(recorded, np.ndarray | np.generic) or isinstance(received, np.ndarray):
        return _array_distance(received, recorded)
    if isinstance(recorded, bool) or isinstance(received, bool):
        return 0.0 if type(received) is type(recorded) and received == recorded else np.inf
    if isinstance(recorded, int | float) and isinstance(received, int | float):
        if isinstance(recorded, int) and isinstance(received, int):
            return 0.0 if received == recorded else np.inf
        return _array_distance(np.float64(received), np.float64(recorded))
    if isinstance(recorded, tuple | list):
        if type(received) is not type(recorded) or len(received) != len(recorded):
            return np.inf
        return max(
            (distance(a, b, depth + 1) for a, b in zip(received, recorded, strict=True)),
            default=0.0,
        )
    if isinstance(recorded, dict):
        if not isinstance(received, dict) or received.keys() != recorded.keys():
            return np.inf
        return max((distance(received[k], recorded[k], depth + 1) for k in recorded), default=0.0)
    try:
        return 0.0 if type(received) is type(recorded) and received == recorded else np.inf
    except Exception:
        return np.inf


def _array_distance(received: Any, recorded: Any) -> float:
    if not isinstance(received, np.ndarray | np.generic) or not isinstance(
        recorded, np.ndarray | np.generic
    ):
        return np.inf
    a, b = np.asarray(received), np.asarray(recorded)
    if a.shape != b.shape:
        return np.inf
    # Any numbers compare by value here (an integer theta0 for its float copy, float32 for
    # float64): dtype contracts are the tests' job, not the table's.
    kinds = {a.dtype.kind, b.dtype.kind}
    if not kinds <= set("iuf") and a.dtype.kind != b.dtype.kind:
        return np.inf
    if not kinds & set("fc"):
        return 0.0 if np.array_equal(a, b) else np.inf
    if "c" not in kinds:
        a, b = a.astype(np.float64), b.astype(np.float64)
    if a.size == 0:
        return 0.0
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        if same.all():
            return 0.0
        scaled = np.abs(a - b) / (ATOL + RTOL * np.abs(b))
        scaled = np.where(same, 0.0, scaled)
        worst = float(np.max(scaled))
    return worst if np.isfinite(worst) else np.inf


# --------------------------------------------------------------------------- in place
def apply_in_place(target: Any, after: Any) -> None:
    """Make the caller's arguments look as a call left them: arrays are overwritten in place,
    and dicts and lists get the entries the call set, added or removed (an optimizer filling
    its state dict, a step replacing ``params[name]``)."""
    if isinstance(target, np.ndarray) and isinstance(after, np.ndarray):
        if target.shape == after.shape and target.flags.writeable:
            with np.errstate(all="ignore"):
                np.copyto(target, after, casting="unsafe")
    elif isinstance(target, tuple) and isinstance(after, tuple | list):
        for t, a in zip(target, after, strict=False):
            apply_in_place(t, a)
    elif isinstance(target, list) and isinstance(after, tuple | list):
        for i, a in enumerate(after[: len(target)]):
            target[i] = _updated(target[i], a)
        del target[len(after) :]
        target.extend(after[len(target) :])
    elif isinstance(target, dict) and isinstance(after, dict):
        for key in [k for k in target if k not in after]:
            del target[key]
        for key, value in after.items():
            target[key] = _updated(target[key], value) if key in target else value


def _updated(old: Any, new: Any) -> Any:
    """The entry of a container after the call: the old object updated in place where it
    can be (so that other references to it see the change), else the new value."""
    same_array = (
        isinstance(old, np.ndarray)
        and isinstance(new, np.ndarray)
        and old.shape == new.shape
        and old.dtype == new.dtype
        and old.flags.writeable
    )
    if (
        same_array
        or (isinstance(old, dict) and isinstance(new, dict))
        or (isinstance(old, list) and isinstance(new, list))
    ):
        apply_in_place(old, new)
        return old
    return new


# --------------------------------------------------------------------------- the function
class RecordedFunction:
    """A passed-in function, in the sandbox: answers only from its table."""

    def __init__(self, table: FunctionTable) -> None:
        self._table = table
        self.__name__ = self.__qualname__ = table.name

    def __repr__(self) -> str:
        return f"<function {self.__name__} (recorded answers only)>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        table = self._table
        try:
            bound = bind(table.signature, args, kwargs)
        except TypeError as exc:
            raise UnexpectedInputError(
                f"{table.name} (passed in by the test) was called with arguments that do not"
                f" fit it: {exc}"
            ) from None
        best, best_distance = None, np.inf
        for entry in table.entries:
            gap = distance(bound, entry.before)
            if gap < best_distance:
                best, best_distance = entry, gap
                if gap == 0.0:
                    break
        if best is None or best_distance > 1.0:
            raise UnexpectedInputError(
                f"{table.name} (passed in by the test) was called with inputs that a correct"
                " implementation does not pass to it; check what you give it"
            )
        if best.after is not None:
            for name, value in best.after.items():
                if name in bound:
                    apply_in_place(bound[name], value)
        return copy.deepcopy(best.result)
