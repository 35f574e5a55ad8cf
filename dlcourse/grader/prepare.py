"""Turn a submitted notebook into the notebook that runs in the sandbox, whatever its state.

The submission file is only read. Its answer cells are found by their nbgrader ``grade_id``
or, when the metadata was changed or removed, by the functions they define. Test cells are
never taken from the submission: each becomes a probe (see ``replay``) at its place, and a
deleted one is restored at the end. The student's other code cells (helpers, demos) run as
they are. Everything unusual is reported as a flag. The setup cell ends with the snapshot of
``tamper``; its check runs before every probe and in a last cell of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.replay import defined_names, probe_source
from dlcourse.grader.tamper import CHECK_SOURCE, SNAPSHOT_SOURCE

MAX_NOTEBOOK_BYTES = 20 * 2**20


class UngradableError(Exception):
    """The submission cannot be graded at all (the message says why)."""


@dataclass
class Prepared:
    notebook: NotebookNode
    flags: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # solution grade_id -> student code


def read_submission(source: Path | bytes) -> NotebookNode:
    """Parse a submitted notebook (a file, or its bytes) leniently; raise UngradableError when
    it is not one."""
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise UngradableError(f"the notebook is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB")
    raw = source if isinstance(source, bytes) else source.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise UngradableError(f"not a notebook: invalid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise UngradableError("not a notebook: no list of cells")
    cells = []
    for raw in data["cells"]:
        if not isinstance(raw, dict):
            continue
        source = raw.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if not isinstance(source, str):
            continue
        metadata = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
        kind = raw.get("cell_type")
        if kind == "code":
            cells.append(nbformat.v4.new_code_cell(source, metadata=metadata))
        elif kind in ("markdown", "raw"):
            cells.append(nbformat.v4.new_markdown_cell(source, metadata=metadata))
    if not cells:
        raise UngradableError("the notebook has no cells")
    return nbformat.v4.new_notebook(cells=cells)


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
        return meta["grade_id"]
    return None


def _probe_cell(grade_id: str) -> NotebookNode:
    # the integrity check first: it sees what the probe will run under
    cell = nbformat.v4.new_code_cell(CHECK_SOURCE + "\n" + probe_source(grade_id))
    cell.metadata["dlcourse"] = {"test": grade_id}
    return cell


def prepare(submission: NotebookNode, assignment: GradedAssignment) -> Prepared:
    """The notebook to execute: the student's code cells, answer cells identified, test cells
    replaced by probes. Nothing of the submission's metadata is trusted."""
    flags: list[str] = []
    answers: dict[str, str] = {}
    probes_placed: set[str] = set()
    setup = nbformat.v4.new_code_cell(assignment.setup + "\n" + SNAPSHOT_SOURCE)
    setup.metadata["dlcourse"] = {"setup": True}
    run_cells: list[NotebookNode] = [setup]
    by_function = {
        name: grade_id for grade_id, names in assignment.function_names.items() for name in names
    }
    for cell in submission.cells:
        if cell.cell_type != "code":
            run_cells.append(nbformat.v4.new_markdown_cell(cell.source))
            continue
        grade_id = _grade_id(cell)
        if grade_id in assignment.tests:
            if grade_id in probes_placed:
                flags.append(f"test cell {grade_id} appears twice; the copy was ignored")
                continue
            if cell.source.strip() != assignment.tests[grade_id].visible.strip():
                flags.append(f"test cell {grade_id} was edited (the original was used)")
            run_cells.append(_probe_cell(grade_id))
            probes_placed.add(grade_id)
            continue
        if grade_id not in assignment.function_names:
            defined = [by_function[n] for n in defined_names([cell.source]) if n in by_function]
            if defined and defined[0] not in answers:
                grade_id = defined[0]
                flags.append(f"answer cell {grade_id} found by its function name (metadata lost)")
        if grade_id in assignment.function_names:
            if grade_id in answers:
                flags.append(f"answer cell {grade_id} appears twice; both were run")
            answers[grade_id] = cell.source
        run_cell = nbformat.v4.new_code_cell(cell.source)
        if grade_id in assignment.function_names:
            run_cell.metadata["dlcourse"] = {"answer": grade_id}
        run_cells.append(run_cell)
    for grade_id in assignment.tests:
        if grade_id not in probes_placed:
            flags.append(f"test cell {grade_id} was missing (restored)")
            run_cells.append(_probe_cell(grade_id))
    for grade_id in assignment.solution_ids:
        if grade_id not in answers:
            flags.append(f"no answer cell for {grade_id}")
    check = nbformat.v4.new_code_cell(CHECK_SOURCE)  # the integrity check, once at the end
    check.metadata["dlcourse"] = {"check": True}
    notebook = nbformat.v4.new_notebook(cells=[*run_cells, check])
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python",
    }  # fmt: skip
    return Prepared(notebook, flags, answers)
