"""A notebook's state, built once in this process, and a fresh copy of it for each submission.

``dlcourse prove`` judges hundreds of made-up submissions of one assignment. Starting a kernel
and running the whole notebook for each would take minutes; instead:

1. ``Workspace.run`` executes the student notebook once, in this process, with the reference
   answers in its answer cells and without its test cells, as ``nbgrader autograde`` would
   (``NBGRADER_EXECUTION=autograde``, a scratch working folder). Its global namespace is kept.
2. ``Workspace.namespace(cells)`` gives a copy of that namespace in which every answer cell
   is defined again, from ``cells`` where given and from the reference elsewhere. Functions
   are re-bound to the copy, so that a reference function calling a replaced one calls the
   replacement, as in a notebook. Nothing of one submission is left for the next.

``ProcessState`` puts back what cells commonly change process-wide (random generators,
numpy's error handling, torch's default dtype and grad mode) between judgements.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import symtable
import sys
import tempfile
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

AUTOGRADE_ENV = {"NBGRADER_EXECUTION": "autograde"}


@functools.cache
def bound_names(source: str) -> frozenset[str]:
    """Names a cell binds at its top level: functions, classes, assignments, imports."""
    try:
        table = symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return frozenset()
    symbols = table.get_symbols()
    return frozenset(s.get_name() for s in symbols if s.is_assigned() or s.is_imported())


@functools.cache
def _compiled(source: str, filename: str) -> types.CodeType:
    """A cell's code, magics (``%matplotlib inline``) translated by IPython as in a kernel;
    compiled once (every submission defines the same reference cells again)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return compile(TransformerManager().transform_cell(source), filename, "exec")


def _ipython() -> Any:
    """An in-process IPython shell for the magics' sake (``get_ipython()`` in the cells)."""
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # figures are drawn off-screen, as in a kernel
            pass

    return Shell.instance() if not InteractiveShell.initialized() else InteractiveShell.instance()


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables while inside."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@dataclass
class ProcessState:
    """What cells commonly change for the whole process, captured to be put back."""

    numpy_random: Any
    numpy_errors: dict
    torch_state: tuple | None

    @classmethod
    def capture(cls) -> ProcessState:
        torch = sys.modules.get("torch")
        torch_state = None
        if torch is not None:
            torch_state = (torch.get_rng_state(), torch.get_default_dtype(),
                           torch.is_grad_enabled())  # fmt: skip
        return cls(np.random.get_state(), np.geterr(), torch_state)

    def restore(self) -> None:
        np.random.set_state(self.numpy_random)
        np.seterr(**self.numpy_errors)
        if self.torch_state is not None:
            torch = sys.modules["torch"]
            rng, dtype, grad = self.torch_state
            torch.set_rng_state(rng)
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)


@dataclass
class Workspace:
    """The namespace of a student notebook run once with the reference answers."""

    base: dict[str, Any]
    answers: dict[str, str]  # answer grade_id -> reference source, in notebook order
    workdir: Path  # the scratch working folder the notebook ran in
    cell_errors: list[str] = field(default_factory=list)  # given cells that raised
    state: ProcessState | None = None

    @classmethod
    def run(
        cls,
        cells: Iterable[tuple[str | None, str]],
        answers: Mapping[str, str],
        workdir: Path,
        env: Mapping[str, str] | None = None,
    ) -> Workspace:
        """Execute ``cells`` (``(answer grade_id or None, source)`` in notebook order, test
        cells left out); answer cells run the reference source from ``answers``."""
        workspace = cls({"__name__": "__main__"}, dict(answers), workdir)
        shell = _ipython()
        workspace.base["get_ipython"] = lambda: shell
        with workspace.inside(env):
            for number, (grade_id, source) in enumerate(cells, start=1):
                code = answers[grade_id] if grade_id else source
                error = workspace._exec(code, f"<cell {number}>", workspace.base)
                if error:
                    workspace.cell_errors.append(f"cell {number}: {error}")
                _close_figures()
            workspace.state = ProcessState.capture()
        return workspace

    @contextlib.contextmanager
    def inside(self, env: Mapping[str, str] | None = None) -> Iterator[None]:
        """Run in the notebook's working folder, with its environment, output captured."""
        sink = io.StringIO()
        with (
            contextlib.chdir(self.workdir),
            environment({**AUTOGRADE_ENV, **(env or {})}),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            yield

    @staticmethod
    def _exec(source: str, filename: str, namespace: dict) -> str | None:
        """Run one cell; the error it raised, as text, or None."""
        try:
            exec(_compiled(source, filename), namespace)
        except BaseException as exc:  # noqa: BLE001 - a cell may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            return f"{type(exc).__name__}: {exc}"
        return None

    def namespace(self, cells: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
        """A fresh namespace with every answer cell defined again (``cells`` replaces the
        reference where given); returns it and the errors of the answer cells that raised."""
        unknown = sorted(set(cells) - set(self.answers))
        if unknown:
            raise ValueError(f"no answer cell {', '.join(unknown)} in this notebook")
        namespace = dict(self.base)
        for name, value in namespace.items():
            if isinstance(value, types.FunctionType) and value.__globals__ is self.base:
                namespace[name] = _rebound(value, namespace)
        for source in self.answers.values():
            for name in bound_names(source):
                namespace.pop(name, None)
        errors = {}
        for grade_id, reference in self.answers.items():
            error = self._exec(cells.get(grade_id, reference), f"<answer {grade_id}>", namespace)
            if error:
                errors[grade_id] = error
        return namespace, errors


def _rebound(function: types.FunctionType, namespace: dict) -> types.FunctionType:
    """The same function with ``namespace`` as its globals."""
    copy = types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__,
        function.__closure__,
    )  # fmt: skip
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__dict__.update(function.__dict__)
    return copy


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """An empty working folder for a notebook, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-prove-") as folder:
        yield Path(folder)
