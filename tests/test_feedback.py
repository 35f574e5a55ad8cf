"""The feedback students read, made by nbgrader's own ``generate_feedback`` with the course's
``nbgrader_config.py``, whoever graded: stock ``nbgrader autograde`` (what the Formgrader's
*Autograde* button runs) or ``dlcourse grade``.

It shows the scores and why an exercise lost points, each exercise by its name; never a hidden
test, a reference call or a path of the grading machine, in the code or in a traceback; its
math renders with no network (MathJax is in the page); a progress bar shows its final state.
"""

from __future__ import annotations

import html as html_module
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlcourse.build import (
    answer_sources,
    execute_notebook,
    hidden_region,
    is_test_cell,
    nbgrader_command,
    significant_lines,
)
from dlcourse.grader.feedback import StudentOutputs, exercise_title
from dlcourse.offline import WIDGET_STATE, WIDGET_VIEW, mathjax_source

from harness import REPO, assignment_notebooks, autograde, make_submission

ASSIGNMENT = "01_perceptron_to_mlp"  # the quickest to grade
# Passes the visible checks (the values are right) and fails the hidden ones (they check the
# dtype): under stock autograde the error's traceback quotes the hidden tests.
FLOAT_LABELS = """
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return np.where(X @ w + b >= 0, 1.0, -1.0)
"""
EXERCISES = 12


def _submission() -> nbformat.NotebookNode:
    """The reference answers, perceptron_predict returning float labels, softmax left blank."""
    source, release = assignment_notebooks(ASSIGNMENT)
    answers = answer_sources(source)
    answers["perceptron_predict"] = FLOAT_LABELS
    del answers["softmax"]
    return make_submission(release, answers)


def _hidden_lines() -> set[str]:
    source, _ = assignment_notebooks(ASSIGNMENT)
    return set().union(
        *(significant_lines(hidden_region(c.source)) for c in source.cells if is_test_cell(c))
    )


def _readable_text(page: str) -> str:
    """What the page shows a reader: its text, without the scripts and styles."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.DOTALL | re.IGNORECASE)
    return html_module.unescape(re.sub(r"<[^>]+>", "", page))


def _summary(page: str) -> list[tuple[str, str]]:
    """(label, score) of each test cell listed in the feedback's summary."""
    found = re.findall(r'<li><a href="#test_[^"]*">([^<]*)</a> \(Score: ([^)]*)\)</li>', page)
    return [(html_module.unescape(label), score) for label, score in found]


def _assert_never_hidden(page: str) -> None:
    text = _readable_text(page)
    assert "HIDDEN TESTS" not in page
    leaked = sorted(line for line in _hidden_lines() if line in text)
    assert not leaked, f"the feedback shows hidden-test lines: {leaked[:3]}"
    assert "reference(" not in text and not re.search(r"\bref\.\w", text), "a reference call"


def _assert_no_machine_path(page: str, *folders: Path) -> None:
    for folder in (REPO, Path(sys.prefix), *folders):
        assert str(folder) not in page, f"the feedback shows {folder}"
        assert str(folder.resolve()) not in page, f"the feedback shows {folder.resolve()}"


def _assert_offline_math(page: str) -> None:
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.DOTALL)
    assert scripts, "no MathJax in the page"
    assert all("src" not in attributes for attributes, _ in scripts), "a script to fetch"
    assert "cdnjs" not in page and "mathjax/2.7" not in page
    bodies = [body.strip() for _, body in scripts]
    assert mathjax_source().strip() in bodies, "MathJax itself is written into the page"
    assert any(body.startswith("window.MathJax = ") for body in bodies), "its configuration"
    assert r"$y \in \{0, 1\}$" in page, "the TeX is left for MathJax to typeset"


def _assert_names_exercises(page: str, scores: dict[str, float]) -> None:
    summary = _summary(page)
    assert "Test cell" not in page
    assert len(summary) == EXERCISES, summary
    first = ("Exercise 1 · perceptron_predict", f"{scores['test_perceptron_predict']} / 1.0")
    assert summary[0] == first
    assert summary[6][0] == "Exercise 7 · softmax"
    assert [label.split(" · ")[0] for label, _ in summary] == [
        f"Exercise {i}" for i in range(1, EXERCISES + 1)
    ]


# --------------------------------------------------------------------------- stock nbgrader
@pytest.fixture(scope="module")
def stock(tmp_path_factory) -> dict:
    """One submission autograded by stock nbgrader, its feedback made by nbgrader."""
    scratch = tmp_path_factory.mktemp("stock")
    graded = autograde(scratch, ASSIGNMENT, {"alice": _submission()}, workers=1)["alice"]
    root = scratch / "course0"  # (autograde's one scratch course)
    done = subprocess.run(
        nbgrader_command(root, "generate_feedback", ASSIGNMENT, "--force"),
        cwd=root, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = (root / "feedback" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    autograded = root / "autograded" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    return {"graded": graded, "page": page, "root": root, "autograded": autograded}


@pytest.mark.slow
def test_stock_autograde_feedback_hides_hidden_tests_and_reference_calls(stock):
    # what nbgrader graded holds the hidden tests, and the failure's traceback quotes them:
    # that is what the feedback must not pass on
    autograded = nbformat.read(stock["autograded"], as_version=4)
    assert "BEGIN HIDDEN TESTS" in nbformat.writes(autograded)
    tracebacks = "\n".join(
        line
        for cell in autograded.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
        for line in out["traceback"]
    )
    assert "HIDDEN TESTS" in tracebacks and "ref.perceptron_predict" in tracebacks
    _assert_never_hidden(stock["page"])
    _assert_no_machine_path(stock["page"], stock["root"])


@pytest.mark.slow
def test_stock_autograde_feedback_shows_the_scores_and_why(stock):
    graded, page = stock["graded"], stock["page"]
    assert graded.scores["test_perceptron_predict"] == 0 and graded.scores["test_softmax"] == 0
    total, out_of = sum(graded.scores.values()), sum(graded.max_scores.values())
    assert total == out_of - 3
    assert f"(Score: {total} / {out_of})" in page
    shown = dict(_summary(page))
    for label, score in shown.items():
        grade_id = "test_" + label.split(" · ")[1]
        assert score == f"{graded.scores[grade_id]} / {graded.max_scores[grade_id]}", label
    text = _readable_text(page)
    # the failures' messages stay: check_function's (the inputs and the dtypes, no code) and
    # the blank exercise's
    assert "AssertionError: perceptron_predict" in text and "dtype" in text
    assert "NotImplementedError" in text
    assert "visible tests passed" in text  # the visible checks are still there


@pytest.mark.slow
def test_stock_autograde_feedback_names_exercises_and_renders_math_offline(stock):
    _assert_names_exercises(stock["page"], stock["graded"].scores)
    _assert_offline_math(stock["page"])


# --------------------------------------------------------------------------- dlcourse grade
# --------------------------------------------------------------------------- pieces
def _cell(kind: str, source: str, grade_id: str = "", test: bool = False):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade": test, "solution": not test, "grade_id": grade_id}
    return cell


def test_exercise_title_names_the_exercise_above_its_test_cell():
    nb = nbformat.v4.new_notebook(cells=[
        _cell("markdown", "**Exercise 3 (2 points).** Implement `sigmoid`."),
        _cell("code", "def sigmoid(z): ...", "sigmoid"),
        _cell("code", "assert sigmoid(0) == 0.5", "test_sigmoid", test=True),
        _cell("markdown", "Not an exercise: no paragraph names the next one."),
        _cell("code", "def relu(z): ...", "relu"),
        _cell("code", "assert relu(1) == 1", "test_relu", test=True),
    ])  # fmt: skip
    assert exercise_title(nb.cells[2], nb) == "Exercise 3 · sigmoid"
    assert exercise_title(nb.cells[5], nb) == "relu"  # (not exercise 3's paragraph)


def test_a_test_cells_traceback_becomes_its_exception_line():
    test = _cell("code", "x = 1\n### BEGIN HIDDEN TESTS\ncheck(ref.f)", "test_f", test=True)
    test.outputs = [nbformat.v4.new_output(
        "error", ename="AssertionError", evalue=f"f differs ({REPO}/dlcourse/grading.py)",
        traceback=["Traceback", "----> 3 check(ref.f)", f"File {REPO}/dlcourse/grading.py:402"],
    )]  # fmt: skip
    given = _cell("code", "g()")
    given.outputs = [nbformat.v4.new_output(
        "error", ename="NameError", evalue="name 'g' is not defined",
        traceback=["----> 1 g()", f"File {sys.prefix}/lib/x.py:1", "NameError: ..."],
    )]  # fmt: skip
    nb = nbformat.v4.new_notebook(cells=[test, given])
    StudentOutputs().preprocess(nb, {})
    (line,) = test.outputs[0].traceback
    assert line.startswith("AssertionError: f differs (") and line.endswith("/dlcourse/grading.py)")
    assert "ref.f" not in str(test.outputs) and str(REPO) not in str(test.outputs)
    assert len(given.outputs[0].traceback) == 3  # another cell keeps its traceback, paths gone
    assert sys.prefix not in str(given.outputs)


@pytest.mark.slow
def test_an_executed_progress_bar_shows_its_final_state(tmp_path):
    loop = "from tqdm.auto import tqdm\nfor _ in tqdm(range(7), desc='steps'):\n    pass"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(loop)])
    execute_notebook(nb, tmp_path, REPO / "solutions")
    (bar,) = [out for out in nb.cells[0].outputs if WIDGET_VIEW in out.get("data", {})]
    text = bar.data["text/plain"]
    assert text.startswith("steps: 100%|██████████| 7/7 ["), text
    # the stored state (for a reader that renders widgets) says the same
    models = nb.metadata["widgets"][WIDGET_STATE]["state"]
    progress = [m["state"] for m in models.values() if m["model_name"] == "FloatProgressModel"]
    assert progress and progress[0]["value"] == progress[0]["max"] == 7
    # a bar drawn at 0% (a notebook executed elsewhere) is redrawn from that state in feedback
    bar.data["text/plain"] = "steps:   0%|          | 0/7 [00:00<?, ?it/s]"
    StudentOutputs().preprocess(nb, {})
    assert bar.data["text/plain"] == text
