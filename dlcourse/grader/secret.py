"""The course's secret seed: the hidden tests' generated inputs of one class.

Hidden tests draw their random inputs from ``dlcourse.grading.case_rng``; under
``hidden_test_seed(s)`` every draw comes from a stream of its own. A class is graded under a
seed that only its instructor has: ``gradebook.secret`` beside ``gradebook.db`` in the
course root, made on the first ``dlcourse grade`` (readable by its owner only, ignored by
git). Knowing this repository's tests, or harvesting the inputs over several submissions of
another class, then gives nothing of this class's inputs. Delete the file only to start a
new class: results graded under another seed are graded again.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

SECRET_FILE = "gradebook.secret"
_HEADER = "# dlcourse: the secret seed of this class's hidden-test inputs; keep it private\n"


class SecretSeedError(Exception):
    """The secret file exists but cannot be read as a seed."""


def secret_path(root: Path) -> Path:
    return Path(root) / SECRET_FILE


def course_seed(root: Path, *, create: bool = False) -> int | None:
    """The course's secret seed (a positive integer), made when ``create`` and missing;
    ``None`` when there is none and ``create`` is false."""
    path = secret_path(root)
    if not path.exists():
        if not create:
            return None
        seed = secrets.randbits(62) + 1
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{_HEADER}{seed}\n")
        return seed
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    values = [ln for ln in lines if ln and not ln.startswith("#")]
    if len(values) != 1 or not values[0].isdigit() or int(values[0]) <= 0:
        raise SecretSeedError(f"{SECRET_FILE} must hold one positive integer")
    return int(values[0])


def seed_fingerprint(seed: int) -> str:
    """A short name of a seed that does not reveal it (kept in each student's result, so
    that a result graded under another seed is graded again)."""
    return hashlib.sha256(f"dlcourse-seed-{seed}".encode()).hexdigest()[:16]
