"""The grading sandbox: student notebooks run confined, and the grader survives what they do.

Every test runs real notebooks in the real sandbox (bubblewrap, cgroups, rlimits); the whole
module is skipped, with the reason, where ``sandbox_available()`` says it cannot work.
"""

from __future__ import annotations

import os
import pickle
import resource
import socket
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlcourse.grader import probe, sandbox
from dlcourse.grader.replay import probe_source, read_results
from dlcourse.grader.sandbox import (
    SANDBOX_UID_BASE,
    TOOLKIT_MOUNT,
    Execution,
    Limits,
    execute_in_sandbox,
    sandbox_available,
)

from harness import REPO, sandbox_leftovers

pytestmark = pytest.mark.skipif(
    not sandbox_available()[0], reason=f"no sandbox here: {sandbox_available()[1]}"
)

SLOT = 40  # these tests use slots 40..49, so uids that no other test uses


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


def _run(tmp_path: Path, *sources: str, slot: int = SLOT, name: str = "work", **kw):
    workdir = tmp_path / name
    workdir.mkdir()
    nb = _notebook(*sources)
    execution = execute_in_sandbox(nb, workdir, kw.pop("limits", Limits()), slot=slot, **kw)
    return execution, nb


def _text(cell: nbformat.NotebookNode, name: str = "stdout") -> str:
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)


def _errors(cell: nbformat.NotebookNode) -> list[str]:
    return [o.ename for o in cell.outputs if o.output_type == "error"]


def _our_cgroups() -> list[Path]:
    mine = f"dlcourse-{os.getpid()}-"
    return [
        folder
        for _, parents in sandbox._cgroup_parents()
        for parent in parents.values()
        for folder in parent.glob(mine + "*")
    ]


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """After every test: no process runs as a sandbox uid of these tests, no cgroup is left."""
    yield
    stray, _ = sandbox_leftovers(range(SLOT, SLOT + 10))
    assert not stray, f"sandbox processes left running: {stray}"
    assert not _our_cgroups()


# --------------------------------------------------------------------------- works normally
@pytest.mark.slow
def test_a_normal_notebook_runs_with_numpy_and_an_inline_plot(tmp_path):
    execution, nb = _run(
        tmp_path,
        "import numpy as np\nint(np.arange(10).sum())",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()",
        "import os\nprint(os.getuid(), os.getcwd() == os.environ['HOME'])",
    )
    assert isinstance(execution, Execution)
    assert execution.status == "ok", execution.reason
    assert execution.isolation.startswith("bubblewrap (no network, private fs")
    assert nb.cells[0].outputs[0].data["text/plain"] == "45"
    assert "image/png" in nb.cells[1].outputs[0].data
    assert _text(nb.cells[2]) == f"{SANDBOX_UID_BASE + SLOT} True\n"
    # nbgrader fails a test cell on any stderr output: a normal run writes none.
    assert not any(_text(cell, "stderr") for cell in nb.cells)


@pytest.mark.slow
def test_a_cell_error_does_not_stop_the_run(tmp_path):
    execution, nb = _run(tmp_path, "1 / 0", "print('still running')")
    assert execution.status == "ok", execution.reason
    assert _errors(nb.cells[0]) == ["ZeroDivisionError"]
    assert _text(nb.cells[1]) == "still running\n"


@pytest.mark.slow
def test_the_toolkit_imports_but_not_the_solutions_nor_the_repository(tmp_path):
    execution, nb = _run(
        tmp_path,
        "import dlcourse.plots, dlcourse.grading\nprint(dlcourse.plots.__file__)",
        "import solutions",
        f"import os\nprint([os.path.exists(os.path.join({str(REPO)!r}, name))"
        " for name in ('nbgrader_config.py', 'solutions', 'course', 'dlcourse', 'tests')])",
    )
    assert execution.status == "ok", execution.reason
    assert _text(nb.cells[0]) == f"{TOOLKIT_MOUNT}/dlcourse/plots.py\n"
    assert _errors(nb.cells[1]) == ["ModuleNotFoundError"]
    assert _text(nb.cells[2]) == "[False, False, False, False, False]\n"


# --------------------------------------------------------------------------- confinement
@pytest.mark.slow
def test_the_network_is_blocked(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=5).close()  # reachable from here
    server.settimeout(0.5)
    server.accept()[0].close()
    try:
        execution, nb = _run(
            tmp_path,
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
            "    print('connected')\n"
            "except OSError as exc:\n"
            "    print('blocked', type(exc).__name__)",
            "import urllib.request\n"
            "try:\n"
            "    urllib.request.urlopen('http://example.com', timeout=5)\n"
            "    print('connected')\n"
            "except OSError as exc:\n"
            "    print('blocked')",
        )
        with pytest.raises(TimeoutError):
            server.accept()  # nothing reached the server
    finally:
        server.close()
    assert execution.status == "ok", execution.reason
    assert _text(nb.cells[0]).startswith("blocked")
    assert _text(nb.cells[1]) == "blocked\n"


@pytest.mark.slow
def test_files_outside_the_workdir_are_invisible_or_read_only(tmp_path):
    secret = tmp_path / "instructor" / "gradebook.db"
    secret.parent.mkdir()
    secret.write_text("grades")
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.csv").write_text("1,2\n")
    probe = """
import os, sys
def attempt(what, action):
    try:
        action()
        print(what, 'allowed')
    except OSError as exc:
        print(what, 'denied', type(exc).__name__)
def write(path):
    with open(path, 'w') as f:
        f.write('x')
attempt('read secret', lambda: open(SECRET).read())
attempt('list secret folder', lambda: os.listdir(os.path.dirname(SECRET)))
attempt('read the repository', lambda: open(REPO + '/README.md').read())
attempt('read /root/.bashrc', lambda: open('/root/.bashrc').read())
attempt('read /etc/shadow', lambda: open('/etc/shadow').read())
attempt('write python prefix', lambda: write(os.path.join(sys.prefix, 'pwned')))
attempt('write site-packages', lambda: write(os.path.join(os.path.dirname(os.__file__), 'x.py')))
attempt('write /usr', lambda: write('/usr/pwned'))
attempt('write /etc', lambda: write('/etc/pwned'))
attempt('write toolkit', lambda: write('/opt/dlcourse-toolkit/dlcourse/pwned.py'))
attempt('write readonly data', lambda: write(DATA + '/x.csv'))
attempt('read readonly data', lambda: open(DATA + '/x.csv').read())
attempt('write workdir', lambda: write('result.txt'))
attempt('write /tmp', lambda: write('/tmp/scratch'))
from ipykernel.connect import get_connection_file
ipc = os.path.dirname(get_connection_file())
socket_file = sorted(f for f in os.listdir(ipc) if not f.endswith('.json'))[0]
attempt('swap kernel socket', lambda: os.rename(os.path.join(ipc, socket_file), ipc + '/x'))
python = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
seen = []
for top in ('/work', '/root', '/home', REPO):  # REPO itself may sit in /tmp
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(folder, d)) not in python]
        seen += [os.path.join(folder, f) for f in files]
print('files outside the python installation:', seen)
"""
    execution, nb = _run(
        tmp_path,
        f"SECRET = {str(secret)!r}\nDATA = {str(data)!r}\nREPO = {str(REPO)!r}\n" + probe,
        readonly=[data],
    )
    assert execution.status == "ok", execution.reason
    lines = _text(nb.cells[0]).splitlines()
    allowed = {line.rsplit(" allowed", 1)[0] for line in lines if line.endswith(" allowed")}
    assert allowed == {"read readonly data", "write workdir", "write /tmp"}, lines
    assert lines[-1] == "files outside the python installation: []"
    assert (tmp_path / "work" / "result.txt").read_text() == "x"
    assert (tmp_path / "work" / "result.txt").stat().st_uid == os.getuid()  # given back
    assert not (Path(sys.prefix) / "pwned").exists()


@pytest.mark.slow
def test_host_processes_are_invisible(tmp_path):
    marker = "4242.424242"  # a host process with this argument must not be seen
    host = subprocess.Popen(["sleep", marker])
    try:
        execution, nb = _run(
            tmp_path,
            "import os\n"
            "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
            "cmds = [open(f'/proc/{p}/cmdline', 'rb').read() for p in pids]\n"
            f"print(len(pids), any(b{marker!r} in c for c in cmds), os.getpid())",
        )
    finally:
        host.kill()
        host.wait()
    assert execution.status == "ok", execution.reason
    count, seen, pid = _text(nb.cells[0]).split()
    assert int(count) <= 5 and seen == "False" and int(pid) <= 5


@pytest.mark.slow
def test_nothing_survives_from_one_run_to_the_next(tmp_path):
    first, _ = _run(
        tmp_path,
        "open('/tmp/left-behind', 'w').write('x'); open('/dev/shm/left', 'w').write('x')",
        name="first",
    )
    second, nb = _run(
        tmp_path,
        "import os\nprint(os.path.exists('/tmp/left-behind'), os.path.exists('/dev/shm/left'))",
        name="second",
    )
    assert first.status == second.status == "ok"
    assert _text(nb.cells[0]) == "False False\n"


@pytest.mark.slow
def test_what_the_run_leaves_in_the_workdir_is_safe_to_read_as_root(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "data.csv").write_text("1,2\n")
    os.symlink("data.csv", workdir / "the-callers-link")
    nb = _notebook(
        "import os, stat\n"
        "os.symlink('/etc/shadow', 'index.json')\n"
        "os.symlink('/root', 'results')\n"
        "os.mkfifo('pipe.npy')\n"
        "open('out.txt', 'w').write('kept')\n"
        "os.chmod('out.txt', 0o4755)\n"
        "print(sorted(os.listdir('.')))"
    )
    execution = execute_in_sandbox(nb, workdir, slot=SLOT)
    assert execution.status == "ok", execution.reason
    assert "pipe.npy" in _text(nb.cells[0])
    assert sorted(os.listdir(workdir)) == ["data.csv", "out.txt", "the-callers-link"]
    assert (workdir / "the-callers-link").read_text() == "1,2\n"
    out = (workdir / "out.txt").stat()
    assert (out.st_uid, out.st_mode & 0o7777) == (os.getuid(), 0o755)


# --------------------------------------------------------------------------- limits
@pytest.mark.slow
def test_a_memory_bomb_is_stopped_and_reported(tmp_path):
    execution, nb = _run(
        tmp_path,
        "print('before')",
        "b = bytearray(4 * 2**30)",
        "print('after')",
        limits=Limits(memory_mb=512),
    )
    assert _text(nb.cells[0]) == "before\n"
    if "no writable cgroup" in execution.isolation:  # RLIMIT_AS: Python raises MemoryError
        assert execution.status == "ok" and _errors(nb.cells[1]) == ["MemoryError"]
        return
    assert execution.status == "memory", execution.reason
    assert "512 MB" in execution.reason and "cell 2" in execution.reason
    assert _errors(nb.cells[1]) == ["SandboxStopped"]
    assert _errors(nb.cells[2]) == ["NotExecuted"]  # no credit for what never ran


@pytest.mark.slow
def test_a_fork_bomb_is_contained_and_cleaned_up(tmp_path):
    execution, nb = _run(
        tmp_path,
        "import os\nwhile True:\n    os.fork()",
        "print('after')",
        limits=Limits(max_processes=32, cell_seconds=20),
    )
    # The fork fails in the kernel: the cell errors and the run goes on (or the run stops).
    assert execution.status != "ok" or "BlockingIOError" in _errors(nb.cells[0])
    if "cgroup v" in execution.isolation:
        assert "forks were refused" in execution.reason
    # The autouse fixture checks that no process and no cgroup is left.


@pytest.mark.slow
def test_an_endless_cell_is_interrupted_and_the_next_cell_runs(tmp_path):
    start = time.monotonic()
    execution, nb = _run(
        tmp_path, "while True:\n    pass", "print('next')", limits=Limits(cell_seconds=3)
    )
    assert execution.status == "ok", execution.reason
    assert _errors(nb.cells[0]) == ["KeyboardInterrupt", "CellTimeoutError"]
    assert _text(nb.cells[1]) == "next\n"
    assert "interrupted after 3 s: cell 1" in execution.reason
    assert time.monotonic() - start < 20


@pytest.mark.slow
def test_a_cell_that_ignores_the_interrupt_ends_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_INTERRUPT_GRACE_SECONDS", 2.0)
    start = time.monotonic()
    execution, nb = _run(
        tmp_path,
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        "print('never')",
        limits=Limits(cell_seconds=3),
    )
    assert execution.status == "timeout", execution.reason
    assert "did not stop when interrupted" in execution.reason
    assert _errors(nb.cells[0]) == ["SandboxStopped"]
    assert _errors(nb.cells[1]) == ["NotExecuted"]
    assert time.monotonic() - start < 20


@pytest.mark.slow
def test_cpu_time_and_file_size_limits(tmp_path):
    execution, nb = _run(
        tmp_path,
        "try:\n"
        "    with open('big', 'wb') as f:\n"
        "        f.write(b'x' * 3 * 2**20)\n"
        "except OSError as exc:\n"
        "    print(exc.strerror)",
        "while True:\n    pass",
        limits=Limits(file_mb=1, cpu_seconds=2, cell_seconds=60),
    )
    assert _text(nb.cells[0]) == "File too large\n"
    assert (tmp_path / "work" / "big").stat().st_size <= 2**20
    assert execution.status == "timeout", execution.reason
    assert "more than 2 s of CPU time in cell 2" in execution.reason


@pytest.mark.slow
def test_the_wall_time_limit_kills_the_sandbox(tmp_path):
    start = time.monotonic()
    execution, nb = _run(
        tmp_path,
        "print('first')",
        "import time\ntime.sleep(1000)",
        "print('never')",
        limits=Limits(wall_seconds=8),
    )
    assert time.monotonic() - start < 30
    assert execution.status == "timeout", execution.reason
    assert "8 s wall-time limit" in execution.reason and "cell 2" in execution.reason
    assert _text(nb.cells[0]) == "first\n"  # outputs so far are kept
    assert _errors(nb.cells[1]) == ["SandboxStopped"]
    assert _errors(nb.cells[2]) == ["NotExecuted"]


@pytest.mark.slow
def test_huge_output_is_capped_without_using_the_graders_memory(tmp_path):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    execution, nb = _run(
        tmp_path,
        "for _ in range(50):\n    print('y' * 1_000_000)",
        "print('x' * 50_000_000)",
        # bypasses the kernel-side cap: one 50 MB message, which the grader refuses
        "from IPython.display import display\ndisplay({'text/plain': 'z' * 50_000_000}, raw=True)",
        "print('done')",
    )
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert execution.status == "ok", execution.reason
    cap = Limits().output_bytes
    for cell in nb.cells[:2]:
        assert len(_text(cell)) <= cap + 200
        assert _text(cell).startswith("y" * 1000 if cell is nb.cells[0] else "x" * 1000)
        assert "[output truncated: this cell produced more than 200000 bytes" in _text(cell)
    assert [o.output_type for o in nb.cells[2].outputs] == ["stream"]
    assert "some output of this cell was lost" in _text(nb.cells[2])
    assert _text(nb.cells[3]) == "done\n"  # the connection to the kernel was restored
    assert grown_mb < 200


@pytest.mark.slow
def test_a_kernel_that_kills_itself_is_reported(tmp_path):
    execution, nb = _run(tmp_path, "import os\nos.kill(os.getpid(), 9)", "print('after')")
    assert execution.status == "kernel_died", execution.reason
    assert "SIGKILL" in execution.reason
    assert _errors(nb.cells[1]) == ["NotExecuted"]


@pytest.mark.slow
def test_runs_in_parallel_threads_with_different_slots_and_a_shared_one(tmp_path):
    slots = (SLOT + 1, SLOT + 2, SLOT + 1)  # the second run on SLOT + 1 waits for the first
    results: dict[int, tuple[Execution, nbformat.NotebookNode]] = {}

    def run(index: int) -> None:
        results[index] = _run(
            tmp_path,
            "import os, time\ntime.sleep(1)\nprint(os.getuid())",
            slot=slots[index],
            name=f"run{index}",
        )

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(slots))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(slots)
    for index, (execution, nb) in results.items():
        assert execution.status == "ok", execution.reason
        assert _text(nb.cells[0]) == f"{SANDBOX_UID_BASE + slots[index]}\n"


@pytest.mark.slow
def test_without_a_writable_cgroup_rlimits_take_over(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "_cgroup_parents", lambda: [])
    execution, nb = _run(
        tmp_path,
        "import numpy as np\nprint(np.ones(3).sum())",
        "import os\nwhile True:\n    os.fork()",
        limits=Limits(max_processes=32, cell_seconds=20),
    )
    assert "no writable cgroup" in execution.isolation
    assert "nproc 32" in execution.isolation
    assert _text(nb.cells[0]) == "3.0\n"
    assert execution.status != "ok" or "BlockingIOError" in _errors(nb.cells[1])


# --------------------------------------------------------------------------- the disk cap
# Writes 100 MiB files until a write fails (at most 2 GiB), then says how far it got.
_FILL_THE_DISK = (
    "written = 0\n"
    "try:\n"
    "    for i in range(20):\n"
    "        with open(f'fill{i}', 'wb') as f:\n"
    "            f.write(b'x' * 100 * 2**20)\n"
    "        written += 100\n"
    "except OSError as exc:\n"
    "    print(exc.strerror)\n"
    "print('wrote', written, 'MiB')"
)


def _mounted(folder: Path) -> bool:
    points = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    return str(folder) in points


def _held_mb(folder: Path) -> float:
    """The disk space what is in ``folder`` takes (allocated blocks)."""
    blocks = sum(
        os.lstat(os.path.join(parent, name)).st_blocks
        for parent, dirs, files in os.walk(folder)
        for name in dirs + files
    )
    return blocks * 512 / 2**20


@pytest.mark.slow
def test_a_notebook_that_fills_the_disk_gets_no_space_on_its_own_tmpfs(tmp_path):
    limits = Limits(disk_mb=300, file_mb=256)
    start = time.monotonic()
    with sandbox.scratch_folder(limits) as scratch:
        if not _mounted(scratch):
            pytest.skip("no tmpfs can be mounted here (no CAP_SYS_ADMIN)")
        workdir = scratch / "work"
        workdir.mkdir()
        nb = _notebook(_FILL_THE_DISK, "print('next')")
        execution = execute_in_sandbox(nb, workdir, limits, slot=SLOT)
        held = _held_mb(scratch)
        assert os.stat(scratch).st_dev != os.stat(scratch.parent).st_dev  # not the host's disk
    assert time.monotonic() - start < 20
    assert execution.status == "disk", execution.reason
    assert execution.reason.startswith("the notebook filled its 300 MiB of disk")
    assert "all 2 code cells ran" in execution.reason
    assert "workdir on a 300 MiB filesystem" in execution.isolation
    error, wrote = _text(nb.cells[0]).splitlines()
    assert error == "No space left on device"
    assert wrote in ("wrote 200 MiB", "wrote 300 MiB")  # the cap, less what else is there
    assert _text(nb.cells[1]) == "next\n"  # a full disk is an error the notebook sees
    assert 299 < held <= 300
    assert not _mounted(scratch) and not scratch.exists()  # unmounted and removed


@pytest.mark.slow
def test_without_a_tmpfs_a_watchdog_stops_a_notebook_that_fills_the_disk(tmp_path, monkeypatch):
    def refuse(folder: Path, limits: Limits) -> None:
        raise PermissionError(1, "Operation not permitted")  # as without CAP_SYS_ADMIN

    monkeypatch.setattr(sandbox, "_mount_tmpfs", refuse)
    limits = Limits(disk_mb=300, file_mb=256)
    start = time.monotonic()
    with sandbox.scratch_folder(limits) as scratch:
        assert not _mounted(scratch)
        workdir = scratch / "work"
        workdir.mkdir()
        nb = _notebook(_FILL_THE_DISK, "print('next')")
        execution = execute_in_sandbox(nb, workdir, limits, slot=SLOT)
        held = _held_mb(scratch)
    assert time.monotonic() - start < 20
    assert execution.status == "disk", execution.reason
    assert execution.reason.startswith("the notebook wrote more than 300 MiB to disk")
    assert "in cell 1 and was stopped" in execution.reason
    assert "no size-limited filesystem for the workdir" in execution.isolation
    assert _errors(nb.cells[0]) == ["SandboxStopped"]
    assert _errors(nb.cells[1]) == ["NotExecuted"]
    # What gets through is what is written between two checks (the sandbox writes ~1 GB/s).
    assert 300 < held < 300 + 500, held
    assert not scratch.exists()


@pytest.mark.slow
def test_results_written_before_the_disk_filled_are_read(tmp_path):
    limits = Limits(disk_mb=16, file_mb=64)
    with sandbox.scratch_folder(limits) as scratch:
        if not _mounted(scratch):
            pytest.skip("no tmpfs can be mounted here (no CAP_SYS_ADMIN)")
        workdir = scratch / "work"
        (workdir / probe.CALLS_DIR).mkdir(parents=True)
        calls = [("double", (np.arange(1000.0) + n,), {}) for n in range(4)]
        (workdir / probe.CALLS_DIR / "t.pkl").write_bytes(pickle.dumps(calls))
        nb = _notebook(
            # The third call fills the disk: its results cannot be written.
            "calls = 0\n"
            "def double(x):\n"
            "    global calls\n"
            "    calls += 1\n"
            "    if calls == 3:\n"
            "        try:\n"
            "            with open('fill', 'wb') as f:\n"
            "                while True:\n"
            "                    f.write(b'x' * 2**20)\n"
            "        except OSError:\n"
            "            pass\n"
            "    return x * 2",
            probe_source("t"),
        )
        execution = execute_in_sandbox(nb, workdir, limits, slot=SLOT)
        outcomes = read_results(workdir, "t")
    assert execution.status == "disk", execution.reason
    assert _errors(nb.cells[1]) == ["OSError"]  # the probe could not save the third call
    assert [o.error for o in outcomes] == [None, None]  # the first two are intact
    for n, outcome in enumerate(outcomes):
        np.testing.assert_array_equal(outcome.result, (np.arange(1000.0) + n) * 2)


def test_a_scratch_tmpfs_left_by_a_grader_that_died_is_removed():
    crashed = (
        "import os\n"
        "from dlcourse.grader import sandbox\n"
        "scratch = sandbox.scratch_folder(sandbox.Limits(disk_mb=8))\n"
        "folder = scratch.__enter__()\n"
        "print(folder, flush=True)\n"
        "os.kill(os.getpid(), 9)"
    )
    run = subprocess.run([sys.executable, "-c", crashed], capture_output=True, text=True)
    assert run.returncode == -9, run.stderr
    stale = Path(run.stdout.strip())
    if not _mounted(stale):
        pytest.skip("no tmpfs can be mounted here (no CAP_SYS_ADMIN)")
    with sandbox.scratch_folder(Limits(disk_mb=8)) as fresh:
        assert _mounted(fresh)
        assert not _mounted(stale) and not stale.exists()
    assert not _mounted(fresh) and not fresh.exists()


# --------------------------------------------------------------------------- output caps
def _message(kind: str, **content) -> dict:
    return {
        "msg_type": kind,
        "header": {"msg_type": kind},
        "parent_header": {"msg_id": "m"},
        "metadata": {},
        "content": content,
    }


def test_the_output_cap_keeps_a_prefix_one_note_and_every_error():
    fake = types.SimpleNamespace(limits=Limits(output_bytes=100), max_message_bytes=2**23)
    client = sandbox._SandboxClient(_notebook("print()"), fake)
    outs: list = []
    for _ in range(3):
        client.output(outs, _message("stream", name="stdout", text="a" * 40), None, 0)
    client.output(outs, _message("stream", name="stdout", text="b" * 40), None, 0)
    client.output(outs, _message("error", ename="E", evalue="v", traceback=["t"] * 10), None, 0)
    texts = [o.get("text") for o in outs]
    assert texts[:3] == ["a" * 40, "a" * 40, "a" * 20]
    assert texts[3].startswith("[output truncated")
    assert [o.output_type for o in outs] == ["stream"] * 4 + ["error"]
    # clear_output gives the cell its budget back
    client.clear_output(outs, _message("clear_output", wait=False), 0)
    client.output(outs, _message("stream", name="stdout", text="c" * 90), None, 0)
    assert [o.text for o in outs] == ["c" * 90]


def test_limits_must_be_positive():
    with pytest.raises(ValueError, match="memory_mb"):
        Limits(memory_mb=0)


def test_a_data_folder_is_readable_and_the_run_knows_it_is_autograding(tmp_path):
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    (data / "labels.txt").write_text("7 2 1")
    code = (
        "import os, pathlib\n"
        "print(os.environ['NBGRADER_EXECUTION'])\n"
        "folder = pathlib.Path(os.environ['DLCOURSE_DATA']) / 'mnist'\n"
        "print((folder / 'labels.txt').read_text())\n"
        "try:\n"
        "    (folder / 'new.txt').write_text('x')\n"
        "except OSError:\n"
        "    print('read-only')\n"
    )
    execution, nb = _run(
        tmp_path, code, readonly=[tmp_path / "data"], env={"DLCOURSE_DATA": str(tmp_path / "data")}
    )
    assert execution.status == "ok", execution.reason
    assert _text(nb.cells[0]).split() == ["autograde", "7", "2", "1", "read-only"]


def test_a_leftover_of_the_slot_is_killed_before_a_run(tmp_path, monkeypatch):
    """A process of the slot's uid when its lock is free was left by a grader that died (a
    killed cluster worker leaves its kernel running): the next run of the slot kills it."""
    slot = SLOT + 7
    uid = SANDBOX_UID_BASE + slot
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "120"]
    leftover = subprocess.Popen(setpriv)
    try:
        deadline = time.monotonic() + 10
        while not sandbox._pids_of_uid(SANDBOX_UID_BASE + slot) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox._pids_of_uid(uid) == [leftover.pid]
        at_start = []
        execute = sandbox._execute

        async def watched(*args, **kwargs):
            at_start.append(sandbox._pids_of_uid(uid))
            return await execute(*args, **kwargs)

        monkeypatch.setattr(sandbox, "_execute", watched)
        execution, _ = _run(tmp_path, "print('ran')", slot=slot)
        assert execution.status == "ok", execution.reason
        assert at_start == [[]], "the leftover was still running when the run started"
        assert leftover.wait(timeout=5) == -9  # SIGKILL
    finally:
        leftover.kill()


def test_the_availability_probe_waits_for_slot_0(tmp_path):
    """The probe runs as slot 0's uid; a run of slot 0 kills its uid's processes when it ends,
    so the probe holds slot 0's lock (else: 'bubblewrap failed (exit status 137)')."""
    done = threading.Event()
    with sandbox._slot_lock(0):
        probe = threading.Thread(target=lambda: (sandbox_available.__wrapped__(), done.set()))
        probe.start()
        assert not done.wait(2.0), "the probe ran while slot 0 was locked"
    probe.join(60)
    assert done.is_set()
    assert sandbox_available.__wrapped__() == (True, "")
