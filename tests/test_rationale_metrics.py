"""The rationale benchmark's checks (benchmarks/rationales.py) on hand-made answers, RecBole-style:
tiny inputs, expected outputs worked out by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "rationales", Path(__file__).resolve().parent.parent / "benchmarks" / "rationales.py")
R = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(R)

SHOWN = [
    {"title": "Toy Story (1995)", "text": "Toy Story (1995) | genres: Adventure, Animation, Comedy | tags: pixar"},
    {"title": "Resident Evil 4 - GameCube", "text": "Resident Evil 4 - GameCube"},
    {"title": "The Hunger Games (The Hunger Games, #1)", "text": "The Hunger Games (The Hunger Games, #1) | by: Suzanne Collins"},
]


def test_names_shown_matches_titles_without_year_edition_or_series():
    assert [i["title"] for i in R.named_items("Try Toy Story: a funny Pixar film.", SHOWN)] == ["Toy Story (1995)"]
    assert [i["title"] for i in R.named_items("Resident Evil 4 is scary", SHOWN)] == ["Resident Evil 4 - GameCube"]
    assert [i["title"] for i in R.named_items("like The Hunger Games", SHOWN)] == [SHOWN[2]["title"]]
    assert R.named_items("a story about toys", SHOWN) == []  # words of a title, not the title


def test_attributes_are_the_values_after_the_title():
    assert R.attributes(SHOWN[0]["text"]) == ["adventure", "animation", "comedy", "pixar"]
    assert R.attributes(SHOWN[1]["text"]) == []  # a title-only item has none to check
    assert R.attributes(SHOWN[2]["text"]) == ["suzanne collins"]


def test_states_attribute_in_english_and_through_the_glossary_in_korean():
    attrs = R.attributes(SHOWN[0]["text"])
    assert R.states_attribute("A funny animation everyone likes", attrs, "en")
    assert not R.states_attribute("A gritty war drama", attrs, "en")
    assert R.states_attribute("가족이 함께 보는 애니메이션", attrs, "ko")


@pytest.mark.parametrize("text, want", [
    ("a b c d", 0.0),  # grams abc, bcd: none repeats
    ("a b c a b c", 0.25),  # abc bca cab abc: one of four repeats
    ("", 0.0),
])
def test_repetition(text, want):
    assert R.repetition(text) == pytest.approx(want)


def test_language_is_judged_without_the_item_names():
    from recchat.core.textnorm import detect_language

    said = "Resident Evil 4 — 서바이벌 호러 게임이에요."
    body = R.without_names(said, SHOWN)
    assert "Resident" not in body and "게임이에요" in body
    assert detect_language(body) == "ko"
    assert detect_language(R.without_names("The Hunger Games (The Hunger Games, #1) — a dystopian novel.", SHOWN)) == "en"
