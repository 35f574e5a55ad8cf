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

    python benchmarks/grading.py --cluster [--students 6]

Grading on Dask instead (needs the ``cluster`` extra): the same class graded with
``--jobs 2`` and on a ``LocalCluster`` of two single-threaded worker processes (started
before the clock starts, as a cluster is already up when one grades on it; the preflight and
each worker's loading of the assignment are timed), Dask's overhead against ``--jobs 2``;
then a run in which the busy worker is killed (SIGKILL) when the first result arrives: the
seconds from its death to the retried submission's result, and that submission's own grading
seconds (the rest is waiting for a free worker and Dask noticing the death).
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


def _cluster(count: int) -> None:
    """The ``--cluster`` figures (see the module's docstring)."""
    import signal
    import threading

    from distributed import Client, LocalCluster

    from dlcourse.grader import run as run_module

    subs = _submissions(count)
    quiet = {"progress": False, "log": lambda *_: None, "limits": Limits()}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        root = _course(scratch, subs)
        start = time.perf_counter()
        grade_class(root, ASSIGNMENT, jobs=2, **quiet)
        rows.append(("dlcourse grade --jobs 2", time.perf_counter() - start))
        start = time.perf_counter()
        local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                             dashboard_address=":0", host="127.0.0.1")  # fmt: skip
        client = Client(local)
        started = time.perf_counter() - start
        root = _course(scratch, subs)
        start = time.perf_counter()
        grade_class(root, ASSIGNMENT, cluster=local.scheduler_address, **quiet)
        rows.append(("dlcourse grade --cluster (2 Dask workers)", time.perf_counter() - start))

        # a worker killed mid-run
        root = _course(scratch, subs)
        keep, seen = run_module.keep, {}

        def timed_keep(graded, paths):
            seen[graded.result["student"]] = (time.perf_counter(), graded.result["seconds"])
            return keep(graded, paths)

        killed = {}

        def kill_at_the_first_result() -> None:
            while not seen:
                time.sleep(0.02)
            busy = {w: keys for w, keys in client.processing().items() if keys}
            worker, keys = next(iter(busy.items()))
            pid = client.run(os.getpid, workers=[worker])[worker]
            os.kill(pid, signal.SIGKILL)
            killed.update(at=time.perf_counter(), task=keys[0])

        run_module.keep = timed_keep
        try:
            threading.Thread(target=kill_at_the_first_result, daemon=True).start()
            grade_class(root, ASSIGNMENT, cluster=local.scheduler_address, **quiet)
        finally:
            run_module.keep = keep
        client.close()
        local.close()
    student = next(s for s in subs if killed["task"].startswith(f"grade-{ASSIGNMENT}-{s}-"))
    at, seconds = seen[student]
    print(f"assignment {ASSIGNMENT}, {count} submissions, {os.cpu_count()} CPUs")
    print(f"{'':42s} {'total s':>9s} {'s / submission':>15s}")
    for name, total in rows:
        print(f"{name:42s} {total:9.1f} {total / count:15.2f}")
    print(f"(starting the LocalCluster of 2 workers, not counted above: {started:.1f} s)")
    print(f"Dask's overhead vs --jobs 2: {100 * (rows[1][1] / rows[0][1] - 1):+.0f}%")
    print(f"a worker killed while grading {student}: its result {at - killed['at']:.1f} s after"
          f" the kill (its grading on the other worker took {seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--cluster", action="store_true", help="Dask against --jobs 2")
    args = parser.parse_args()
    count = args.students
    if args.cluster:
        return _cluster(count)
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
