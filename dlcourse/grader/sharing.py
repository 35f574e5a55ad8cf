"""Which of a call's arguments share memory after it that did not before.

A check on values alone, one step at a time on fresh copies, misses a class of bug that only
shows up over many steps of a real training loop: an optimizer that stores
``state["velocity"]["W"] = grads["W"]`` (no copy) holds the caller's gradient buffer, and
when the loop refills that buffer in place for the next step, the optimizer's state changes
behind its back. Each value is right; the training is wrong.

``memory_report`` lists, for one call, the pairs of positions in different arguments that
share memory after the call but did not before (``("a", 2, "velocity", "W")`` is
``args[2]["velocity"]["W"]``). The student's call is reported by the probe (``probe_calls``),
the reference's when recording: what the reference does is allowed, any other alias fails
the check with a message that names both (``replay``). Rebinding a dict entry
(``params[name] = params[name] - ...``) is not reported: the course accepts it.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

MAX_ARRAYS = 64  # arrays per call that are compared pairwise (beyond: no report)
MAX_DEPTH = 6
MAX_ITEMS = 32  # paths per report

Path = tuple[str | int, ...]


def array_leaves(args: tuple, kwargs: dict) -> list[tuple[Path, np.ndarray]]:
    """Every NumPy array inside the arguments, with its position."""
    found: list[tuple[Path, np.ndarray]] = []

    def walk(value: Any, path: Path) -> None:
        if len(found) > MAX_ARRAYS or len(path) > MAX_DEPTH:
            return
        if isinstance(value, np.ndarray):
            found.append((path, value))
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                walk(item, (*path, i))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str | int):
                    walk(item, (*path, key))

    for i, arg in enumerate(args):
        walk(arg, ("a", i))
    for key, arg in kwargs.items():
        walk(arg, ("k", key))
    return found


def _argument(path: Path) -> Path:
    return path[:2]


def memory_report(
    before: list[tuple[Path, np.ndarray]], args: tuple, kwargs: dict
) -> dict[str, list]:
    """After a call: ``aliases``, pairs of positions in different arguments that share memory
    now but did not before the call (``before``: ``array_leaves`` of the arguments then)."""
    after = array_leaves(args, kwargs)
    if len(after) > MAX_ARRAYS or len(before) > MAX_ARRAYS:
        return {"aliases": []}
    shared_before = {
        frozenset((p, q))
        for (p, a), (q, b) in combinations(before, 2)
        if _argument(p) != _argument(q) and np.may_share_memory(a, b)
    }
    aliases = [
        sorted([list(p), list(q)], key=str)
        for (p, a), (q, b) in combinations(after, 2)
        if _argument(p) != _argument(q)
        and frozenset((p, q)) not in shared_before
        and np.may_share_memory(a, b)
    ]
    return {"aliases": aliases[:MAX_ITEMS]}


def read_report(node: Any) -> dict[str, set]:
    """A report as the grader reads it from the probe's JSON: malformed parts are dropped."""

    def path(value: Any) -> Path | None:
        if (
            isinstance(value, list)
            and 2 <= len(value) <= MAX_DEPTH + 2
            and all(type(v) in (str, int) and len(str(v)) <= 200 for v in value)
        ):
            return tuple(value)
        return None

    report: dict[str, set] = {"aliases": set()}
    if not isinstance(node, dict):
        return report
    for pair in (node.get("aliases") or [])[:MAX_ITEMS]:
        if isinstance(pair, list) and len(pair) == 2:
            p, q = path(pair[0]), path(pair[1])
            if p and q:
                report["aliases"].add(frozenset((p, q)))
    return report


def describe(path: Path, names: list[str]) -> str:
    """``("a", 2, "velocity", "W")`` as ``state['velocity']['W']`` (the reference's names)."""
    kind, first, *rest = path
    if kind == "a" and isinstance(first, int) and first < len(names):
        text = names[first]
    elif kind == "a":
        text = f"argument {first}"
    else:
        text = str(first)
    return text + "".join(f"[{key!r}]" for key in rest)
