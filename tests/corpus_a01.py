"""Adversarial and broken submissions of assignment 01, each with its expected outcome.

Every case starts from a correct submission (the reference code in every answer cell) or
the blank release, and breaks or attacks it in one way. The expectation says what a
trustworthy grader must report: the status, which test cells score zero (all others full),
and which flags must be raised. ``tests/test_trusted_grading.py`` grades all of them with
``dlcourse grade`` and checks every expectation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode

from dlcourse.build import answer_sources

from harness import assignment_notebooks, make_submission

ASSIGNMENT = "01_perceptron_to_mlp"

NAIVE_SOFTMAX = """
def softmax(Z):
    e = np.exp(Z)
    return e / e.sum(axis=1, keepdims=True)
"""


@dataclass(frozen=True)
class Expect:
    status: str = "graded"  # graded | incomplete | ungradable
    zero: tuple[str, ...] = ()  # test cells scoring 0; every other one full marks
    all_zero: bool = False
    flags: tuple[str, ...] = ()  # substrings that must appear among the flags
    reason: str = ""  # substring of the reason
    any_score: bool = False  # the scores are not checked (e.g. the kernel died mid-way)
    at_most: bool = False  # scores may be lower than deserved (self-inflicted), never higher


@dataclass(frozen=True)
class CorpusCase:
    name: str
    build: Callable[[], bytes]
    expect: Expect


def _notebooks() -> tuple[NotebookNode, NotebookNode, dict[str, str]]:
    source, release = assignment_notebooks(ASSIGNMENT)
    return source, release, answer_sources(source)


def _bytes(nb: NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


def _reference(**overrides: str) -> NotebookNode:
    _, release, answers = _notebooks()
    return make_submission(release, {**answers, **overrides})


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _insert_before(nb: NotebookNode, grade_id: str, code: str) -> NotebookNode:
    index = next(i for i, c in enumerate(nb.cells) if _grade_id(c) == grade_id)
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    return nb


def _append(nb: NotebookNode, code: str) -> NotebookNode:
    nb.cells.append(nbformat.v4.new_code_cell(code))
    return nb


def _first_code(nb: NotebookNode, code: str) -> NotebookNode:
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return nb


# ----------------------------------------------------------------------------- builders
def reference() -> bytes:
    return _bytes(_reference())


def blank() -> bytes:
    return _bytes(_notebooks()[1])


def invalid_json() -> bytes:
    return _bytes(_reference())[:5000]


def not_a_notebook() -> bytes:
    return b'["this is", "not a notebook"]'


def answer_cell_deleted() -> bytes:
    nb = _reference()
    nb.cells = [c for c in nb.cells if _grade_id(c) != "softmax"]
    return _bytes(nb)


def answer_metadata_removed() -> bytes:
    nb = _reference()
    for cell in nb.cells:
        if _grade_id(cell) == "softmax":
            cell.metadata = {}
    return _bytes(nb)


def tampered_metadata() -> bytes:
    data = json.loads(_bytes(_reference()))
    for cell in data["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta:
            meta["schema_version"] = 99
            if meta.get("grade"):
                meta["points"] = 1000
            meta["grade_id"] = meta["grade_id"] + " <script>"  # renamed test and answer ids
    data["metadata"]["nbgrader"] = {"oops": True}
    return json.dumps(data).encode()


def test_cells_deleted() -> bytes:
    nb = _reference()
    nb.cells = [c for c in nb.cells if not str(_grade_id(c) or "").startswith("test_")]
    return _bytes(nb)


def test_cell_edited() -> bytes:
    nb = _reference(softmax=NAIVE_SOFTMAX)
    for cell in nb.cells:
        if _grade_id(cell) == "test_softmax":
            cell.source = "print('all tests passed')"
    return _bytes(nb)


def dead_kernel() -> bytes:
    nb = _reference()
    return _bytes(_insert_before(nb, "test_softmax", "import os\nos.kill(os.getpid(), 9)"))


def infinite_loop_in_a_cell() -> bytes:
    return _bytes(_first_code(_reference(), "while True:\n    pass"))


def infinite_loop_in_a_function() -> bytes:
    return _bytes(_reference(softmax="def softmax(Z):\n    while True:\n        pass\n"))


def memory_bomb() -> bytes:
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(2**28))"
    return _bytes(_append(_reference(), code))


def fork_bomb() -> bytes:
    code = "import os\nfor _ in range(10_000):\n    try:\n        os.fork()\n"
    code += "    except OSError:\n        pass"
    return _bytes(_append(_reference(), code))


def huge_output() -> bytes:
    return _bytes(_first_code(_reference(), "for _ in range(200_000):\n    print('x' * 500)"))


def rebinds_numpy() -> bytes:
    nb = _reference(softmax=NAIVE_SOFTMAX)
    code = (
        "np.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n"
        "np.array_equal = lambda *a, **k: True\n"
        "np.isfinite = lambda x: np.ones(np.shape(x), bool)"
    )
    return _bytes(_first_code(nb, code))


def rebinds_builtins() -> bytes:
    nb = _reference(softmax=NAIVE_SOFTMAX)
    code = "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\n"
    code += "builtins.abs = lambda x: 0"
    return _bytes(_first_code(nb, code))


def input_transformer() -> bytes:
    nb = _reference(softmax=NAIVE_SOFTMAX)
    code = (
        "def _no_asserts(lines):\n"
        "    return [l.replace('assert ', 'pass  # ') for l in lines]\n"
        "get_ipython().input_transformers_post.append(_no_asserts)\n"
        "get_ipython().events.register('post_run_cell', lambda result: None)"
    )
    return _bytes(_first_code(nb, code))


def patches_grading_helper() -> bytes:
    nb = _reference(softmax=NAIVE_SOFTMAX)
    code = (
        "import dlcourse.grading as grading\n"
        "grading.check_function = lambda *a, **k: None\n"
        "grading.reference = lambda name: None"
    )
    return _bytes(_first_code(nb, code))


def always_equal_object() -> bytes:
    code = """
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __bool__(self):
        return True
    def __array__(self, dtype=None, copy=None):
        raise TypeError("no")
    def __getattr__(self, name):
        return lambda *a, **k: Anything()
    shape = property(lambda self: (2, 3))


def softmax(Z):
    return Anything()
"""
    return _bytes(_reference(softmax=code))


def imports_reference() -> bytes:
    code = (
        "from solutions.a01_perceptron_to_mlp import softmax\n"
        "from dlcourse.grading import reference\n"
        "softmax = reference('01_perceptron_to_mlp').softmax\n"
    )
    return _bytes(_reference(softmax=code))


def reads_hidden_tests() -> bytes:
    code = (
        "import glob, os\n"
        "found = []\n"
        "for pattern in ['/work/**/course/**/*.ipynb', '/tmp/**/course/**/*.ipynb',\n"
        "                '../../../course/**/*.ipynb', '/root/**/*.ipynb']:\n"
        "    found += glob.glob(pattern, recursive=True)\n"
        "print('found', found)\n"
        "for path in found:\n"
        "    print(open(path).read())\n"
        "print(os.listdir('.'), os.listdir('.dlcourse'))"
    )
    return _bytes(_first_code(_reference(), code))


def attacks_gradebook() -> bytes:
    code = (
        "import glob\n"
        "for path in glob.glob('/**/gradebook.db', recursive=True) + glob.glob(\n"
        "        '/**/submitted/*/01_perceptron_to_mlp/*.ipynb', recursive=True):\n"
        "    try:\n"
        "        open(path, 'w').write('overwritten')\n"
        "        print('overwrote', path)\n"
        "    except OSError as exc:\n"
        "        print('could not', exc)\n"
    )
    return _bytes(_first_code(_reference(), code))


def uses_network() -> bytes:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
        "except OSError as exc:\n"
        "    print('no network:', exc)\n"
    )
    return _bytes(_first_code(_reference(), code))


def writes_results_file() -> bytes:
    """Forging the probe's results after the fact must not work either."""
    code = (
        "import json, pathlib\n"
        "def _forge(result):\n"
        "    for index in pathlib.Path('.dlcourse/results').glob('*/index.json'):\n"
        "        index.write_text(json.dumps([{'n': i, 'result': {'t': 'none'},\n"
        "            'args_after': {'t': 'none'}} for i in range(100)]))\n"
        "get_ipython().events.register('post_run_cell', _forge)\n"
    )
    return _bytes(_first_code(_reference(softmax=NAIVE_SOFTMAX), code))


CASES: tuple[CorpusCase, ...] = (
    CorpusCase("reference", reference, Expect()),
    CorpusCase("blank", blank, Expect(all_zero=True)),
    CorpusCase("invalid_json", invalid_json, Expect("ungradable", reason="invalid JSON")),
    CorpusCase("not_a_notebook", not_a_notebook, Expect("ungradable", reason="not a notebook")),
    CorpusCase("answer_cell_deleted", answer_cell_deleted,
               Expect(zero=("test_softmax",), flags=("no answer cell for softmax",))),
    CorpusCase("answer_metadata_removed", answer_metadata_removed,
               Expect(flags=("found by its function name",))),
    CorpusCase("tampered_metadata", tampered_metadata, Expect(flags=("missing (restored)",))),
    CorpusCase("test_cells_deleted", test_cells_deleted, Expect(flags=("missing (restored)",))),
    CorpusCase("test_cell_edited", test_cell_edited,
               Expect(zero=("test_softmax",), flags=("test cell test_softmax was edited",))),
    CorpusCase("dead_kernel", dead_kernel, Expect("incomplete", any_score=True, reason="kernel")),
    CorpusCase("infinite_loop_in_a_cell", infinite_loop_in_a_cell, Expect()),
    CorpusCase("infinite_loop_in_a_function", infinite_loop_in_a_function,
               Expect(zero=("test_softmax",))),
    CorpusCase("memory_bomb", memory_bomb, Expect("incomplete", reason="memory")),
    CorpusCase("fork_bomb", fork_bomb, Expect("incomplete", reason="forks were refused")),
    CorpusCase("huge_output", huge_output, Expect()),
    CorpusCase("rebinds_numpy", rebinds_numpy,
               Expect(zero=("test_softmax",), flags=("rebinds a numpy function",))),
    CorpusCase("rebinds_builtins", rebinds_builtins,
               Expect(zero=("test_softmax",), flags=("builtins",))),
    CorpusCase("input_transformer", input_transformer,
               Expect(zero=("test_softmax",), flags=("IPython",))),
    CorpusCase("patches_grading_helper", patches_grading_helper,
               Expect(zero=("test_softmax",), flags=("grading code",))),
    CorpusCase("always_equal_object", always_equal_object,
               Expect(zero=("test_softmax",), flags=("custom comparisons",))),
    CorpusCase("imports_reference", imports_reference,
               Expect(zero=("test_softmax",), flags=("reference solutions",))),
    CorpusCase("reads_hidden_tests", reads_hidden_tests, Expect()),
    CorpusCase("attacks_gradebook", attacks_gradebook, Expect(flags=("grading files",))),
    CorpusCase("uses_network", uses_network, Expect(flags=("network",))),
    CorpusCase("writes_results_file", writes_results_file,
               Expect(zero=("test_softmax",), flags=("grading files",), at_most=True)),
)  # fmt: skip
