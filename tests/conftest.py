"""Shared test settings: a headless matplotlib and no test ever touches ~/.cache."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_report_header(config):
    data = os.environ.get("DLCOURSE_DATA", "(unset: tests that need MNIST look beside the repo)")
    return f"DLCOURSE_DATA: {data}"
