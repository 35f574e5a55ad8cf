"""A real class on JupyterHub, in a real browser: release -> fetch -> validate -> submit ->
collect -> grade -> feedback, with nbgrader's exchange and ``deploy/jupyterhub_config.py``.

The hub runs on 127.0.0.1 with real local users (it needs root: CI runs as root); Chromium
(Debian's ``/usr/bin/chromium``) is driven by Playwright. A screenshot of every step goes to
the test's temporary folder, whose path is printed when a test fails.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from class_hub import (
    ASSIGNMENT,
    REPO,
    ClassHub,
    User,
    create_users,
    hub_log,
    make_class,
    remove_users,
    setup_course,
    start_hub,
    stop_hub,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("class_hub")]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
# what only the hidden tests hold: their markers, the comparison with the reference and the
# reference's import, in the notebook's text and as HTML escapes it ("reference(" alone
# is in the offline MathJax that the feedback carries)
HIDDEN = ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "check_function(", "case_rng(",
          f'reference("{ASSIGNMENT}")', f"reference(&quot;{ASSIGNMENT}",
          f"reference(&#34;{ASSIGNMENT}"]
SOLUTION_NOTEBOOK = REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
TEST_MARK = "assert np.isclose(sigmoid(np.array(0.0)), 0.5)"  # first line of test_sigmoid


def _requirements() -> str | None:
    """Why this machine cannot run a class (None when it can); under CI, never a skip."""
    missing = [name for name, ok in [
        ("root (real local users)", os.geteuid() == 0),
        (f"Chromium at {CHROMIUM}", os.path.exists(CHROMIUM)),
        ("playwright", importlib.util.find_spec("playwright") is not None),
        ("jupyterhub", importlib.util.find_spec("jupyterhub") is not None),
        ("bubblewrap (dlcourse grade)", shutil.which("bwrap") is not None),
        ("configurable-http-proxy (npm ci --prefix deploy/proxy)",
         (REPO / "deploy/proxy/node_modules/.bin/configurable-http-proxy").exists()
         or shutil.which("configurable-http-proxy") is not None),
    ] if not ok]
    return "needs " + ", ".join(missing) if missing else None


def solution_cells() -> dict[str, str]:
    """{grade_id: the reference answer cell} of assignment 01's solution notebook."""
    nb = nbformat.read(SOLUTION_NOTEBOOK, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def max_score() -> float:
    """The points of assignment 01 (its test cells' points)."""
    nb = nbformat.read(REPO / "release" / NOTEBOOK, as_version=4)
    return sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells)


def buggy_cell(grade_id: str) -> str:
    """A known bug of the course's variants for ``grade_id`` (the first one listed)."""
    spec = importlib.util.spec_from_file_location(
        "a01_variants", REPO / "tests" / "variants" / f"a{ASSIGNMENT}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    variant = next(iter(module.BUGGY[grade_id].values()))
    return getattr(variant, "source", variant)


class Shots:
    """Numbered screenshots of the steps, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"))


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[ClassHub]:
    why = _requirements()
    if why:
        if os.environ.get("CI") == "true" or os.geteuid() == 0:
            pytest.fail(f"the class loop test {why}")
        pytest.skip(f"the class loop test {why} (not root and not under CI)")
    base = tmp_path_factory.mktemp("class")
    made: list[ClassHub] = []
    try:
        made.append(make_class(base))
        start_hub(made[0])
        setup_course(made[0])
        yield made[0]
    finally:
        if made:
            stop_hub(made[0])
            remove_users(made[0])
            shutil.rmtree(made[0].shared, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(hub: ClassHub, request) -> Iterator[Shots]:
    taken = Shots(hub.private / "screenshots" / request.node.name)
    failed = request.session.testsfailed
    yield taken
    if request.session.testsfailed > failed:
        print(f"\nscreenshots of {request.node.name}: {taken.folder}\nhub log:\n{hub_log(hub)}")


def log_in(browser, hub: ClassHub, user: User, shots: Shots):
    """A new browser session of ``user``, logged in through the hub, JupyterLab loaded."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user.name)
    page.fill("#password_input", user.password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user.name}/lab**", timeout=120_000)
    page.wait_for_selector("#jp-main-dock-panel")
    page.locator("#jp-MainMenu").get_by_text("Nbgrader", exact=True).wait_for()
    shots.take(page, f"{user.role}-lab")
    return page


def nbgrader_menu(page, shots: Shots, who: str) -> list[str]:
    """The items of JupyterLab's Nbgrader menu (the menu is closed again)."""
    page.locator("#jp-MainMenu").get_by_text("Nbgrader", exact=True).click()
    menu = page.locator("#jp-mainmenu-nbgrader")
    menu.wait_for()
    shots.take(page, f"{who}-nbgrader-menu")
    items = [t.strip() for t in menu.locator(".lm-Menu-itemLabel").all_inner_texts()]
    page.keyboard.press("Escape")
    return [t for t in items if t]


def open_assignments(page, shots: Shots, who: str):
    """Nbgrader -> Assignment List; returns the list's widget once loaded."""
    page.locator("#jp-MainMenu").get_by_text("Nbgrader", exact=True).click()
    page.locator("#jp-mainmenu-nbgrader").get_by_text("Assignment List", exact=True).click()
    panel = page.locator("#nbgrader-assignment-list")
    panel.locator("#released_assignments_list").wait_for()
    panel.get_by_text("Loading, please wait...").first.wait_for(state="hidden")
    shots.take(page, f"{who}-assignments")
    return panel


def fill_cell(page, marker: str, source: str) -> None:
    """Replace the text of the notebook cell whose code contains ``marker`` by ``source``."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=marker).first
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(source)
    text = editor.inner_text()
    assert "raise NotImplementedError" not in text and marker in text, text


def test_a_class_runs_release_to_feedback(hub: ClassHub, browser, shots: Shots) -> None:
    answers = solution_cells()
    instructor, student1, student2 = hub.instructor, *hub.students

    # The instructor: instructor tools in JupyterLab, the Formgrader lists and releases 01
    page = log_in(browser, hub, instructor, shots)
    menu = nbgrader_menu(page, shots, "instructor")
    assert {"Assignment List", "Formgrader", "Create assignment"} <= set(menu), menu
    page.goto(f"{hub.url}/user/{instructor.name}/formgrader")
    row = page.locator("#main-table tr").filter(has_text=ASSIGNMENT)
    row.wait_for()
    shots.take(page, "formgrader")
    row.locator("td.release a").click()
    row.locator("td.status").get_by_text("released").wait_for()
    shots.take(page, "formgrader-released")
    released = hub.exchange / "dlcourse" / "outbound" / ASSIGNMENT
    files = sorted(p.relative_to(released).as_posix() for p in released.rglob("*")
                   if p.is_file())
    expected = sorted(p.relative_to(REPO / "release" / ASSIGNMENT).as_posix()
                      for p in (REPO / "release" / ASSIGNMENT).rglob("*") if p.is_file())
    assert files == expected  # the exchange carries the release notebooks, nothing else
    outbound = (released / f"{ASSIGNMENT}.ipynb").read_text()
    assert not [m for m in [*HIDDEN, "BEGIN SOLUTION"] if m in outbound]

    # Student 1: student tools only; fetch, fill one exercise, validate, submit
    page = log_in(browser, hub, student1, shots)
    menu = nbgrader_menu(page, shots, "student")
    assert menu == ["Assignment List"], menu
    answer = page.request.get(f"{hub.url}/user/{student1.name}/formgrader")
    assert answer.status == 404, answer.status
    panel = open_assignments(page, shots, "student")
    released_row = panel.locator("#released_assignments_list .list_item").filter(
        has_text=ASSIGNMENT)
    released_row.get_by_role("button", name="Fetch").click()
    fetched = panel.locator("#fetched_assignments_list .list_item").filter(has_text=ASSIGNMENT)
    fetched.first.wait_for()
    shots.take(page, "student-fetched")
    fetched.first.locator("a").filter(has_text=ASSIGNMENT).first.click()
    notebook_link = panel.locator("#fetched_assignments_list").get_by_text(
        ASSIGNMENT, exact=True).last
    notebook_link.click()
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for()
    fill_cell(page, "def sigmoid(z", answers["sigmoid"])
    page.keyboard.press("Control+s")
    shots.take(page, "student-filled")
    page.locator(".jp-NotebookPanel-toolbar").get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("The following cell failed:").first.wait_for(timeout=120_000)
    report = dialog.inner_text()
    shots.take(page, "student-validated")
    # (the hub's nbgrader config lists every failing cell): sigmoid's test passes, the
    # untouched exercises fail
    assert TEST_MARK not in report, report
    assert report.count("NotImplementedError") >= 10, report
    dialog.get_by_role("button").last.click()
    on_disk = nbformat.reads(hub.as_user(student1, f"cat {NOTEBOOK}").stdout, as_version=4)
    assert any("np.exp(-np.abs(z))" in c.source for c in on_disk.cells)  # saved by the browser
    page.locator(".lm-TabBar-tab").filter(has_text="Assignments").click()
    fetched.first.get_by_role("button", name="Submit").click()
    submitted = panel.locator("#submitted_assignments_list .list_item").filter(
        has_text=ASSIGNMENT)
    submitted.first.wait_for()
    shots.take(page, "student-submitted")

    # Student 2, from a terminal: the same exercise with a known bug, relu right
    hub.as_user(student2, f"nbgrader fetch_assignment {ASSIGNMENT}")
    fill_cells(hub, student2, {"sigmoid": buggy_cell("sigmoid"), "relu": answers["relu"]})
    hub.as_user(student2, f"nbgrader submit {ASSIGNMENT}")

    # The instructor collects, grades in the sandbox, releases the feedback
    collect = hub.as_user(instructor, f"nbgrader collect {ASSIGNMENT}", cwd=hub.course_root)
    assert "Collecting submission" in collect.stdout + collect.stderr
    grade(hub)
    hub.as_user(instructor, f"nbgrader release_feedback {ASSIGNMENT}", cwd=hub.course_root)
    scores, total = read_grades(hub), f"{max_score():g}"
    csv_text = (hub.course_root / "grading" / ASSIGNMENT / "grades.csv").read_text()
    assert scores[student1.name] == ("2", total, "graded"), csv_text  # sigmoid: 2 points
    assert scores[student2.name] == ("1", total, "graded"), csv_text  # relu: 1; sigmoid lost

    # Student 1 fetches the feedback and reads it in JupyterLab, without the hidden tests
    page.reload()
    page.wait_for_selector("#jp-main-dock-panel")
    panel = open_assignments(page, shots, "student-after-grading")
    submitted = panel.locator("#submitted_assignments_list .list_item").filter(
        has_text=ASSIGNMENT)
    submitted.first.get_by_role("button", name="Fetch Feedback").click()
    submitted.first.get_by_text("(view feedback)").click()
    html_name = f"{ASSIGNMENT}.html"
    page.locator(".jp-DirListing-item").filter(has_text=html_name).first.dblclick()
    frame = page.frame_locator(".jp-HTMLViewer iframe, .jp-RenderedHTMLCommon iframe").first
    frame.locator("body").get_by_text("sigmoid").first.wait_for()
    shots.take(page, "student-feedback")
    feedback = frame.locator("body").inner_text()
    assert not [m for m in HIDDEN if m in feedback], feedback
    assert re.search(rf"\b2(\.0)? */ *{total}\b", feedback), feedback
    html = hub.as_user(student1, f"find {ASSIGNMENT}/feedback -name {html_name} "
                       "-not -path '*checkpoints*' -exec cat {} +").stdout
    assert "Score: 2.0" in html, "no feedback in the student's folder"
    assert not [m for m in HIDDEN if m in html]


def fill_cells(hub: ClassHub, user: User, cells: dict[str, str]) -> None:
    """Put ``cells`` ({grade_id: source}) into ``user``'s fetched notebook, as that user."""
    spec = hub.shared / f"cells-{user.name}.json"
    spec.write_text(json.dumps(cells))
    spec.chmod(0o644)
    code = ("import json, sys, nbformat; cells = json.load(open(sys.argv[1])); "
            f"nb = nbformat.read({NOTEBOOK!r}, 4)\n"
            "for c in nb.cells:\n"
            "    g = c.metadata.get('nbgrader', {}).get('grade_id')\n"
            "    if g in cells: c.source = cells.pop(g)\n"
            f"assert not cells, cells\nnbformat.write(nb, {NOTEBOOK!r})")
    hub.as_user(user, f"python -c {shlex.quote(code)} {spec}")


def grade(hub: ClassHub) -> None:
    """``dlcourse grade`` in the instructor's course folder (as root, as it must run), the
    folder given back to the instructor after."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "dlcourse.cli", "grade", ASSIGNMENT,
                           "--jobs", "2"], cwd=hub.course_root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    subprocess.run(["chown", "-R", f"{hub.instructor.name}:", str(hub.course_root)], check=True)
    print(f"dlcourse grade: {time.monotonic() - started:.1f} s")


def read_grades(hub: ClassHub) -> dict[str, tuple[str, str, str]]:
    """{student: (score, max_score, status)} of ``grading/<id>/grades.csv``."""
    with open(hub.course_root / "grading" / ASSIGNMENT / "grades.csv", newline="") as file:
        return {r["student_id"]: (r["score"], r["max_score"], r["status"])
                for r in csv.DictReader(file)}


def test_fetching_an_assignment_never_released_says_so(hub: ClassHub) -> None:
    done = hub.as_user(hub.students[1], "nbgrader fetch_assignment 03_optimization", check=False)
    assert done.returncode != 0
    message = done.stdout + done.stderr
    assert re.search(r"03_optimization", message) and re.search(
        r"not found|not (been )?released|does not exist", message, re.I), message


def ensure_released(hub: ClassHub) -> None:
    """Assignment 01 in the exchange (released by the first test, else here by the CLI)."""
    if not (hub.exchange / "dlcourse" / "outbound" / ASSIGNMENT).is_dir():
        hub.as_user(hub.instructor, f"nbgrader release_assignment {ASSIGNMENT}",
                    cwd=hub.course_root)


def ensure_fetched(hub: ClassHub, user: User) -> None:
    hub.as_user(user, f"test -d {ASSIGNMENT} || nbgrader fetch_assignment {ASSIGNMENT}")


def inbound(hub: ClassHub, user: User) -> set[str]:
    """The submissions of ``user`` in the exchange's inbound folder (root sees them all)."""
    folder = hub.exchange / "dlcourse" / "inbound"
    return {p.name for p in folder.iterdir() if p.name.startswith(f"{user.name}+")}


def test_late_twice_and_not_a_notebook_are_kept_and_graded_as_such(hub: ClassHub) -> None:
    """A student who submits twice after the deadline: both kept, the latest graded and
    recorded late; a student who submits a file that is not a notebook: ungradable, said
    why; nothing in the exchange is lost."""
    from nbgrader.api import Gradebook

    ensure_released(hub)
    answers = solution_cells()
    student1, student2 = hub.students
    hub.as_user(hub.instructor, f"nbgrader db assignment add {ASSIGNMENT} "
                "--duedate='2000-01-01 00:00:00 UTC'", cwd=hub.course_root)
    before = {u.name: inbound(hub, u) for u in hub.students}

    ensure_fetched(hub, student2)
    fill_cells(hub, student2, {"sigmoid": buggy_cell("sigmoid"), "relu": answers["relu"]})
    hub.as_user(student2, f"nbgrader submit {ASSIGNMENT}")
    time.sleep(1.1)  # nbgrader's timestamps tell the two apart
    fill_cells(hub, student2, {"sigmoid": answers["sigmoid"]})
    hub.as_user(student2, f"nbgrader submit {ASSIGNMENT}")

    ensure_fetched(hub, student1)
    hub.as_user(student1, f"echo 'my answers are in notes.txt' > {NOTEBOOK} && "
                f"echo 'def sigmoid(z): ...' > {ASSIGNMENT}/notes.txt")
    sent = hub.as_user(student1, f"nbgrader submit {ASSIGNMENT}")
    assert "Submitted as" in sent.stdout + sent.stderr

    new = {u.name: inbound(hub, u) - before[u.name] for u in hub.students}
    assert len(new[student2.name]) == 2 and len(new[student1.name]) == 1, new
    latest = max(new[student2.name]).split("+")[2]
    collect = hub.as_user(hub.instructor, f"nbgrader collect --update {ASSIGNMENT}",
                          cwd=hub.course_root)
    assert re.search(rf"(Updating|Collecting) submission: {student2.name}", collect.stderr)
    stamp = (hub.course_root / "submitted" / student2.name / ASSIGNMENT / "timestamp.txt")
    assert stamp.read_text().strip() == latest  # the latest submission is the one graded

    grade(hub)
    scores = read_grades(hub)
    assert scores[student2.name] == ("3", f"{max_score():g}", "graded"), scores
    assert scores[student1.name][2] == "ungradable", scores
    with open(hub.course_root / "grading" / ASSIGNMENT / "grades.csv", newline="") as file:
        reason = {r["student_id"]: r["reason"] for r in csv.DictReader(file)}[student1.name]
    assert "notebook" in reason, reason
    with Gradebook(f"sqlite:///{hub.course_root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student2.name)
        assert submission.total_seconds_late > 0  # recorded late against the due date
        assert abs(submission.score - 3) < 1e-9
    released = hub.as_user(hub.instructor, f"nbgrader release_feedback {ASSIGNMENT}",
                           cwd=hub.course_root)
    assert student2.name in released.stdout + released.stderr
    for user in hub.students:  # nothing lost: every submission is still in the exchange
        assert before[user.name] | new[user.name] <= inbound(hub, user)


def test_roster_runs_again_and_refuses_bad_rows(hub: ClassHub) -> None:
    """deploy/roster.py: a second run keeps the users (and their passwords); a roster with
    bad rows creates nobody and names each bad line."""
    create_users(hub)  # the same roster again
    done = hub.as_user(hub.students[0], "id -nG")
    assert hub.groups["student"] in done.stdout.split()
    roster = hub.private / "bad-roster.csv"
    roster.write_text("username,role\nfine_name,student\nBad Name,student\nx1,teacher\n")
    done = subprocess.run([sys.executable, str(REPO / "deploy" / "roster.py"), str(roster)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "line 3: invalid user name 'Bad Name'" in done.stderr, done.stderr
    assert "line 4: unknown role 'teacher'" in done.stderr, done.stderr
    assert subprocess.run(["id", "fine_name"], capture_output=True).returncode != 0
