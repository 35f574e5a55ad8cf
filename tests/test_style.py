"""The code is ruff clean (the configuration is in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from harness import REPO


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    result = subprocess.run(
        [ruff, "check", "dlcourse", "tests", "benchmarks", "solutions/__init__.py"],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_is_installed_and_answers():
    result = subprocess.run(
        [sys.executable, "-m", "dlcourse.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("build", "check", "run-solutions"):
        assert command in result.stdout
