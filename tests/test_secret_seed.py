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


def _drawn_inputs(graded: GradedAssignment) -> list[np.ndarray]:
    arrays = []
    for recording in graded.recordings.values():
        for call in recording.calls:
            arrays += [a for a in call.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return arrays


def test_the_recorded_inputs_follow_the_seed():
    repository = _drawn_inputs(GradedAssignment.load(REPO, ASSIGNMENT))
    secret = _drawn_inputs(GradedAssignment.load(REPO, ASSIGNMENT, seed=987654321))
    again = _drawn_inputs(GradedAssignment.load(REPO, ASSIGNMENT, seed=987654321))
    assert len(repository) == len(secret) == len(again)
    same = [
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(repository, secret, strict=True)
    ]
    # the visible checks' fixed inputs stay; the hidden tests' generated ones all change
    assert sum(same) < len(same) / 3, f"{sum(same)} of {len(same)} inputs are the repository's"
    assert all(np.array_equal(a, b) for a, b in zip(secret, again, strict=True))


def test_the_hidden_tests_prove_out_under_a_secret_seed():
    proof = prove(REPO, ASSIGNMENT, seeds=[4_611_686_018_427_387_903])
    assert proof.ok, proof.table()
    assert proof.judged > 10
