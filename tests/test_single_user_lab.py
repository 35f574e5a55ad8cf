"""The single-user path in a real browser: JupyterLab opened on a student's own copy of the
notebooks (`dlcourse student-copy`), the nbgrader labextension loaded without console errors,
and nbgrader's *Validate* button run on release notebook 01.

Playwright for Python drives Debian's Chromium (`apt-get install chromium`; `playwright
install` is not used). Each step is saved as a screenshot in the test's temporary folder,
whose path is printed when the test fails. A missing browser, extension or button fails the
test: nothing here is skipped.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from dlcourse.student_copy import make_student_copy

from harness import REPO

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("single_user_lab")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOTEBOOK = "01_perceptron_to_mlp/01_perceptron_to_mlp.ipynb"
NBGRADER_PLUGINS = (
    "@jupyter/nbgrader:validate-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:menu",
)
STARTUP_SECONDS = 60
VALIDATE_SECONDS = 120


@dataclass
class Lab:
    """A running `jupyter lab` server: its base URL, token, root folder and log."""

    url: str
    token: str
    root: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """`python -m jupyterlab <student copy>` (the README's command) on 127.0.0.1, a random
    port and a random token, with its own config, settings and runtime folders."""
    work = tmp_path / "work"
    make_student_copy(REPO, work)
    port, token = _free_port(), secrets.token_hex(16)
    state = tmp_path / "jupyter"
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
        # the course's notebooks read MNIST from here; the kernels inherit it from the server
        DLCOURSE_DATA=env.get("DLCOURSE_DATA", str(REPO.parent / "shared" / "data")),
    )
    command = [
        sys.executable, "-m", "jupyterlab", str(work), "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: its plugins can be listed
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI and containers run as root
        command.append("--allow-root")
    # no "Would you like to get notified about official Jupyter news?" toast over the page
    notification = state / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    log = tmp_path / "jupyter-lab.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()}")
            try:
                if _get(f"{url}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {STARTUP_SECONDS} s:\n"
                            f"{log.read_text()}")  # fmt: skip
            time.sleep(0.2)
        yield Lab(url, token, work, log)
    finally:
        try:  # a clean shutdown also stops the kernels it started
            request = urllib.request.Request(
                f"{url}/api/shutdown?token={token}", method="POST", data=b""
            )
            urllib.request.urlopen(request, timeout=5).close()
            server.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _page_config(lab: Lab) -> dict:
    status, html = _get(f"{lab.url}/lab?token={lab.token}")
    assert status == 200, f"/lab answered {status}"
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      html, re.S)  # fmt: skip
    assert found, "no page config in /lab"
    return json.loads(found.group(1))


def _pinned(package: str) -> SpecifierSet:
    """The version range pyproject.toml gives ``package``."""
    with open(REPO / "pyproject.toml", "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    for line in dependencies:
        requirement = Requirement(line)
        if requirement.name == package:
            return requirement.specifier
    raise AssertionError(f"{package} is not a dependency in pyproject.toml")


def _test_cells(notebook: Path) -> int:
    cells = nbformat.read(notebook, as_version=4).cells
    return sum(
        1 for c in cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    )  # fmt: skip


def test_validate_in_jupyterlab_on_a_student_copy(lab: Lab, tmp_path: Path):
    start = time.perf_counter()
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[test]'")

    config = _page_config(lab)
    assert config["appVersion"] in _pinned("jupyterlab"), (
        f"JupyterLab {config['appVersion']} is outside the pinned {_pinned('jupyterlab')}"
    )
    served = [e["name"] for e in config.get("federated_extensions", [])]
    assert "@jupyter/nbgrader" in served, f"the nbgrader labextension is not served: {served}"
    assert not any("nbgrader" in d for d in config.get("disabledExtensions", []))
    expected_failures = _test_cells(lab.root / NOTEBOOK)
    assert expected_failures >= 5

    shots = tmp_path / "screenshots"
    shots.mkdir()
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(f"console {m.type}: {m.text} ({m.location})")
                if m.type == "error" else None)  # fmt: skip
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        step = 0

        def shot(name: str) -> Path:
            nonlocal step
            step += 1
            path = shots / f"{step:02d}-{name}.png"
            page.screenshot(path=path)
            return path

        try:
            # 1. JupyterLab opens and every nbgrader plugin a student uses is activated
            page.goto(f"{lab.url}/lab?token={lab.token}")
            page.wait_for_function("window.jupyterapp !== undefined",
                                   timeout=STARTUP_SECONDS * 1000)  # fmt: skip
            page.evaluate("async () => { await window.jupyterapp.started;"
                          " await window.jupyterapp.restored; }")  # fmt: skip
            plugins = page.evaluate(
                "ids => Object.fromEntries(ids.map(id => [id,"
                " window.jupyterapp.isPluginActivated(id)]))",
                list(NBGRADER_PLUGINS),
            )
            page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=30_000)
            listing = page.locator(".jp-DirListing-item .jp-DirListing-itemName")
            listing.first.wait_for(timeout=30_000)
            shot("lab-started")
            # the root is the student's copy: the assignments, nothing of the repository
            assert sorted(listing.all_inner_texts()) == sorted(
                p.name for p in lab.root.iterdir()
            ), listing.all_inner_texts()
            assert page.get_by_text("Nbgrader", exact=True).count() >= 1  # its menu
            assert plugins == dict.fromkeys(NBGRADER_PLUGINS, True), plugins

            # 2. notebook 01 of the student copy opens, with nbgrader's Validate button
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}?token={lab.token}")
            panel = page.locator(".jp-NotebookPanel").first
            panel.wait_for(timeout=STARTUP_SECONDS * 1000)
            button = panel.locator(".jp-Toolbar .validate-button")
            button.wait_for(timeout=30_000)
            assert button.inner_text().strip() == "Validate"
            shot("notebook-01-open")

            # 3. Validate on the blank notebook: the dialog reports every test cell failed
            button.get_by_text("Validate").click()
            dialog = page.locator(".jp-Dialog")
            dialog.wait_for(timeout=VALIDATE_SECONDS * 1000)
            dialog.locator(".jp-Dialog-body").wait_for()
            page.wait_for_timeout(300)  # the dialog's fade-in, for the screenshot
            shot("validate-dialog")
            title = dialog.locator(".jp-Dialog-header").inner_text().strip()
            body = dialog.locator(".jp-Dialog-body").inner_text()
            assert title == "Validation Results", f"{title}: {body[:2000]}"
            assert dialog.locator(".validation-failed").count() == 1, body[:2000]
            assert body.count("The following cell failed:") == expected_failures, body[:2000]
            assert body.count("NotImplementedError") >= expected_failures
            assert "HIDDEN TESTS" not in body
            dialog.get_by_role("button", name="Ok").click()
            dialog.wait_for(state="detached")
            shot("dialog-closed")

            # no console error and no uncaught exception from JupyterLab or the extension
            assert errors == [], "\n".join(errors)
        except BaseException:
            try:
                shot("failure")
            finally:
                print(f"screenshots: {shots}\nserver log: {lab.log}\nconsole errors: {errors}")
            raise
        finally:
            browser.close()
    print(f"screenshots: {shots}; browser part took {time.perf_counter() - start:.1f} s")
