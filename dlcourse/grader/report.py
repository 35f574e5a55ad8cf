"""The instructor's summary of a grading run: score distributions and what needs a look."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from dlcourse.grader.submission import GRADED, Result, status_counts


def exercise_maxima(results: list[Result]) -> dict[str, float]:
    """Test cell -> its points, from the results that know them (a refused submission, or
    one without a notebook, has none: it must not decide the chart's panels)."""
    maxima: dict[str, float] = {}
    for result in results:
        for cell, top in result.max_scores.items():
            maxima.setdefault(cell, top)
    return maxima


def plot_scores(results: list[Result], path: Path) -> None:
    """Per-exercise score distributions (one small histogram each) and the totals."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    graded = [r for r in results if r.status != "ungradable"]
    maxima = exercise_maxima(results)
    cells = list(maxima)
    panels = len(cells) + 1
    cols = min(4, panels)
    rows = -(-panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    for ax, cell in zip(axes.flat, cells, strict=False):
        top = maxima[cell]
        ax.hist([r.scores.get(cell, 0.0) for r in graded], bins=10, range=(0, top or 1))
        ax.set_title(f"{cell} (/{top:g})", fontsize=8)
        ax.tick_params(labelsize=7)
    total = axes.flat[len(cells)]
    top = sum(maxima.values()) or 1
    total.hist([r.score for r in graded], bins=20, range=(0, top or 1), color="tab:green")
    total.set_title(f"total (/{top:g})", fontsize=9)
    for ax in list(axes.flat)[panels:]:
        ax.axis("off")
    fig.suptitle(f"{len(graded)} submissions graded")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def exercise_summary(results: list[Result]) -> dict[str, tuple[float, Counter]]:
    """Test cell -> (the share of graded submissions with full marks on it, how many times
    each known mistake was diagnosed on it)."""
    graded = [r for r in results if r.status != "ungradable"]
    summary = {}
    for cell, top in exercise_maxima(results).items():
        full = sum(r.scores.get(cell, 0.0) >= top for r in graded) / max(1, len(graded))
        summary[cell] = (full, Counter(m for r in graded for m in r.diagnoses.get(cell, [])))
    return summary


def plot_mistakes(summary: dict[str, tuple[float, Counter]], path: Path, most: int = 15) -> bool:
    """A bar per known mistake (the ``most`` commonest): how many students made it. Returns
    False (and draws nothing) when no mistake was diagnosed."""
    counts = Counter({f"{cell}: {m}": n for cell, (_, c) in summary.items() for m, n in c.items()})
    if not counts:
        return False
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    top = counts.most_common(most)[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(top) + 1.2))
    ax.barh([label for label, _ in top], [n for _, n in top], color="tab:red")
    ax.set_xlabel("students")
    ax.set_title("known mistakes diagnosed", fontsize=10)
    ax.tick_params(labelsize=8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write_report(results: list[Result], folder: Path, assignment: str) -> Path:
    """``report.html`` beside ``scores.png``: counts, the distributions, flagged and failed."""
    folder.mkdir(parents=True, exist_ok=True)
    if results:
        plot_scores(results, folder / "scores.png")
    attention = [r for r in results if r.status != GRADED or r.flags]
    rows = "\n".join(
        f"<tr><td>{html.escape(r.student)}</td><td>{r.status}</td>"
        f"<td>{r.score:g} / {r.max_score:g}</td><td>{html.escape(r.reason)}</td>"
        f"<td>{html.escape('; '.join(r.flags))}</td></tr>"
        for r in attention
    )
    counts = status_counts(results)
    summary = exercise_summary(results)
    exercise_rows = "\n".join(
        f"<tr><td>{html.escape(cell)}</td><td>{full:.0%}</td><td>"
        + "<br>".join(f"{html.escape(m)}: {n}" for m, n in mistakes.most_common())
        + "</td></tr>"
        for cell, (full, mistakes) in summary.items()
    )
    mistakes_plot = (
        '<img src="mistakes.png" alt="known mistakes diagnosed" style="max-width:100%">'
        if results and plot_mistakes(summary, folder / "mistakes.png")
        else "<p>No known mistake was diagnosed.</p>"
    )
    page = f"""<!doctype html><meta charset="utf-8"><title>{assignment}: grading report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
td,th{{border-bottom:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
</style>
<h1>{html.escape(assignment)}: grading report</h1>
<p>{len(results)} submissions: {counts["graded"]} graded, {counts["incomplete"]} incomplete
(stopped early: time, memory or a dead kernel; scored on what ran),
{counts["ungradable"]} could not be graded.</p>
<img src="scores.png" alt="score distributions" style="max-width:100%">
<h2>Per exercise: full marks and known mistakes</h2>
<p>A known mistake is diagnosed when a student's function behaves exactly like a known bug
of the course (<code>tests/variants</code>); the students read its hint in their feedback.
One row per student and mistake is in <code>diagnoses.csv</code>.</p>
<table><tr><th>exercise</th><th>full marks</th><th>known mistakes (students)</th></tr>
{exercise_rows}</table>
{mistakes_plot}
<h2>Needs a look ({len(attention)})</h2>
<table><tr><th>student</th><th>status</th><th>score</th><th>reason</th><th>flags</th></tr>
{rows}</table>
"""
    path = folder / "report.html"
    path.write_text(page)
    return path
