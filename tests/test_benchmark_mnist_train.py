"""Smoke test of benchmarks/mnist_train.py: one tiny run prints a row for every backend.

The script runs once, as a subprocess, on the first 2000 MNIST training images for one epoch.
No timing is checked, only that each backend's row has a time and a test accuracy well above
chance, and that the GPU row and targets say what this machine has.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dlcourse.data import FILES

REPO = Path(__file__).resolve().parents[1]
BENCHMARK = REPO / "benchmarks" / "mnist_train.py"
DATA = (
    Path(os.environ["DLCOURSE_DATA"])
    if os.environ.get("DLCOURSE_DATA")
    else REPO.parent / "shared" / "data"
)
NUMBER = r"\d+\.\d+"
ROW = rf"^\| {{}} +\| +({NUMBER}) +\| +(\d+) +\| +({NUMBER}) +\| +({NUMBER})x +\|$"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not all((DATA / "mnist" / f).is_file() for f in FILES):
        pytest.skip(f"MNIST files not found in {DATA / 'mnist'} (set DLCOURSE_DATA)")
    env = {
        **os.environ,
        "DLCOURSE_DATA": str(DATA),
        "DLCOURSE_CACHE": str(tmp_path_factory.mktemp("cache")),  # never ~/.cache
    }
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), "--train-subset", "2000", "--epochs", "1",
         "--batch", "100", "--backends", "numpy,torch-cpu,torch-gpu", "--threads", "2"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("backend", ["numpy", "torch-cpu"])
def test_cpu_backends_train_and_report(output: str, backend: str) -> None:
    found = re.search(ROW.format(re.escape(backend)), output, re.M)
    assert found, output
    seconds, samples_per_s, accuracy, speedup = map(float, found.groups())
    assert seconds > 0 and samples_per_s > 0 and speedup > 0
    assert 50 < accuracy <= 100, output  # 20 steps on 2000 images: far above chance (10%)
    assert re.search(rf"^  {re.escape(backend)} +epoch 1/1  loss {NUMBER} ", output, re.M)


def test_numpy_is_the_baseline(output: str) -> None:
    found = re.search(ROW.format("numpy"), output, re.M)
    assert found and found[4] == "1.00", output


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_gpu_row_and_targets_say_no_gpu(output: str) -> None:
    assert re.search(r"^\| torch-gpu +\| not available: no CUDA device \|$", output, re.M), output
    for target in ("at least 98% test accuracy with under 1 s", "over 50x the NumPy training"):
        assert re.search(rf"^  {target}.* not measured: no GPU$", output, re.M), output


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_row_and_targets_with_a_gpu(output: str) -> None:
    found = re.search(ROW.format("torch-gpu"), output, re.M)
    assert found and 50 < float(found[3]) <= 100, output
    assert len(re.findall(r"^  (at least 98%|over 50x).* (PASS|MISS) \(", output, re.M)) == 2
