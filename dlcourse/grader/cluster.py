"""Grade a class on a Dask cluster: ``dlcourse grade ASSIGNMENT --cluster ADDRESS``.

Each submission's sandboxed grading (``run.grade_student``, the function the local process
pool runs too) is one Dask task on a worker; this process, the coordinator, alone writes the
results, the logs, the autograded notebooks, the CSVs, the gradebook and the feedback, as
``run.grade_class`` does without a cluster (so resuming works the same).

- ``ADDRESS`` is a scheduler's address (``tcp://10.0.0.5:8786``) or ``local:N``: a
  ``LocalCluster`` of N worker processes on this machine.
- Every worker, also one that joins later, is set up by ``GradingWorker`` (a Dask worker
  plugin): it claims a sandbox slot of its host (``claim_slot``: two sandboxes on one machine
  never share one) and checks what grading needs (``worker_problems``). A worker that passes
  offers the resource ``SANDBOX`` (one): the tasks ask for it, so a worker that fails gets no
  task (the coordinator names it and what it lacks) and a worker grades one submission at a
  time whatever its thread count.
- A worker that dies mid-task: the scheduler gives the task to another worker (up to
  ``distributed.scheduler.allowed-failures`` deaths, then ``KilledWorker``); a task that
  raises is retried once (``retries=``). A student's result is kept once, when their task
  finishes.
- The whole cluster gone (the scheduler unreachable, or no worker able to grade for
  ``patience`` seconds): ``ClusterError``; every result kept so far is saved, and the same
  command run again grades only the rest.
- Assignments in ``GPU_ASSIGNMENTS`` ask for the resource ``GPU`` too when a worker offers it
  (``dask worker --resources GPU=1``), else they run on the CPU workers.

Workers need the course at the same path as the coordinator (a shared file system: the
assignment and its reference solutions are loaded from it; nothing is written there), this
toolkit installed at the same version, bubblewrap with root (``sandbox.sandbox_available``)
and the data folder when the coordinator has one.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import Client, LocalCluster, WorkerPlugin, wait

from dlcourse.data import DATA_ENV
from dlcourse.grader.prepare import UngradableError
from dlcourse.grader.sandbox import Limits, sandbox_available

if TYPE_CHECKING:
    from dlcourse.grader.run import Graded, Paths

SANDBOX = "dlcourse-sandbox"  # the resource a worker offers once it passed the checks
GPU = "GPU"
GPU_ASSIGNMENTS = frozenset({"06_pytorch_gpu"})  # assignments whose cells want a GPU
# Dask workers' sandbox slots: above the local pool's (0, 1, ... one per ``--jobs``), so that
# a ``dlcourse grade --jobs N`` on a worker's host does not wait on a worker's slot.
CLUSTER_SLOTS = range(500, 1000)
RETRIES = 1  # a task that raises (not a dead worker: the scheduler handles those) runs again
POLL_SECONDS = 1.0


class ClusterError(RuntimeError):
    """The class could not be graded to the end on the cluster; what was graded is saved."""


def _toolkit_version() -> str:
    try:
        return version("dlcourse")
    except PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- worker side
@dataclass
class _WorkerState:
    """What a worker process's setup found: its sandbox slot and what it lacks (empty: fit)."""

    slot: int = -1
    problems: list[str] = field(default_factory=list)
    slot_problem: str = ""  # why no slot could be claimed
    lock: int = -1  # the descriptor holding the slot's claim, open while the process lives


_STATE: _WorkerState | None = None


def claim_slot(slots: range = CLUSTER_SLOTS) -> tuple[int, int]:
    """A sandbox slot no other process of this host holds: (slot, the descriptor of its claim,
    an exclusive ``flock`` released only when the process ends). RuntimeError when all are
    taken."""
    folder = "/run/lock" if os.access("/run/lock", os.W_OK) else tempfile.gettempdir()
    for slot in slots:
        path = f"{folder}/dlcourse-cluster-slot-{slot}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return slot, fd
    raise RuntimeError(f"every sandbox slot {slots.start}..{slots.stop - 1} is taken")


def worker_problems(root: str, assignment: str, data: str | None, toolkit: str) -> list[str]:
    """What this machine lacks to grade ``assignment`` of the course at ``root`` (empty when
    nothing): the sandbox, the toolkit at the coordinator's version ``toolkit``, the course,
    the data folder ``data`` (None: none wanted). Said in words that name the fix."""
    problems = []
    ok, why = sandbox_available()
    if not ok:
        problems.append(f"no sandbox: {why}")
    here = _toolkit_version()
    if here != toolkit:
        problems.append(f"the dlcourse toolkit here is version {here}, the coordinator's {toolkit}")
    try:
        import nbformat  # noqa: F401
        import torch  # noqa: F401
    except ImportError as exc:
        problems.append(f"the toolkit's dependencies are not importable: {exc}")
    course = Path(root)
    notebook = course / "course" / assignment / f"{assignment}.ipynb"
    if not (os.access(notebook, os.R_OK) and os.access(course / "solutions", os.R_OK)):
        problems.append(f"the course is not readable at {root} (it must be shared with workers)")
    if data is not None and not (Path(data).is_dir() and os.access(data, os.R_OK | os.X_OK)):
        problems.append(f"the data folder {data} is not readable (set {DATA_ENV})")
    return problems


class GradingWorker(WorkerPlugin):
    """A Dask worker plugin: on each worker, once,
    claim a sandbox slot, run the checks and, when they pass, offer the ``SANDBOX`` resource.
    ``root``, ``assignment``: the course and what is graded; ``data``: the coordinator's data
    folder (a worker without ``$DLCOURSE_DATA`` uses it) or None; ``toolkit``: its version."""

    name = "dlcourse-grading"

    def __init__(self, root: str, assignment: str, data: str | None, toolkit: str) -> None:
        self.root, self.assignment, self.data, self.toolkit = root, assignment, data, toolkit

    async def setup(self, worker: Any) -> None:
        global _STATE
        if _STATE is None:
            _STATE = _WorkerState()
            try:
                _STATE.slot, _STATE.lock = claim_slot()
            except RuntimeError as exc:
                _STATE.slot_problem = str(exc)
        if self.data and not os.environ.get(DATA_ENV):
            os.environ[DATA_ENV] = self.data
        data = os.environ.get(DATA_ENV) if self.data else None
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(
            None, worker_problems, self.root, self.assignment, data, self.toolkit
        )
        _STATE.problems = [_STATE.slot_problem] * bool(_STATE.slot_problem) + found
        if not _STATE.problems:
            await worker.set_resources(**{SANDBOX: 1})


def _worker_outcome() -> list[str] | None:
    """Run on a worker by the coordinator: what it lacks (None: not set up yet)."""
    return None if _STATE is None else list(_STATE.problems)


def _grade_task(
    root: str,
    assignment: str,
    seed: int,
    student: str,
    data: bytes | None,
    limits: Limits,
) -> Graded:
    """One Dask task: grade one submission in this worker's sandbox slot."""
    from dlcourse.grader.run import grade_student

    if _STATE is None or _STATE.problems:  # (the SANDBOX resource keeps tasks off such workers)
        raise RuntimeError("this worker did not pass the grading checks")
    return grade_student(root, assignment, seed, student, data, limits, _STATE.slot)


# --------------------------------------------------------------------------- coordinator
def _connect(address: str) -> tuple[Client, Callable[[], None]]:
    """A client of the cluster at ``address`` (``local:N`` starts one here) and what closes
    what was started for it."""
    if address.startswith("local:"):
        try:
            n = int(address.removeprefix("local:"))
        except ValueError:
            raise ClusterError(f"--cluster {address}: write local:N, N a number") from None
        if n < 1:
            raise ClusterError(f"--cluster {address}: local:N needs N >= 1 workers")
        local = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
            host="127.0.0.1",
        )  # fmt: skip
        client = Client(local)

        def close() -> None:
            client.close()
            local.close()

        return client, close
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    return client, client.close


def _workers(client: Client) -> dict[str, dict]:
    """The scheduler's workers: address -> its info (``resources`` among them)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:  # distributed before 2025 lists them all
        info = client.scheduler_info()
    return dict(info.get("workers", {}))


def preflight(client: Client, log: Callable[[str], None]) -> list[str]:
    """The workers that passed the checks (their addresses); each one that failed is named with
    what it lacks. ClusterError when none passed."""
    outcomes = client.run(_worker_outcome)
    fit = sorted(w for w, problems in outcomes.items() if problems == [])
    for worker, problems in sorted(outcomes.items()):
        if problems:
            log(f"worker {worker} is excluded from grading: {'; '.join(problems)}")
    if not fit:
        found = "no worker is connected" if not outcomes else "no worker passed the checks"
        raise ClusterError(f"the cluster cannot grade: {found}")
    return fit


def grade_on_cluster(
    address: str,
    paths: Paths,
    students: list[str],
    *,
    seed: int,
    limits: Limits,
    keep: Callable[[Graded], None],
    log: Callable[[str], None] = print,
    patience: float = 120.0,
) -> None:
    """Grade ``students`` of ``paths`` (a course and an assignment) on the cluster at
    ``address``, one task each; ``keep`` is called here, in this process, once per student
    with what grading them gave. ClusterError when some could not be graded (each kept one
    is saved by ``keep``); ``patience``: how long to wait with no worker able to grade."""
    client, close = _connect(address)
    try:
        data_folder = os.environ.get(DATA_ENV) or None
        plugin = GradingWorker(str(paths.root), paths.assignment, data_folder, _toolkit_version())
        client.register_plugin(plugin)
        fit = preflight(client, log)
        resources = {SANDBOX: 1}
        if paths.assignment in GPU_ASSIGNMENTS:
            gpus = [w for w, i in _workers(client).items() if i.get("resources", {}).get(GPU)]
            if gpus:
                resources[GPU] = 1
                log(f"{paths.assignment} wants a GPU: graded on the {len(gpus)} GPU worker(s)")
            else:
                log(f"{paths.assignment} wants a GPU, but no worker offers one: graded on CPUs")
        log(f"grading {len(students)} submissions on {len(fit)} Dask worker(s)")
        run = uuid.uuid4().hex[:8]
        futures = {}
        for student in students:
            try:  # read here: what is graded is what was hashed; workers need no submitted/
                data: bytes | None = paths.read(student)
            except UngradableError:
                data = None  # (changed since: the worker reads it and says why it cannot)
            future = client.submit(
                _grade_task, str(paths.root), paths.assignment, seed, student, data, limits,
                key=f"grade-{paths.assignment}-{student}-{run}", pure=False,
                resources=resources, retries=RETRIES,
            )  # fmt: skip
            futures[future] = student
        _collect(client, futures, keep, patience)
    finally:
        close()


def _collect(
    client: Client,
    futures: dict[Any, str],
    keep: Callable[[Graded], None],
    patience: float,
) -> None:
    """Keep each task's outcome as it finishes, once per student; ClusterError as soon as the
    cluster is gone, else at the end when some students could not be graded."""
    pending, kept, failed = set(futures), set(), {}
    no_worker_since: float | None = None
    while pending:
        try:
            finished, pending = wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
        except TimeoutError:
            finished = set()
        except (CancelledError, OSError):  # the client lost the scheduler
            left = len({futures[f] for f in pending} - kept) + len(failed)
            raise ClusterError(_stopped(len(kept), left, "was lost")) from None
        for future in finished:
            student = futures[future]
            if future.status == "finished":
                if student not in kept:
                    kept.add(student)
                    keep(future.result())
            elif future.status == "cancelled":
                pending.add(future)  # (the client lost the scheduler: stopped below)
            else:
                exc = future.exception()
                failed[student] = f"{type(exc).__name__}: {exc}"
        if client.status in ("closing", "closed"):
            pending = {f for f in pending if futures[f] not in kept}
            raise ClusterError(_stopped(len(kept), len(pending) + len(failed), "was lost"))
        if any(f.status == "cancelled" for f in pending):
            raise ClusterError(_stopped(len(kept), len(pending) + len(failed), "was lost"))
        try:
            able = [w for w, i in _workers(client).items() if i.get("resources", {}).get(SANDBOX)]
        except (OSError, TimeoutError):
            able = []
        if able:
            no_worker_since = None
        elif pending:
            no_worker_since = no_worker_since or time.monotonic()
            if time.monotonic() - no_worker_since > patience:
                raise ClusterError(
                    _stopped(len(kept), len(pending) + len(failed), "has no worker able to grade")
                )
    if failed:
        lines = "\n".join(f"  {s}: {why}" for s, why in sorted(failed.items()))
        raise ClusterError(
            f"{len(failed)} submission(s) could not be graded on the cluster (the others are "
            f"saved; run the same command again to grade these):\n{lines}"
        )


def _stopped(kept: int, left: int, what: str) -> str:
    return (
        f"the cluster {what}: grading stopped with {kept} submission(s) graded and saved, "
        f"{left} left; run the same command again to grade the rest"
    )
