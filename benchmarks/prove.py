"""Benchmark: how long ``dlcourse prove`` takes per assignment, against the targets.

    python benchmarks/prove.py [ASSIGNMENT ...] [--seeds 1]

Proves each assignment (reference, blank release and every variant of
``tests/variants/a<id>.py``) in this process, one after the other, and prints per assignment
the seconds spent running the notebook's given code, judging, in all, the submissions judged
and the milliseconds per submission; then the targets of issue 16: every assignment under
20 s on 2 cores, all six under 2 minutes, each marked PASS or MISS. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PER_ASSIGNMENT_TARGET_S = 20.0
ALL_TARGET_S = 120.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment with variants")
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args(argv)

    from dlcourse.build import Course
    from dlcourse.grader.prove import prove
    from dlcourse.grader.variants import default_variants_file

    known = [a for a in Course(REPO).assignments() if default_variants_file(REPO, a).is_file()]
    assignments = args.assignments or known
    print(f"dlcourse prove, {os.cpu_count()} CPU(s), seeds {args.seeds}")
    header = ("assignment", "given code s", "judging s", "total s", "submissions",
              "ms/submission", "proven", f"< {PER_ASSIGNMENT_TARGET_S:g} s")  # fmt: skip
    rows = [header]
    start = time.perf_counter()
    for assignment in assignments:
        began = time.perf_counter()
        proof = prove(REPO, assignment, seeds=args.seeds)
        total = time.perf_counter() - began
        per_submission = 1000 * proof.seconds["judging"] / proof.judged
        rows.append((
            assignment, f"{proof.seconds['given code']:.1f}", f"{proof.seconds['judging']:.1f}",
            f"{total:.1f}", str(proof.judged), f"{per_submission:.0f}",
            "yes" if proof.ok else "NO", "PASS" if total < PER_ASSIGNMENT_TARGET_S else "MISS",
        ))  # fmt: skip
    elapsed = time.perf_counter() - start
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                        enumerate(zip(row, widths, strict=True))))  # fmt: skip
    verdict = "PASS" if elapsed < ALL_TARGET_S else "MISS"
    print(f"all {len(assignments)} in {elapsed:.1f} s (target < {ALL_TARGET_S:g} s for all six:"
          f" {verdict if len(assignments) == len(known) else 'not measured, a subset ran'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
