"""The hidden tests exercise every documented argument (issue 17, the hidden tests' blind
spots): each parameter with a default, of each function a test cell calls, is given a
non-default value at least once. A bug that ignores an argument cannot keep full marks."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from test_grading import ASSIGNMENTS

from dlcourse.grader.assignment import GradedAssignment
from dlcourse.grader.tables import distance
from dlcourse.grading import reference

REPO = Path(__file__).resolve().parents[1]


def _unexercised(assignment: str) -> dict[str, list[str]]:
    graded = GradedAssignment.load(REPO, assignment)
    ref = reference(assignment)
    calls = [c for r in graded.recordings.values() for c in r.calls]
    missing = {}
    for name in graded.names:
        fn = getattr(ref, name, None)
        direct = [c for c in calls if c.function == name]
        if not inspect.isfunction(fn) or not direct:
            continue  # a class, or called only through the notebook's given code
        signature = inspect.signature(fn)
        defaults = {k: p.default for k, p in signature.parameters.items()
                    if p.default is not inspect.Parameter.empty}  # fmt: skip
        varied = set()
        for call in direct:
            bound = signature.bind(*call.args, **call.kwargs).arguments
            varied |= {k for k in defaults if k in bound and distance(bound[k], defaults[k]) > 0}
        if set(defaults) - varied:
            missing[name] = sorted(set(defaults) - varied)
    return missing


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_documented_argument_gets_a_non_default_value(assignment):
    assert _unexercised(assignment) == {}, "arguments the hidden tests never vary"
