"""Benchmark: seconds per submission of assignment 01, sandboxed grading against the rest.

    python benchmarks/grading.py [--students 8]

Builds a scratch course with N submissions (the reference with a few realistic bugs mixed
in) and times, for the same submissions:

1. executing each notebook with nbclient (no grading at all);
2. stock ``nbgrader autograde`` (sequential, as nbgrader does it);
3. ``dlcourse grade --jobs 1`` (sandbox on, judging outside the sandbox);
4. ``dlcourse grade --jobs 2``.

It prints seconds per submission, the sandbox's cost over stock nbgrader and the speed-up
of two jobs over one. Figures, not assertions: this is not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from corpus_a01 import ASSIGNMENT, _reference  # noqa: E402

from dlcourse.build import nbgrader_command  # noqa: E402
from dlcourse.grader.run import grade_class  # noqa: E402
from dlcourse.grader.sandbox import Limits  # noqa: E402


def _submissions(count: int) -> dict[str, nbformat.NotebookNode]:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "v", REPO / "tests/variants/a01_perceptron_to_mlp.py"
    )
    variants = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(variants)
    rng = random.Random(0)
    subs = {}
    for i in range(count):
        bugs = {ex: rng.choice(list(b.values())) for ex, b in variants.BUGGY.items()
                if rng.random() < 0.2}  # fmt: skip
        subs[f"student{i:02d}"] = _reference(**bugs)
    return subs


def _course(scratch: Path, subs: dict) -> Path:
    root = scratch / f"course-{len(list(scratch.iterdir()))}"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    for folder in ("course", "release", "solutions"):
        shutil.copytree(REPO / folder, root / folder)
    for student, nb in subs.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    return root


def _nbgrader(root: Path, *args: str) -> None:
    env = {**os.environ, "DLCOURSE_SOLUTIONS": str(root / "solutions")}
    subprocess.run(nbgrader_command(root, *args), cwd=root, env=env, check=True,
                   capture_output=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=8)
    count = parser.parse_args().students
    subs = _submissions(count)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        from nbclient import NotebookClient

        start = time.perf_counter()
        for nb in subs.values():
            copy = nbformat.from_dict(nb)
            workdir = Path(tempfile.mkdtemp(dir=tmp))
            NotebookClient(copy, allow_errors=True, resources={"metadata": {"path": str(workdir)}}
                           ).execute()  # fmt: skip
        rows.append(("nbclient, execute only", time.perf_counter() - start))

        root = _course(scratch, subs)
        _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
        start = time.perf_counter()
        _nbgrader(root, "autograde", ASSIGNMENT, "--force")
        rows.append(("stock nbgrader autograde", time.perf_counter() - start))

        for jobs in (1, 2):
            root = _course(scratch, subs)
            os.environ["DLCOURSE_SOLUTIONS"] = str(root / "solutions")
            start = time.perf_counter()
            grade_class(root, ASSIGNMENT, jobs=jobs, limits=Limits(), progress=False,
                        log=lambda *_: None)  # fmt: skip
            rows.append((f"dlcourse grade --jobs {jobs} (sandboxed)", time.perf_counter() - start))
    print(f"assignment {ASSIGNMENT}, {count} submissions, {os.cpu_count()} CPUs")
    print(f"{'':42s} {'total s':>9s} {'s / submission':>15s}")
    for name, seconds in rows:
        print(f"{name:42s} {seconds:9.1f} {seconds / count:15.2f}")
    stock, one, two = rows[1][1], rows[2][1], rows[3][1]
    print(f"sandboxed grading (1 job) vs stock nbgrader: {100 * (one / stock - 1):+.0f}%")
    print(f"--jobs 2 vs --jobs 1: {one / two:.2f}x faster")


if __name__ == "__main__":
    main()
