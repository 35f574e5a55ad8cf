"""``dlcourse grade --cluster`` on the real engine: a ``dask scheduler`` and ``dask worker``
processes on 127.0.0.1 grade a class with hostile submissions from the corpus exactly as
``--jobs 1`` does; a worker killed mid-run loses no student and counts none twice; a worker
without the sandbox is named, with what it lacks, and gets no submission."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from corpus_a01 import ASSIGNMENT, CASES

from dlcourse.cli import main
from dlcourse.grader.sandbox import Limits, sandbox_available

from harness import REPO, sandbox_leftovers, scratch_course

distributed = pytest.importorskip("distributed")

from dlcourse.grader import cluster as cluster_module  # noqa: E402 (needs distributed)
from dlcourse.grader import run as run_module  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("cluster"),
    pytest.mark.skipif(not sandbox_available()[0], reason=f"no sandbox: {sandbox_available()[1]}"),
]

# quick to grade, and hostile or broken in different ways (see corpus_a01.py)
STUDENTS = ("reference", "invalid_json", "not_a_notebook", "answer_cell_deleted",
            "test_cell_edited", "imports_reference", "rebinds_numpy", "dead_kernel")  # fmt: skip
LIMIT_ARGS = ["--cell-seconds", "10", "--wall-seconds", "120", "--memory-mb", "1024",
              "--max-processes", "64"]  # fmt: skip
LIMITS = Limits(cell_seconds=10, wall_seconds=120, memory_mb=1024, max_processes=64)
DASK = Path(sys.executable).with_name("dask")
SAME = ("status", "scores", "max_scores", "flags", "reason", "messages", "diagnoses")


def _class(root: Path) -> Path:
    cases = {case.name: case for case in CASES}
    for student in STUDENTS:
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(cases[student].build())
    return root


def _results(root: Path) -> dict[str, dict]:
    folder = root / "grading" / ASSIGNMENT / "results"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def _csv_students(root: Path) -> list[str]:
    with open(root / "grading" / ASSIGNMENT / "grades.csv") as f:
        return [row["student_id"] for row in csv.DictReader(f)]


class Cluster:
    """A ``dask scheduler`` and its ``dask worker`` processes (no nanny: a killed worker stays
    dead), all on 127.0.0.1 with random ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.workers: dict[str, subprocess.Popen] = {}
        self.scheduler = self._start(["scheduler", "--host", "127.0.0.1", "--port", "0",
                                      "--no-dashboard", "--scheduler-file", str(self.file)],
                                     "scheduler")  # fmt: skip
        deadline = time.monotonic() + 60
        while not self.file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            assert self.scheduler.poll() is None, (folder / "scheduler.log").read_text()
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]

    def _start(self, args: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)  # fmt: skip

    def add_worker(self, name: str, env: dict | None = None) -> None:
        self.workers[name] = self._start(
            ["worker", "--scheduler-file", str(self.file), "--nthreads", "1", "--no-nanny",
             "--host", "127.0.0.1", "--no-dashboard", "--name", name],
            name, env,
        )  # fmt: skip

    def wait_for(self, n: int) -> None:
        with distributed.Client(self.address, timeout=30) as client:
            client.wait_for_workers(n, timeout=60)

    def close(self) -> None:
        """Stop them all at once (a graceful stop waits on the scheduler for seconds)."""
        for process in [*self.workers.values(), self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """Two workers able to grade and one whose PATH lacks bubblewrap."""
    cluster = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        for name in ("good-a", "good-b"):
            cluster.add_worker(name)
        python_only = str(Path(sys.executable).parent)  # dask and python, no bwrap nor setpriv
        cluster.add_worker("no-bwrap", env={**os.environ, "PATH": python_only})
        cluster.wait_for(3)
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def by_one_job(tmp_path_factory) -> dict[str, dict]:
    """The class graded with ``--jobs 1`` on this machine: what the cluster must give (the
    gradebook and the feedback are left out: they do not depend on where grading ran)."""
    root = _class(scratch_course(tmp_path_factory.mktemp("jobs1")))
    run_module.grade_class(root, ASSIGNMENT, jobs=1, limits=LIMITS, progress=False)
    return _results(root)


@pytest.fixture(scope="module")
def on_the_cluster(dask_cluster, tmp_path_factory) -> dict:
    """The class graded with ``dlcourse grade --cluster`` on ``dask_cluster``, whose busy
    worker is killed (SIGKILL) when the first result arrives: the course, what the run said,
    how often each student's result was kept and which worker and task were killed."""
    root = _class(scratch_course(tmp_path_factory.mktemp("cluster")))
    kept: Counter[str] = Counter()
    keep = run_module.keep

    def counting_keep(graded, paths, known=None):
        kept[graded.result["student"]] += 1
        return keep(graded, paths, known)

    killed: dict[str, object] = {}
    deadline = time.monotonic() + 120

    def kill_when_the_first_result_arrives() -> None:
        with distributed.Client(dask_cluster.address, timeout=30) as client:
            while not kept and time.monotonic() < deadline:
                time.sleep(0.05)
            names = {a: i["name"] for a, i in cluster_module._workers(client).items()}
            busy = {names[a]: keys for a, keys in client.processing().items() if keys}
            victim = next(n for n in ("good-a", "good-b") if n in busy)
            dask_cluster.workers[victim].send_signal(signal.SIGKILL)
            killed.update(worker=victim, task=busy[victim][0])

    killer = threading.Thread(target=kill_when_the_first_result_arrives, daemon=True)
    argv = ["--root", str(root), "grade", ASSIGNMENT, "--cluster", dask_cluster.address,
            *LIMIT_ARGS]  # fmt: skip
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(output):
        patch.setattr(run_module, "keep", counting_keep)
        killer.start()
        status = main(argv)
    killer.join(10)
    assert status == 0, output.getvalue()
    return {"root": root, "said": output.getvalue(), "kept": kept, "killed": killed}


def test_a_worker_without_the_sandbox_is_named_and_excluded(dask_cluster):
    said: list[str] = []
    with distributed.Client(dask_cluster.address, timeout=30) as client:
        plugin = cluster_module.GradingWorker(
            str(REPO), ASSIGNMENT, None, cluster_module._toolkit_version()
        )  # (the checks only read the course: this repository's will do)
        client.register_plugin(plugin)
        fit = cluster_module.preflight(client, said.append)
        names = {a: i["name"] for a, i in cluster_module._workers(client).items()}
    assert sorted(names[a] for a in fit) == ["good-a", "good-b"]
    [message] = said
    bad = next(a for a, n in names.items() if n == "no-bwrap")
    assert message.startswith(f"worker {bad} is excluded from grading: no sandbox:")
    assert "`bwrap` is not installed (apt-get install bubblewrap)" in message


def test_the_cluster_grades_as_one_job_does(on_the_cluster, by_one_job):
    root = on_the_cluster["root"]
    excluded = "is excluded from grading: no sandbox: `bwrap` is not installed"
    assert excluded in on_the_cluster["said"]
    results = _results(root)
    assert sorted(results) == sorted(STUDENTS)
    for student in STUDENTS:  # the killed worker's student included
        got = {k: results[student][k] for k in SAME}
        want = {k: by_one_job[student][k] for k in SAME}
        assert got == want, student
    for student in STUDENTS:  # the feedback copies, written by the coordinator
        graded = results[student]["status"] != "ungradable"
        notebook = root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert notebook.is_file() == graded, student
        assert (root / "feedback" / student / ASSIGNMENT).is_dir() == graded, student
    pids, _ = sandbox_leftovers(cluster_module.CLUSTER_SLOTS[:4])
    assert pids == []


def test_a_worker_killed_mid_run_loses_no_student_and_counts_none_twice(
    on_the_cluster, dask_cluster
):
    killed = on_the_cluster["killed"]
    assert killed, "no worker was killed"
    assert dask_cluster.workers[killed["worker"]].wait(10) == -signal.SIGKILL
    student = str(killed["task"]).removeprefix(f"grade-{ASSIGNMENT}-").rsplit("-", 1)[0]
    assert student in STUDENTS
    # the killed worker's submission was graded again on the other: every student kept once
    assert on_the_cluster["kept"] == Counter(STUDENTS)
    assert sorted(_results(on_the_cluster["root"])) == sorted(STUDENTS)
    assert sorted(_csv_students(on_the_cluster["root"])) == sorted(STUDENTS)


def test_a_local_cluster_address_must_give_a_number_of_workers():
    for address in ("local:x", "local:0"):
        with pytest.raises(cluster_module.ClusterError, match="local:N"):
            cluster_module._connect(address)
