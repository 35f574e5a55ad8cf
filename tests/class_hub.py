"""A real class for the hub tests: local users, an instructor's course folder, nbgrader's
exchange and JupyterHub started with ``deploy/jupyterhub_config.py`` on 127.0.0.1.

The users are real (useradd, chpasswd, PAM): this needs root. Every user's server runs this
test run's Python environment. Where that environment lies under a folder other users cannot
enter (a pyenv Python under /root, mode 0700), the hub runs in a private mount namespace in
which that folder is a stand-in (a tmpfs, mode 0711) that holds only the needed entries,
bound read-only from the real one: nothing is copied and no permission on the machine
changes; the students' commands of the tests enter the same namespace.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01_perceptron_to_mlp"
COURSE_FILES = ["nbgrader_config.py", f"course/{ASSIGNMENT}", f"release/{ASSIGNMENT}",
                "solutions", "tests/variants/a01_perceptron_to_mlp.py"]


@dataclass
class User:
    """A local user of the class."""

    name: str
    password: str
    role: str

    @property
    def home(self) -> Path:
        return Path("/home") / self.name


@dataclass
class ClassHub:
    """A running hub with its users; ``shared`` is readable by everyone, ``private`` by root."""

    shared: Path
    private: Path
    instructor: User
    students: list[User]
    port: int = 0
    api_ports: tuple[int, int] = (0, 0)
    process: subprocess.Popen | None = None
    namespace: bool = False
    log: Path = field(default=Path("/dev/null"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def exchange(self) -> Path:
        return self.shared / "exchange"

    @property
    def course_root(self) -> Path:
        return self.instructor.home / "dlcourse"

    @property
    def groups(self) -> dict[str, str]:
        tag = self.shared.name.rsplit("-", 1)[-1]
        return {"student": f"dlcs{tag}", "instructor": f"dlci{tag}"}

    def hub_environment(self) -> dict[str, str]:
        """What deploy/jupyterhub_config.py reads from the hub's environment."""
        groups = self.groups
        return {
            "DLCOURSE_ENV": sys.prefix,
            "DLCOURSE_EXCHANGE": str(self.exchange),
            "DLCOURSE_COURSE_ID": "dlcourse",
            "DLCOURSE_COURSE_ROOT": "~/dlcourse",
            "DLCOURSE_STUDENT_GROUP": groups["student"],
            "DLCOURSE_INSTRUCTOR_GROUP": groups["instructor"],
            "DLCOURSE_HUB_STATE": str(self.private / "hub"),
            "DLCOURSE_HUB_IP": "127.0.0.1",
            "DLCOURSE_HUB_PORT": str(self.port),
            "DLCOURSE_HUB_API_PORT": str(self.api_ports[0]),
            "DLCOURSE_PROXY_API_PORT": str(self.api_ports[1]),
            "DLCOURSE_DATA": os.environ.get("DLCOURSE_DATA", str(REPO.parent / "shared/data")),
        }

    def user_environment(self, user: User) -> dict[str, str]:
        """The environment the hub gives ``user``'s server (and so its terminals)."""
        deploy = self.shared / "deploy" / "jupyter"
        hub = self.hub_environment()
        return {
            "HOME": str(user.home), "USER": user.name,
            "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": f"{deploy / user.role}:{deploy / 'common'}",
            **{k: hub[k] for k in ("DLCOURSE_EXCHANGE", "DLCOURSE_COURSE_ID",
                                   "DLCOURSE_COURSE_ROOT", "DLCOURSE_DATA")},
        }

    def as_user(self, user: User, command: str, *, cwd: Path | None = None,
                check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """``command`` (a shell line) run as ``user`` by su, with the environment of the
        user's server, in the hub's mount namespace."""
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.user_environment(user).items())
        folder = shlex.quote(str(cwd or user.home))
        line = f"cd {folder} && env -i {env} sh -c {shlex.quote(command)}"
        argv = ["su", user.name, "-s", "/bin/sh", "-c", line]
        if self.namespace and self.process is not None:
            argv = ["nsenter", "-t", str(self.process.pid), "-m", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"as {user.name}: {command!r} exited {done.returncode}\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*argv: str, stdin: str | None = None) -> None:
    subprocess.run(argv, input=stdin, check=True, capture_output=True, text=True)


def create_users(hub: ClassHub) -> None:
    """The class's groups and users, with the roster script of deploy/ (as an instructor
    would)."""
    roster = hub.private / "roster.csv"
    rows = ["username,role,password"] + [f"{u.name},{u.role},{u.password}"
                                         for u in [hub.instructor, *hub.students]]
    roster.write_text("\n".join(rows) + "\n")
    groups = hub.groups
    done = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "roster.py"), str(roster),
         "--student-group", groups["student"], "--instructor-group", groups["instructor"]],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def remove_users(hub: ClassHub) -> None:
    """Delete the class's users (homes included) and groups; ignores what is already gone."""
    for user in [hub.instructor, *hub.students]:
        subprocess.run(["userdel", "--force", "--remove", user.name], capture_output=True)
    for group in hub.groups.values():
        subprocess.run(["groupdel", group], capture_output=True)


def make_class(base: Path) -> ClassHub:
    """Folders and users of a new class (not started)."""
    tag = secrets.token_hex(3)
    shared = Path(tempfile.gettempdir()) / f"dlcourse-hub-{tag}"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    users = [User(f"dlc{tag}{n}", secrets.token_urlsafe(9), role)
             for n, role in (("i", "instructor"), ("s1", "student"), ("s2", "student"))]
    hub = ClassHub(shared=shared, private=base, instructor=users[0], students=users[1:])
    (base / "hub").mkdir(parents=True, exist_ok=True)
    hub.log = base / "hub.log"
    # deploy/ as the README installs it (a copy all users can read), the pinned proxy linked
    shutil.copytree(REPO / "deploy", shared / "deploy",
                    ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    proxy = REPO / "deploy" / "proxy" / "node_modules"
    if proxy.is_dir():
        (shared / "deploy" / "proxy" / "node_modules").symlink_to(proxy)
    hub.exchange.mkdir()
    hub.exchange.chmod(0o1777)  # as README: install -d -m 1777 <exchange>
    create_users(hub)
    return hub


def setup_course(hub: ClassHub) -> None:
    """The instructor's course folder: the parts of a private clone the tests use, owned by
    the instructor, registered in nbgrader's gradebook by generate_assignment."""
    for name in COURSE_FILES:
        source, target = REPO / name, hub.course_root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    _run("chown", "-R", f"{hub.instructor.name}:", str(hub.course_root))
    hub.course_root.chmod(0o700)
    hub.as_user(hub.instructor, f"nbgrader generate_assignment {ASSIGNMENT} --force",
                cwd=hub.course_root)


def blocked_folders(paths: list[Path]) -> dict[Path, set[str]]:
    """{folder other users cannot enter: the names in it on the way to ``paths``}."""
    blocked: dict[Path, set[str]] = {}
    for path in paths:
        path = path.resolve()
        for folder in [*reversed(path.parents)][1:]:
            if not folder.stat().st_mode & stat.S_IXOTH:
                blocked.setdefault(folder, set()).add(path.relative_to(folder).parts[0])
                break
    return blocked


def namespace_script(hub: ClassHub, blocked: dict[Path, set[str]]) -> str:
    """Shell lines that replace each blocked folder by a stand-in holding only its needed
    entries (bound read-only from the real folder), for a private mount namespace."""
    lines = ["set -e"]
    for n, (folder, names) in enumerate(sorted(blocked.items())):
        stash = hub.private / f"stash{n}"
        stash.mkdir()
        lines += [f"mount --bind {shlex.quote(str(folder))} {stash}",
                  f"mount -t tmpfs -o mode=0711 dlcourse-view {shlex.quote(str(folder))}"]
        for name in sorted(names):
            target = shlex.quote(str(folder / name))
            kind = "mkdir" if (folder / name).is_dir() else "touch"
            lines += [f"{kind} {target}", f"mount --bind {stash / name} {target}",
                      f"mount -o remount,bind,ro {target}"]
    return "\n".join(lines)


def start_hub(hub: ClassHub) -> None:
    """JupyterHub with deploy's config, as root, in a private mount namespace when the
    Python environment needs one; waits until it answers."""
    import dlcourse

    hub.port, hub.api_ports = free_port(), (free_port(), free_port())
    needed = [Path(sys.prefix), Path(sys.base_prefix), Path(dlcourse.__file__).parent]
    blocked = blocked_folders(needed)
    command = [sys.executable, "-m", "jupyterhub", "-f",
               str(hub.shared / "deploy" / "jupyterhub_config.py")]
    if blocked:
        hub.namespace = True
        script = namespace_script(hub, blocked) + '\nexec "$@"'
        command = ["unshare", "--mount", "--propagation", "private",
                   "sh", "-c", script, "hub", *command]
    env = {**os.environ, **hub.hub_environment()}
    with open(hub.log, "wb") as log:
        hub.process = subprocess.Popen(command, cwd=hub.private / "hub", env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise AssertionError(f"the hub exited {hub.process.returncode}:\n{hub_log(hub)}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the hub did not answer within 60 s:\n{hub_log(hub)}")


def hub_log(hub: ClassHub, tail: int = 6000) -> str:
    """The end of the hub's log."""
    try:
        return hub.log.read_text(errors="replace")[-tail:]
    except OSError:
        return "(no log)"


def stop_hub(hub: ClassHub) -> None:
    """Stop the hub (it stops the users' servers), then whatever is left of its session."""
    if hub.process is None or hub.process.poll() is not None:
        return
    hub.process.terminate()
    try:
        hub.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(hub.process.pid, 9)
        hub.process.wait(timeout=10)
