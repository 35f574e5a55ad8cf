"""Smoke test of benchmarks/mlp_step.py: it runs on a tiny network and prints every row.

No timing is checked, only that the table, the targets and the breakdown are there with
numbers, and that the NumPy and PyTorch steps it compares compute the same update.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path
from types import ModuleType

import pytest
import torch

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "mlp_step.py"
NUMBER = r"-?\d+\.\d+"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_mlp_step", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def output() -> str:
    threads = torch.get_num_threads()
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            _benchmark().main(
                ["--steps", "2", "--rounds", "1", "--warmup", "1", "--hidden", "16,16",
                 "--batch", "8", "--pause", "0"]
            )  # fmt: skip
    finally:
        torch.set_num_threads(threads)  # main sets it for the whole process
    return printed.getvalue()


@pytest.mark.parametrize(
    "row",
    [
        "numpy step (mlp_loss + SGD update)",
        "torch eager step (nn.Linear, SGD)",
        "floor: 8 matrix products, numpy",
        "same products in torch (info)",
    ],
)
def test_times(output: str, row: str) -> None:
    assert re.search(rf"^{re.escape(row)} +{NUMBER} +{NUMBER}\.\.{NUMBER}$", output, re.M), output


@pytest.mark.parametrize("ratio, target", [("numpy / torch", "1.0"), ("numpy / floor", "1.3")])
def test_ratios_and_targets(output: str, ratio: str, target: str) -> None:
    pattern = rf"^ratio {re.escape(ratio)} +{NUMBER} +target <= {target} +(PASS|MISS)$"
    assert re.search(pattern, output, re.M), output


@pytest.mark.parametrize(
    "row",
    [
        "fwd 1 8x784 @ 784x16",
        "dW 1  784x8.T @ 8x16",
        "dx 2  8x16 @ 16x16.T",
        "linear_forward 1",
        "relu_forward 2",
        "softmax_cross_entropy",
        "relu_backward 1",
        "linear_backward 3",
        "rest: glue, cache misses",
        "L2 penalty + reg * W",
        "SGD update",
        "numpy step (as timed above)",
    ],
)
def test_products_and_breakdown(output: str, row: str) -> None:
    assert re.search(rf"^  {re.escape(row)}.* {NUMBER}$", output, re.M), output


def test_numpy_and_torch_take_the_same_step(output: str) -> None:
    found = re.search(r"loss (\S+) vs torch (\S+), max \|param difference\| (\S+)", output)
    assert found, output
    assert float(found[1]) == pytest.approx(float(found[2]), rel=1e-4)
    assert float(found[3]) < 1e-5
