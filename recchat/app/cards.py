"""How items look in the browser: the item cards (escaped HTML) and the page's CSS."""

from __future__ import annotations

import html

from recchat.core.schema import RecItem

CSS = """
.rc-cards {display:flex; flex-direction:column; gap:8px;}
.rc-card {border:1px solid var(--border-color-primary); border-radius:10px; padding:8px 12px;}
.rc-card .t {font-weight:600;}
.rc-card .m {font-size:0.85em; opacity:0.8;}
.rc-card .e {font-size:0.85em; font-style:italic;}
.rc-note {font-size:0.85em; opacity:0.8;}
.rc-text {white-space:pre-wrap;}
.rc-answer {margin-bottom:10px;}
.rc-answer .m {font-size:0.85em; font-style:italic; opacity:0.8;}
"""


def meta_line(meta: dict) -> str:
    bits = []
    for key in ("year", "genres", "model_genres", "neighbour_genres", "tags", "authors", "author", "category", "topic", "price",
                "rating", "city"):
        v = meta.get(key)
        if v in (None, "", [], {}):
            continue
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v[:4])
        # guessed genres say so: the model's from the title (recchat/catalog/model_genres.py), or those
        # of the items the same people consumed (recchat/catalog/neighbour_genres.py)
        label = {"model_genres": "genres (model)", "neighbour_genres": "genres (similar items)"}.get(key, key)
        bits.append(f"{label}: {v}")
    return " · ".join(bits[:3])


def cards_html(items: list[RecItem], title: str = "", pending: bool = False) -> str:
    if not items:
        return f"<div class='rc-note'>{html.escape(title or 'Items appear here.')}</div>"
    head = f"<div class='rc-note'>{html.escape(title)}</div>" if title else ""
    cards = []
    for i, it in enumerate(items, 1):
        cards.append(
            # the rank is what the person needs; raw scores are on different scales per ranker (RRF,
            # learned) and mean nothing across lists, so the score is a tooltip for evaluators only
            f"<div class='rc-card' data-testid='item-card' title='ranking score {it.score:.4f} (comparable within this list only)'>"
            f"<div class='t'>{i}. {html.escape(it.title)}</div>"
            f"<div class='m'>{html.escape(meta_line(it.metadata))}</div>"
            f"<div class='e'>{html.escape(it.evidence)}</div></div>"
        )
    return head + "<div class='rc-cards'>" + "".join(cards) + "</div>" + (
        "<div class='rc-note'>refining with the rationale…</div>" if pending else "")


def text_html(text: str, cls: str = "rc-text") -> str:
    """Model or catalog text as inert HTML: a title like `![](https://tracker/x.png)` stays text."""
    return f"<div class='{cls}'>{html.escape(text or '')}</div>" if text else ""


def answers_html(answers) -> str:
    """The Label tab's numbered answers (rationale, then the first items), escaped."""
    out = []
    for i, a in enumerate(answers, 1):
        items = "; ".join(it.title for it in a.items[:3])
        out.append("<div class='rc-answer' data-testid='label-answer'>"
                   f"<b>{i}.</b> <span class='rc-text'>{html.escape(a.rationale or '(empty)')}</span>"
                   f"<div class='m'>→ {html.escape(items)}</div></div>")
    return "".join(out)
