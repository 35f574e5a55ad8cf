"""Create the local users of a class from a roster (CSV), for the hub's PAM login.

    sudo python3 deploy/roster.py roster.csv [--passwords-out new-passwords.csv] [--dry-run]

The CSV has a header row with ``username`` and optionally ``role`` (``student``, the default,
or ``instructor``), ``password`` and ``full_name``. Every row is checked before anything is
changed: a bad row (an invalid or duplicate user name, an unknown role, a name that belongs
to a system account) stops the run with every problem listed by line, and nobody is created.

Running it again is safe: an existing user is only added to the role's group (and given the
row's password when the row has one); a new user gets a home folder of mode 0700 and the
row's password or a random one, written to ``--passwords-out`` (mode 0600) for you to hand
out. Users who left the roster are not deleted.
"""

from __future__ import annotations

import argparse
import csv
import grp
import os
import pwd
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
ROLES = ("student", "instructor")
FIRST_REGULAR_UID = 1000


@dataclass(frozen=True)
class Member:
    """One row of the roster."""

    username: str
    role: str
    password: str | None
    full_name: str


def read_roster(path: Path) -> tuple[list[Member], list[str]]:
    """The roster's members and the problems of its bad rows (``line N: ...``)."""
    members: list[Member] = []
    problems: list[str] = []
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        fields = [f.strip() for f in reader.fieldnames or []]
        if "username" not in fields:
            return [], [f"{path}: the header row must name a 'username' column (has {fields})"]
        seen: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            problem = _row_problem(row, seen.get(row["username"]))
            if problem:
                problems.append(f"line {line}: {problem}")
                continue
            seen[row["username"]] = line
            members.append(Member(row["username"], row.get("role") or "student",
                                  row.get("password") or None, row.get("full_name", "")))
    return members, problems


def _row_problem(row: dict[str, str], duplicate_of: int | None) -> str | None:
    name, role = row.get("username", ""), row.get("role") or "student"
    if not USERNAME.match(name):
        return (f"invalid user name {name!r} (lowercase letters, digits, '_' and '-', "
                "starting with a letter or '_', at most 32)")
    if duplicate_of is not None:
        return f"user {name!r} is already on line {duplicate_of}"
    if role not in ROLES:
        return f"unknown role {role!r} for {name!r} (one of {', '.join(ROLES)})"
    if ":" in row.get("full_name", "") or "\n" in (row.get("password") or ""):
        return f"the full name or password of {name!r} contains ':' or a line break"
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return None
    if uid < FIRST_REGULAR_UID:
        return f"{name!r} is a system account (uid {uid}); pick another name"
    return None


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} ... failed: {done.stderr.strip()}")


def ensure_group(name: str) -> None:
    """Create the group ``name`` unless it exists."""
    try:
        grp.getgrnam(name)
    except KeyError:
        _run(["groupadd", name])


def apply(members: list[Member], groups: dict[str, str]) -> dict[str, str]:
    """Create or update every member; returns {username: password} of the new users who
    got a random password."""
    for group in groups.values():
        ensure_group(group)
    generated: dict[str, str] = {}
    for member in members:
        group = groups[member.role]
        try:
            pwd.getpwnam(member.username)
            _run(["usermod", "-a", "-G", group, member.username])
            password = member.password
        except KeyError:
            _run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", group,
                  "--comment", member.full_name, member.username])
            home = Path(pwd.getpwnam(member.username).pw_dir)
            os.chmod(home, 0o700)
            password = member.password or generated.setdefault(
                member.username, secrets.token_urlsafe(12))
        if password:
            _run(["chpasswd"], stdin=f"{member.username}:{password}\n")
    return generated


def main(argv: list[str] | None = None) -> int:
    """Command line: check the roster, then create or update its users."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roster", type=Path)
    parser.add_argument("--student-group", default="dlcourse-students")
    parser.add_argument("--instructor-group", default="dlcourse-instructors")
    parser.add_argument("--passwords-out", type=Path, default=Path("new-passwords.csv"),
                        help="where the random passwords of new users go (mode 0600)")
    parser.add_argument("--dry-run", action="store_true", help="check the roster only")
    args = parser.parse_args(argv)
    if not args.roster.is_file():
        print(f"roster.py: no such file: {args.roster}", file=sys.stderr)
        return 2
    members, problems = read_roster(args.roster)
    if problems:
        print(f"roster.py: {len(problems)} bad row(s) in {args.roster}, nobody was created:",
              *problems, sep="\n  ", file=sys.stderr)
        return 2
    if args.dry_run:
        for member in members:
            print(f"{member.username}\t{member.role}")
        return 0
    if os.geteuid() != 0:
        print("roster.py: creating users needs root (sudo)", file=sys.stderr)
        return 1
    groups = {"student": args.student_group, "instructor": args.instructor_group}
    generated = apply(members, groups)
    if generated:
        args.passwords_out.touch(mode=0o600)
        os.chmod(args.passwords_out, 0o600)
        with open(args.passwords_out, "a", newline="") as file:
            csv.writer(file).writerows(sorted(generated.items()))
        print(f"{len(generated)} new user(s); their passwords are in {args.passwords_out}")
    print(f"{len(members)} user(s) on the roster are set up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
