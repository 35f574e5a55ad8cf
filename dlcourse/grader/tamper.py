"""Notice, while a submission runs, changes to what its checks would rely on.

The regex ``scan`` reads the code; this module watches its effect. In the sandboxed kernel,
``snapshot`` runs at the end of the setup cell, before any student code, and records what
the student might rebind: every attribute of numpy, numpy.testing, numpy.linalg, math and
builtins, the callables of sys, the trace and profile hooks, ``sys.meta_path``,
``sys.path_hooks``, the ``sys.modules`` entries of those modules, and the IPython shell's input
transformers, AST transformers, event callbacks, custom exception handlers, magics and
methods. ``check`` runs before every probe and once after the last cell; it compares the
present state with the snapshot (by identity: an attribute still bound to the same object
whose code and defaults are unchanged is unchanged) and writes what changed, so far, to
``.dlcourse/results/tamper.json`` as a JSON list of short fixed messages. The grader reads that
file with ``read_flags``, which accepts nothing but those messages: the student's code can
write the file too.

Like the scan's, these flags never change a score (the judging runs outside the kernel). They
are a best effort: a change undone before the next check, or hidden by code that edits this
module or its file, is not seen.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODULES = ("numpy", "numpy.testing", "numpy.linalg", "math", "builtins", "sys")
RESULT = Path(".dlcourse/results/tamper.json")  # relative to the sandbox's working folder
MAX_FLAGS = 20  # written; more changes are summed up in one message
MAX_BYTES = 8192  # read

# The code the prepared notebook runs (it leaves no names in the student's namespace; the
# check, which starts each probe cell, never keeps the probe from running).
SNAPSHOT_SOURCE = "__import__('dlcourse.grader.tamper').grader.tamper.snapshot()"
CHECK_SOURCE = (
    "try:\n"
    "    __import__('dlcourse.grader.tamper').grader.tamper.check()\n"
    "except Exception:\n"
    "    pass"
)

TRACE = "sys.settrace hook set"
PROFILE = "sys.setprofile hook set"
THREAD_TRACE = "threading.settrace hook set"
THREAD_PROFILE = "threading.setprofile hook set"
META_PATH = "sys.meta_path was changed"
PATH_HOOKS = "sys.path_hooks was changed"
INPUT_ADDED = "an IPython input transformer was added"
INPUT_CHANGED = "an IPython input transformer was removed or replaced"
AST_ADDED = "an IPython AST transformer was added"
AST_CHANGED = "an IPython AST transformer was removed or replaced"
EVENT_ADDED = "an IPython event callback was registered"
EVENT_REMOVED = "an IPython event callback was removed"
CUSTOM_EXC = "an IPython custom exception handler was set"
MAGICS = "IPython's magics were changed"
SHELL = "the IPython shell was replaced"
MORE = "more changes to the grading environment (not listed)"
NO_SNAPSHOT = "the grader's integrity check found no snapshot"
FAILED = "the grader's integrity check failed to run"
NO_REPORT = "the grader's integrity check did not report"
TAMPERED = "the grader's integrity check was tampered with"
FIXED = (
    TRACE, PROFILE, THREAD_TRACE, THREAD_PROFILE, META_PATH, PATH_HOOKS, INPUT_ADDED,
    INPUT_CHANGED, AST_ADDED, AST_CHANGED, EVENT_ADDED, EVENT_REMOVED, CUSTOM_EXC, MAGICS,
    SHELL, MORE, NO_SNAPSHOT, FAILED,
)  # fmt: skip

_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,63}"
_MODULE = "|".join(re.escape(m) for m in MODULES)
VOCABULARY = re.compile(
    rf"(?:{_MODULE})\.{_NAME} was (?:replaced|removed|changed)"
    rf"|sys\.modules\['(?:{_MODULE})'\] was replaced"
    rf"|IPython shell method {_NAME} was replaced"
    "|" + "|".join(re.escape(m) for m in FIXED)
)
_IDENTIFIER = re.compile(_NAME)

# Event callbacks and magics that libraries register on their own (``%matplotlib inline``
# registers matplotlib_inline's flush_figures): judged by the module of the function.
_LIBRARIES = ("IPython.", "ipykernel.", "matplotlib_inline.", "matplotlib.", "ipywidgets.",
              "comm.", "tqdm.")  # fmt: skip
_IMMUTABLE_TYPE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE: a class whose attributes cannot be set


@dataclass
class Snapshot:
    """What ``take`` recorded; the objects themselves are kept (ids alone could be reused)."""

    modules: dict[str, tuple[types.ModuleType, dict[str, tuple[tuple, tuple]]]]
    hooks: dict[str, Any]
    paths: dict[str, tuple]
    shell: Any = None
    ipython: dict[str, Any] = field(default_factory=dict)
    result: Path = RESULT


# --------------------------------------------------------------------------- fingerprints
def _code(function: Any) -> tuple:
    if isinstance(function, types.FunctionType):
        return (function.__code__, function.__defaults__, function.__kwdefaults__)
    return ()


def _identity(value: Any) -> tuple:
    """What a name is bound to: the object, or a bound method's function and object (IPython
    binds ``sys.excepthook`` and ipykernel ``builtins.input`` afresh for every cell)."""
    if isinstance(value, types.MethodType):
        return (value.__func__, value.__self__)
    return (value,)


def _fingerprint(value: Any) -> tuple:
    """The value's identity and what could be changed in it without rebinding the name: a
    function's code and defaults (also those of the function a numpy dispatcher wraps), a
    mutable class's attributes."""
    parts: tuple = (*_identity(value), *_code(value))
    if isinstance(value, type):
        if not value.__flags__ & _IMMUTABLE_TYPE:
            parts += tuple(x for item in vars(value).items() for x in item)
    elif not isinstance(value, types.FunctionType | types.ModuleType):
        try:  # functools.wraps, numpy's dispatchers (np.allclose)
            wrapped = getattr(value, "__wrapped__", None)
        except Exception:
            wrapped = None
        parts += _code(wrapped)
    return parts


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        x is y or (type(x) is str and type(y) is str and x == y) for x, y in zip(a, b, strict=True)
    )


def _module_values(name: str, module: types.ModuleType) -> dict[str, Any]:
    values = dict(vars(module))
    if name == "sys":  # its other attributes are data (path, argv, streams, last_value, ...)
        values = {k: v for k, v in values.items() if callable(v) and not k.startswith("last_")}
    return values


def _library(function: Any) -> bool:
    function = getattr(function, "__func__", function)
    module = getattr(function, "__module__", None)
    return isinstance(module, str) and (module + ".").startswith(_LIBRARIES)


def _ipython_state(shell: Any) -> dict[str, Any]:
    manager = getattr(shell, "input_transformer_manager", None)
    inputs = [*getattr(shell, "input_transformers_post", ())]
    for name in ("cleanup_transforms", "line_transforms", "token_transformers"):
        inputs += getattr(manager, name, ())
    events = getattr(getattr(shell, "events", None), "callbacks", {})
    magics = getattr(getattr(shell, "magics_manager", None), "magics", {})
    methods = {}
    for cls in type(shell).__mro__[:-1]:
        for name, value in vars(cls).items():
            if isinstance(value, types.FunctionType) and name not in methods:
                methods[name] = value
    own = vars(shell)
    return {
        "inputs": tuple(inputs),
        "ast": tuple(getattr(shell, "ast_transformers", ())),
        "events": tuple(c for cs in events.values() for c in cs if not _library(c)),
        "exceptions": (getattr(shell, "custom_exceptions", ()), getattr(shell, "CustomTB", None)),
        "magics": {
            (kind, name): f
            for kind, fs in magics.items()
            for name, f in fs.items()
            if not _library(f)
        },  # fmt: skip
        "methods": {name: own.get(name, value) for name, value in methods.items()},
    }


def _get_shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _hooks() -> dict[str, Any]:
    import threading

    return {
        TRACE: sys.gettrace(), PROFILE: sys.getprofile(),
        THREAD_TRACE: threading.gettrace(), THREAD_PROFILE: threading.getprofile(),
    }  # fmt: skip


# --------------------------------------------------------------------------- in the kernel
def take(shell: Any = None, result: Path | None = None) -> Snapshot:
    """Record the present state (``shell``: the IPython shell, by default the running one)."""
    import importlib

    modules = {}
    for name in MODULES:
        module = importlib.import_module(name)
        values = _module_values(name, module)
        modules[name] = (module, {k: (_identity(v), _fingerprint(v)) for k, v in values.items()})
    shell = shell if shell is not None else _get_shell()
    return Snapshot(
        modules=modules,
        hooks=_hooks(),
        paths={META_PATH: tuple(sys.meta_path), PATH_HOOKS: tuple(sys.path_hooks)},
        shell=shell,
        ipython=_ipython_state(shell) if shell is not None else {},
        result=(result or Path.cwd() / RESULT).absolute(),
    )


def compare(before: Snapshot) -> list[str]:
    """What changed since ``before``, as messages of the vocabulary."""
    found: list[str] = []
    for name, (module, state) in before.modules.items():
        if sys.modules.get(name) is not module:
            found.append(f"sys.modules[{name!r}] was replaced")
        now = _module_values(name, module)
        for attr, (identity, print_before) in state.items():
            if not _IDENTIFIER.fullmatch(attr):
                continue
            if attr not in now:
                found.append(f"{name}.{attr} was removed")
            elif not _same(_identity(now[attr]), identity):
                found.append(f"{name}.{attr} was replaced")
            elif not _same(_fingerprint(now[attr]), print_before):  # the same, trusted object
                found.append(f"{name}.{attr} was changed")
    found += [what for what, hook in _hooks().items() if hook is not before.hooks[what]]
    paths = {META_PATH: tuple(sys.meta_path), PATH_HOOKS: tuple(sys.path_hooks)}
    found += [what for what, entries in paths.items() if not _same(entries, before.paths[what])]
    if before.shell is not None:
        found += _compare_ipython(before)
    return found


def _compare_ipython(before: Snapshot) -> list[str]:
    found = []
    if _get_shell() is not before.shell:
        found.append(SHELL)
    old, new = before.ipython, _ipython_state(before.shell)
    for key, added, changed in (("inputs", INPUT_ADDED, INPUT_CHANGED),
                                ("ast", AST_ADDED, AST_CHANGED)):  # fmt: skip
        if not _same(new[key], old[key]):
            kept = _same(tuple(x for x in new[key] if any(x is y for y in old[key])), old[key])
            found.append(added if kept else changed)
    if any(not any(c is o for o in old["events"]) for c in new["events"]):
        found.append(EVENT_ADDED)
    if any(not any(o is c for c in new["events"]) for o in old["events"]):
        found.append(EVENT_REMOVED)
    if not _same(new["exceptions"], old["exceptions"]):
        found.append(CUSTOM_EXC)
    if new["magics"].keys() != old["magics"].keys() or any(
        new["magics"][k] is not f for k, f in old["magics"].items()
    ):
        found.append(MAGICS)
    for name, method in old["methods"].items():
        if new["methods"].get(name) is not method and _IDENTIFIER.fullmatch(name):
            found.append(f"IPython shell method {name} was replaced")
    return found


_SNAPSHOT: Snapshot | None = None
_SEEN: list[str] = []  # every change seen by a check so far (a change undone stays reported)


def snapshot() -> None:
    """Record the state before any student code runs (the setup cell calls this)."""
    global _SNAPSHOT
    _SNAPSHOT = take()
    _SEEN.clear()
    _write(_SNAPSHOT.result, [])


def check() -> None:
    """Compare with the snapshot; write every change seen so far. Never raises."""
    before = _SNAPSHOT
    path = before.result if isinstance(before, Snapshot) else Path.cwd() / RESULT
    try:
        found = compare(before) if before is not None else [NO_SNAPSHOT]
    except Exception:
        found = [FAILED]
    for message in found:
        if message not in _SEEN:
            _SEEN.append(message)
    flags = _SEEN if len(_SEEN) <= MAX_FLAGS else [*_SEEN[: MAX_FLAGS - 1], MORE]
    try:
        _write(path, flags)
    except Exception:
        pass


def _write(path: Path, flags: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(flags))
    os.replace(partial, path)  # never half written


# --------------------------------------------------------------------------- in the grader
def read_flags(workdir: Path, *, complete: bool) -> list[str]:
    """The flags the kernel's checks wrote under ``workdir``, accepted only as messages of the
    vocabulary; anything else is one flag saying the check was tampered with. ``complete``:
    every cell ran, so the last check must have written the file."""
    path = workdir / RESULT
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return [NO_REPORT] if complete else []
    except OSError:
        return [TAMPERED]
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return [TAMPERED]
            data = f.read(MAX_BYTES + 1)
    except OSError:
        return [TAMPERED]
    try:
        flags = json.loads(data.decode("utf-8")) if len(data) <= MAX_BYTES else None
    except ValueError:
        flags = None
    if not (
        isinstance(flags, list)
        and len(flags) <= MAX_FLAGS
        and all(isinstance(f, str) and len(f) <= 120 and VOCABULARY.fullmatch(f) for f in flags)
    ):
        return [TAMPERED]
    return list(dict.fromkeys(flags))
