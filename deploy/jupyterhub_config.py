"""JupyterHub for a dlcourse class on one server: real local users, nbgrader's exchange.

Run as root: ``jupyterhub -f /etc/dlcourse/jupyterhub_config.py`` (README, "Teaching a class").

- Authentication: PAM against the machine's local users (``deploy/roster.py`` creates them);
  members of the students' and the instructors' groups may log in, nobody else.
- Spawner: LocalProcessSpawner, so each user's JupyterLab runs as that user, in their home
  (mode 0700: students cannot read each other's work or the instructor's course folder).
- Every server runs the same Python environment (``DLCOURSE_ENV``), where the course's
  ``dlcourse`` package, JupyterLab and nbgrader are installed.
- Jupyter configuration per role, from ``deploy/jupyter/`` beside this file (kept in front of
  the environment's own through ``JUPYTER_CONFIG_PATH``): ``common/`` for everyone (course id,
  exchange root), ``student/`` (only the Assignment List and Validate; no Formgrader, Course
  List or Create Assignment) and ``instructor/`` (the course folder, the Formgrader).

Settings come from the environment of the hub process, with the defaults below.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def setting(name: str, default: str) -> str:
    """``$DLCOURSE_<name>`` from the hub's environment, else ``default``."""
    return os.environ.get(f"DLCOURSE_{name}", default)


ENV = Path(setting("ENV", sys.prefix))  # the Python environment every user's server runs
EXCHANGE = setting("EXCHANGE", "/srv/nbgrader/exchange")
COURSE_ID = setting("COURSE_ID", "dlcourse")
COURSE_ROOT = setting("COURSE_ROOT", "~/dlcourse")  # the instructor's course folder
STUDENTS = setting("STUDENT_GROUP", "dlcourse-students")
INSTRUCTORS = setting("INSTRUCTOR_GROUP", "dlcourse-instructors")
STATE = Path(setting("HUB_STATE", "/srv/jupyterhub"))  # hub database and cookie secret
DATA = setting("DATA", "/srv/dlcourse/data")  # MNIST files, readable by everyone


def group_members(name: str) -> set[str]:
    """Users whose primary or supplementary group is ``name`` (empty if it does not exist)."""
    try:
        group = grp.getgrnam(name)
    except KeyError:
        return set()
    primary = {u.pw_name for u in pwd.getpwall() if u.pw_gid == group.gr_gid}
    return set(group.gr_mem) | primary


def role_of(username: str) -> str:
    """``instructor`` for members of the instructors' group, else ``student``."""
    return "instructor" if username in group_members(INSTRUCTORS) else "student"


def proxy_command() -> list[str]:
    """The pinned configurable-http-proxy of ``deploy/proxy`` (``npm ci --prefix
    deploy/proxy``) when installed there, else the one on the PATH."""
    local = HERE / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    return [str(local)] if local.exists() else [shutil.which("configurable-http-proxy") or
                                                "configurable-http-proxy"]


def user_environment(spawner) -> None:
    """pre_spawn_hook: the role's Jupyter configuration and the course's settings."""
    role = role_of(spawner.user.name)
    spawner.environment.update({
        "JUPYTER_CONFIG_PATH": os.pathsep.join(
            [str(HERE / "jupyter" / role), str(HERE / "jupyter" / "common")]),
        "DLCOURSE_EXCHANGE": EXCHANGE,
        "DLCOURSE_COURSE_ID": COURSE_ID,
        "DLCOURSE_COURSE_ROOT": COURSE_ROOT,
        "DLCOURSE_DATA": DATA,
        "PATH": os.pathsep.join([str(ENV / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    })
    spawner.log.info("dlcourse: %s starts as %s", spawner.user.name, role)


c = get_config()  # noqa: F821  (JupyterHub provides get_config)

c.JupyterHub.ip = setting("HUB_IP", "")
c.JupyterHub.port = int(setting("HUB_PORT", "8000"))
c.JupyterHub.hub_port = int(setting("HUB_API_PORT", "8081"))  # internal, on 127.0.0.1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{setting('PROXY_API_PORT', '8001')}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = proxy_command()
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}
c.PAMAuthenticator.open_sessions = False  # no login sessions (utmp, systemd) per server

c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.pre_spawn_hook = user_environment
