"""Grade a class: parallel, resumable, every result saved; nbgrader's gradebook kept current.

Layout (nbgrader's, under the course root):

- ``submitted/<student>/<assignment>/<assignment>.ipynb``: the submissions (only read);
- ``autograded/<student>/<assignment>/``: what ran, as the student will see it;
- ``feedback/<student>/<assignment>/*.html``: made by nbgrader's own ``generate_feedback``;
- ``gradebook.db``: nbgrader's gradebook, with every grade written through nbgrader's API;
- ``grading/<assignment>/results/<student>.json``: one result per student (resume);
- ``grading/<assignment>/logs/<student>.log``: for the instructor, what went wrong in full (a
  grader error's traceback, the sandbox's log); results, CSV, report and feedback only say it
  in plain words (``reasons.public_reason``: no traceback, no path of this machine);
- ``grading/<assignment>/grades.csv`` and ``report.html`` with ``scores.png``.
"""

from __future__ import annotations

import csv
import datetime
import errno
import functools
import hashlib
import json
import multiprocessing
import os
import shutil
import stat
import subprocess
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from dlcourse.build import nbgrader_command
from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.diagnose import KnownBugs, cached_known_bugs, feedback_text, name_mistakes
from dlcourse.grader.prepare import MAX_NOTEBOOK_BYTES, UngradableError
from dlcourse.grader.reasons import public_message, public_reason, write_log
from dlcourse.grader.replay import Outcome
from dlcourse.grader.sandbox import Limits
from dlcourse.grader.secret import course_seed, seed_fingerprint
from dlcourse.grader.submission import UNGRADABLE, Result, add_hints, grade_submission
from dlcourse.grader.threads import use_one_math_thread

CSV_FIELDS = ("student_id", "assignment", "score", "max_score", "status", "reason", "flags")
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # (a FIFO: no wait)
_LINKED = "{} is a symbolic link; links are not graded"


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

    @property
    def logs(self) -> Path:
        return self.out / "logs"

    def read(self, student: str) -> bytes:
        """The bytes of ``submitted/<student>/<assignment>/<assignment>.ipynb`` (else of the
        folder's first ``*.ipynb``), read without following any link: the student folder, the
        assignment folder and the notebook are each opened relative to the one before with
        ``O_NOFOLLOW`` (no check-then-read race). A link, or anything but a folder or a
        regular file, raises UngradableError saying so, before anything of it is read."""
        if not _valid_id(student):
            raise UngradableError("not a valid student id")
        opened: list[int] = []
        try:
            opened.append(os.open(self.submitted, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
            opened.append(_open_folder(opened[-1], student, "the student folder"))
            opened.append(_open_folder(opened[-1], self.assignment, "the assignment folder"))
            names = [n for n in os.listdir(opened[-1]) if n.endswith(".ipynb")]
            names = sorted(n for n in names if not n.startswith("."))
            preferred = f"{self.assignment}.ipynb"
            if not names:
                raise UngradableError("no notebook found")
            return _read_notebook(opened[-1], preferred if preferred in names else names[0])
        except FileNotFoundError:
            raise UngradableError("no notebook found") from None
        except OSError as exc:
            raise UngradableError(f"the submission could not be read ({exc.strerror})") from None
        finally:
            for fd in opened:
                os.close(fd)

    def receipt(self, student: str, name: str) -> str | None:
        """The text of a small file nbgrader's exchange put beside the notebook
        (``timestamp.txt``, ``submission_secret.txt``), read as ``read`` reads the notebook:
        never through a link; None when there is none."""
        if not _valid_id(student):
            return None
        opened: list[int] = []
        try:
            opened.append(os.open(self.submitted, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
            opened.append(_open_folder(opened[-1], student, "the student folder"))
            opened.append(_open_folder(opened[-1], self.assignment, "the assignment folder"))
            return _read_notebook(opened[-1], name)[:1000].decode().strip()
        except (OSError, UngradableError, UnicodeDecodeError):
            return None
        finally:
            for fd in opened:
                os.close(fd)

    def students(self) -> list[str]:
        """Students with a folder for the assignment; any link in ``submitted/`` is listed too
        (never followed), so that it shows up as ungradable rather than being dropped."""
        if not self.submitted.is_dir():
            return []
        return sorted(
            d.name for d in self.submitted.iterdir()
            if d.is_symlink() or (d.is_dir() and os.path.lexists(d / self.assignment))
        )  # fmt: skip


def _valid_id(student: str) -> bool:
    """One plain name, usable as a folder and file name."""
    return bool(student) and student not in (".", "..") and not {"/", "\0"} & set(student)


def _open_folder(parent: int, name: str, what: str) -> int:
    """The folder ``name`` of the folder ``parent`` (a descriptor), opened if it is one and not
    a link (checked by the open itself: a link swapped in after the ``lstat`` fails too)."""
    mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
    if stat.S_ISLNK(mode):
        raise UngradableError(_LINKED.format(what))
    if not stat.S_ISDIR(mode):
        raise UngradableError(f"{what} is not a folder")
    try:
        return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UngradableError(_LINKED.format(what)) from None
        raise


def _read_notebook(folder: int, name: str) -> bytes:
    """At most ``MAX_NOTEBOOK_BYTES + 1`` bytes of the regular file ``name`` in ``folder``."""
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=folder)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UngradableError(_LINKED.format("the notebook")) from None
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise UngradableError("the notebook is not a regular file")
        return f.read(MAX_NOTEBOOK_BYTES + 1)


# --------------------------------------------------------------------------- workers
@dataclass
class Graded:
    """What grading one submission hands the coordinating process, which alone writes it
    (``keep``): the result (``Result.as_dict``), the instructor's log of the run (None: no
    log) and the autograded notebook as the student will see it (None: none was made)."""

    result: dict
    log: str | None = None
    notebook: bytes | None = None
    # the outcomes of the student's calls in each test cell that lost points: the coordinator
    # names known mistakes with them (``keep``)
    failed_outcomes: dict[str, list[Outcome]] = field(default_factory=dict)


_ASSIGNMENTS: dict[tuple[str, str, int], GradedAssignment] = {}


def loaded_assignment(root: str, assignment: str, seed: int) -> GradedAssignment:
    """The assignment as graded under the class's ``seed`` (its test cells recorded against the
    reference in ``root/solutions``), loaded once per process: by each worker of the local pool
    and by each Dask worker (see cluster.py)."""
    key = (root, assignment, seed)
    if key not in _ASSIGNMENTS:
        os.environ["DLCOURSE_SOLUTIONS"] = str(Path(root) / "solutions")
        use_one_math_thread()  # the worker's math (recording, judging) beside its kernel
        _ASSIGNMENTS[key] = GradedAssignment.load(Path(root), assignment, seed=seed)
    return _ASSIGNMENTS[key]


def grade_student(
    root: str,
    assignment: str,
    seed: int,
    student: str,
    data: bytes | None,
    limits: Limits,
    slot: int,
) -> Graded:
    """Grade one student's submission in the sandbox of ``slot``: the one function a grading
    worker runs, in the local pool (``_grade_one``) and on a Dask worker (cluster.py).
    ``data``: the notebook's bytes as the coordinator read them (None: read them here, from
    ``root/submitted``). Whatever happens, the result's reason is safe to show (the details, a
    grader error's traceback included, are in ``Graded.log``). Nothing is written under
    ``root``: the autograded notebook is made in a temporary folder and handed back."""
    paths = Paths(Path(root), assignment)
    graded = loaded_assignment(root, assignment, seed)
    logs: list[str] = []
    failed_outcomes: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="dlcourse-autograded-") as tmp:
        try:
            if data is None:
                data = paths.read(student)  # read again here: what is graded is what is hashed
            result = grade_submission(
                student, data, graded, Path(tmp), limits, slot, root=paths.root,
                failed_outcomes=failed_outcomes,
            )  # fmt: skip
        except UngradableError as exc:
            reason = public_reason(str(exc), paths.root)
            result = Result.zero(student, graded, UNGRADABLE, reason=reason)
        except Exception as exc:  # a grader bug must not stop the class: report it
            logs.append(f"grader error\n{traceback.format_exc()}")
            message = public_reason(str(exc), paths.root)
            reason = f"grader error: {type(exc).__name__}" + (f": {message}" if message else "")
            reason += f" (details in grading/{paths.assignment}/logs/{student}.log)"
            result = Result.zero(student, graded, UNGRADABLE, reason=reason)
        made = Path(tmp) / student / assignment / graded.notebook_name
        notebook = made.read_bytes() if made.is_file() else None
    shown = public_reason(result.reason, paths.root)
    if shown != result.reason:  # the full text (e.g. the sandbox's log) for the instructor
        logs.append(f"{result.status}: {result.reason}")
    result.reason = shown
    result.messages = {g: public_message(m, paths.root) for g, m in result.messages.items()}
    return Graded(result.as_dict(), "\n".join(logs) or None, notebook, failed_outcomes)


def keep(graded: Graded, paths: Paths, known: Callable[[], KnownBugs] | None = None) -> Result:
    """Write what grading one submission gave (in the coordinating process only): its log
    (an older one is removed), its autograded notebook (replacing the older one) and its
    result, saved last (a result on disk means the rest is there too, for resuming).
    ``known``: the course's known bugs (asked for only when the student lost points); each
    test cell lost like one of them gets the mistake in the result and its hint in the
    feedback (see diagnose.py)."""
    student = graded.result["student"]
    if known is not None and graded.failed_outcomes:
        mistakes = name_mistakes(graded.failed_outcomes, known(), list(graded.failed_outcomes))
        graded.result["diagnoses"] = {c: [b.name for b in bugs] for c, bugs in mistakes.items()}
        if graded.notebook is not None:
            hints = {cell: feedback_text(bugs) for cell, bugs in mistakes.items()}
            graded.notebook = add_hints(graded.notebook, hints)
    (paths.logs / f"{student}.log").unlink(missing_ok=True)
    if graded.log:
        write_log(paths.logs, student, graded.log)
    if graded.notebook is not None:
        target = paths.autograded / student / paths.assignment
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        (target / f"{paths.assignment}.ipynb").write_bytes(graded.notebook)
    _save(graded.result, paths.results)
    return Result(**graded.result)


# the local pool's workers (``grade_class`` without a cluster): one process each
_SLOT = 0  # this worker's sandbox slot (its own uid and cgroups): one per worker process
_WORK: tuple[str, str, int] = ("", "", 0)  # (course root, assignment, seed)


def _init_worker(root: str, assignment: str, counter, seed: int) -> None:
    global _SLOT, _WORK
    with counter.get_lock():
        _SLOT = counter.value
        counter.value += 1
    _WORK = (root, assignment, seed)
    loaded_assignment(root, assignment, seed)


def _grade_one(student: str, limits: Limits) -> Graded:
    """Grade one student in a worker of the local pool (see ``grade_student``)."""
    root, assignment, seed = _WORK
    return grade_student(root, assignment, seed, student, None, limits, _SLOT)


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
    diagnose: bool = True,
    log: Callable[[str], None] = print,
    cluster: str | None = None,
) -> list[Result]:
    """Grade every submission of ``assignment`` (or ``students``); resume by default:
    a student whose saved result matches the same submission file is not graded again.
    ``diagnose=False`` names no known mistakes (the feedback then only shows the checks).
    ``cluster``: grade on Dask workers instead of ``jobs`` local processes (a scheduler's
    address, or ``local:N``; see cluster.py); ``cluster.ClusterError`` when it cannot finish
    (what was graded is saved: a run again resumes)."""
    root = Path(root).resolve()  # (the known bugs are computed in the course's scratch folder)
    paths = Paths(root, assignment)
    limits = limits or Limits()
    seed = course_seed(root, create=True)  # this class's hidden inputs (see secret.py)
    assert seed is not None
    inputs = seed_fingerprint(seed)
    wanted = students or paths.students()
    todo, done = [], {}
    for student in wanted:
        try:  # never through a link: nothing a refused submission points to is read
            sha = hashlib.sha256(paths.read(student)).hexdigest()
        except UngradableError as exc:
            done[student] = Result(student, assignment, UNGRADABLE, reason=str(exc))
            if _valid_id(student):  # (replaces an older result)
                _save(done[student].as_dict(), paths.results)
            continue
        saved = _load(paths.results / f"{student}.json")
        if not force and saved and saved.sha256 == sha and saved.inputs == inputs:
            done[student] = saved
            continue
        todo.append(student)
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
    # The course's known bugs, run on this class's inputs in this process when the first
    # student who lost points comes back (the workers go on grading meanwhile): a student who
    # loses points like one of them reads its hint (see diagnose.py). Cached per course
    # version and seed beside the results, so a regrade does not compute them again.
    known_bugs = functools.cache(lambda: cached_known_bugs(root, assignment, seed, paths.out))

    if todo:  # (a pool's workers take seconds to start: none when every result is kept)
        bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="nb",
                   disable=not progress)  # fmt: skip

        def kept(graded: Graded) -> None:  # one submission's outcome, written here only
            naming = known_bugs if diagnose else None
            result = done[graded.result["student"]] = keep(graded, paths, naming)
            bar.set_postfix_str(f"{result.student}: {result.status}")
            bar.update()

        if cluster:  # one Dask task per submission (see cluster.py)
            from dlcourse.grader.cluster import grade_on_cluster

            try:
                grade_on_cluster(cluster, paths, todo, seed=seed, limits=limits, keep=kept,
                                 log=log)  # fmt: skip
            finally:
                bar.close()
        else:
            initargs = (str(root), assignment, counter, seed)
            with ProcessPoolExecutor(
                jobs, mp_context=context, initializer=_init_worker, initargs=initargs
            ) as pool:
                futures = {pool.submit(_grade_one, s, limits): s for s in todo}
                for future in as_completed(futures):
                    kept(future.result())
            bar.close()
    results = [done[s] for s in wanted]
    everyone = class_results(paths, results)  # a run of some students keeps the others' rows
    write_csv(everyone, paths.out / "grades.csv")
    write_diagnoses(everyone, paths.out / "diagnoses.csv")
    return results


def class_results(paths: Paths, fresh: Iterable[Result] = ()) -> list[Result]:
    """The result of every student of the class, by student: ``fresh`` ones first, else the
    saved one (students never graded are left out). The CSVs and the report cover the whole
    class, also after ``--student`` graded a few."""
    found = {r.student: r for r in fresh}
    for student in paths.students():
        if student not in found and _valid_id(student):
            saved = _load(paths.results / f"{student}.json")
            if saved is not None and saved.assignment == paths.assignment:
                found[student] = saved
    return [found[s] for s in sorted(found)]


DIAGNOSES_FIELDS = ("student_id", "assignment", "test", "mistake")


def _write_rows(path: Path, header: tuple[str, ...], rows: Iterable[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_diagnoses(results: list[Result], path: Path) -> None:
    """One row per student, test cell and known mistake their function behaves like."""
    _write_rows(path, DIAGNOSES_FIELDS, (
        [r.student, r.assignment, test, mistake]
        for r in results
        for test, mistakes in sorted(r.diagnoses.items())
        for mistake in mistakes
    ))  # fmt: skip


def write_csv(results: list[Result], path: Path) -> None:
    _write_rows(path, CSV_FIELDS, (
        [r.student, r.assignment, f"{r.score:g}", f"{r.max_score:g}", r.status, r.reason,
         "; ".join(r.flags)]
        for r in results
    ))  # fmt: skip


# --------------------------------------------------------------------------- nbgrader
def _nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(nbgrader_command(root, *args), cwd=root, capture_output=True, text=True)


def update_gradebook(root: Path, assignment: str, results: list[Result]) -> None:
    """Write every result into nbgrader's gradebook through nbgrader's API (the assignment
    is registered with nbgrader's generate_assignment first when the gradebook lacks it).
    The exchange's receipts of a submission go with it, as under ``nbgrader autograde``: its
    time into the gradebook (which then knows a late submission against the assignment's due
    date), ``timestamp.txt`` and ``submission_secret.txt`` beside the autograded notebook
    (nbgrader's generate_feedback and release_feedback need them)."""
    from nbgrader.api import Gradebook, MissingEntry

    paths = Paths(root, assignment)

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
            when = _receipts(paths, result.student)
            submission = gb.add_submission(
                assignment, result.student, **({"timestamp": when} if when else {}))
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = result.scores.get(grade.name, 0.0)
            gb.db.commit()


def _receipts(paths: Paths, student: str) -> datetime.datetime | None:
    """Copy the exchange's receipts of ``student``'s submission beside the autograded
    notebook; the submission's time (UTC) when its timestamp.txt is one nbgrader reads."""
    from nbgrader.utils import parse_utc

    autograded = paths.autograded / student / paths.assignment
    found = {n: paths.receipt(student, n) for n in ("timestamp.txt", "submission_secret.txt")}
    for name, text in found.items():
        if text and autograded.is_dir():
            (autograded / name).write_text(text)
    try:
        return parse_utc(found["timestamp.txt"]) if found["timestamp.txt"] else None
    except (ValueError, TypeError, OverflowError):
        return None


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
