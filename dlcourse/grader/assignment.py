"""The instructor's side of an assignment, prepared once per grading run."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.build import (
    Course,
    is_reference_cell,
    is_solution_cell,
    is_test_cell,
    nbgrader_meta,
    strip_solution_delimiters,
)
from dlcourse.grader.replay import Recording, defined_names, record
from dlcourse.grading import hidden_test_seed, reference


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    source: str  # visible checks and hidden tests: never sent into the sandbox
    visible: str  # what the student's notebook shows
    points: float


@dataclass
class GradedAssignment:
    """What grading needs from ``course/<id>/<id>.ipynb`` and ``solutions/``."""

    assignment: str
    setup: str  # the reference-tagged cells (imports), run before every test cell
    function_names: dict[str, list[str]]  # solution grade_id -> the names its cell defines
    tests: dict[str, TestCell]
    recordings: dict[str, Recording] = field(default_factory=dict)
    # the stripped sources of the code cells handed out as they are (neither solution nor test
    # cells): the suspicious-code scan skips them while unchanged
    given_code: frozenset[str] = frozenset()
    # the hidden tests' inputs are drawn under ``hidden_test_seed(seed)``: the course's secret
    # seed when grading a class (``secret.course_seed``), 0 for the inputs in this repository
    seed: int = 0

    @property
    def notebook_name(self) -> str:
        return f"{self.assignment}.ipynb"

    @property
    def solution_ids(self) -> list[str]:
        return list(self.function_names)

    @property
    def names(self) -> list[str]:
        """Every function the students write."""
        return [name for names in self.function_names.values() for name in names]

    @classmethod
    def load(cls, root: Path, assignment: str, *, seed: int = 0) -> GradedAssignment:
        """Read the assignment and record its test cells with hidden inputs under ``seed``."""
        from nbgrader.preprocessors import ClearHiddenTests

        course = Course(root)
        source = nbformat.read(course.source_notebook(assignment), as_version=4)
        solutions = [c for c in source.cells if is_solution_cell(c)]
        function_names = {
            nbgrader_meta(c)["grade_id"]: defined_names([strip_solution_delimiters(c.source)])
            for c in solutions
        }
        tests = {}
        for cell in source.cells:
            if is_test_cell(cell):
                visible = copy.deepcopy(cell)
                ClearHiddenTests().preprocess_cell(visible, {}, 0)
                grade_id = nbgrader_meta(cell)["grade_id"]
                points = float(nbgrader_meta(cell).get("points", 0))
                tests[grade_id] = TestCell(grade_id, cell.source, visible.source, points)
        graded = cls(
            assignment=assignment,
            setup="\n".join(c.source for c in source.cells if is_reference_cell(c)),
            function_names=function_names,
            tests=tests,
            given_code=frozenset(
                c.source.strip()
                for c in source.cells
                if c.cell_type == "code" and not is_solution_cell(c) and not is_test_cell(c)
            ),
            seed=seed,
        )
        graded.record_all()
        return graded

    def record_all(self, *, strict: bool = True) -> dict[str, str]:
        """Record every test cell's calls against the reference; the reference must pass.

        Returns the test cells the reference fails (grade_id -> error); raises RuntimeError
        on the first one when ``strict``.
        """
        ref = reference(self.assignment)
        failures = {}
        for grade_id, test in self.tests.items():
            with hidden_test_seed(self.seed):
                recording = record(grade_id, test.source, self.setup, self.names, ref)
            if recording.error:
                if strict:
                    raise RuntimeError(
                        f"{self.assignment}: the reference fails its own test cell {grade_id}: "
                        f"{recording.error}"
                    )
                failures[grade_id] = recording.error
            self.recordings[grade_id] = recording
        return failures
