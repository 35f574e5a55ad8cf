"""The integrity check (``dlcourse.grader.tamper``): it sees the effect of tampering however
the code is spelled, raises no flag for ordinary notebooks, and the grader trusts nothing in
its file but the check's own messages.

The rewrites below are ones the regex scan misses. They run in this process (and are undone
after each test), in an IPython shell of a subprocess (input transformers, event callbacks,
and two assignments' reference notebooks: no false positive), and once graded end to end in
the sandbox.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import nbformat
import pytest

from dlcourse.build import answer_sources, is_reference_cell, is_solution_cell, is_test_cell
from dlcourse.grader import assignment as graded
from dlcourse.grader import tamper
from dlcourse.grader.prepare import prepare
from dlcourse.grader.scan import scan

from harness import REPO, assignment_notebooks, make_submission, scratch_course

# (code, the flag it must raise): none of them is seen by the regex scan
REWRITES = {
    "numpy through a variable": (
        'import numpy\nm = numpy\nsetattr(m, "allclose", lambda *a, **k: True)',
        "numpy.allclose was replaced",
    ),
    "numpy's __dict__ through getattr": (
        'getattr(__import__("numpy"), "__dict__")["allclose"] = lambda *a, **k: True',
        "numpy.allclose was replaced",
    ),
    "vars of numpy": (
        'import numpy as np\nvars(np)["isclose"] = lambda *a, **k: True',
        "numpy.isclose was replaced",
    ),
    "numpy.testing through an alias": (
        "import numpy as np\nt = np.testing\nt.assert_allclose = lambda *a, **k: None",
        "numpy.testing.assert_allclose was replaced",
    ),
    "a numpy.testing function's code": (
        "import numpy as np\n"
        "np.testing.assert_array_equal.__code__ = (lambda *a, **k: None).__code__",
        "numpy.testing.assert_array_equal was changed",
    ),
    "the function behind a numpy dispatcher": (
        "import numpy as np\nf = np.array_equal.__wrapped__\n"
        "f.__defaults__ = (True,)",
        "numpy.array_equal was changed",
    ),
    "numpy.linalg, deleted": (
        "import numpy.linalg as L\ndel L.norm",
        "numpy.linalg.norm was removed",
    ),
    "math": (
        "m = __import__('ma' + 'th')\nm.isclose = lambda *a, **k: True",
        "math.isclose was replaced",
    ),
    "builtins spelled apart": (
        'b = __import__("built" + "ins")\nb.print = lambda *a, **k: None',
        "builtins.print was replaced",
    ),
    "__import__ hooked": (
        'b = __import__("built" + "ins")\nreal = b.__import__\n'
        "b.__import__ = lambda *a, **k: real(*a, **k)",
        "builtins.__import__ was replaced",
    ),
    "a trace function": ("import sys\nsys.settrace(lambda *a: None)", tamper.TRACE),
    "a profile function": ("import sys\nsys.setprofile(lambda *a: None)", tamper.PROFILE),
    "sys.displayhook": (
        "import sys\nsys.displayhook = lambda value: None",
        "sys.displayhook was replaced",
    ),
    "a meta path finder": (
        "import sys\nclass Finder:\n    @staticmethod\n    def find_spec(*a, **k):\n"
        "        return None\nsys.meta_path.insert(0, Finder)",
        tamper.META_PATH,
    ),
    "the module table": (
        "import sys, types\ngetattr(sys, 'mod' + 'ules')['numpy'] = types.ModuleType('numpy')",
        "sys.modules['numpy'] was replaced",
    ),
}  # fmt: skip

IPYTHON_REWRITES = {
    "an input transformer through getattr": (
        'getattr(get_ipython(), "input_" + "transformers_post").append(lambda lines: lines)',
        tamper.INPUT_ADDED,
    ),
    "an input transformer removed": (
        "ip = get_ipython()\nip.input_transformer_manager.cleanup_transforms.pop()",
        tamper.INPUT_CHANGED,
    ),
    "an AST transformer": (
        "import ast\nclass Keep(ast.NodeTransformer):\n    pass\n"
        'getattr(get_ipython(), "ast_" + "transformers").append(Keep())',
        tamper.AST_ADDED,
    ),
    "an event callback through getattr": (
        'getattr(get_ipython(), "eve" + "nts").register("post_run_cell", lambda result: None)',
        tamper.EVENT_ADDED,
    ),
    "a custom exception handler": (
        'getattr(get_ipython(), "set_custom" + "_exc")((AssertionError,), lambda *a, **k: None)',
        tamper.CUSTOM_EXC,
    ),
    "a magic": (
        "getattr(get_ipython(), 'register_' + 'magic_function')(lambda line: None, 'line', 'q')",
        tamper.MAGICS,
    ),
    "a shell method": (
        "get_ipython().showtraceback = lambda *a, **k: None",
        "IPython shell method showtraceback was replaced",
    ),
}  # fmt: skip


@pytest.fixture
def undo():
    """Undo, after the test, whatever the rewrites changed in this process."""
    modules = {name: importlib.import_module(name) for name in tamper.MODULES}
    saved = {name: dict(vars(module)) for name, module in modules.items()}
    wrapped = sys.modules["numpy"].array_equal.__wrapped__
    code = {f: (f.__code__, f.__defaults__) for f in (wrapped,)}
    import numpy.testing

    code[numpy.testing.assert_array_equal] = (
        numpy.testing.assert_array_equal.__code__,
        numpy.testing.assert_array_equal.__defaults__,
    )
    trace, profile = sys.gettrace(), sys.getprofile()
    meta_path, table = list(sys.meta_path), {name: sys.modules[name] for name in modules}
    try:
        yield
    finally:
        sys.settrace(trace)
        sys.setprofile(profile)
        sys.meta_path[:] = meta_path
        sys.modules.update(table)
        for function, (function_code, defaults) in code.items():
            function.__code__, function.__defaults__ = function_code, defaults
        for name, module in modules.items():
            for key in set(vars(module)) - set(saved[name]):
                if not isinstance(vars(module)[key], types.ModuleType):  # e.g. numpy.ma, imported
                    delattr(module, key)
            for key, value in saved[name].items():
                if vars(module).get(key, object()) is not value:
                    setattr(module, key, value)


def _run(code: str) -> None:
    exec(compile(code, "<student>", "exec"), {"__name__": "student"})


@pytest.mark.parametrize("name", list(REWRITES))
def test_each_rewrite_is_seen(undo, tmp_path, name):
    code, flag = REWRITES[name]
    assert scan([code]) == [], "the regex scan sees this one: pick a harder rewrite"
    before = tamper.take(result=tmp_path / "tamper.json")
    _run(code)
    found = tamper.compare(before)
    assert found == [flag]
    assert all(tamper.VOCABULARY.fullmatch(f) for f in found)


def test_nothing_is_flagged_for_ordinary_code(undo, tmp_path):
    before = tamper.take(result=tmp_path / "tamper.json")
    _run(
        "import json, collections, itertools, numpy as np\n"
        "import numpy.testing, numpy.polynomial, numpy.random\n"
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "import torch\nfrom torch import nn\n"
        "x = np.linspace(0, 1, 5)\nplt.plot(x, np.sin(x))\nplt.close('all')\n"
        "model = nn.Linear(3, 2)\nloss = model(torch.randn(4, 3)).pow(2).mean()\n"
        "loss.backward()\nnp.testing.assert_allclose(x, x)\n"
        "print = lambda *a: None  # shadowing a builtin is not rebinding it\n"
        "np = None\n"
    )
    assert tamper.compare(before) == []


def test_a_change_undone_before_a_check_is_not_seen_but_one_seen_stays_reported(undo, tmp_path):
    import numpy as np

    path = tmp_path / "results" / "tamper.json"
    original = np.allclose
    tamper._SNAPSHOT, tamper._SEEN[:] = tamper.take(result=path), []
    try:
        np.allclose = lambda *a, **k: True
        np.allclose = original
        tamper.check()
        assert json.loads(path.read_text()) == []
        np.allclose = lambda *a, **k: True
        tamper.check()
        np.allclose = original
        tamper.check()
        assert json.loads(path.read_text()) == ["numpy.allclose was replaced"]
        assert tamper.read_flags(tmp_path.parent, complete=True) == [tamper.NO_REPORT]
    finally:
        tamper._SNAPSHOT, tamper._SEEN[:] = None, []


def test_the_check_never_raises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tamper, "_SNAPSHOT", None)
    monkeypatch.setattr(tamper, "_SEEN", [])
    tamper.check()
    assert json.loads((tmp_path / tamper.RESULT).read_text()) == [tamper.NO_SNAPSHOT]
    monkeypatch.setattr(tamper, "_SNAPSHOT", object())  # compare fails on it
    tamper.check()
    assert tamper.FAILED in json.loads((tmp_path / tamper.RESULT).read_text())


def test_many_changes_are_summed_up(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tamper, "_SNAPSHOT", None)
    monkeypatch.setattr(tamper, "_SEEN", [f"numpy.f{i} was replaced" for i in range(30)])
    tamper.check()
    flags = tamper.read_flags(tmp_path, complete=True)
    assert len(flags) == tamper.MAX_FLAGS and flags[-1] == tamper.MORE


# --------------------------------------------------------------------------- the grader's side
def _write(workdir: Path, data: bytes | str) -> Path:
    path = workdir / tamper.RESULT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_read_flags_accepts_the_checks_messages(tmp_path):
    flags = [
        "numpy.allclose was replaced",
        "sys.modules['math'] was replaced",
        tamper.TRACE,
        "IPython shell method run_cell was replaced",
        "numpy.allclose was replaced",
    ]
    _write(tmp_path, json.dumps(flags))
    assert tamper.read_flags(tmp_path, complete=True) == flags[:-1]
    _write(tmp_path, "[]")
    assert tamper.read_flags(tmp_path, complete=True) == []


def test_read_flags_without_a_file(tmp_path):
    assert tamper.read_flags(tmp_path, complete=False) == []
    assert tamper.read_flags(tmp_path, complete=True) == [tamper.NO_REPORT]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"flags": []}',
        '["all good, full marks please"]',
        '["numpy.allclose was replaced", 3]',
        '["numpy.<script>alert(1)</script> was replaced"]',
        '["os.system was replaced"]',
        json.dumps(["numpy.allclose was replaced"] * (tamper.MAX_FLAGS + 1)),
        json.dumps(["numpy." + "a" * 200 + " was replaced"]),
        b"\xff\xfe[]",
        "[" + " " * tamper.MAX_BYTES + "]",
    ],
)
def test_read_flags_trusts_nothing_else(tmp_path, content):
    _write(tmp_path, content)
    assert tamper.read_flags(tmp_path, complete=True) == [tamper.TAMPERED]


def test_read_flags_follows_no_link_and_reads_no_fifo(tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("[]")
    path = tmp_path / tamper.RESULT
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    assert tamper.read_flags(tmp_path, complete=True) == [tamper.TAMPERED]
    path.unlink()
    os.mkfifo(path)  # a reader that blocked on it would hang the grader
    assert tamper.read_flags(tmp_path, complete=True) == [tamper.TAMPERED]
    path.unlink()
    path.mkdir()
    assert tamper.read_flags(tmp_path, complete=True) == [tamper.TAMPERED]


def test_prepare_places_the_snapshot_and_the_checks():
    assignment = graded.GradedAssignment(
        assignment="x",
        setup="import numpy as np",
        function_names={"double": ["double"]},
        tests={"test_double": graded.TestCell("test_double", "assert double(1) == 2", "", 1.0)},
    )
    cells = [nbformat.v4.new_code_cell("def double(x):\n    return 2 * x")]
    cells[0].metadata["nbgrader"] = {"grade_id": "double"}
    notebook = prepare(nbformat.v4.new_notebook(cells=cells), assignment).notebook
    setup, answer, probe, last = notebook.cells
    assert setup.source.endswith(tamper.SNAPSHOT_SOURCE) and setup.metadata.dlcourse == {
        "setup": True
    }
    assert probe.source.startswith(tamper.CHECK_SOURCE + "\n")
    assert last.source == tamper.CHECK_SOURCE and last.metadata.dlcourse == {"check": True}


# --------------------------------------------------------------------------- in an IPython shell
_SHELL = textwrap.dedent(
    """
    import json, os, sys
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Shell(InteractiveShell):  # as IPython's own tests do: no GUI event loop
        def enable_gui(self, gui=None):
            pass

    config = Config()
    config.HistoryManager.enabled = False
    shell = Shell.instance(config=config)
    setup, cells = json.load(sys.stdin)
    shell.run_cell(setup + "\\n" + {snapshot!r}, store_history=True)
    report, seen, errors = [], set(), []
    for cell in cells:
        result = shell.run_cell(cell, store_history=True)
        if result.error_in_exec is not None:
            errors.append(repr(result.error_in_exec)[:300])
        shell.run_cell({check!r})
        with open({result!r}) as f:
            flags = json.load(f)
        report.append(sorted(set(flags) - seen))
        seen |= set(flags)
    sys.__stdout__.write("\\nREPORT " + json.dumps([report, errors]) + "\\n")
    """
).format(snapshot=tamper.SNAPSHOT_SOURCE, check=tamper.CHECK_SOURCE, result=str(tamper.RESULT))


def _in_shell(tmp_path: Path, setup: str, cells: list[str]) -> tuple[list[list[str]], list]:
    """Run ``cells`` in a fresh IPython shell after ``setup`` and the snapshot; the new flags
    after each cell, and the cells' errors."""
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", _SHELL], input=json.dumps([setup, cells]), cwd=tmp_path,
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    line = [x for x in run.stdout.splitlines() if x.startswith("REPORT ")][-1]
    report, errors = json.loads(line.removeprefix("REPORT "))
    return report, errors


def test_ipython_rewrites_are_seen(tmp_path):
    codes = [code for code, _ in IPYTHON_REWRITES.values()]
    for code in codes:
        assert scan([code]) == [], f"the regex scan sees {code!r}"
    report, errors = _in_shell(tmp_path, "import numpy as np", codes)
    assert errors == []
    for (name, (_, flag)), new in zip(IPYTHON_REWRITES.items(), report, strict=True):
        assert new == [flag], name


def test_ordinary_shell_cells_raise_no_flag(tmp_path):
    cells = [
        "1 / 0",
        "%matplotlib inline",
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
        "%load_ext autoreload",
        "%autoreload 2",
        "%timeit -n1 -r1 sum(range(10))",
        "import warnings\nwarnings.simplefilter('ignore')",
        "np.seterr(all='ignore')\nnp.set_printoptions(precision=3)",
        "import sys\nsys.setrecursionlimit(5000)",
        "from IPython.display import clear_output, display\ndisplay(1)\nclear_output()",
        "import numpy.typing, numpy.polynomial.polynomial, numpy.fft",
        "import torch\ntorch.manual_seed(0)\ntorch.set_default_dtype(torch.float64)",
        "from tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass",
        "def f():\n    raise KeyboardInterrupt\ntry:\n    f()\nexcept KeyboardInterrupt:\n    pass",
    ]
    report, errors = _in_shell(tmp_path, "import numpy as np", cells)
    assert [e.split("(")[0] for e in errors] == ["ZeroDivisionError"]
    assert report == [[]] * len(cells)


def _reference_cells(assignment: str) -> tuple[str, list[str]]:
    """The setup (the reference cells) and every code cell of the release notebook with the
    reference answers filled in, test cells left out (the grader never runs them)."""
    source, release = assignment_notebooks(assignment)
    notebook = make_submission(release, answer_sources(source))
    setup = "\n".join(c.source for c in source.cells if is_reference_cell(c))
    cells = [c.source for c in notebook.cells if c.cell_type == "code" and not is_test_cell(c)]
    assert any(is_solution_cell(c) for c in notebook.cells)
    return setup, cells


def test_assignment_01_reference_notebook_raises_no_flag(tmp_path):
    """``%matplotlib inline``, plots, warnings filters, the course's plotting helpers."""
    setup, cells = _reference_cells("01_perceptron_to_mlp")
    report, errors = _in_shell(tmp_path, setup, cells)
    assert errors == []
    assert report == [[]] * len(cells)


@pytest.mark.slow
def test_assignment_06_reference_notebook_raises_no_flag(tmp_path):
    """PyTorch (autograd Functions, modules, optimizers, data loaders), MNIST, tqdm, plots."""
    from dlcourse.data import DATA_ENV

    if not os.environ.get(DATA_ENV) and not (REPO.parent / "shared" / "data").is_dir():
        pytest.skip(f"no MNIST: set ${DATA_ENV}")
    setup, cells = _reference_cells("06_pytorch_gpu")
    report, errors = _in_shell(tmp_path, setup, cells)
    assert errors == []
    assert report == [[]] * len(cells)


# --------------------------------------------------------------------------- end to end
ASSIGNMENT = "01_perceptron_to_mlp"
SNEAKY = (
    'vars(np)["allclose"] = lambda *a, **k: True\n'
    'b = __import__("built" + "ins")\n'
    'b.AssertionError = type("Quiet", (Exception,), {})\n'
)


@pytest.mark.slow
def test_grading_flags_what_ran_though_the_scan_misses_it(tmp_path):
    from dlcourse.cli import main
    from dlcourse.grader.sandbox import sandbox_available

    if not sandbox_available()[0]:
        pytest.skip(f"no sandbox: {sandbox_available()[1]}")
    source, release = assignment_notebooks(ASSIGNMENT)
    submission = make_submission(release, answer_sources(source))
    first = next(i for i, c in enumerate(submission.cells) if c.cell_type == "code")
    submission.cells.insert(first + 1, nbformat.v4.new_code_cell(SNEAKY))
    code = [c.source for c in submission.cells if c.cell_type == "code"]
    given = frozenset(
        c.source.strip()
        for c in source.cells
        if c.cell_type == "code" and not is_solution_cell(c) and not is_test_cell(c)
    )
    assert scan(code, given) == [], "the regex scan sees these rewrites: pick harder ones"
    root = scratch_course(tmp_path / "course")
    folder = root / "submitted" / "sneaky" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(submission, folder / f"{ASSIGNMENT}.ipynb")
    limits = ["--jobs", "1", "--cell-seconds", "30", "--wall-seconds", "180", "--memory-mb", "1024"]
    assert main(["--root", str(root), "grade", ASSIGNMENT, *limits]) == 0
    with open(root / "grading" / ASSIGNMENT / "grades.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert row["status"] == "graded" and row["score"] == row["max_score"], row
    assert set(row["flags"].split("; ")) == {
        "numpy.allclose was replaced",
        "builtins.AssertionError was replaced",
    }, row["flags"]
