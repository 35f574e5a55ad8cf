"""Smoke test of benchmarks/diagnose.py's generated class (grading it is the benchmark's job):
the draw is repeatable and mixes reference, blank and known bugs, and each written notebook
holds exactly what was drawn."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
from test_grading import _variants_module

from dlcourse.build import answer_sources, is_solution_cell, nbgrader_meta

from harness import assignment_notebooks

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "diagnose.py"
ASSIGNMENT = "03_optimization"


def _benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_diagnose", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_class_holds_what_was_drawn(tmp_path):
    bench = _benchmark()
    klass = bench.generated_class(ASSIGNMENT, 6, seed=18)
    assert klass == bench.generated_class(ASSIGNMENT, 6, seed=18)
    drawn = [what for chosen in klass.values() for what in chosen.values()]
    assert bench.BLANK in drawn and bench.REFERENCE in drawn
    assert any(what not in (bench.BLANK, bench.REFERENCE) for what in drawn)
    bench.write_class(tmp_path, ASSIGNMENT, klass)
    source, release = assignment_notebooks(ASSIGNMENT)
    reference = answer_sources(source)
    blank = {nbgrader_meta(c)["grade_id"]: c.source for c in release.cells if is_solution_cell(c)}
    bugs = _variants_module(ASSIGNMENT).BUGGY
    for student, chosen in klass.items():
        nb = nbformat.read(tmp_path / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                           as_version=4)  # fmt: skip
        cells = {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if is_solution_cell(c)}
        for exercise, what in chosen.items():
            expected = {bench.BLANK: blank[exercise], bench.REFERENCE: reference[exercise]}.get(
                what, str(bugs[exercise].get(what, "")))
            assert cells[exercise] == expected, (student, exercise, what)
