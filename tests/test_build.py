"""course/ is the one source of truth: release/ and solutions/ are derived from it, in sync,
and nothing a student can see holds a solution or a hidden test."""

from __future__ import annotations

import shutil
import time

import nbformat
import pytest

from dlcourse.build import (
    Course,
    build_assignment,
    check,
    execute_notebook,
    find_leaks,
    hidden_region,
    is_solution_cell,
    is_test_cell,
    nbgrader_meta,
    significant_lines,
    solution_region,
)
from dlcourse.grading import reference_module_name

from harness import REPO

COURSE = Course(REPO)
ASSIGNMENTS = COURSE.assignments()


def test_there_is_at_least_one_assignment():
    assert "01_perceptron_to_mlp" in ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_course_notebook_is_stored_without_outputs(assignment):
    nb = nbformat.read(COURSE.source_notebook(assignment), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, cell.source[:80]


def test_release_and_solutions_are_in_sync_with_course():
    problems = check(REPO)
    assert not problems, "\n".join(problems) + "\nrun `dlcourse build`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nothing_a_student_sees_holds_solutions_or_hidden_tests(assignment):
    assert not find_leaks(REPO, assignment)


def test_leak_detection_can_fail(tmp_path):
    """Copy the course, paste a hidden test and a solution line into the student files: the
    validation must report both."""
    assignment = ASSIGNMENTS[0]
    for name in ("course", "release", "solutions"):
        shutil.copytree(REPO / name, tmp_path / name)
    source = nbformat.read(COURSE.source_notebook(assignment), as_version=4)
    solution = next(c for c in source.cells if is_solution_cell(c))
    tests = next(c for c in source.cells if is_test_cell(c) and hidden_region(c.source))
    for folder in ("release", "solutions"):
        path = tmp_path / folder / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(solution.source + "\n" + tests.source))
        nbformat.write(nb, path)
    problems = "\n".join(find_leaks(tmp_path, assignment))
    assert "release" in problems and "solution lines" in problems
    assert "hidden-test" in problems and "solutions/" in problems


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_module_holds_every_solution(assignment):
    source = nbformat.read(COURSE.source_notebook(assignment), as_version=4)
    module = (COURSE.solutions / f"{reference_module_name(assignment)}.py").read_text()
    for cell in source.cells:
        if is_solution_cell(cell):
            for line in significant_lines(solution_region(cell.source)):
                assert line in module, f"{nbgrader_meta(cell)['grade_id']}: {line}"


def test_check_notices_an_edited_course_notebook(tmp_path):
    """The sync check can fail: edit a solution in a copy of the course and it must say so."""
    assignment = ASSIGNMENTS[0]
    for name in ("nbgrader_config.py", "course", "release", "solutions"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    path = tmp_path / "course" / assignment / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if is_solution_cell(c))
    cell.source = cell.source.replace("### END SOLUTION", "pass  # edited\n    ### END SOLUTION")
    nbformat.write(nb, path)
    problems = check(tmp_path, [assignment])
    assert any("out of date" in p for p in problems), problems
    assert any(reference_module_name(assignment) in p for p in problems), problems


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_course_notebook_executes_top_to_bottom(assignment, tmp_path):
    """Run the instructor notebook (solutions and hidden tests included) in a fresh kernel."""
    build_assignment(COURSE, assignment, tmp_path, execute=False, log=lambda *_: None)
    workdir = shutil.copytree(COURSE.source / assignment, tmp_path / "work")
    nb = nbformat.read(COURSE.source_notebook(assignment), as_version=4)
    start = time.perf_counter()
    execute_notebook(nb, workdir, tmp_path / "solutions")
    elapsed = time.perf_counter() - start
    print(f"{assignment}: executed in {elapsed:.1f} s")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.slow
def test_run_solutions_gives_executed_notebooks_with_plots(tmp_path):
    """The self-learner's command gives an executed reference notebook, plots included (on
    the shortest assignment: test_course_notebook_executes_top_to_bottom runs them all)."""
    from dlcourse.cli import main

    first = ASSIGNMENTS[0]
    assert main(["--root", str(REPO), "run-solutions", first, "--out", str(tmp_path)]) == 0
    for assignment in [first]:
        nb = nbformat.read(tmp_path / assignment / f"{assignment}.ipynb", as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert any("image/png" in o.get("data", {}) for o in outputs), "no plot in the output"
