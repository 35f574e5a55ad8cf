"""What nbgrader's ``generate_feedback`` shows a student, whoever graded: ``dlcourse grade``,
or stock nbgrader (``nbgrader autograde``, the Formgrader's *Autograde* button).

The course's ``nbgrader_config.py`` plugs these into nbgrader's own converter; nothing here
re-implements it:

- ``GenerateFeedback.preprocessors``: nbgrader's ``GetGrades``, nbgrader's
  ``ClearHiddenTests`` (stock autograde puts the hidden tests back into the notebook it grades;
  nbgrader shows them in the feedback by design, jupyter/nbgrader#917), then
  ``StudentOutputs``: a test cell's error shows its exception line only (a traceback quotes the
  cell's code, hidden tests and reference calls included, and the grader's files), no output
  shows a path of the grading machine, and a progress bar shows its final state.
- ``GenerateFeedback.HTMLExporter``: the ``dlcourse_feedback`` template in ``TEMPLATES``,
  nbgrader's ``feedback`` template with the summary naming each exercise
  (``exercise_title``, "Exercise 3 · sigmoid" instead of "Test cell") and MathJax written
  into the page (``dlcourse.offline``), so that the math renders offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbgrader
from markupsafe import Markup
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Bool

from dlcourse.grader.reasons import scrub_paths
from dlcourse.offline import mathjax_script, widget_text_from_state

TEMPLATES = Path(__file__).resolve().parent / "templates"
# nbgrader's templates (its "feedback" template, which ours extends)
NBGRADER_TEMPLATES = str(
    Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
)
TEMPLATE_NAME = "dlcourse_feedback"
TEMPLATE_FILE = "dlcourse_feedback.html.j2"
_EXERCISE = re.compile(r"^\W*(Exercise\s+\d+[a-z]?)\b")


def _is_test_cell(cell: NotebookNode) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _error_line(output: NotebookNode) -> str:
    ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
    return f"{ename}: {evalue}" if evalue else ename


class StudentOutputs(Preprocessor):
    """The outputs a student may read: in a test cell an error keeps its exception line only
    (``AssertionError: <message>``); in every cell no path of the grading machine is left;
    a widget output's text shows the widget's final state."""

    enabled = Bool(True).tag(config=True)  # (nbconvert's preprocessors are off by default)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        widget_text_from_state(nb)
        return super().preprocess(nb, resources)

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict, index: int
    ) -> tuple[NotebookNode, dict]:
        test = _is_test_cell(cell)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if test:
                    output["traceback"] = [_error_line(output)]
                output["evalue"] = scrub_paths(str(output.get("evalue", "")))
                output["traceback"] = [scrub_paths(str(x)) for x in output.get("traceback", [])]
            if isinstance(output.get("text"), str):
                output["text"] = scrub_paths(output["text"])
            for mime, value in (output.get("data") or {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = scrub_paths(value)
                elif mime.startswith("text/") and isinstance(value, list):
                    output["data"][mime] = [scrub_paths(str(x)) for x in value]
        return cell, resources


def exercise_title(cell: NotebookNode, nb: NotebookNode) -> str:
    """How the feedback's summary names a test cell: "Exercise 3 · sigmoid", from the
    "**Exercise 3 (2 points).**" paragraph above it and its ``grade_id`` (``test_sigmoid``);
    the function's name alone where no such paragraph comes after the previous test cell."""
    grade_id = str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
    name = grade_id.removeprefix("test_") or "test"
    cells = list(nb.cells)
    index = next((i for i, c in enumerate(cells) if c is cell), None)
    for above in reversed(cells[:index] if index is not None else []):
        if _is_test_cell(above):
            break
        if above.get("cell_type") == "markdown":
            found = _EXERCISE.match(above.get("source", ""))
            if found:
                return f"{' '.join(found.group(1).split())} · {name}"
    return name


def offline_mathjax(_url: object = None) -> Markup:
    """The template's MathJax: written into the page (``offline.mathjax_script``), whatever
    URL the template asks for."""
    return Markup(mathjax_script())
