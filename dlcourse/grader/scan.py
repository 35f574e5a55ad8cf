"""Look through a submission's code for attempts to change the grading environment.

A flag never changes a score (the score is what the code's results deserve, because the
judging runs outside the student's kernel); it tells the instructor what to look at.

This is a regex scan of the source: it sees code that never ran, but only the spellings it
knows (``vars(np)["allclose"] = f`` or ``__import__("built" + "ins")`` pass unseen). Their
effect is what ``tamper`` watches for while the notebook runs (a snapshot before the student's
code, a check before every probe and after the last cell); the grader merges both flags.
"""

from __future__ import annotations

import re

PATTERNS: tuple[tuple[str, str], ...] = (
    (r"input_transformers|ast_transformers|register_magic|events\.register|set_custom_exc",
     "changes IPython's input handling or hooks"),
    (r"\bbuiltins\b|__builtins__", "touches Python's builtins"),
    (r"\b(np|numpy)\.(testing\.)?\w+\s*=(?!=)|setattr\(\s*(np|numpy)\b",
     "rebinds a numpy function"),
    (r"sys\.modules", "edits the module table (sys.modules)"),
    (r"dlcourse\.grading|dlcourse\.grader|check_function|_dlcourse_", "touches the grading code"),
    (r"\bsolutions\b|reference\(", "tries to import the reference solutions"),
    (r"def __eq__|def __ne__|def __bool__|def __array_ufunc__|def __array_function__",
     "defines an object with custom comparisons"),
    (r"gradebook|submitted/|autograded/|\.dlcourse/", "reads or writes grading files"),
    (r"\bsocket\b|urllib|requests\.|http\.client", "uses the network"),
    (r"os\.fork|multiprocessing|subprocess|os\.system|os\.kill", "starts or kills processes"),
)  # fmt: skip


def scan(code_cells: list[str], given: frozenset[str] = frozenset()) -> list[str]:
    """Flags for suspicious code in the cell sources (each flag once).

    ``given``: the stripped sources of the code cells the assignment hands out as they are
    (setup, demonstrations: e.g. assignment 06 starts ``torchrun`` with ``subprocess``). A cell
    that is still exactly one of them is the course's code, not the student's, and is skipped;
    any change to it makes it the student's code again.
    """
    text = "\n".join(cell for cell in code_cells if cell.strip() not in given)
    return [f"code {what}" for pattern, what in PATTERNS if re.search(pattern, text)]
