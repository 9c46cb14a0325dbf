"""The chat's turn logic (follow-ups, feedback) without a browser; the app itself is in test_app.py."""

import json

from recchat.core.schema import RecItem
from recchat.app.cards import cards_html
from recchat.app.web import _text_of
from recchat.chat.feedback import append_feedback
from recchat.chat.followup import build_request


def _state(task="search", query="a scary movie set in space", history=None):
    return {"last": {"query": query, "history": history or [], "task": task, "catalog": "movies",
                     "checkpoint": "base", "item_ids": ["10", "20", "30"], "item_titles": ["A", "B", "C"],
                     "exclude_ids": ["99"], "drop_terms": ["gore"], "like_ids": []}}


def test_followup_keeps_previous_wish_and_exclusions():
    req, info = build_request("no horror", "", "movies", "base", _state())
    assert info["followup"]
    assert req.query == "a scary movie set in space"
    assert req.drop_terms == ["gore", "horror"] and req.exclude_ids == ["99"]
    req, _ = build_request("more like the second one", "", "movies", "base", _state())
    assert req.like_ids == ["20"]
    req, _ = build_request("cheaper", "", "movies", "base", _state(task="recommend", query="", history=["Alien"]))
    assert req.history == ["Alien"] and req.task == "recommend"


def test_new_request_or_other_catalog_starts_over():
    req, info = build_request("a romantic comedy set in Paris", "", "movies", "base", _state())
    assert not info["followup"] and req.exclude_ids == []
    req, info = build_request("no horror", "", "books", "base", _state())
    assert not info["followup"]


def test_pasted_history_box_is_parsed():
    req, _ = build_request("", "Alien (1979)\nAliens (1986)", "movies", "base", {})
    assert req.history == ["Alien (1979)", "Aliens (1986)"]


def test_message_parts_and_cards_escape_html():
    assert _text_of([{"type": "text", "text": "hi "}, {"type": "text", "text": "there"}]) == "hi there"
    html = cards_html([RecItem(id="1", title="<script>x</script>", score=0.5, evidence="e",
                               metadata={"genres": ["Comedy"], "year": 1995})])
    assert "<script>x" not in html and "&lt;script&gt;" in html and "genres: Comedy" in html
    assert html.count("data-testid='item-card'") == 1
    # the card shows its rank, not a raw score (scales differ per ranker); the score is a tooltip
    assert ">1. &lt;script" in html and "title='ranking score 0.5000" in html and ">0.5000<" not in html


def test_feedback_appends_jsonl(empty_home):
    append_feedback({"kind": "answer", "liked": True, "prompt": "p"})
    append_feedback({"kind": "item", "liked": False, "prompt": "p"})
    from recchat.core.settings import get_settings

    rows = [json.loads(x) for x in get_settings().feedback_path.read_text().splitlines()]
    assert [r["liked"] for r in rows] == [True, False] and all("ts" in r for r in rows)
