"""Variants files: realistic buggy and correct implementations of an assignment's exercises.

A variants file is a Python module (``tests/variants/a<id>.py`` for the course's own) that
defines two dicts, each ``{answer cell grade_id: {variant name: the whole source of that
cell}}``:

- ``BUGGY``: mistakes students make; each must lose points on its exercise, and only there.
  An entry may be a ``Misconception(hint, source)``: the source, with a short explanation
  for the student of the mistake it shows (the concept, never the fixed code), kept beside
  the bug so that adding a bug and its hint is one edit;
- ``CORRECT``: other right answers (another formula, vectorised, a library call); each must
  keep full marks.

``load_variants`` reads one file and checks every entry; a broken entry is reported (naming
the file and the entry) and left out, so that it never stops the others.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.grader.replay import defined_names
from dlcourse.grading import reference_module_name

KINDS = ("BUGGY", "CORRECT")
MAX_HINT_CHARS = 400


class Misconception(str):
    """A buggy variant's source (the string itself, so that it serves wherever a source
    does) and ``hint``: what the student misunderstood, for their feedback."""

    hint: str

    def __new__(cls, hint: str, source: str) -> Misconception:
        made = super().__new__(cls, source)
        made.hint = hint
        return made

    def __getnewargs__(self) -> tuple[str, str]:  # copy and pickle rebuild it whole
        return self.hint, str(self)


@dataclass(frozen=True)
class Variant:
    """One answer cell's replacement source, for one exercise."""

    exercise: str  # the answer cell's grade_id
    name: str
    correct: bool
    source: str
    origin: str  # the variants file's name, for messages
    hint: str = ""  # a buggy variant's misconception, for the student (see Misconception)

    @property
    def label(self) -> str:
        return f"{self.exercise}/{self.name}"


@dataclass
class LoadedVariants:
    """What a variants file gave: the valid variants and one message per broken entry."""

    variants: list[Variant] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


_counter = itertools.count()


def default_variants_file(root: Path, assignment: str) -> Path:
    """The course's own variants file of ``assignment``: ``tests/variants/a<id>.py``."""
    return root / "tests" / "variants" / f"{reference_module_name(assignment)}.py"


def _import(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(f"_dlcourse_variants_{next(_counter)}", path)
    if spec is None or spec.loader is None:
        raise ImportError("not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_entry(where: str, names: list[str], name: object, source: object) -> str | None:
    """What is wrong with one entry of an answer cell that must define ``names``, or None."""
    if not isinstance(name, str) or not name:
        return f"{where}: the variant's name must be a non-empty string"
    if not isinstance(source, str):
        return f"{where}: the source must be a string, not {type(source).__name__}"
    hint = getattr(source, "hint", "")
    if not isinstance(hint, str) or (isinstance(source, Misconception) and not hint.strip()):
        return f"{where}: a Misconception needs its hint, a non-empty string"
    if len(hint) > MAX_HINT_CHARS:
        return f"{where}: the hint is {len(hint)} characters; keep it under {MAX_HINT_CHARS}"
    try:
        compile(source, where, "exec")
    except SyntaxError as exc:
        return f"{where}: the source does not compile: {exc.msg} (line {exc.lineno})"
    missing = [n for n in names if n not in defined_names([source])]
    if missing:
        wanted = ", ".join(names)
        return f"{where}: does not define {', '.join(missing)} (the cell defines {wanted})"
    return None


def load_variants(path: Path, function_names: Mapping[str, list[str]]) -> LoadedVariants:
    """Read the variants file ``path`` for an assignment whose answer cells define
    ``function_names`` (grade_id -> names); never raises for a broken file or entry."""
    loaded = LoadedVariants()
    shown = path.name
    try:
        module = _import(path)
    except FileNotFoundError:
        loaded.errors.append(f"{shown}: no such file")
        return loaded
    except BaseException as exc:  # noqa: BLE001 - any failure of the instructor's file
        loaded.errors.append(f"{shown}: does not import: {type(exc).__name__}: {exc}")
        return loaded
    for kind in KINDS:
        table = getattr(module, kind, None)
        if table is None:
            continue
        if not isinstance(table, Mapping):
            loaded.errors.append(f"{shown}: {kind} must be a dict, not {type(table).__name__}")
            continue
        for exercise, entries in table.items():
            if exercise not in function_names:
                known = ", ".join(function_names)
                loaded.errors.append(f"{shown}: {kind}[{exercise!r}]: unknown answer cell"
                                     f" (this assignment's: {known})")  # fmt: skip
                continue
            if not isinstance(entries, Mapping):
                loaded.errors.append(f"{shown}: {kind}[{exercise!r}] must be a dict of sources")
                continue
            for name, source in entries.items():
                where = f"{shown}: {kind}[{exercise!r}][{name!r}]"
                error = _check_entry(where, function_names[exercise], name, source)
                if error:
                    loaded.errors.append(error)
                else:
                    hint = getattr(source, "hint", "")
                    loaded.variants.append(
                        Variant(exercise, name, kind == "CORRECT", str(source), shown, hint)
                    )
    if not any(isinstance(getattr(module, k, None), Mapping) for k in KINDS):
        loaded.errors.append(f"{shown}: defines neither BUGGY nor CORRECT")
    return loaded
