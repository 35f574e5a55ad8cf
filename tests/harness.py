"""Test harness: autograde made-up submissions with nbgrader in a temporary course.

``autograde`` builds scratch nbgrader courses from this repository (its
``nbgrader_config.py`` and ``course/<assignment>``), runs nbgrader's own
``generate_assignment`` and ``autograde`` commands on the submissions, and reads every
grade cell's score from the gradebook. Submissions are split over a few scratch courses
that are graded in parallel (each has its own gradebook, so they never contend).
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlcourse.build import (
    Course,
    is_solution_cell,
    is_test_cell,
    nbgrader_command,
    nbgrader_meta,
)

REPO = Path(__file__).resolve().parents[1]


@dataclass
class GradedSubmission:
    """What nbgrader recorded for one submission."""

    student: str
    scores: dict[str, float]  # test-cell grade_id -> score
    max_scores: dict[str, float]
    errors: dict[str, str] = field(default_factory=dict)  # grade_id -> error shown to the student

    def describe(self) -> str:
        lines = [f"{self.student}:"]
        for cell, score in self.scores.items():
            line = f"  {cell}: {score:g}/{self.max_scores[cell]:g}"
            if cell in self.errors:
                line += f"  <- {self.errors[cell][:400]}"
            lines.append(line)
        return "\n".join(lines)


def scratch_course(root: Path, *, seed: int = 1, known_bugs: bool = False) -> Path:
    """A course to grade in: this repository's nbgrader config, course, release and solutions
    copied under ``root`` (made if missing), with a fixed class secret seed (seed 1, under
    which the variants are proven) so that grading it is repeatable. ``known_bugs``: also
    ``tests/variants``, so that grading names known mistakes (it costs a few seconds)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root)
    for folder in ("course", "release", "solutions", *(["tests/variants"] * known_bugs)):
        shutil.copytree(REPO / folder, root / folder)
    (root / "gradebook.secret").write_text(f"{seed}\n")
    return root


def grade_cell_points(notebook: NotebookNode) -> dict[str, float]:
    """grade_id -> points of every autograded test cell."""
    return {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
        for c in notebook.cells
        if is_test_cell(c)
    }


def make_submission(release: NotebookNode, sources: Mapping[str, str]) -> NotebookNode:
    """A copy of the student notebook whose solution cells hold ``sources[grade_id]``
    (cells not in ``sources`` keep the blank stub)."""
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if is_solution_cell(cell) and grade_id in sources:
            cell.source = sources[grade_id]
    return nb


def _errors(autograded: Path) -> dict[str, str]:
    if not autograded.is_file():
        return {}
    nb = nbformat.read(autograded, as_version=4)
    found = {}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and grade_id:
                found[grade_id] = f"{out.get('ename')}: {out.get('evalue')}"
    return found


def _prepare_course(root: Path, assignment: str, submissions: Mapping[str, NotebookNode]) -> None:
    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "course" / assignment, root / "course" / assignment)
    for student, nb in submissions.items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")


def _nbgrader(root: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["DLCOURSE_SOLUTIONS"] = str(REPO / "solutions")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    return subprocess.Popen(
        nbgrader_command(root, *args),
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_all(processes: list[subprocess.Popen], what: str) -> None:
    outputs = [p.communicate()[0] for p in processes]
    for p, out in zip(processes, outputs, strict=True):
        if p.returncode != 0:
            raise RuntimeError(f"nbgrader {what} failed (exit {p.returncode}):\n{out[-5000:]}")


def autograde(
    scratch: Path, assignment: str, submissions: Mapping[str, NotebookNode], *, workers: int = 0
) -> dict[str, GradedSubmission]:
    """Autograde ``submissions`` (student id -> notebook) with nbgrader; return their grades."""
    from nbgrader.api import Gradebook

    workers = workers or max(1, min(len(os.sched_getaffinity(0)), 4))
    students = sorted(submissions)
    chunks = [students[i::workers] for i in range(workers) if students[i::workers]]
    roots = [scratch / f"course{i}" for i in range(len(chunks))]
    for root, chunk in zip(roots, chunks, strict=True):
        _prepare_course(root, assignment, {s: submissions[s] for s in chunk})
    _wait_all([_nbgrader(r, "generate_assignment", assignment, "--force") for r in roots],
              "generate_assignment")  # fmt: skip
    # nbgrader autograde exits non-zero when a submission fails to convert; we still want the
    # grades of the others, and a missing grade below is reported as a failure.
    processes = [_nbgrader(r, "autograde", assignment, "--force") for r in roots]
    logs = [p.communicate()[0] for p in processes]
    graded: dict[str, GradedSubmission] = {}
    for root, chunk, log in zip(roots, chunks, logs, strict=True):
        with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:
            for student in chunk:
                try:
                    submission = gb.find_submission(assignment, student)
                except Exception as exc:  # nbgrader could not grade it at all
                    raise RuntimeError(f"{student} was not graded: {exc}\n{log[-3000:]}") from exc
                scores, max_scores = {}, {}
                for nb in submission.notebooks:
                    for grade in nb.grades:
                        scores[grade.name] = float(grade.score)
                        max_scores[grade.name] = float(grade.max_score)
                autograded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
                graded[student] = GradedSubmission(student, scores, max_scores, _errors(autograded))
    return graded


def sandbox_leftovers(slots: range) -> tuple[list[int], list[str]]:
    """The PIDs still running as the sandbox uids of ``slots`` and the cgroups of those slots
    still there. The slots' locks are held while looking, so that a run of another pytest
    worker is not taken for a leftover."""
    from dlcourse.grader import sandbox

    with contextlib.ExitStack() as locks:
        for slot in slots:
            locks.enter_context(sandbox._slot_lock(slot))
        pids = [pid for s in slots for pid in sandbox._pids_of_uid(sandbox.SANDBOX_UID_BASE + s)]
        cgroups = [
            folder.name
            for _, parents in sandbox._cgroup_parents()
            for parent in parents.values()
            for folder in parent.glob("dlcourse-*")
            if int(folder.name.split("-")[2]) in slots  # dlcourse-<pid>-<slot>-<token>
        ]
    return pids, cgroups


def assignment_notebooks(assignment: str) -> tuple[NotebookNode, NotebookNode]:
    """(course notebook, committed release notebook) of an assignment."""
    course = Course(REPO)
    source = nbformat.read(course.source_notebook(assignment), as_version=4)
    release = nbformat.read(course.release / assignment / f"{assignment}.ipynb", as_version=4)
    return source, release
