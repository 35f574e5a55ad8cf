"""Grade one submission: prepare, run in the sandbox, judge outside, write the feedback copy."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlcourse.data import DATA_ENV
from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.prepare import UngradableError, prepare, read_submission
from dlcourse.grader.probe import CONFIG
from dlcourse.grader.reasons import public_message, scrub_paths
from dlcourse.grader.replay import Outcome, read_results, replay, write_calls
from dlcourse.grader.sandbox import Limits, execute_in_sandbox, scratch_folder
from dlcourse.grader.scan import scan
from dlcourse.grader.secret import seed_fingerprint
from dlcourse.grader.tamper import read_flags
from dlcourse.grading import hidden_test_seed

GRADED, INCOMPLETE, UNGRADABLE = "graded", "incomplete", "ungradable"
CALL_SECONDS = 10.0  # one call of a student function during the tests


@dataclass
class Result:
    """One student's result; saved as JSON so that a run can be resumed."""

    student: str
    assignment: str
    status: str  # graded | incomplete | ungradable
    reason: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # test grade_id -> points
    max_scores: dict[str, float] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)  # test grade_id -> what failed
    flags: list[str] = field(default_factory=list)
    sha256: str = ""
    seconds: float = 0.0
    isolation: str = ""
    inputs: str = ""  # the fingerprint of the secret seed the hidden inputs were drawn with
    # test grade_id -> the known mistakes (variant names) the student's function behaves like
    diagnoses: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def zero(cls, student: str, assignment: GradedAssignment, status: str, **kwargs) -> Result:
        """A result with every test cell of ``assignment`` at 0 points (of its maximum)."""
        result = cls(student, assignment.assignment, status, **kwargs)
        result.max_scores = {g: t.points for g, t in assignment.tests.items()}
        result.scores = dict.fromkeys(assignment.tests, 0.0)
        return result

    @property
    def score(self) -> float:
        return sum(self.scores.values())

    @property
    def max_score(self) -> float:
        return sum(self.max_scores.values())

    def as_dict(self) -> dict:
        return asdict(self)


def status_counts(results: list[Result]) -> dict[str, int]:
    """How many results have each status."""
    return {s: sum(r.status == s for r in results) for s in (GRADED, INCOMPLETE, UNGRADABLE)}


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _nbgrader_meta(grade_id: str, *, test: bool, points: float = 0.0) -> dict:
    meta = {
        "grade": test, "grade_id": grade_id, "locked": test, "schema_version": 3,
        "solution": not test, "task": False,
    }  # fmt: skip
    if test:
        meta["points"] = points
    return meta


def _feedback_notebook(
    executed: NotebookNode,
    assignment: GradedAssignment,
    result: Result,
) -> NotebookNode:
    """The executed notebook as the student will see it: each probe cell shows the test
    cell's visible checks and the verdict; nothing of the hidden tests."""
    cells = []
    for cell in executed.cells:
        role = cell.metadata.pop("dlcourse", {})
        if role.get("setup") or role.get("check"):
            continue
        if "answer" in role:
            cell.metadata["nbgrader"] = _nbgrader_meta(role["answer"], test=False)
        if "test" in role:
            grade_id = role["test"]
            test = assignment.tests[grade_id]
            score = result.scores.get(grade_id, 0.0)
            verdict = f"{score:g} / {test.points:g} points: "
            verdict += result.messages.get(grade_id, "all checks passed")
            shown = nbformat.v4.new_code_cell(test.visible)
            shown.metadata["nbgrader"] = _nbgrader_meta(grade_id, test=True, points=test.points)
            shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text=verdict + "\n")]
            shown.execution_count = cell.get("execution_count")
            cell = shown
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = executed.metadata
    return notebook


def add_hints(feedback: bytes, hints: dict[str, str]) -> bytes:
    """The feedback notebook ``feedback`` with each test cell's verdict followed by its hint
    (``hints``: test cell grade_id -> what a known mistake explains)."""
    hints = {cell: hint for cell, hint in hints.items() if hint}
    if not hints:
        return feedback
    notebook = nbformat.reads(feedback.decode(), as_version=4)
    for cell in notebook.cells:
        hint = hints.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        outputs = cell.get("outputs", [])
        if hint and outputs and outputs[0].get("output_type") == "stream":
            outputs[0]["text"] = outputs[0]["text"].rstrip("\n") + "\n\n" + hint + "\n"
    return nbformat.writes(notebook).encode()


def _scrub_outputs(notebook: NotebookNode, root: Path | None) -> None:
    """No path of this machine in the outputs' text: tracebacks show where Python is
    installed, and the sandbox's working folder is a temporary folder of the grader's."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if isinstance(output.get("text"), str):
                output["text"] = scrub_paths(output["text"], root)
            if output.get("output_type") == "error":
                output["evalue"] = scrub_paths(str(output.get("evalue", "")), root)
                lines = output.get("traceback", [])
                output["traceback"] = [scrub_paths(str(x), root) for x in lines]
            for mime, value in (output.get("data") or {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = scrub_paths(value, root)
                elif mime.startswith("text/") and isinstance(value, list):
                    output["data"][mime] = [scrub_paths(str(x), root) for x in value]


def _data_binding() -> tuple[list[Path], dict[str, str]]:
    """The course's data folder (``$DLCOURSE_DATA``), visible read-only in the sandbox so that
    notebooks can load MNIST there too (the sandbox has no network)."""
    folder = os.environ.get(DATA_ENV)
    if not folder or not Path(folder).expanduser().is_dir():
        return [], {}
    path = Path(folder).expanduser().resolve()
    return [path], {DATA_ENV: str(path)}


def grade_submission(
    student: str,
    data: bytes,
    assignment: GradedAssignment,
    autograded_dir: Path,
    limits: Limits,
    slot: int = 0,
    *,
    root: Path | None = None,
    failed_outcomes: dict[str, list[Outcome]] | None = None,
) -> Result:
    """Grade the notebook ``data`` (read by the caller, see ``run.Paths.read``) for
    ``student``; write the feedback copy of the executed notebook under ``autograded_dir``;
    return the result. Failure messages and the feedback's outputs show no path of this
    machine (``root``, the course, is shown as ``<course>``). ``failed_outcomes``, if given,
    gets the outcomes of the student's calls in each test cell that lost points (to name known
    mistakes with, see ``diagnose.name_mistakes`` and ``add_hints``)."""
    start = time.perf_counter()
    result = Result.zero(student, assignment, GRADED, sha256=hashlib.sha256(data).hexdigest())
    result.inputs = seed_fingerprint(assignment.seed)
    try:
        submission = read_submission(data)
    except UngradableError as exc:
        result.status, result.reason = UNGRADABLE, str(exc)
        return result
    prepared = prepare(submission, assignment)
    code_cells = [c.source for c in submission.cells if c.cell_type == "code"]
    result.flags = prepared.flags + scan(code_cells, assignment.given_code)
    # The scratch folder is a tmpfs of limits.disk_mb for the block (see scratch_folder): the
    # results are read from it before it is unmounted.
    with scratch_folder(limits, prefix="dlcourse-grade-") as scratch:
        workdir = scratch / "work"
        try:
            workdir.mkdir()
            for recording in assignment.recordings.values():
                write_calls(recording, workdir)
            config = {"call_seconds": min(CALL_SECONDS, limits.cell_seconds / 4)}
            (workdir / CONFIG).write_text(json.dumps(config))
        except OSError as exc:  # the recorded calls alone fill a (far too small) disk cap
            result.status = UNGRADABLE
            result.reason = f"the test inputs do not fit the {limits.disk_mb} MiB disk: {exc}"
            return result
        notebook = prepared.notebook
        readonly, env = _data_binding()
        execution = execute_in_sandbox(
            notebook, workdir, limits, slot=slot, readonly=readonly, env=env
        )
        result.isolation = execution.isolation
        if execution.status == "sandbox_error":
            result.status, result.reason = UNGRADABLE, execution.reason
            return result
        if execution.status != "ok":
            result.status, result.reason = INCOMPLETE, execution.reason
        elif execution.refused_forks:
            result.reason = (
                f"too many processes: the sandbox's limit of {limits.max_processes} processes was"
                f" reached ({execution.refused_forks} forks were refused); every cell still ran"
            )
        # what the kernel's integrity checks saw run (a student can write that file too: only
        # the checks' own messages are accepted)
        tampered = read_flags(workdir, complete=execution.status == "ok")
        result.flags = list(dict.fromkeys(result.flags + tampered))
        answered = {}
        for grade_id, test in assignment.tests.items():
            outcomes = answered[grade_id] = read_results(workdir, grade_id)
            with hidden_test_seed(assignment.seed):  # the inputs drawn as when recorded
                verdict = replay(
                    grade_id, test.source, assignment.setup, assignment.names,
                    assignment.recordings[grade_id], outcomes,
                )  # fmt: skip
            if verdict.passed:
                result.scores[grade_id] = test.points
            else:
                result.messages[grade_id] = public_message(verdict.message, root)
    if failed_outcomes is not None:  # for naming known mistakes (the coordinator's job)
        failed_outcomes.update({cell: answered.get(cell, []) for cell in result.messages})
    feedback = _feedback_notebook(notebook, assignment, result)
    _scrub_outputs(feedback, root)
    target = autograded_dir / student / assignment.assignment
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    nbformat.write(feedback, target / assignment.notebook_name)
    result.seconds = round(time.perf_counter() - start, 2)
    return result
