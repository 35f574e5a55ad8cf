"""Generate ``release/`` and ``solutions/`` from the instructor notebooks in ``course/``.

The one source of truth for a reference implementation is the solution cell of its
``course/<id>/<id>.ipynb`` notebook. ``dlcourse build`` derives everything else:

- ``release/<id>/``: the student version, by nbgrader's own ``generate_assignment``
  (solutions replaced by stubs, hidden tests removed, cells locked and checksummed).
- ``solutions/a<id>.py``: an importable module made of the notebook's solution cells and
  the cells tagged ``reference`` (its imports and helpers); hidden tests import it.
- ``solutions/<id>/<id>.ipynb``: the reference notebook for self-learners: the course
  notebook with nbgrader's ``ClearHiddenTests`` applied and the solution delimiters
  removed, executed so that it carries every output and plot.

``check()`` rebuilds into a temporary folder and lists every difference with the
committed files, so a test fails when ``release/`` or ``solutions/`` is out of date.
"""

from __future__ import annotations

import copy
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlcourse.grading import SOLUTIONS_ENV, reference_module_name
from dlcourse.offline import widget_text_from_state

REFERENCE_TAG = "reference"
SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
KERNEL_NAME = "python3"


@dataclass(frozen=True)
class Course:
    """The folders of a course repository rooted at ``root``."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "course"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    def assignments(self) -> list[str]:
        """Assignment ids: folders ``course/<id>/`` that hold ``<id>.ipynb``."""
        folders = self.source.iterdir() if self.source.is_dir() else []
        return sorted(d.name for d in folders if (d / f"{d.name}.ipynb").is_file())

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / f"{assignment}.ipynb"


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` (default: cwd) upward, with ``nbgrader_config.py``
    and ``course/``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "course").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course repository found at or above {here} "
        "(looked for a folder with nbgrader_config.py and course/)"
    )


# --------------------------------------------------------------------------- cells
def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_reference_cell(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and REFERENCE_TAG in cell.get("metadata", {}).get("tags", [])


def strip_solution_delimiters(source: str) -> str:
    """Remove the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` lines, keep the code."""
    lines = source.split("\n")
    return "\n".join(line for line in lines if line.strip() not in (SOLUTION_BEGIN, SOLUTION_END))


def answer_sources(notebook: NotebookNode, *, reference: bool = True) -> dict[str, str]:
    """grade_id -> the source of each answer (solution) cell: the reference code with its
    delimiters removed (a course notebook), or the cell as it is (``reference=False``: the
    stubs of a release notebook)."""
    return {
        nbgrader_meta(c)["grade_id"]: strip_solution_delimiters(c.source) if reference else c.source
        for c in notebook.cells
        if is_solution_cell(c)
    }


def solution_region(source: str) -> list[str]:
    """The lines between the solution delimiters of a cell (the part students write)."""
    inside, region = False, []
    for line in source.split("\n"):
        if line.strip() == SOLUTION_BEGIN:
            inside = True
        elif line.strip() == SOLUTION_END:
            inside = False
        elif inside:
            region.append(line)
    return region


def hidden_region(source: str) -> list[str]:
    """The lines between the hidden-test delimiters of a cell."""
    inside, region = False, []
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            region.append(line)
    return region


# --------------------------------------------------------------------------- solutions
def reference_module_source(notebook: NotebookNode, origin: str) -> str:
    """The text of the reference module: ``reference``-tagged cells and solution cells,
    in notebook order, with the solution delimiters removed."""
    parts = [
        f'"""Reference solutions, generated by `dlcourse build` from {origin}.\n\n'
        "Do not edit: edit the solution cells of that notebook and run `dlcourse build`.\n"
        '"""\n'
    ]
    for cell in notebook.cells:
        if is_reference_cell(cell) or is_solution_cell(cell):
            grade_id = nbgrader_meta(cell).get("grade_id", "")
            label = f"# --- cell {grade_id} ---\n" if grade_id else "# --- cell ---\n"
            parts.append(label + strip_solution_delimiters(cell.source).strip() + "\n")
    return "\n\n".join(parts)


def solution_notebook(notebook: NotebookNode) -> NotebookNode:
    """The self-learner's reference notebook: hidden tests removed with nbgrader's own
    ``ClearHiddenTests``, solution delimiters removed, outputs cleared."""
    from nbgrader.preprocessors import ClearHiddenTests

    nb = copy.deepcopy(notebook)
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solution_delimiters(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return nb


def execute_notebook(nb: NotebookNode, cwd: Path, solutions_dir: Path, timeout: int = 600):
    """Run a notebook top to bottom in a fresh kernel (in place); raises on any error.

    The widgets' final state is stored in the notebook, and written into their text too
    (``offline.widget_text_from_state``): a progress bar reads "100%" wherever widgets are not
    rendered, not the "0%" it was first drawn with."""
    from nbclient import NotebookClient

    previous = os.environ.get(SOLUTIONS_ENV)
    os.environ[SOLUTIONS_ENV] = str(solutions_dir)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL_NAME,
            record_timing=False,  # rebuilding gives the same file
            store_widget_state=True,
            resources={"metadata": {"path": str(cwd)}},
        ).execute()
        widget_text_from_state(nb)
    finally:
        if previous is None:
            os.environ.pop(SOLUTIONS_ENV, None)
        else:
            os.environ[SOLUTIONS_ENV] = previous
    return nb


# --------------------------------------------------------------------------- release
def nbgrader_command(root: Path, *args: str, log_level: str = "ERROR") -> list[str]:
    """The command line of nbgrader's CLI (``args``) on the course rooted at ``root``, with
    that course's own gradebook."""
    return [
        sys.executable, "-m", "nbgrader", *args, f"--log-level={log_level}",
        f"--CourseDirectory.root={root}",
        f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}",
    ]  # fmt: skip


def generate_release(course: Course, assignment: str, out_dir: Path) -> None:
    """Run nbgrader's ``generate_assignment`` in a scratch copy of the course, so that the
    instructor's gradebook is untouched, and copy ``release/<assignment>`` to ``out_dir``."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-release-") as scratch:
        scratch_root = Path(scratch)
        shutil.copy(course.root / "nbgrader_config.py", scratch_root / "nbgrader_config.py")
        shutil.copytree(course.source / assignment, scratch_root / "course" / assignment)
        command = nbgrader_command(
            scratch_root, "generate_assignment", assignment, "--force", log_level="WARN"
        )
        result = subprocess.run(command, cwd=scratch_root, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed:\n{result.stderr[-4000:]}"
            )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(scratch_root / "release" / assignment, out_dir)


# --------------------------------------------------------------------------- build
def build_assignment(
    course: Course, assignment: str, out_root: Path, *, execute: bool = True, log=print
) -> None:
    """Write ``release/<id>/``, ``solutions/a<id>.py`` and ``solutions/<id>/<id>.ipynb``
    under ``out_root`` (the course root itself, or a scratch folder for ``check``)."""
    source_path = course.source_notebook(assignment)
    notebook = nbformat.read(source_path, as_version=4)
    origin = source_path.relative_to(course.root).as_posix()
    solutions_dir = out_root / "solutions"
    solutions_dir.mkdir(parents=True, exist_ok=True)

    module_path = solutions_dir / f"{reference_module_name(assignment)}.py"
    module_path.write_text(reference_module_source(notebook, origin))
    log(f"  wrote {module_path.relative_to(out_root)}")

    generate_release(course, assignment, out_root / "release" / assignment)
    log(f"  wrote release/{assignment}/ (nbgrader generate_assignment)")

    nb_dir = solutions_dir / assignment
    nb_dir.mkdir(parents=True, exist_ok=True)
    for extra in (course.source / assignment).iterdir():  # data files beside the notebook
        if extra.is_file() and extra.suffix != ".ipynb":
            shutil.copy(extra, nb_dir / extra.name)
    solved = solution_notebook(notebook)
    if execute:
        log(f"  executing solutions/{assignment}/{assignment}.ipynb ...")
        execute_notebook(solved, nb_dir, solutions_dir)
    nbformat.write(solved, nb_dir / f"{assignment}.ipynb")
    log(f"  wrote solutions/{assignment}/{assignment}.ipynb")


def build(root: Path, assignments: Sequence[str] | None = None, *, execute=True, log=print):
    """Regenerate release/ and solutions/ for the given (default: all) assignments."""
    course = Course(root)
    for assignment in assignments or course.assignments():
        log(f"building {assignment}")
        build_assignment(course, assignment, root, execute=execute, log=log)
        leaks = find_leaks(root, assignment)
        if leaks:
            raise RuntimeError("the student-visible files leak:\n" + "\n".join(leaks))
        log("  validated: no solution code or hidden test visible to students")


# --------------------------------------------------------------------------- validate
def significant_lines(lines: list[str]) -> set[str]:
    """Lines worth searching for: code, not blanks, comments or lone brackets."""
    stripped = (line.strip() for line in lines)
    return {s for s in stripped if len(s) > 8 and not s.startswith("#")}


def find_leaks(root: Path, assignment: str) -> list[str]:
    """What a student could see that they must not: solution code in ``release/``, hidden
    tests in ``release/`` or in the reference notebook in ``solutions/``."""
    course = Course(root)
    source = nbformat.read(course.source_notebook(assignment), as_version=4)
    solutions = set().union(
        *(significant_lines(solution_region(c.source)) for c in source.cells if is_solution_cell(c))
    )
    hidden = set().union(
        *(significant_lines(hidden_region(c.source)) for c in source.cells if is_test_cell(c))
    )
    visible = [(p, True) for p in sorted((course.release / assignment).glob("*.ipynb"))]
    visible.append((course.solutions / assignment / f"{assignment}.ipynb", False))
    problems = []
    for path, is_release in visible:
        if not path.is_file():
            continue
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        where = path.relative_to(root).as_posix()
        if HIDDEN_BEGIN in text or HIDDEN_END in text:
            problems.append(f"{where} contains a hidden-test region")
        if is_release and SOLUTION_BEGIN in text:
            problems.append(f"{where} contains a solution region")
        leaked = sorted(line for line in hidden if line in text)
        if leaked:
            problems.append(f"{where} shows hidden-test lines: {leaked[:3]}")
        if is_release:
            leaked = sorted(line for line in solutions if line in text)
            if leaked:
                problems.append(f"{where} shows solution lines: {leaked[:3]}")
    return problems


# --------------------------------------------------------------------------- check
def _notebook_sources(path: Path) -> list[tuple[str, str, dict]]:
    """What a notebook says, ignoring outputs: (cell type, source, nbgrader metadata)."""
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, nbgrader_meta(c)) for c in nb.cells]


def _files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts and "__pycache__" not in p.parts
    }


def _diff_text(expected: str, actual: str, name: str) -> str:
    diff = difflib.unified_diff(
        actual.splitlines(), expected.splitlines(), f"{name} (committed)", f"{name} (rebuilt)",
        lineterm="", n=1,
    )  # fmt: skip
    return "\n".join(list(diff)[:40])


def check(root: Path, assignments: Iterable[str] | None = None) -> list[str]:
    """Rebuild into a scratch folder (without executing) and compare with the committed
    ``release/`` and ``solutions/``. Returns a list of problems (empty when in sync).

    Release notebooks must match exactly (they carry no outputs); solution notebooks
    must match cell by cell, outputs aside; reference modules must match exactly.
    """
    course = Course(root)
    problems: list[str] = []
    names = list(assignments or course.assignments())
    stale = sorted({p.split("/")[0] for p in _files(course.release)})
    for folder in stale:
        if folder not in names and assignments is None:
            problems.append(f"release/{folder}/ has no course/{folder}/ notebook (stale)")
    with tempfile.TemporaryDirectory(prefix="dlcourse-check-") as scratch:
        out = Path(scratch)
        for assignment in names:
            build_assignment(course, assignment, out, execute=False, log=lambda *_: None)
            # release: every file identical
            rebuilt, committed = out / "release" / assignment, course.release / assignment
            for rel in sorted(_files(rebuilt) | _files(committed)):
                a, b = rebuilt / rel, committed / rel
                if not b.exists():
                    problems.append(f"release/{assignment}/{rel} is missing")
                elif not a.exists():
                    problems.append(f"release/{assignment}/{rel} is stale (not built from course/)")
                elif a.read_bytes() != b.read_bytes():
                    problems.append(
                        f"release/{assignment}/{rel} is out of date\n"
                        + _diff_text(
                            a.read_text(errors="replace"), b.read_text(errors="replace"), rel
                        )
                    )
            # reference module: identical text
            module = f"{reference_module_name(assignment)}.py"
            a, b = out / "solutions" / module, course.solutions / module
            if not b.exists():
                problems.append(f"solutions/{module} is missing")
            elif a.read_text() != b.read_text():
                problems.append(
                    f"solutions/{module} is out of date\n"
                    + _diff_text(a.read_text(), b.read_text(), module)
                )
            # solution notebook: same cells, outputs aside
            nb_rel = f"{assignment}/{assignment}.ipynb"
            a, b = out / "solutions" / nb_rel, course.solutions / nb_rel
            if not b.exists():
                problems.append(f"solutions/{nb_rel} is missing")
            elif _notebook_sources(a) != _notebook_sources(b):
                problems.append(f"solutions/{nb_rel} is out of date with course/{nb_rel}")
            elif not _is_executed(b):
                problems.append(f"solutions/{nb_rel} has not been executed (run `dlcourse build`)")
            problems.extend(find_leaks(root, assignment))
    return problems


def _is_executed(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return all(c.execution_count is not None for c in code)
