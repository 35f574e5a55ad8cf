"""What a notebook shows where there is neither a kernel nor a network.

A student reads the feedback HTML and the executed reference notebooks offline, or in a
viewer that runs no widget code. Two things then go wrong by default:

- **math**: nbconvert's HTML loads MathJax from a CDN, so offline the LaTeX stays raw.
  ``mathjax_script`` is MathJax 3 (TeX input, SVG output: no font files to fetch), from the
  ``django-static-mathjax`` package, configured like nbconvert's own MathJax and written into
  the page itself: nbgrader's exchange carries a feedback's ``.html`` file alone, so a script
  beside it would not reach the student.
- **progress bars**: a tqdm bar in a notebook is a widget. The executed notebook stores the
  widget's final state (nbclient's ``store_widget_state``), but a reader that runs no widget
  code shows the output's ``text/plain`` instead, the bar as it was drawn first: "0%".
  ``widget_text_from_state`` writes the final state into that text ("100%|██████████| 10/10").
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib.resources import files

from nbformat import NotebookNode
from tqdm.std import Bar

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX_FILE = "static/mathjax/es5/tex-svg-full.js"  # in the ``mathjax`` package
BAR_WIDTH = 10  # characters, as tqdm draws a bar in a notebook's text

# nbconvert's MathJax 2 settings (nbconvert/templates/base/mathjax.html.j2) in MathJax 3's
# words; the menu is off, as it would fetch the speech engine from a CDN.
MATHJAX_CONFIG = {
    "tex": {
        "inlineMath": [["$", "$"], ["\\(", "\\)"]],
        "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
        "tags": "ams",
    },
    "svg": {"fontCache": "global"},
    "options": {"enableMenu": False},
}


@cache
def mathjax_source() -> str:
    """The text of MathJax 3's self-contained TeX-to-SVG script (every TeX extension in it,
    so that nothing is fetched while typesetting)."""
    source = (files("mathjax") / MATHJAX_FILE).read_text(encoding="utf-8")
    if re.search(r"</?script", source, re.IGNORECASE):  # it could not go inside <script>
        raise RuntimeError(f"{MATHJAX_FILE} cannot be written into a <script> element")
    return source


def mathjax_script() -> str:
    """Two ``<script>`` elements, the configuration and MathJax itself, that typeset the
    page's TeX (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) with no network."""
    config = json.dumps(MATHJAX_CONFIG)
    return f"<script>window.MathJax = {config};</script>\n<script>\n{mathjax_source()}\n</script>"


# --------------------------------------------------------------------------- widgets
def _model_text(model_id: str, models: dict, depth: int = 0) -> str | None:
    """The text of a widget as a reader would see it, from its stored state: a box joins its
    children, a label or HTML widget shows its value, a progress bar is drawn with blocks.
    None for anything else (its text is left alone)."""
    model = models.get(model_id)
    if model is None or depth > 8:
        return None
    name, state = model.get("model_name", ""), model.get("state", {})
    if name in ("HBoxModel", "VBoxModel", "BoxModel"):
        parts = [
            _model_text(child.removeprefix("IPY_MODEL_"), models, depth + 1)
            for child in state.get("children", [])
        ]
        if not parts or any(p is None for p in parts):
            return None
        return ("" if name == "HBoxModel" else "\n").join(p for p in parts if p is not None)
    if name in ("HTMLModel", "LabelModel"):
        text = str(state.get("value", ""))
        if name == "HTMLModel":
            text = html.unescape(re.sub(r"<[^>]*>", "", text))
        return text.replace("\u2007", " ").replace("\xa0", " ")
    if name in ("FloatProgressModel", "IntProgressModel"):
        low, high = float(state.get("min", 0)), float(state.get("max", 100))
        value = float(state.get("value", low))
        share = 0.0 if high <= low else min(1.0, max(0.0, (value - low) / (high - low)))
        return "|" + format(Bar(share, default_len=BAR_WIDTH), "") + "|"  # as tqdm draws it
    return None


def widget_text_from_state(nb: NotebookNode) -> int:
    """Rewrite (in place) the ``text/plain`` of every widget output whose final state the
    notebook stores, so that a reader without widgets shows that state. Returns how many
    outputs were rewritten."""
    stored = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
    models = stored.get("state", {})
    if not models:
        return 0
    rewritten = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if not view:
                continue
            text = _model_text(view.get("model_id", ""), models)
            if text is not None:
                output["data"]["text/plain"] = text
                rewritten += 1
    return rewritten
