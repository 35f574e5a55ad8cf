"""A class's hidden inputs come from its own secret seed (issue 17, point 4): knowing this
repository's tests, or another class's inputs, gives nothing of them."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import numpy as np
import pytest

from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.prove import prove
from dlcourse.grader.secret import (
    SECRET_FILE,
    SecretSeedError,
    course_seed,
    seed_fingerprint,
)

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01_perceptron_to_mlp"


def test_the_secret_is_made_once_private_and_never_committed(tmp_path):
    assert course_seed(tmp_path) is None
    seed = course_seed(tmp_path, create=True)
    path = tmp_path / SECRET_FILE
    assert seed and seed > 0 and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert course_seed(tmp_path) == seed == course_seed(tmp_path, create=True)
    other = tmp_path / "other"
    other.mkdir()
    assert course_seed(other, create=True) != seed
    assert seed_fingerprint(seed) != seed_fingerprint(seed + 1)
    assert str(seed) not in seed_fingerprint(seed)
    ignored = subprocess.run(["git", "check-ignore", "-q", SECRET_FILE], cwd=REPO)
    assert ignored.returncode == 0, f"{SECRET_FILE} must be ignored by git"


@pytest.mark.parametrize("text", ["", "12\n13\n", "-4\n", "seed\n"])
def test_a_damaged_secret_is_an_error_not_a_new_seed(tmp_path, text):
    (tmp_path / SECRET_FILE).write_text(text)
    with pytest.raises(SecretSeedError):
        course_seed(tmp_path, create=True)


def _inputs_by_cell(graded: GradedAssignment) -> dict[str, list[np.ndarray]]:
    return {
        grade_id: [a for c in rec.calls for a in c.args if isinstance(a, np.ndarray)]
        for grade_id, rec in graded.recordings.items()
    }


def test_the_recorded_inputs_follow_the_seed():
    repository = GradedAssignment.load(REPO, ASSIGNMENT)
    secret = _inputs_by_cell(GradedAssignment.load(REPO, ASSIGNMENT, seed=987654321))
    again = _inputs_by_cell(GradedAssignment.load(REPO, ASSIGNMENT, seed=987654321))
    drawing = 0
    for grade_id, arrays in _inputs_by_cell(repository).items():
        changed = len(arrays) != len(secret[grade_id]) or any(
            a.shape != b.shape or not np.array_equal(a, b)
            for a, b in zip(arrays, secret[grade_id], strict=True)
        )
        # a test cell that draws its inputs (case_rng, generated_cases) gets other ones
        source = repository.tests[grade_id].source
        draws = "case_rng(" in source or "generated_cases(" in source
        drawing += draws
        assert changed == draws, f"{grade_id}: draws {draws}, inputs changed {changed}"
        assert all(
            np.array_equal(a, b) for a, b in zip(secret[grade_id], again[grade_id], strict=True)
        ), f"{grade_id}: the same seed must give the same inputs"
    assert drawing >= 5


def test_the_hidden_tests_prove_out_under_a_secret_seed():
    proof = prove(REPO, ASSIGNMENT, seeds=[4_611_686_018_427_387_903])
    assert proof.ok, proof.table()
    assert proof.judged > 10
