"""The ``dlcourse`` command.

dlcourse build [ASSIGNMENT ...] [--no-execute]   regenerate release/ and solutions/
dlcourse check [ASSIGNMENT ...]                  fail if release/ or solutions/ is stale
dlcourse run-solutions [ASSIGNMENT ...] [--out DIR]
                                                 execute the reference notebooks headless
dlcourse prove [ASSIGNMENT ...] [--exercise NAME] [--variants FILE] [--seeds N]
                                                 prove the hidden tests with the variants
dlcourse grade ASSIGNMENT [--jobs N | --cluster ADDRESS] ...
                                                 sandboxed autograding of a class
dlcourse student-copy DEST [ASSIGNMENT ...]      a student's own copy of the notebooks
dlcourse student-bundle OUT.zip [ASSIGNMENT ...] the student notebooks in a zip to hand out
"""

from __future__ import annotations

import argparse
import os
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


def cmd_grade(args: argparse.Namespace) -> int:
    from dlcourse.data import DATA_ENV
    from dlcourse.grader.intake import import_submissions
    from dlcourse.grader.report import write_report
    from dlcourse.grader.run import (
        Paths,
        class_results,
        generate_feedback,
        grade_class,
        update_gradebook,
    )
    from dlcourse.grader.sandbox import Limits, sandbox_available
    from dlcourse.grader.submission import status_counts

    root = _course_root(args)
    assignment = _assignments(root, [args.assignment])[0]
    ok, why = sandbox_available()
    if not ok:
        print(f"the sandbox is not available: {why}", file=sys.stderr)
        return 2
    paths = Paths(root, assignment)
    if args.submissions:
        imported = import_submissions(
            Path(args.submissions), paths.submitted, assignment, replace=args.replace
        )
        for student, what in sorted(imported.items()):
            print(f"  {student}: {what}")
    if args.data:  # the workers inherit it; the sandbox binds it read-only
        os.environ[DATA_ENV] = str(Path(args.data).expanduser().resolve())
    limits = Limits(
        memory_mb=args.memory_mb, wall_seconds=args.wall_seconds, cell_seconds=args.cell_seconds,
        cpu_seconds=args.cpu_seconds, max_processes=args.max_processes, disk_mb=args.disk_mb,
    )  # fmt: skip
    start = time.perf_counter()
    try:
        results = grade_class(
            root, assignment, jobs=args.jobs, limits=limits, force=args.force,
            students=args.student or None, diagnose=not args.no_diagnose, cluster=args.cluster,
        )  # fmt: skip
    except Exception as exc:
        if type(exc).__name__ != "ClusterError":  # (cluster.py imports Dask: only if used)
            raise
        print(f"dlcourse grade: {exc}", file=sys.stderr)
        return 3
    elapsed = time.perf_counter() - start
    update_gradebook(root, assignment, results)
    feedback_log = generate_feedback(root, assignment)
    report = write_report(class_results(paths, results), paths.out, assignment)
    counts = status_counts(results)
    print(
        f"{len(results)} submissions in {elapsed:.1f} s: {counts['graded']} graded, "
        f"{counts['incomplete']} incomplete, {counts['ungradable']} ungradable; "
        f"{sum(bool(r.flags) for r in results)} flagged"
    )
    print(f"grades: {paths.out / 'grades.csv'}\nreport: {report}\nfeedback: {root / 'feedback'}")
    if "error" in feedback_log.lower():
        print(feedback_log[-2000:], file=sys.stderr)
    return 0


def cmd_student_copy(args: argparse.Namespace) -> int:
    from dlcourse.student_copy import StudentCopyError, find_release_root, make_student_copy

    try:
        root = find_release_root(Path(args.root) if args.root else None)
        report = make_student_copy(root, Path(args.dest), args.assignments)
    except (StudentCopyError, OSError) as exc:
        print(f"dlcourse student-copy: {_describe(exc)}", file=sys.stderr)
        return 2
    for relative in report.written:
        print(f"  wrote {relative}")
    for relative in report.kept:
        print(f"  kept  {relative} (already there: your work is never overwritten)")
    print(
        f"{len(report.written)} notebook(s) copied into {args.dest}, {len(report.kept)} kept. "
        f"Open them with: python -m jupyterlab {args.dest}"
    )
    return 0


def cmd_student_bundle(args: argparse.Namespace) -> int:
    from dlcourse.student_copy import StudentCopyError, find_release_root, make_student_bundle

    try:
        root = find_release_root(Path(args.root) if args.root else None)
        names = make_student_bundle(root, Path(args.out), args.assignments)
    except (StudentCopyError, OSError) as exc:
        print(f"dlcourse student-bundle: {_describe(exc)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"  {name}")
    print(f"{len(names)} notebook(s) in {args.out}")
    return 0


def _describe(exc: Exception) -> str:
    """An error as one line: an OSError names its file and reason, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc)


def cmd_prove(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from dlcourse.grader.prove import prove

    root = _course_root(args)
    assignments = _assignments(root, args.assignments)
    if args.exercise:
        from dlcourse.build import Course

        having = [a for a in assignments if args.exercise in _exercises(Course(root), a)]
        if not having:
            print(f"no assignment has an exercise {args.exercise!r}", file=sys.stderr)
            return 2
        assignments = having
    missing = [f for f in args.variants if not Path(f).is_file()]
    if missing:
        print(f"no such variants file: {', '.join(missing)}", file=sys.stderr)
        return 2

    def bar(iterable, total, description):
        return tqdm(iterable, total=total, desc=description, unit="sub", leave=False,
                    disable=args.quiet)  # fmt: skip

    start = time.perf_counter()
    failed = []
    for assignment in assignments:
        proof = prove(
            root, assignment, exercise=args.exercise, seeds=args.seeds, progress=bar,
            variants_files=[Path(f) for f in args.variants],
            use_default_variants=not args.no_default_variants,
        )  # fmt: skip
        print(proof.table(), flush=True)
        print()
        if not proof.ok:
            failed.append(assignment)
    elapsed = time.perf_counter() - start
    if failed:
        print(f"NOT PROVEN in {elapsed:.1f} s: {', '.join(failed)}")
        return 1
    print(f"{len(assignments)} assignment(s) proven in {elapsed:.1f} s")
    return 0


def _exercises(course, assignment: str) -> list[str]:
    from dlcourse.build import answer_sources

    return list(answer_sources(nbformat.read(course.source_notebook(assignment), as_version=4)))


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

    p = sub.add_parser(
        "prove",
        help="prove the hidden tests: every known bug caught, every correct answer kept",
        description="For every exercise: the reference keeps full marks, the blank release "
        "scores zero, every buggy variant loses points on its exercise and no other, every "
        "correct variant keeps full marks. Exits 1 on any survivor or false fail.",
    )
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--exercise", help="only this exercise (its answer cell's grade_id)")
    p.add_argument("--variants", action="append", default=[], metavar="FILE",
                   help="another variants file (BUGGY/CORRECT dicts), e.g. your students' "
                   "mistakes; repeatable")  # fmt: skip
    p.add_argument("--no-default-variants", action="store_true",
                   help="leave out the course's tests/variants/a<id>.py")  # fmt: skip
    p.add_argument(
        "--seeds",
        type=_positive,
        default=1,
        help="prove under N draws of the hidden tests' random inputs (default 1)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_prove)

    p = sub.add_parser("grade", help="sandboxed autograding into nbgrader's gradebook")
    p.add_argument("assignment")
    p.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="grade on a Dask cluster: a scheduler's address (tcp://host:8786) or local:N"
        " (N local Dask workers); needs the 'cluster' extra (see README)",
    )
    p.add_argument("--submissions", help="a zip or folder of notebooks from an LMS to import")
    p.add_argument("--replace", action="store_true", help="imported notebooks replace existing")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--force", action="store_true", help="grade again even if already graded")
    p.add_argument("--memory-mb", type=int, default=2048)
    p.add_argument("--wall-seconds", type=int, default=600)
    p.add_argument("--cell-seconds", type=int, default=120)
    p.add_argument("--cpu-seconds", type=int, default=600)
    p.add_argument("--max-processes", type=int, default=64)
    p.add_argument(
        "--disk-mb",
        type=int,
        default=512,
        help="what one notebook may write to disk, in all (default 512; counts as memory too)",
    )
    p.add_argument(
        "--data",
        help="data folder visible read-only to the notebooks (default: $DLCOURSE_DATA)",
    )
    p.add_argument(
        "--no-diagnose",
        action="store_true",
        help="do not name known mistakes in the feedback (see tests/variants)",
    )
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser(
        "student-copy",
        help="copy the student notebooks into a folder of your own, outside the repository",
        description="Write release/<id>/<id>.ipynb into DEST/<id>/ (and nothing from course/ "
        "or solutions/). DEST must be outside the course repository. A notebook already in "
        "DEST is your work: it is kept, never overwritten; run it again to add assignments "
        "released later.",
    )
    p.add_argument("dest", help="the folder to work in, e.g. ~/dlcourse-work")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.set_defaults(func=cmd_student_copy)

    p = sub.add_parser(
        "student-bundle",
        help="write the student notebooks into a zip to hand out",
        description="A zip of release/<id>/<id>.ipynb under dlcourse-notebooks/ and nothing "
        "else. OUT must not exist yet.",
    )
    p.add_argument("out", help="the zip file to write, e.g. dlcourse-notebooks.zip")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    p.set_defaults(func=cmd_student_bundle)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
