"""Grade a class: parallel, resumable, every result saved; nbgrader's gradebook kept current.

Layout (nbgrader's, under the course root):

- ``submitted/<student>/<assignment>/<assignment>.ipynb``: the submissions (only read);
- ``autograded/<student>/<assignment>/``: what ran, as the student will see it;
- ``feedback/<student>/<assignment>/*.html``: made by nbgrader's own ``generate_feedback``;
- ``gradebook.db``: nbgrader's gradebook, with every grade written through nbgrader's API;
- ``grading/<assignment>/results/<student>.json``: one result per student (resume);
- ``grading/<assignment>/grades.csv`` and ``report.html`` with ``scores.png``.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from dlcourse.build import nbgrader_command
from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.sandbox import Limits
from dlcourse.grader.secret import course_seed, seed_fingerprint
from dlcourse.grader.submission import UNGRADABLE, Result, file_sha256, grade_submission

CSV_FIELDS = ("student_id", "assignment", "score", "max_score", "status", "reason", "flags")


@dataclass(frozen=True)
class Paths:
    root: Path
    assignment: str

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def out(self) -> Path:
        return self.root / "grading" / self.assignment

    @property
    def results(self) -> Path:
        return self.out / "results"

    def submission(self, student: str) -> Path | None:
        folder = self.submitted / student / self.assignment
        preferred = folder / f"{self.assignment}.ipynb"
        if preferred.is_file():
            return preferred
        notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        return notebooks[0] if notebooks else None

    def students(self) -> list[str]:
        if not self.submitted.is_dir():
            return []
        return sorted(d.name for d in self.submitted.iterdir() if (d / self.assignment).is_dir())


# --------------------------------------------------------------------------- workers
_ASSIGNMENT: GradedAssignment | None = None
_SLOT = 0  # this worker's sandbox slot (its own uid and cgroups): one per worker process


def _init_worker(root: str, assignment: str, counter, seed: int) -> None:
    global _ASSIGNMENT, _SLOT
    with counter.get_lock():
        _SLOT = counter.value
        counter.value += 1
    os.environ["DLCOURSE_SOLUTIONS"] = str(Path(root) / "solutions")
    _ASSIGNMENT = GradedAssignment.load(Path(root), assignment, seed=seed)


def _grade_one(student: str, path: str, autograded: str, limits: Limits) -> dict:
    assert _ASSIGNMENT is not None
    try:
        result = grade_submission(student, Path(path), _ASSIGNMENT, Path(autograded), limits, _SLOT)
    except Exception as exc:  # a grader bug must not stop the class: report it
        reason = f"grader error: {type(exc).__name__}: {exc}"
        result = Result.zero(student, _ASSIGNMENT, UNGRADABLE, reason=reason)
    return result.as_dict()


def _save(result: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{result['student']}.json.tmp"
    tmp.write_text(json.dumps(result, indent=1, sort_keys=True))
    tmp.replace(folder / f"{result['student']}.json")


def _load(path: Path) -> Result | None:
    try:
        return Result(**json.loads(path.read_text()))
    except Exception:
        return None


# --------------------------------------------------------------------------- class run
def grade_class(
    root: Path,
    assignment: str,
    *,
    jobs: int = 1,
    limits: Limits | None = None,
    students: list[str] | None = None,
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Grade every submission of ``assignment`` (or ``students``); resume by default:
    a student whose saved result matches the same submission file is not graded again."""
    paths = Paths(root, assignment)
    limits = limits or Limits()
    seed = course_seed(root, create=True)  # this class's hidden inputs (see secret.py)
    assert seed is not None
    inputs = seed_fingerprint(seed)
    wanted = students or paths.students()
    todo, done = [], {}
    for student in wanted:
        path = paths.submission(student)
        if path is None:
            done[student] = Result(student, assignment, UNGRADABLE, reason="no notebook found")
            continue
        saved = _load(paths.results / f"{student}.json")
        if not force and saved and saved.sha256 == file_sha256(path) and saved.inputs == inputs:
            done[student] = saved
            continue
        todo.append((student, path))
    if len(done) and todo:
        log(f"resuming: {len(done)} already graded, {len(todo)} to grade")
    jobs = max(1, min(jobs, len(todo) or 1))
    # Workers start from a fresh process, not a fork of this one: a fork inherits a broken
    # OpenMP thread pool when the caller already ran parallel torch code (a test session, a
    # notebook), and the workers' own torch calls (the hidden tests' comparisons) then hang.
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    counter = context.Value("i", 0)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker,
                             initargs=(str(root), assignment, counter, seed)) as pool:  # fmt: skip
        futures = {
            pool.submit(_grade_one, s, str(p), str(paths.autograded), limits): s for s, p in todo
        }
        bar = tqdm(total=len(futures), desc=f"grading {assignment}", unit="nb",
                   disable=not progress)  # fmt: skip
        for future in as_completed(futures):
            result = future.result()
            _save(result, paths.results)
            done[result["student"]] = Result(**result)
            bar.set_postfix_str(f"{result['student']}: {result['status']}")
            bar.update()
        bar.close()
    results = [done[s] for s in wanted]
    write_csv(results, paths.out / "grades.csv")
    return results


def write_csv(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_FIELDS)
        for r in results:
            writer.writerow([r.student, r.assignment, f"{r.score:g}", f"{r.max_score:g}",
                             r.status, r.reason, "; ".join(r.flags)])  # fmt: skip


# --------------------------------------------------------------------------- nbgrader
def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(nbgrader_command(root, *args), cwd=root, capture_output=True, text=True)


def update_gradebook(root: Path, assignment: str, results: list[Result]) -> None:
    """Write every result into nbgrader's gradebook through nbgrader's API (the assignment
    is registered with nbgrader's generate_assignment first when the gradebook lacks it)."""
    from nbgrader.api import Gradebook, MissingEntry

    db_url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
            registered = True
        except MissingEntry:
            registered = False
    if not registered:
        done = _nbgrader(root, "generate_assignment", assignment, "--force")
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stdout}{done.stderr}")
    with Gradebook(db_url) as gb, warnings.catch_warnings():
        # nbgrader's add_submission triggers SQLAlchemy 2 "not in session" warnings that
        # concern nbgrader's internals, not the grades; keep them out of the instructor's way.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        for result in results:
            gb.update_or_create_student(result.student)
            try:
                gb.remove_submission(assignment, result.student)
            except MissingEntry:
                pass
            submission = gb.add_submission(assignment, result.student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = result.scores.get(grade.name, 0.0)
            gb.db.commit()


def generate_feedback(root: Path, assignment: str) -> str:
    """nbgrader's own generate_feedback for every autograded notebook whose feedback is
    missing or older (so a resumed run only redoes what changed); returns nbgrader's log."""
    for notebook in (root / "autograded").glob(f"*/{assignment}/*.ipynb"):
        student = notebook.parent.parent.name
        folder = root / "feedback" / student / assignment
        html = folder / f"{notebook.stem}.html"
        if folder.exists() and (
            not html.exists() or html.stat().st_mtime < notebook.stat().st_mtime
        ):
            shutil.rmtree(folder)
    done = _nbgrader(root, "generate_feedback", assignment)
    return done.stdout + done.stderr
