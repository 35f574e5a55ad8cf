"""The instructor's summary of a grading run: score distributions and what needs a look."""

from __future__ import annotations

import html
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
    page = f"""<!doctype html><meta charset="utf-8"><title>{assignment}: grading report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
td,th{{border-bottom:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}
</style>
<h1>{html.escape(assignment)}: grading report</h1>
<p>{len(results)} submissions: {counts["graded"]} graded, {counts["incomplete"]} incomplete
(stopped early: time, memory or a dead kernel; scored on what ran),
{counts["ungradable"]} could not be graded.</p>
<img src="scores.png" alt="score distributions" style="max-width:100%">
<h2>Needs a look ({len(attention)})</h2>
<table><tr><th>student</th><th>status</th><th>score</th><th>reason</th><th>flags</th></tr>
{rows}</table>
"""
    path = folder / "report.html"
    path.write_text(page)
    return path
