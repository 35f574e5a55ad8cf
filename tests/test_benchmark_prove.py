"""Smoke test of benchmarks/prove.py on one assignment: a row with figures, the targets shown.

No timing is checked (targets live in the benchmark's output, not in tests).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "prove.py"


@pytest.mark.slow
def test_the_benchmark_prints_a_row_and_the_targets():
    spec = importlib.util.spec_from_file_location("benchmark_prove", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert module.main(["05_regularization"]) == 0
    out = printed.getvalue()
    number = r"\d+\.\d"
    row = rf"05_regularization +{number} +{number} +{number} +\d+ +\d+ +yes +(PASS|MISS)"
    assert re.search(row, out), out
    assert "not measured, a subset ran" in out
