"""The ``dlcourse`` command.

dlcourse build [ASSIGNMENT ...] [--no-execute]   regenerate release/ and solutions/
dlcourse check [ASSIGNMENT ...]                  fail if release/ or solutions/ is stale
dlcourse run-solutions [ASSIGNMENT ...] [--out DIR]
                                                 execute the reference notebooks headless
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat


def _course_root(args: argparse.Namespace) -> Path:
    from dlcourse.build import find_course_root

    return find_course_root(Path(args.root) if args.root else None)


def _assignments(root: Path, requested: list[str]) -> list[str]:
    from dlcourse.build import Course

    known = Course(root).assignments()
    unknown = [a for a in requested if a not in known]
    if unknown:
        raise SystemExit(f"unknown assignment(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return requested or known


def cmd_build(args: argparse.Namespace) -> int:
    from dlcourse.build import build

    root = _course_root(args)
    start = time.perf_counter()
    build(root, _assignments(root, args.assignments), execute=not args.no_execute)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from dlcourse.build import check

    root = _course_root(args)
    problems = check(root, _assignments(root, args.assignments) if args.assignments else None)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("release/ or solutions/ is out of date: run `dlcourse build`", file=sys.stderr)
        return 1
    print("release/ and solutions/ are in sync with course/")
    return 0


def cmd_run_solutions(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from dlcourse.build import Course, execute_notebook

    root = _course_root(args)
    course = Course(root)
    out = Path(args.out).resolve()
    failures = 0
    for assignment in tqdm(_assignments(root, args.assignments), desc="notebooks", unit="nb"):
        source = course.solutions / assignment / f"{assignment}.ipynb"
        if not source.is_file():
            print(f"{assignment}: no reference notebook at {source}; run `dlcourse build`")
            failures += 1
            continue
        nb = nbformat.read(source, as_version=4)
        target_dir = out / assignment
        target_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        try:
            execute_notebook(nb, source.parent, course.solutions)
        except Exception as exc:  # report and go on with the next notebook
            failures += 1
            print(f"{assignment}: FAILED: {type(exc).__name__}: {str(exc)[-2000:]}")
        finally:
            nbformat.write(nb, target_dir / source.name)
        print(f"{assignment}: {time.perf_counter() - start:.1f} s -> {target_dir / source.name}")
    return 1 if failures else 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlcourse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", help="course repository root (default: found from cwd)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="regenerate release/ and solutions/ from course/")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--no-execute", action="store_true", help="do not execute solution notebooks")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="fail if release/ or solutions/ is out of date")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("run-solutions", help="execute the reference notebooks headless")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--out", default="build/executed", help="where executed notebooks go")
    p.set_defaults(func=cmd_run_solutions)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
