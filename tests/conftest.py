"""Shared test settings: a headless matplotlib, one math thread per pytest worker, and no test
ever touches ~/.cache."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist runs one worker per core: a worker (and the kernels and sandboxes it starts)
    # that used every core for its math too would oversubscribe them and slow everything down
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_report_header(config):
    data = os.environ.get("DLCOURSE_DATA", "(unset: tests that need MNIST look beside the repo)")
    return f"DLCOURSE_DATA: {data}"
