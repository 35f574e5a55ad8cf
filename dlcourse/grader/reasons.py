"""What the grader writes for people to read (the CSV, the results, the report, the feedback)
says what happened in plain words: never a traceback, never a path of the grading machine.

``public_reason`` makes a status reason safe to show (one line), ``public_message`` a test
cell's failure message (several lines kept), ``scrub_paths`` any text. The full text, with
its tracebacks and paths, goes to the instructor's log instead (``write_log``).
"""

from __future__ import annotations

import functools
import os
import re
import site
import sys
import sysconfig
import tempfile
from pathlib import Path

MAX_REASON_CHARS = 500
MAX_MESSAGE_CHARS = 5000

# A path character: anything but whitespace, quotes, brackets and separators.
_PATH_CHAR = r"[^\s/'\"`<>()\[\]{},;:|]"
# An absolute path of at least two components not preceded by a word, a path or a placeholder.
_ANY_PATH = re.compile(rf"(?<![\w.~/>:+-])/(?:{_PATH_CHAR}+/)+({_PATH_CHAR}*)")
_TRACEBACK = "Traceback (most recent call last)"
_TRACEBACK_LINE = re.compile(
    r"^\s*(Traceback \(most recent call last\):|File \"[^\"]*\", line \d+|File \S+:\d+"
    r"|[\^~\s]+$|\.\.\. \d+ more|During handling of the above exception)"
)


def _variants(path: str | os.PathLike | None) -> set[str]:
    if not path:
        return set()
    text = os.path.abspath(os.fspath(path))
    return {text.rstrip("/") or "/", os.path.realpath(text).rstrip("/") or "/"}


@functools.lru_cache(maxsize=16)
def _prefixes(root: str | None) -> tuple[tuple[str, str], ...]:
    """(host folder, placeholder), longest folder first (a folder inside another wins)."""
    named: dict[str, str] = {}

    def add(placeholder: str, *paths: str | os.PathLike | None) -> None:
        for path in paths:
            for variant in _variants(path):
                if variant != "/":
                    named.setdefault(variant, placeholder)

    add("<course>", root)
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    python += [os.path.dirname(sys.executable), *site.getsitepackages()]
    python += [p for k, p in sysconfig.get_paths().items() if k.endswith(("lib", "stdlib"))]
    with_user = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    add("<python>", *python, *with_user)
    add("<tmp>", tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm")
    add("<home>", os.path.expanduser("~"))
    add("<host>", os.getcwd())
    return tuple(sorted(named.items(), key=lambda item: -len(item[0])))


def scrub_paths(text: str, root: str | os.PathLike | None = None) -> str:
    """``text`` with every absolute path of this machine replaced: the course root by
    ``<course>``, the Python installation by ``<python>``, temporary folders by ``<tmp>``,
    home by ``<home>``, any other absolute path by ``<path>/`` and its last component."""
    if not text:
        return text
    for folder, placeholder in _prefixes(os.fspath(root) if root else None):
        if folder in text:
            pattern = rf"(?<![\w.~/>-]){re.escape(folder)}(?![\w.~-])"
            text = re.sub(pattern, lambda _m, p=placeholder: p, text)
    return _ANY_PATH.sub(lambda m: f"<path>/{m.group(1)}", text)


def _is_traceback(line: str) -> bool:
    return bool(_TRACEBACK_LINE.match(line))


def public_reason(text: str, root: str | os.PathLike | None = None) -> str:
    """A status reason safe to show: its first line (or, when it is a traceback, the line
    that names the exception), without any host path, at most ``MAX_REASON_CHARS``."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    plain = [line for line in lines if not _is_traceback(line)]
    chosen = lines[0].split(_TRACEBACK)[0].strip()
    if _TRACEBACK in lines[0] and (not chosen or chosen.endswith(":")):
        # a traceback: its last line names the exception
        last = plain[-1] if plain else "an error (details in the grader's log)"
        chosen = f"{chosen} {last}".strip()
    chosen = " ".join(scrub_paths(chosen, root).split())
    if len(chosen) > MAX_REASON_CHARS:
        chosen = chosen[: MAX_REASON_CHARS - 3] + "..."
    return chosen


def public_message(text: str, root: str | os.PathLike | None = None) -> str:
    """A failure message safe to show: its lines kept, tracebacks (their ``File``, source
    and caret lines) left out, no host path, at most ``MAX_MESSAGE_CHARS``."""
    kept, in_traceback = [], False
    for line in str(text).splitlines():
        if _is_traceback(line):
            in_traceback = True
            continue
        if in_traceback and line.startswith((" ", "\t")):
            continue  # a traceback's source line
        in_traceback = False
        kept.append(line)
    message = scrub_paths("\n".join(kept).strip("\n"), root)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return message


def write_log(folder: Path, student: str, text: str) -> Path:
    """Append ``text`` to ``folder/<student>.log``, the instructor's details of one run."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{student}.log"
    with open(path, "a", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")
    return path
