"""Execute a student notebook in a sandbox: bubblewrap, a fresh cgroup, rlimits, watchdogs.

``execute_in_sandbox(nb, workdir, limits)`` runs every cell of ``nb`` (in place, like
nbgrader: cell errors do not stop the run) in a fresh IPython kernel that is confined by:

- **bubblewrap** (``bwrap``): new pid, network, ipc, uts and cgroup namespaces (the kernel sees
  only its own processes and has no network but a private loopback); a private filesystem
  view with, read-only, only ``/usr`` (and the ``/bin``, ``/lib*`` links), a few files of
  ``/etc`` (the dynamic linker cache, time zone; ``passwd``/``group`` are generated), the
  Python installation (prefixes and site-packages) and the ``dlcourse`` toolkit package
  (bound alone at ``/opt/dlcourse-toolkit/dlcourse``, never the repository that holds the
  gradebook and the solutions; a ``solutions`` package installed into site-packages is
  hidden under an empty tmpfs), plus the caller's ``readonly`` paths; writable: only
  ``workdir`` (the cwd and ``HOME``) and fresh tmpfs ``/tmp`` and ``/dev/shm`` (each sized
  to ``min(memory_mb, disk_mb)``: they are memory, charged to the run's cgroup, and gone with
  the sandbox); a cleared environment; ``--die-with-parent``, ``--new-session``.
- **an unprivileged uid**: inside the sandbox ``setpriv`` switches to uid/gid
  ``SANDBOX_UID_BASE + slot`` with no groups and no capabilities (``NoNewPrivs`` is set by
  bwrap). ``workdir`` is handed to that uid for the run and given back afterwards, made safe
  to read as root: setuid bits cleared, FIFOs, sockets and symlinks the run made removed.
- **a cgroup** per run (v1 ``memory`` + ``pids`` created under this process's own cgroups,
  or cgroup v2 where its controllers can be delegated): ``memory_mb`` for all processes
  together (OOM kills are detected and reported as ``"memory"``) and ``max_processes``
  tasks (fork bombs). The kernel is moved into it before it starts. Without a writable
  cgroup the run falls back to ``RLIMIT_AS`` and ``RLIMIT_NPROC`` (per uid, so per slot) and
  ``Execution.isolation`` says so.
- **rlimits**: ``RLIMIT_CPU`` (per process), ``RLIMIT_FSIZE`` (``file_mb``, each file),
  ``RLIMIT_CORE = 0``.
- **a disk cap**: what a run leaves in ``workdir`` is limited to ``disk_mb`` in all (and
  ``disk_mb * 64`` files and folders). ``scratch_folder(limits)`` gives the caller a folder
  on a fresh tmpfs of that size (``nosuid,nodev``, mode 0700) mounted on the host for the
  ``with`` block and unmounted when it ends, whatever happens (one left by a grader that died
  is removed by the next); a workdir made inside it fills up: writes past the cap fail with
  ``ENOSPC`` inside the sandbox, the run goes on and is reported as ``"disk"``. Its pages are
  memory, charged to the cgroup of the process that wrote them: a run's files count against
  ``memory_mb`` too, and nothing reaches the grader's disk. A workdir on a filesystem no
  larger than ``disk_mb`` is capped by it all the same. Any other workdir (and the scratch
  folder where no tmpfs can be mounted: no ``CAP_SYS_ADMIN``) is watched instead, as
  ``Execution.isolation`` says: every ``DISK_POLL_SECONDS`` the blocks it holds are summed
  (hard links once, links not followed) and a run past the cap, or with folders nested more
  than ``_MAX_FOLDER_DEPTH`` deep, is killed (``"disk"``); that cap is approximate (what is
  written between two checks gets through).
- **watchdogs**: a cell past ``cell_seconds`` is interrupted (an ``interrupt_request``
  message: jupyter's SIGINT to the process group would reach bwrap, not the kernel) and the
  run goes on; a cell that
  does not stop within a grace period ends the run (``"timeout"``); past ``wall_seconds``
  the whole sandbox is killed (``"timeout"``, the outputs so far are kept).
- **output caps**: per cell at most ``output_bytes`` of text/data and
  ``MAX_OUTPUTS_PER_CELL`` outputs are kept, then one note; error outputs are always kept
  (trimmed), so a test cell cannot hide its failure by printing. The kernel trims each stream
  message at the source (cooperatively); what enforces the limit is the client: it refuses
  zmq messages over ``max(8 MiB, 4 * output_bytes)`` (the cell gets a note, the connection
  is reopened) and queues at most a few dozen, so a kernel that prints gigabytes cannot make
  the grader use gigabytes.

The kernel talks to the grader over unix sockets (jupyter's ``ipc`` transport) in a private
folder bound into the sandbox; once the kernel is up the folder is locked (root-owned) so
student code cannot swap the sockets the grader reconnects to.

When a run stops early, the cell that was running gets an error output saying why, and every
later code cell gets an error output "not executed" instead of whatever outputs the
submission carried: nbgrader gives no credit for a test cell with an error, so no test can
pass by not running.

Requirements: Linux, root (to switch to the per-slot uid and to manage cgroups), ``bwrap``
(Debian package ``bubblewrap``; one with ``--size``, e.g. 0.8 in Debian 12) and ``setpriv``
(util-linux).
Concurrent runs should use different ``slot`` numbers (a run waits while another run, in any
process, holds its slot); uids ``SANDBOX_UID_BASE + slot`` must not belong to anyone else
(processes of that uid are killed after each run). Mounting the scratch tmpfs needs
``CAP_SYS_ADMIN`` (root outside an unprivileged container); without it the disk watchdog
takes over.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import ctypes
import errno
import fcntl
import functools
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import site
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from traitlets import Integer, default

import dlcourse

__all__ = [
    "DISK_POLL_SECONDS",
    "MAX_OUTPUTS_PER_CELL",
    "SANDBOX_UID_BASE",
    "TOOLKIT_MOUNT",
    "Execution",
    "Limits",
    "execute_in_sandbox",
    "sandbox_available",
    "scratch_folder",
]

SANDBOX_UID_BASE = 60000
"""The sandbox of slot ``s`` runs as uid and gid ``SANDBOX_UID_BASE + s``."""
TOOLKIT_MOUNT = "/opt/dlcourse-toolkit"
"""Inside the sandbox the toolkit is ``TOOLKIT_MOUNT/dlcourse``; ``PYTHONPATH`` points here."""
MAX_OUTPUTS_PER_CELL = 1000
SANDBOX_USER = "student"

_ERRORS_PER_CELL = 20
_ERROR_CHARS = 20_000
_MIN_MESSAGE_BYTES = 8 * 2**20
_RECEIVE_QUEUE = 32
_INTERRUPT_GRACE_SECONDS = 10.0
_KILL_GRACE_SECONDS = 10.0
CLOSE_SECONDS = 10.0  # how long closing a sandbox waits for its killed processes to be gone
_HIDDEN_PACKAGES = ("solutions",)
_ETC_ENTRIES = (
    "alternatives",
    "fonts",
    "host.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "timezone",
)
_SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DISK_POLL_SECONDS = 0.05  # how often the run's disk use is checked (at most)
_FILES_PER_MB = 64  # a run may make disk_mb * 64 files and folders
_MAX_FOLDER_DEPTH = 128  # deeper folders stop a watched run (the walk is bounded)
_FULL_BYTES = 2**20  # a filesystem with less free space than this (or 1/64) is full
_SCRATCH_SOURCE = "dlcourse-scratch"  # the tmpfs's source name, then "-<pid of the grader>"

# Runs in the kernel at startup (IPython exec_lines): cap each stream message near the source,
# so that a print of 50 MB arrives as one (capped) message rather than being refused whole.
# Cooperative only (student code can undo it); the client's caps are what is enforced.
_KERNEL_OUTPUT_CAP = """\
def _dlcourse_cap_stream_messages():
    import sys
    def cap(msg):
        text = msg['content'].get('text')
        if isinstance(text, str) and len(text) > __LIMIT__:
            msg['content']['text'] = text[:__LIMIT__]
        return msg
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, 'register_hook') and getattr(stream, 'pub_thread', None):
            stream.pub_thread.schedule(lambda stream=stream: stream.register_hook(cap))
_dlcourse_cap_stream_messages()
del _dlcourse_cap_stream_messages
"""

# Runs as root before bwrap: join the run's cgroups, set the rlimits, exec the rest.
_WRAPPER = """\
import json, os, resource, sys
config = json.loads(sys.argv[1])
for procs in config["cgroup_procs"]:
    with open(procs, "w") as f:
        f.write(str(os.getpid()))
for name, (soft, hard) in config["rlimits"].items():
    resource.setrlimit(getattr(resource, name), (soft, hard))
os.execv(sys.argv[2], sys.argv[2:])
"""


# --------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class Limits:
    """What one sandboxed notebook run may use."""

    memory_mb: int = 2048  # the whole sandbox (all its processes)
    max_processes: int = 64  # pids/threads in the sandbox (fork bombs)
    cpu_seconds: int = 600  # RLIMIT_CPU per process
    wall_seconds: int = 600  # the whole notebook; past it the sandbox is killed
    cell_seconds: int = 120  # one cell; past it the cell is interrupted and the run goes on
    output_bytes: int = 200_000  # per cell; output beyond is dropped with a note
    file_mb: int = 256  # RLIMIT_FSIZE: each file
    disk_mb: int = 512  # all the files a run leaves in its workdir (see scratch_folder)

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer, not {value!r}")


@dataclass
class Execution:
    """How a sandboxed run ended."""

    status: str  # "ok" | "timeout" | "memory" | "disk" | "kernel_died" | "sandbox_error"
    reason: str  # human readable
    seconds: float
    isolation: str  # which mechanisms were used
    refused_forks: int = 0  # forks (processes or threads) the pids limit refused


@functools.lru_cache(maxsize=1)
def sandbox_available() -> tuple[bool, str]:
    """Whether sandboxed execution works on this machine: ``(True, "")`` or ``(False, why)``.

    Runs a trivial Python inside the real sandbox (without cgroups) once per process.
    """
    if sys.platform != "linux":
        return False, f"the sandbox needs Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return False, "the sandbox needs root (it switches each run to a per-slot uid)"
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux")):
        if shutil.which(tool) is None:
            return False, f"`{tool}` is not installed (apt-get install {package})"
    with tempfile.TemporaryDirectory(prefix="dlcourse-sandbox-probe-") as tmp:
        folder = Path(tmp).resolve()
        (folder / "work").mkdir()
        (folder / "ipc").mkdir()
        _write_identity_files(folder, SANDBOX_UID_BASE, folder / "work")
        argv = _bwrap_argv(
            workdir=folder / "work", ipc_dir=folder / "ipc", etc_dir=folder,
            uid=SANDBOX_UID_BASE, limits=Limits(), readonly=(), env={},
        )  # fmt: skip
        probe = "import os, sys; assert os.getuid() == %d; print(sys.version_info[0])"
        # The probe runs as slot 0's uid, so under slot 0's lock: a run of slot 0 in another
        # process kills its uid's processes when it ends, the probe with them (seen: "bubblewrap
        # failed (exit status 137)", and a whole class graded ungradable for it).
        try:
            with _slot_lock(0):
                result = subprocess.run(
                    [*argv, sys.executable, "-c", probe % SANDBOX_UID_BASE],
                    capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"bubblewrap could not run: {exc}"
    if result.returncode != 0 or result.stdout.strip() != "3":
        detail = (result.stderr or result.stdout).strip()[-500:]
        return False, f"bubblewrap failed (exit status {result.returncode}): {detail}"
    return True, ""


def execute_in_sandbox(
    nb: NotebookNode,
    workdir: Path,
    limits: Limits = Limits(),  # noqa: B008 (frozen, so a shared default is safe)
    *,
    slot: int = 0,
    readonly: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> Execution:
    """Execute nb top to bottom (in place: outputs are filled in) in a fresh IPython kernel that
    runs inside the sandbox. Cell errors do not stop the run (like nbgrader: allow_errors).

    ``workdir`` (created by the caller, one per submission) is the kernel's cwd and ``HOME``
    and the only writable place besides ``/tmp``; what the run leaves there is kept, owned by
    ``workdir``'s owner again, except symlinks it made, FIFOs and sockets (removed).
    What the run leaves there is capped at ``limits.disk_mb``: by the filesystem when
    ``workdir`` is in a ``scratch_folder`` (a tmpfs of that size), else by a watchdog.
    ``readonly`` paths are bound read-only at the same place (e.g. a data folder); ``env``
    adds variables to the kernel's otherwise cleared environment, in which
    ``NBGRADER_EXECUTION=autograde`` is set as nbgrader does.
    ``slot`` picks the uid (``SANDBOX_UID_BASE + slot``): concurrent runs need distinct slots
    (a run whose slot is in use, in any process, waits until the slot is free).
    The outcome is returned, never raised (except for bad arguments).
    """
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"workdir {workdir} is not a folder")
    extra = [Path(p).resolve() for p in readonly]
    for path in extra:
        if not path.exists():
            raise FileNotFoundError(f"readonly path {path} does not exist")
    if not 0 <= slot < 1000:
        raise ValueError(f"slot must be in 0..999, not {slot}")
    available, why = sandbox_available()
    if not available:
        return Execution("sandbox_error", why, 0.0, "none")
    with _slot_lock(slot):
        # Under the lock, a process of the slot's uid is a leftover of a grader that died (a
        # killed cluster worker leaves its kernel): it would share this run's rlimits.
        _kill_uid(SANDBOX_UID_BASE + slot, CLOSE_SECONDS)
        run = functools.partial(
            _execute, nb, workdir, limits, slot, extra, dict(env or {}), time.monotonic()
        )
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(run())
        # Called from a running event loop (e.g. inside Jupyter): run ours in a worker thread.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(run())).result()


@contextlib.contextmanager
def _slot_lock(slot: int) -> Iterator[None]:
    """Hold the slot's lock (shared by all processes of this machine) for one run: two runs
    with one uid would share rlimits, and each run kills its uid's processes at the end."""
    folder = "/run/lock" if os.access("/run/lock", os.W_OK) else tempfile.gettempdir()
    fd = os.open(f"{folder}/dlcourse-sandbox-slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- bwrap command
def _python_binds() -> list[tuple[str, str]]:
    """(source, destination) read-only binds that make this Python work inside the sandbox."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    candidates.add(os.path.dirname(sys.executable))
    candidates.update(site.getsitepackages())
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        with contextlib.suppress(KeyError):
            candidates.add(sysconfig.get_paths()[key])
    binds: set[tuple[str, str]] = set()
    for path in candidates:
        if not path or not os.path.isdir(path):
            continue
        real = os.path.realpath(path)
        binds.add((real, real))
        if os.path.abspath(path) != real:
            binds.add((real, os.path.abspath(path)))
    # A same-path bind inside another same-path bind (or inside /usr) is redundant.
    same = sorted(dst for src, dst in binds if src == dst)
    covered = ["/usr", *same]

    def redundant(src: str, dst: str) -> bool:
        return src == dst and any(dst != c and _is_within(dst, c) for c in covered)

    return sorted((s, d) for s, d in binds if not redundant(s, d) and d != "/usr")


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hidden_binds(bound: Sequence[str]) -> list[str]:
    """Folders of packages that must not be readable (the reference solutions) when an
    installation put them inside a folder the sandbox sees: they get an empty tmpfs."""
    hidden = []
    for name in _HIDDEN_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for location in (spec.submodule_search_locations or []) if spec else []:
            real = os.path.realpath(location)
            if any(_is_within(real, b) for b in bound):
                hidden.append(real)
    return hidden


def _toolkit_folder() -> str:
    return os.path.realpath(os.path.dirname(dlcourse.__file__))


def _bwrap_argv(
    *,
    workdir: Path,
    ipc_dir: Path,
    etc_dir: Path,
    uid: int,
    limits: Limits,
    readonly: Sequence[Path],
    env: Mapping[str, str],
) -> list[str]:
    """The bwrap + setpriv command line; the kernel command is appended to it."""
    bwrap, setpriv = shutil.which("bwrap"), shutil.which("setpriv")
    assert bwrap is not None and setpriv is not None
    tmpfs_size = str(min(limits.memory_mb, limits.disk_mb) * 2**20)
    argv = [
        bwrap,
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--hostname", "sandbox",
        "--die-with-parent", "--new-session",
        "--ro-bind", "/usr", "/usr",
    ]  # fmt: skip
    for name in _SYSTEM_DIRS:
        if os.path.islink(name):
            argv += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            argv += ["--ro-bind", name, name]
    argv += ["--dir", "/etc"]
    for entry in _ETC_ENTRIES:
        path = f"/etc/{entry}"
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", str(etc_dir / "passwd"), "/etc/passwd"]
    argv += ["--ro-bind", str(etc_dir / "group"), "/etc/group"]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--perms", "1777", "--size", tmpfs_size, "--tmpfs", "/tmp"]
    argv += ["--perms", "1777", "--size", tmpfs_size, "--tmpfs", "/dev/shm"]

    # Binds below /tmp and elsewhere, parents before children so that none hides another.
    mounts: list[tuple[str, list[str]]] = []
    python = _python_binds()
    for src, dst in python:
        mounts.append((dst, ["--ro-bind", src, dst]))
    toolkit = f"{TOOLKIT_MOUNT}/dlcourse"
    mounts.append((toolkit, ["--ro-bind", _toolkit_folder(), toolkit]))
    for path in readonly:
        mounts.append((str(path), ["--ro-bind", str(path), str(path)]))
    for path in _hidden_binds([dst for _, dst in python] + ["/usr"]):
        mounts.append((path, ["--perms", "0000", "--tmpfs", path]))
    mounts.append((str(ipc_dir), ["--bind", str(ipc_dir), str(ipc_dir)]))
    mounts.append((str(workdir), ["--bind", str(workdir), str(workdir)]))
    # bwrap would create missing parents with the host's modes (/root is 0700): make them
    # traversable first.
    parents = {str(p) for dst, _ in mounts for p in Path(dst).parents}
    for folder in sorted(parents - {"/", "/tmp", "/usr", "/etc", "/dev", "/proc"}):
        argv += ["--perms", "0755", "--dir", folder]
    for _, ops in sorted(mounts, key=lambda m: len(Path(m[0]).parts)):
        argv += ops

    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "USER": SANDBOX_USER,
        "LOGNAME": SANDBOX_USER,
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_CONFIG_DIR": "/tmp/jupyter/config",
        "JUPYTER_DATA_DIR": "/tmp/jupyter/data",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter/runtime",
        "XDG_CACHE_HOME": "/tmp/cache",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONPATH": TOOLKIT_MOUNT,
        "PYTHONDONTWRITEBYTECODE": "1",
        # As under `nbgrader autograde`: notebooks may shorten their long demonstrations.
        "NBGRADER_EXECUTION": "autograde",
        **env,
    }
    argv += ["--chdir", str(workdir), "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += [
        "--", setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--",
    ]  # fmt: skip
    return argv


def _write_identity_files(folder: Path, uid: int, home: Path) -> None:
    """``passwd`` and ``group`` for the sandbox: root, the sandbox user, nobody."""
    (folder / "passwd").write_text(
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{SANDBOX_USER}:x:{uid}:{uid}:{SANDBOX_USER}:{home}:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (folder / "group").write_text(f"root:x:0:\n{SANDBOX_USER}:x:{uid}:\nnogroup:x:65534:\n")


# --------------------------------------------------------------------------- cgroups
def _cgroup_parents() -> list[tuple[int, dict[str, Path]]]:
    """Where this process could create child cgroups: this process's own cgroups, as
    ``[(1, {"memory": dir, "pids": dir}), (2, {"unified": dir})]`` (those that exist)."""
    try:
        mountinfo = Path("/proc/self/mountinfo").read_text().splitlines()
        membership = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    own: dict[str, str] = {}
    for line in membership:
        hierarchy, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if hierarchy != "0" else ["unified"]:
            own[name] = path
    mounts: dict[str, tuple[str, str]] = {}
    for line in mountinfo:
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) < 5 or len(after) < 3:
            continue
        if after[0] == "cgroup":
            for option in after[2].split(","):
                if option in ("memory", "pids"):
                    mounts.setdefault(option, (fields[3], fields[4]))
        elif after[0] == "cgroup2":
            mounts.setdefault("unified", (fields[3], fields[4]))

    def locate(name: str) -> Path:
        root, point = mounts[name]
        path = own.get(name, "/")
        folder = Path(point)
        if _is_within(path, root):
            folder = folder / os.path.relpath(path, root)
        return folder if folder.is_dir() else Path(point)

    parents: list[tuple[int, dict[str, Path]]] = []
    if "memory" in mounts and "pids" in mounts:
        parents.append((1, {"memory": locate("memory"), "pids": locate("pids")}))
    if "unified" in mounts:
        parents.append((2, {"unified": locate("unified")}))
    return parents


class _Cgroup:
    """A fresh cgroup for one sandbox: memory and pids limits, OOM accounting, kill, remove."""

    def __init__(self, version: int, dirs: list[Path]) -> None:
        self.version = version
        self.dirs = dirs  # v1: [memory, pids]; v2: [the cgroup]

    @classmethod
    def create(cls, limits: Limits, slot: int) -> _Cgroup | None:
        """A new cgroup with the limits, or None where no cgroup can be created here."""
        name = f"dlcourse-{os.getpid()}-{slot}-{secrets.token_hex(4)}"
        memory = str(limits.memory_mb * 2**20)
        for version, parents in _cgroup_parents():
            for parent in parents.values():
                _remove_stale_cgroups(parent)
            made: list[Path] = []
            try:
                if version == 1:
                    for controller in ("memory", "pids"):
                        made.append(parents[controller] / name)
                        made[-1].mkdir()
                    _write(made[0] / "memory.limit_in_bytes", memory)
                    with contextlib.suppress(OSError):  # absent without swap accounting
                        _write(made[0] / "memory.memsw.limit_in_bytes", memory)
                    _write(made[1] / "pids.max", str(limits.max_processes))
                else:
                    parent = parents["unified"]
                    enabled = (parent / "cgroup.subtree_control").read_text().split()
                    if not {"memory", "pids"} <= set(enabled):
                        _write(parent / "cgroup.subtree_control", "+memory +pids")
                    made.append(parent / name)
                    made[0].mkdir()
                    _write(made[0] / "memory.max", memory)
                    with contextlib.suppress(OSError):
                        _write(made[0] / "memory.swap.max", "0")
                    _write(made[0] / "pids.max", str(limits.max_processes))
            except OSError:
                for folder in made:
                    with contextlib.suppress(OSError):
                        folder.rmdir()
                continue
            return cls(version, made)
        return None

    def describe(self) -> str:
        """For ``Execution.isolation``."""
        return f"cgroup v{self.version} memory+pids"

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a process writes its pid to, to join."""
        return [str(folder / "cgroup.procs") for folder in self.dirs]

    def pids(self) -> set[int]:
        """Processes in the cgroup now."""
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(line) for line in Path(procs).read_text().split())
        return found

    def kill(self, timeout: float = 5.0) -> bool:
        """SIGKILL everything in the cgroup; True once it is empty."""
        if self.version == 2:
            with contextlib.suppress(OSError):
                _write(self.dirs[0] / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return True
            if time.monotonic() > deadline:
                return False
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def _counter(self, filename: str, key: str, folder: Path) -> int:
        with contextlib.suppress(OSError, ValueError):
            for line in (folder / filename).read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
        return 0

    def oom_kills(self) -> int:
        """How many processes the OOM killer killed in this cgroup."""
        if self.version == 1:
            return self._counter("memory.oom_control", "oom_kill", self.dirs[0])
        return self._counter("memory.events", "oom_kill", self.dirs[0])

    def refused_forks(self) -> int:
        """How many forks the pids limit refused."""
        return self._counter("pids.events", "max", self.dirs[-1])

    def remove(self) -> None:
        """Kill what is left and remove the cgroup folders."""
        self.kill()
        for folder in self.dirs:
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY while the last processes are being reaped
                    time.sleep(0.02)


def _write(path: Path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _remove_stale_cgroups(parent: Path) -> None:
    """Remove empty ``dlcourse-<pid>-...`` cgroups left by graders that died."""
    with contextlib.suppress(OSError):
        for folder in parent.glob("dlcourse-*"):
            pid = folder.name.split("-")[1]
            old = time.time() - folder.stat().st_mtime > 60  # never one being set up
            if pid.isdigit() and old and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    folder.rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_uid(uid: int, seconds: float) -> None:
    """SIGKILL every process of ``uid`` (a slot's) until none is left, for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while (pids := _pids_of_uid(uid)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def _pids_of_uid(uid: int) -> list[int]:
    """The running processes of ``uid`` (zombies, dead already, are not counted)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("State:") and line.split()[1:2] == ["Z"]:
                    break
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        found.append(int(entry))
                    break
    return found


# --------------------------------------------------------------------------- disk
_MS_NOSUID, _MS_NODEV, _MNT_DETACH = 2, 4, 2


@contextlib.contextmanager
def scratch_folder(
    limits: Limits = Limits(),  # noqa: B008 (frozen)
    *,
    prefix: str = "dlcourse-scratch-",
) -> Iterator[Path]:
    """A fresh empty folder (root's, mode 0700) for the ``with`` block, to hold a run's
    ``workdir`` (and the caller's files for it), then removed with everything in it.

    It is a tmpfs of ``limits.disk_mb`` (and ``disk_mb * 64`` files and folders), ``nosuid``
    and ``nodev``, mounted on the host for the block and unmounted in any case when it ends,
    so what a run writes never reaches the grader's disk and past the cap fails with
    ``ENOSPC``; read what the run left before the block ends. Where no tmpfs can be mounted
    (no ``CAP_SYS_ADMIN``) the folder is a plain one and ``execute_in_sandbox`` watches the
    workdir's size instead (``Execution.isolation`` says which). Mounts left by a grader
    that died (``dlcourse-scratch-<pid>`` with that pid gone) are removed first.
    """
    folder = Path(tempfile.mkdtemp(prefix=prefix)).resolve()
    mounted = False
    try:
        _remove_stale_scratch_mounts()
        with contextlib.suppress(OSError):  # no CAP_SYS_ADMIN: the watchdog takes over
            _mount_tmpfs(folder, limits)
            mounted = True
        yield folder
    finally:
        if mounted:
            _unmount(folder)
        shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(folder: Path, limits: Limits) -> None:
    """Mount a tmpfs of ``limits.disk_mb`` on ``folder``; OSError where that is impossible."""
    source = f"{_SCRATCH_SOURCE}-{os.getpid()}"
    options = f"size={limits.disk_mb}m,nr_inodes={_max_files(limits)},mode=0700"
    flags = _MS_NOSUID | _MS_NODEV
    if _libc().mount(source.encode(), os.fsencode(folder), b"tmpfs", flags, options.encode()):
        code = ctypes.get_errno()
        raise OSError(code, f"cannot mount a tmpfs on {folder}: {os.strerror(code)}")


def _unmount(folder: Path | str) -> None:
    """Unmount ``folder`` (detached, if something still uses it); nothing if not mounted."""
    path = os.fsencode(folder)
    if _libc().umount2(path, 0) and ctypes.get_errno() == errno.EBUSY:
        _libc().umount2(path, _MNT_DETACH)


def _scratch_mounts() -> list[tuple[str, int]]:
    """The scratch tmpfs mounted in this mount namespace: (mount point, grader pid)."""
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, after = left.split(), right.split()
            if len(fields) < 5 or len(after) < 2 or after[0] != "tmpfs":
                continue
            name, _, pid = after[1].rpartition("-")
            if name == _SCRATCH_SOURCE and pid.isdigit():
                # The kernel writes a space as \040, a backslash as \134, ...
                point = re.sub(
                    rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), os.fsencode(fields[4])
                )
                found.append((os.fsdecode(point), int(pid)))
    return found


def _remove_stale_scratch_mounts() -> None:
    """Unmount and remove the scratch folders of graders that died."""
    for point, pid in _scratch_mounts():
        if not _alive(pid):
            _unmount(point)
            with contextlib.suppress(OSError):
                os.rmdir(point)


def _max_files(limits: Limits) -> int:
    return limits.disk_mb * _FILES_PER_MB


def _disk_usage(root: Path, max_entries: int) -> tuple[int, int, bool]:
    """What ``root`` holds: (bytes of the blocks allocated, files and folders, whether folders
    nest more than ``_MAX_FOLDER_DEPTH`` deep). Links are not followed and folders are
    opened relative to their parent (no path length limit); hard links count once. Counting
    stops past ``max_entries`` or that depth."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    seen: set[tuple[int, int]] = set()
    used = entries = 0
    too_deep = False

    def walk(fd: int, depth: int) -> None:
        nonlocal used, entries, too_deep
        folders = []
        with os.scandir(fd) as listing:
            for entry in listing:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:  # removed meanwhile
                    continue
                entries += 1
                if entries > max_entries:
                    return
                if stat.S_ISDIR(info.st_mode):
                    folders.append(entry.name)
                elif info.st_nlink > 1:
                    if (info.st_dev, info.st_ino) in seen:
                        continue
                    seen.add((info.st_dev, info.st_ino))
                used += info.st_blocks * 512
        for name in folders:
            if depth >= _MAX_FOLDER_DEPTH:
                too_deep = True
                return
            try:
                child = os.open(name, flags, dir_fd=fd)
            except OSError:  # removed or replaced meanwhile
                continue
            try:
                walk(child, depth + 1)
            finally:
                os.close(child)
            if entries > max_entries or too_deep:
                return

    try:
        top = os.open(root, flags)
    except OSError:
        return 0, 0, False
    try:
        walk(top, 0)
    except OSError:
        pass  # a folder that went away while being listed: what was counted stands
    finally:
        os.close(top)
    return used, entries, too_deep


async def _watch_disk(sandbox: _Sandbox) -> None:
    """The disk watchdog: checks the run's disk use every ``DISK_POLL_SECONDS`` until
    cancelled or until it has killed the sandbox."""
    pause = DISK_POLL_SECONDS
    while not sandbox.expired and not sandbox.disk_killed:
        await asyncio.sleep(pause)
        if sandbox.disk_filesystem_mb is not None:
            sandbox.check_disk()  # one statvfs
            continue
        # The walk runs in a thread (the loop goes on reading the kernel's messages); a long
        # one (many files) makes the checks rarer, so that they take at most a quarter of
        # a core.
        began = time.monotonic()
        walk = asyncio.ensure_future(asyncio.to_thread(sandbox.check_disk, kill=True))
        try:
            await asyncio.shield(walk)
        except asyncio.CancelledError:
            await walk  # never leave it running while the sandbox is closed
            raise
        pause = max(DISK_POLL_SECONDS, 3 * (time.monotonic() - began))


# --------------------------------------------------------------------------- one run
class _Sandbox:
    """Everything one run owns outside the kernel: a private folder (the ipc sockets, the
    identity files, the kernel's log), the cgroup, the workdir's ownership, the kill switch."""

    def __init__(
        self,
        workdir: Path,
        limits: Limits,
        slot: int,
        readonly: Sequence[Path],
        env: Mapping[str, str] | None = None,
    ):
        self.workdir, self.limits, self.slot = workdir, limits, slot
        self.uid = SANDBOX_UID_BASE + slot
        self.readonly = list(readonly)
        self.env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.expired = False
        self.disk_over = ""  # how the run went past its disk cap, if it did
        self.disk_killed = False  # whether the disk watchdog killed the sandbox for it
        self.oom_kills = self.refused_forks = 0
        self.final_log = ""
        self.max_message_bytes = max(_MIN_MESSAGE_BYTES, 4 * limits.output_bytes)
        owner = workdir.stat()
        self.owner = (owner.st_uid, owner.st_gid)
        # A filesystem no larger than the cap caps the run by itself (scratch_folder's tmpfs);
        # on any other the watchdog measures the workdir.
        fs = os.statvfs(workdir)
        size_mb = fs.f_blocks * fs.f_frsize // 2**20
        self.disk_filesystem_mb = size_mb if size_mb <= limits.disk_mb else None
        tmp = tempfile.gettempdir()
        if len(tmp) > 40:  # unix socket paths are limited to 107 bytes
            tmp = "/tmp"
        self.dir = Path(tempfile.mkdtemp(prefix="dlcourse-sandbox-", dir=tmp)).resolve()
        self.cgroup: _Cgroup | None = None
        self.links: dict[str, str] | None = None  # workdir's symlinks before the run
        try:
            self.ipc_dir = self.dir / "ipc"
            self.ipc_dir.mkdir(mode=0o700)
            os.chown(self.ipc_dir, self.uid, self.uid)
            _write_identity_files(self.dir, self.uid, workdir)
            self.log = open(self.dir / "kernel.log", "wb")  # closed in close()
            self.cgroup = _Cgroup.create(limits, slot)
            self.links = _chown_tree(workdir, self.uid, self.uid)
        except BaseException:
            self.close()
            raise
        cap = _KERNEL_OUTPUT_CAP.replace("__LIMIT__", str(limits.output_bytes + 1))
        self.kernel_spec = KernelSpec(
            argv=[sys.executable, "-P", "-s", "-m", "ipykernel_launcher", "-f",
                  "{connection_file}", f"--IPKernelApp.exec_lines={cap}"],
            name="python3", display_name="Python 3 (dlcourse sandbox)", language="python",
            interrupt_mode="message", env={}, metadata={},
        )  # fmt: skip

    @property
    def isolation(self) -> str:
        """What confines this run, for ``Execution.isolation``."""
        confinement = (
            f"bubblewrap (no network, private fs, pid/ipc/uts namespaces, uid {self.uid}, "
            "no capabilities)"
        )
        rlimits = f"rlimits cpu {self.limits.cpu_seconds} s, fsize {self.limits.file_mb} MB"
        if self.disk_filesystem_mb is not None:
            disk = f"workdir on a {self.disk_filesystem_mb} MiB filesystem"
        else:
            disk = (
                f"no size-limited filesystem for the workdir: its size is checked every "
                f"{DISK_POLL_SECONDS:g} s (disk {self.limits.disk_mb} MiB)"
            )
        if self.cgroup is not None:
            return f"{confinement}, {self.cgroup.describe()}, {rlimits}, {disk}"
        return (
            f"{confinement}, no writable cgroup: rlimits address space {self.limits.memory_mb}"
            f" MB per process, nproc {self.limits.max_processes} for uid {self.uid}, "
            f"cpu {self.limits.cpu_seconds} s, fsize {self.limits.file_mb} MB, {disk}"
        )

    def check_disk(self, *, kill: bool = False) -> None:
        """Note whether the run went past its disk cap (``disk_over``): its filesystem is
        full, or (no such filesystem) the workdir holds more than the cap; then, with
        ``kill``, kill the sandbox (the watchdog)."""
        limits = self.limits
        if self.disk_filesystem_mb is not None:
            with contextlib.suppress(OSError):
                fs = os.statvfs(self.workdir)
                if fs.f_favail == 0:
                    self.disk_over = (
                        f"made as many files and folders as it may ({_max_files(limits)}): "
                        "making more failed ('No space left on device')"
                    )
                elif fs.f_bavail < min(_FULL_BYTES // fs.f_frsize, fs.f_blocks // 64):
                    self.disk_over = (
                        f"filled its {self.disk_filesystem_mb} MiB of disk: writing more "
                        "failed ('No space left on device')"
                    )
            return
        used, entries, too_deep = _disk_usage(self.workdir, _max_files(limits))
        if used > limits.disk_mb * 2**20:
            over = f"wrote more than {limits.disk_mb} MiB to disk ({used / 2**20:.0f} MiB)"
        elif entries > _max_files(limits):
            over = f"made more than {_max_files(limits)} files and folders"
        elif too_deep:
            over = f"made folders nested more than {_MAX_FOLDER_DEPTH} deep"
        else:
            return
        self.disk_over = over
        if kill and self.process is not None and not self.expired:
            self.disk_killed = True
            self.kill()

    def describe_disk_limit(self) -> str:
        """The rule a run that went past its disk cap broke, for ``Execution.reason``."""
        limits = self.limits
        return (
            f"the files a run leaves are limited to {limits.disk_mb} MiB and "
            f"{_max_files(limits)} files and folders in all, {limits.file_mb} MiB each"
        )

    def command(self, kernel_cmd: list[str]) -> list[str]:
        """The full command: wrapper (cgroup, rlimits) -> bwrap -> setpriv -> the kernel."""
        # (soft, hard): past the soft CPU limit the kernel gets SIGXCPU (and dies of it).
        cpu = self.limits.cpu_seconds
        rlimits = {
            "RLIMIT_CPU": (cpu, cpu + 5),
            "RLIMIT_FSIZE": (self.limits.file_mb * 2**20,) * 2,
            "RLIMIT_CORE": (0, 0),
        }
        if self.cgroup is None:
            rlimits["RLIMIT_AS"] = (self.limits.memory_mb * 2**20,) * 2
            rlimits["RLIMIT_NPROC"] = (self.limits.max_processes,) * 2
        config = {
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            "rlimits": rlimits,
        }
        bwrap = _bwrap_argv(
            workdir=self.workdir, ipc_dir=self.ipc_dir, etc_dir=self.dir, uid=self.uid,
            limits=self.limits, readonly=self.readonly, env=self.env,
        )  # fmt: skip
        return [sys.executable, "-I", "-S", "-c", _WRAPPER, json.dumps(config), *bwrap,
                *kernel_cmd]  # fmt: skip

    def lock_ipc(self, paths: Sequence[str]) -> None:
        """Once the kernel has bound its sockets: make the folder root's, so student code can
        no longer replace a socket by a link to something else, and check the sockets."""
        os.chown(self.ipc_dir, 0, 0)
        os.chmod(self.ipc_dir, 0o755)
        for path in paths:
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                raise RuntimeError(f"{path} is not the kernel's socket")

    def kill(self) -> None:
        """Kill the whole sandbox now (the watchdog)."""
        if self.process is not None and self.process.poll() is None:  # (not yet reaped)
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.cgroup is not None:
            self.cgroup.kill(timeout=1.0)

    def log_tail(self, size: int = 1500) -> str:
        """The end of what the wrapper, bwrap and the kernel wrote to stdout/stderr."""
        with contextlib.suppress(OSError):
            with open(self.dir / "kernel.log", "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - size))
                return f.read().decode(errors="replace").strip()
        return ""

    def close(self) -> None:
        """Kill every process of the run, read the counters, remove the cgroup, give the
        workdir back to its owner and delete the private folder."""
        self.kill()
        self.final_log = self.log_tail()
        # A killed process can take a while to be gone (a large one, on a busy machine): wait
        # for it, killing again, up to CLOSE_SECONDS.
        _kill_uid(self.uid, CLOSE_SECONDS)
        if self.cgroup is not None:
            self.oom_kills = self.cgroup.oom_kills()
            self.refused_forks = self.cgroup.refused_forks()
            self.cgroup.remove()
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        with contextlib.suppress(AttributeError):
            self.log.close()
        _chown_tree(self.workdir, *self.owner, keep_links=self.links)
        shutil.rmtree(self.dir, ignore_errors=True)

    def describe_exit(self) -> str:
        """How the kernel process ended, e.g. "killed by SIGKILL"."""
        code = self.process.poll() if self.process is not None else None
        if code is None:
            return "it stopped responding"
        number = -code if code < 0 else code - 128 if code > 128 else 0
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"exit status {code}"


def _chown_tree(
    root: Path, uid: int, gid: int, *, keep_links: dict[str, str] | None = None
) -> dict[str, str]:
    """chown ``root`` and everything below it, never following a symlink; return the symlinks
    found (path -> target).

    Giving files back (``keep_links`` = the links found before the run) also makes what the
    sandbox left safe for a grader that reads it as root: setuid/setgid bits are cleared, and
    symlinks the run created or changed, FIFOs and sockets are removed (so nothing read from
    ``workdir`` can lead outside it or block the reader).
    """
    links: dict[str, str] = {}

    def one(path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                links[path] = os.readlink(path)
            if keep_links is not None:
                strange = stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)
                if (
                    strange
                    or stat.S_ISBLK(mode)
                    or (stat.S_ISLNK(mode) and keep_links.get(path) != links[path])
                ):
                    os.unlink(path)
                    return
                if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
                    os.chmod(path, stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
            os.chown(path, uid, gid, follow_symlinks=False)

    one(str(root))
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            one(os.path.join(folder, name))
    return links


# --------------------------------------------------------------------------- jupyter classes
class _SandboxKernelClient(AsyncKernelClient):
    """A kernel client whose sockets refuse huge messages and queue only a few."""

    max_message_bytes = Integer(_MIN_MESSAGE_BYTES)

    @default("context")
    def _sandbox_context(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        context.setsockopt(zmq.RCVHWM, _RECEIVE_QUEUE)
        return context


class _SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel through ``_Sandbox.command`` and talks to it over unix sockets.
    Used through a per-run subclass that sets ``sandbox``."""

    sandbox: _Sandbox

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(self.sandbox.ipc_dir / "kernel")
        self.connection_file = str(self.sandbox.ipc_dir / "kernel.json")
        self.client_class = f"{__name__}._SandboxKernelClient"
        self.shutdown_wait_time = 1.0

    @property
    def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
        """Always the sandbox's Python kernel, whatever the notebook's metadata names."""
        return self.sandbox.kernel_spec

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernel command, wrapped in the sandbox (the connection file is now written)."""
        os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)
        return self.sandbox.command(super().format_kernel_cmd(extra_arguments))

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw.update(stdout=self.sandbox.log, stderr=subprocess.STDOUT, cwd=str(self.sandbox.dir))
        await super()._async_launch_kernel(kernel_cmd, **kw)
        assert self.provisioner is not None
        self.sandbox.process = self.provisioner.process  # type: ignore[attr-defined]

    def client(self, **kwargs: Any) -> AsyncKernelClient:
        """A client with the sandbox's message size limit."""
        kwargs.setdefault("max_message_bytes", self.sandbox.max_message_bytes)
        return super().client(**kwargs)


class _CellUnresponsive(Exception):
    """A cell ran past its time limit and did not stop when interrupted."""


class _SandboxClient(NotebookClient):
    """nbclient with output caps, interrupt-then-give-up cell timeouts and bookkeeping."""

    def __init__(self, nb: NotebookNode, sandbox: _Sandbox, **kw: Any) -> None:
        super().__init__(nb, **kw)
        self.sandbox = sandbox
        self.current_cell: int | None = None
        self.clear_before_next_output = False
        self._used: dict[int, int] = {}
        self._count: dict[int, int] = {}
        self._errors: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._interrupted: dict[int, float] = {}  # cell index -> end of its grace period
        self._idle: set[int] = set()

    # ---- kernel start: lock the socket folder before any cell runs
    async def async_start_new_kernel_client(self) -> AsyncKernelClient:
        """Start the client; then lock the ipc folder (see ``_Sandbox.lock_ipc``)."""
        kc = await super().async_start_new_kernel_client()
        assert self.km is not None
        info = self.km.get_connection_info()
        ports = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        self.sandbox.lock_ipc([f"{info['ip']}-{info[p]}" for p in ports])
        return kc

    # ---- cells
    async def async_execute_cell(
        self,
        cell: NotebookNode,
        cell_index: int,
        execution_count: int | None = None,
        store_history: bool = True,
    ) -> NotebookNode:
        """Execute one cell; afterwards add the sandbox's notes to its outputs."""
        self.current_cell = cell_index
        for counter in (self._used, self._count, self._errors):
            counter.pop(cell_index, None)
        result = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code" and cell.source.strip():
            limit = self.limits.cell_seconds
            if cell_index in self._interrupted:
                cell.outputs.append(_error_output(
                    "CellTimeoutError",
                    f"this cell ran longer than its {limit} s limit and was interrupted",
                ))  # fmt: skip
            elif cell_index not in self._idle:
                cell.outputs.append(_stream_note(
                    "[dlcourse sandbox: some output of this cell was lost (a message over "
                    f"{self.sandbox.max_message_bytes // 2**20} MiB, or output faster than "
                    "the grader could read it)]"
                ))  # fmt: skip
                await self._reconnect_iopub()
        return result

    async def _reconnect_iopub(self) -> None:
        """A message over the size limit makes zmq drop the iopub connection for good: open a
        new one, and wait until it receives (the status messages of a kernel_info request)."""
        assert self.kc is not None
        old, self.kc._iopub_channel = self.kc._iopub_channel, None
        if old is not None:
            old.close()
        channel = self.kc.iopub_channel
        channel.start()
        for _ in range(20):  # the subscription takes a moment to reach the kernel
            msg_id = self.kc.kernel_info()
            await self.async_wait_for_reply(msg_id)
            deadline = time.monotonic() + 0.5
            while (left := deadline - time.monotonic()) > 0:
                try:
                    msg = await channel.get_msg(timeout=left)
                except Empty:
                    break
                if msg["parent_header"].get("msg_id") == msg_id:
                    return

    @property
    def limits(self) -> Limits:
        """The run's limits."""
        return self.sandbox.limits

    async def _async_handle_timeout(
        self, timeout: int, cell: NotebookNode | None = None
    ) -> None | dict[str, Any]:
        index = self.current_cell
        if cell is None or index is None:
            raise _CellUnresponsive(index)
        assert self.km is not None and self.kc is not None
        if index not in self._interrupted:
            self._interrupted[index] = time.monotonic() + _INTERRUPT_GRACE_SECONDS
            await self.km.interrupt_kernel()
        # Wait (up to the grace period after the interrupt) until the kernel answers on the
        # shell channel; nbclient then reads the reply. No answer: the kernel is stuck.
        remaining = self._interrupted[index] - time.monotonic()
        if remaining <= 0 or not await self.kc.shell_channel.socket.poll(int(remaining * 1000)):
            raise _CellUnresponsive(index)
        return None

    # ---- outputs
    def process_message(
        self, msg: dict[str, Any], cell: NotebookNode, cell_index: int
    ) -> NotebookNode | None:
        """Note that the cell's ``idle`` arrived, then process the message as nbclient does."""
        content = msg.get("content", {})
        if msg["msg_type"] == "status" and content.get("execution_state") == "idle":
            self._idle.add(cell_index)
        return super().process_message(msg, cell, cell_index)

    def output(
        self,
        outs: list[NotebookNode],
        msg: dict[str, Any],
        display_id: str | None,
        cell_index: int,
    ) -> NotebookNode | None:
        """Keep at most ``output_bytes`` and ``MAX_OUTPUTS_PER_CELL`` outputs per cell, then
        one note; error outputs are always kept (trimmed, at most a few per cell)."""
        if self.clear_before_next_output:  # nbclient is about to clear the outputs
            self._forget(cell_index)
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            if self._errors.get(cell_index, 0) >= _ERRORS_PER_CELL:
                return None
            self._errors[cell_index] = self._errors.get(cell_index, 0) + 1
            _trim_error(content)
            return super().output(outs, msg, display_id, cell_index)
        limit = self.limits.output_bytes
        count = self._count.get(cell_index, 0)
        used = self._used.get(cell_index, 0)
        size = _message_size(msg)
        if cell_index in self._truncated:
            return None
        if count >= MAX_OUTPUTS_PER_CELL or used + size > limit:
            kept = None
            if kind == "stream" and count < MAX_OUTPUTS_PER_CELL and used < limit:
                content["text"] = _clip_utf8(content.get("text", ""), limit - used)
                kept = super().output(outs, msg, display_id, cell_index)
            self._truncated.add(cell_index)
            what = f"{MAX_OUTPUTS_PER_CELL} outputs" if count >= MAX_OUTPUTS_PER_CELL else (
                f"{limit} bytes of output"
            )  # fmt: skip
            outs.append(_stream_note(
                f"[output truncated: this cell produced more than {what}; the rest was dropped]"
            ))  # fmt: skip
            return kept
        self._used[cell_index] = used + size
        self._count[cell_index] = count + 1
        return super().output(outs, msg, display_id, cell_index)

    def clear_output(self, outs: list[NotebookNode], msg: dict[str, Any], cell_index: int) -> None:
        """nbclient's clear_output; an immediate clear frees the cell's output budget."""
        if not msg["content"].get("wait"):
            self._forget(cell_index)
        super().clear_output(outs, msg, cell_index)

    def _forget(self, cell_index: int) -> None:
        for counter in (self._used, self._count):
            counter.pop(cell_index, None)
        self._truncated.discard(cell_index)

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        if _message_size(msg) <= self.limits.output_bytes:
            super()._update_display_id(display_id, msg)


def _message_size(msg: dict[str, Any]) -> int:
    """Bytes of text/data an output message carries (approximately, for the cap)."""
    content = msg.get("content", {})
    if msg.get("msg_type") == "stream":
        return len(str(content.get("text", "")).encode("utf-8", "replace"))
    size = 0
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(json.dumps(value))
    return size


def _clip_utf8(text: str, size: int) -> str:
    return text.encode("utf-8", "replace")[: max(0, size)].decode("utf-8", "ignore")


def _trim_error(content: dict[str, Any]) -> None:
    content["ename"] = str(content.get("ename", ""))[:200]
    content["evalue"] = str(content.get("evalue", ""))[:5000]
    kept, total = [], 0
    for line in reversed([str(x) for x in content.get("traceback") or []]):
        total += len(line)
        if total > _ERROR_CHARS:
            kept.append("[... traceback truncated ...]")
            break
        kept.append(line)
    content["traceback"] = kept[::-1]


def _stream_note(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text.rstrip("\n") + "\n")


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"{ename}: {evalue}"])  # fmt: skip


# --------------------------------------------------------------------------- the run
async def _execute(
    nb: NotebookNode,
    workdir: Path,
    limits: Limits,
    slot: int,
    readonly: Sequence[Path],
    env: Mapping[str, str],
    start: float,
) -> Execution:
    try:
        sandbox = _Sandbox(workdir, limits, slot, readonly, env)
    except Exception as exc:
        return Execution("sandbox_error", f"could not set up the sandbox: {exc}",
                         time.monotonic() - start, "none")  # fmt: skip
    manager = type("_BoundSandboxKernelManager", (_SandboxKernelManager,), {"sandbox": sandbox})
    client = _SandboxClient(
        nb,
        sandbox,
        kernel_manager_class=manager,
        kernel_name="python3",
        timeout=limits.cell_seconds,
        interrupt_on_timeout=True,
        allow_errors=True,
        record_timing=False,
        shutdown_kernel="immediate",
        store_widget_state=False,
        startup_timeout=min(60, limits.wall_seconds),
        resources={"metadata": {"path": str(workdir)}},
    )
    failure: BaseException | None = None
    watchdog = asyncio.ensure_future(_watch_disk(sandbox))
    try:
        task = asyncio.ensure_future(client.async_execute())
        done, _ = await asyncio.wait({task}, timeout=limits.wall_seconds)
        if not done:
            sandbox.expired = True
            sandbox.kill()  # nbclient sees the kernel die and cleans up
            done, _ = await asyncio.wait({task}, timeout=_KILL_GRACE_SECONDS)
            if not done:
                task.cancel()
                await asyncio.wait({task})
        if not task.cancelled():
            failure = task.exception()
    finally:
        watchdog.cancel()
        await asyncio.wait({watchdog})
        sandbox.close()
        if not sandbox.disk_over:  # what the last moments wrote
            sandbox.check_disk()
        # nbclient leaves this registered when the kernel fails to start.
        atexit.unregister(client._cleanup_kernel)
    return _verdict(nb, client, sandbox, failure, time.monotonic() - start)


def _verdict(
    nb: NotebookNode,
    client: _SandboxClient,
    sandbox: _Sandbox,
    failure: BaseException | None,
    seconds: float,
) -> Execution:
    limits = sandbox.limits
    where = ""
    stopped = client.current_cell
    if stopped is not None:
        grade_id = nb.cells[stopped].get("metadata", {}).get("nbgrader", {}).get("grade_id")
        where = f" in cell {stopped + 1}" + (f" ({grade_id})" if grade_id else "")
    forks = (
        f"; {sandbox.refused_forks} forks were refused (limit {limits.max_processes} processes)"
        if sandbox.refused_forks else ""
    )  # fmt: skip
    disk = f"the notebook {sandbox.disk_over}" if sandbox.disk_over else ""
    if disk:
        disk += f"; {sandbox.describe_disk_limit()}"
    if failure is None and not sandbox.expired and not sandbox.disk_killed:
        code_cells = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
        reason = f"all {code_cells} code cells ran"
        if client._interrupted:
            cells = ", ".join(str(i + 1) for i in sorted(client._interrupted))
            reason += f"; interrupted after {limits.cell_seconds} s: cell {cells}"
        if sandbox.oom_kills:
            reason += f"; {sandbox.oom_kills} process(es) were killed for memory"
        if disk:  # the run went on after a write failed: its results may lack something
            return Execution("disk", f"{disk}; {reason}{forks}", seconds, sandbox.isolation)
        return Execution("ok", reason + forks, seconds, sandbox.isolation, sandbox.refused_forks)
    if sandbox.disk_killed:
        status = "disk"
        reason = f"the notebook {sandbox.disk_over}{where} and was stopped; "
        reason += sandbox.describe_disk_limit()
        disk = ""
    elif sandbox.expired:
        status = "timeout"
        reason = f"the notebook ran past its {limits.wall_seconds} s wall-time limit{where}"
    elif isinstance(failure, _CellUnresponsive):
        status = "timeout"
        reason = (
            f"the kernel ran past the {limits.cell_seconds} s cell time limit{where} and did"
            " not stop when interrupted"
        )
    elif sandbox.oom_kills and (isinstance(failure, DeadKernelError | RuntimeError)):
        status = "memory"
        reason = f"the kernel ran out of memory (limit {limits.memory_mb} MB) and was killed{where}"
    elif isinstance(failure, DeadKernelError) or (
        isinstance(failure, RuntimeError) and "died" in str(failure) and stopped is not None
    ):
        exit_text = sandbox.describe_exit()
        if exit_text == "killed by SIGXCPU":
            status = "timeout"
            reason = f"the kernel used more than {limits.cpu_seconds} s of CPU time{where}"
        else:
            status = "kernel_died"
            reason = f"the kernel died{where} ({exit_text})"
    elif sandbox.refused_forks and stopped is not None:
        # The kernel could not start a thread it needed (to send a message, typically) and
        # its connection broke (e.g. "Invalid Signature"): the student's processes did that.
        status = "processes"
        reason = (
            f"too many processes: the sandbox's limit of {limits.max_processes} processes was"
            f" reached{where} and the kernel stopped answering"
        )
    else:
        status = "sandbox_error"
        reason = f"{type(failure).__name__}: {failure}" if failure else "unknown failure"
        if stopped is None:
            reason = f"the sandboxed kernel did not start: {reason}"
        tail = sandbox.final_log
        if tail:
            reason += f"\n{tail}"
    if disk:
        reason += f"; {disk}"
    reason += forks
    _mark_stopped(nb, stopped, status, reason)
    return Execution(status, reason, seconds, sandbox.isolation, sandbox.refused_forks)


def _mark_stopped(nb: NotebookNode, stopped: int | None, status: str, reason: str) -> None:
    """The cell where the run stopped says why; later code cells say they did not run (an
    error output, so nbgrader gives no credit for a test that never ran)."""
    first = 0 if stopped is None else stopped
    for index in range(first, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type != "code":
            continue
        if index == stopped:
            cell.setdefault("outputs", []).append(_error_output("SandboxStopped", reason))
        else:
            cell["outputs"] = [_error_output("NotExecuted", f"the run stopped earlier ({status})")]
            cell["execution_count"] = None
