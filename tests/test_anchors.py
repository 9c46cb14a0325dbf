"""Requests that refer to items ("like The Hunger Games"): the phrases found, grounded to catalog
items (the best-known edition), and the anchors and their series left out of the answer while the
answer moves towards them. Hand-made inputs, expected outputs set by hand."""

from __future__ import annotations

import pytest

from recchat.core.textnorm import normalize_title
from recchat.ranking.anchors import franchise_keys, ground_phrases, phrases
from recchat.retrieval.rank import Exclusion
from tests.conftest import build_tiny_catalog


@pytest.mark.parametrize("query, want", [
    ("YA dystopian books like The Hunger Games", ["The Hunger Games"]),
    ("an epic fantasy series with political scheming, like Game of Thrones", ["Game of Thrones"]),
    ("Something like Inception but funnier", ["Inception"]),
    ("a thriller in the vein of Gone Girl.", ["Gone Girl"]),
    ("헝거게임 같은 청소년 디스토피아 소설 있어?", ["헝거게임"]),
    ("왕좌의 게임처럼 정치 싸움 나오는 판타지", ["왕좌의 게임"]),
    ("I feel like a comedy tonight", []),  # not a reference
    ("a movie like a dream", []),  # not written as a title
    ("a scary horror movie", []),
    ("my 10-year-old loved Harry Potter, what should they read next?", ["Harry Potter"]),
    ("I really enjoyed The Martian and want more", ["The Martian"]),
    ("I loved the way it ends", []),  # "loved" with no title after it
    ("I never liked Twilight, something darker", []),  # a negated reference is no anchor
    ("I loved Harry Potter as a kid", ["Harry Potter"]),
    ("액션 좋아하는 사람", []),
])
def test_reference_phrases(query, want):
    assert phrases(query) == want


INDEX = {normalize_title(t): ids for t, ids in {
    "The Hunger Games (The Hunger Games, #1)": ["hg1"],
    "Catching Fire (The Hunger Games, #2)": ["hg2"],
    "Minecraft - Xbox 360 Edition": ["mc360"],
    "Minecraft - PC": ["mcpc"],
    "The Legend of Zelda: Ocarina of Time": ["oot"],
    "Inception (2010)": ["inc"],
    "Dreams": ["dr"],
}.items()}


def test_phrases_ground_to_the_best_known_edition():
    pop = {"mc360": (5.0, 4.0), "mcpc": (9.0, 4.0)}  # id -> (popularity, quality), the ranking's prior
    assert ground_phrases(["The Hunger Games"], INDEX) == ["hg1"]  # the start of a series title
    assert ground_phrases(["Minecraft"], INDEX, pop) == ["mcpc"]  # the most consumed edition
    assert ground_phrases(["Zelda"], INDEX) == ["oot"]  # inside a title
    assert ground_phrases(["inception"], INDEX) == ["inc"]  # exact, after normalising
    assert ground_phrases(["A Film Nobody Made", "헝거게임"], INDEX) == []


def test_the_anchor_and_its_series_are_excluded():
    keys = franchise_keys(["The Hunger Games (The Hunger Games, #1)", "Minecraft - Xbox 360 Edition"])
    assert keys == {"hunger games", "minecraft"}
    ex = Exclusion(ids={"hg1"}, franchise=keys)

    def row(i, t):
        return {"id": i, "title": t, "title_norm": normalize_title(t)}

    assert ex.excludes(row("hg1", "The Hunger Games (The Hunger Games, #1)"))
    assert ex.excludes(row("hg2", "Catching Fire (The Hunger Games, #2)"))
    assert ex.excludes(row("mcpc", "Minecraft - PC"))
    assert not ex.excludes(row("dv", "Divergent (Divergent, #1)"))
    assert not ex.excludes(row("tr", "Terraria - Xbox One"))


BOOKS = [
    ("1", "The Hunger Games (The Hunger Games, #1)", "Suzanne Collins | young adult dystopian survival", 900),
    ("2", "Catching Fire (The Hunger Games, #2)", "Suzanne Collins | young adult dystopian sequel", 700),
    ("3", "Divergent (Divergent, #1)", "Veronica Roth | young adult dystopian factions", 600),
    ("4", "The Maze Runner (Maze Runner, #1)", "James Dashner | young adult dystopian maze", 400),
    ("5", "A Cookbook of Soups", "Jane Doe | cooking recipes soups", 50),
    ("6", "Games People Play", "Eric Berne | psychology of games", 30),
]


@pytest.fixture()
def books(empty_home):
    return build_tiny_catalog("tinybooks", BOOKS, "books")


def test_a_like_request_leaves_out_the_anchor_and_finds_its_kind(books):
    from recchat.chat.pipeline import AskRequest, answer

    a = answer(AskRequest(query="YA dystopian books like The Hunger Games", catalog=books, task="search",
                          use_llm=False, top_k=4))
    titles = [it.title for it in a.items]
    assert not any("Hunger Games" in t for t in titles)  # neither the anchor nor its sequel
    assert set(titles[:2]) == {"Divergent (Divergent, #1)", "The Maze Runner (Maze Runner, #1)"}
    assert any("left out" in n for n in a.notices)
    # without a reference the same words keep the series
    plain = answer(AskRequest(query="YA dystopian books", catalog=books, task="search", use_llm=False, top_k=4))
    assert any("Hunger Games" in it.title for it in plain.items)


def test_a_korean_reference_is_the_named_title_that_translates_it(empty_home):
    from recchat.ranking.anchors import translations
    from recchat.retrieval.embedder import get_embedder

    named = ["The Hunger Games", "Teen Titans Go!", "Teenage Mutant Ninja Turtles"]
    assert translations(["헝거게임"], named, get_embedder()) == ["The Hunger Games"]
    assert translations(["마인크래프트"], ["The Legend of Zelda", "Minecraft", "Terraria"], get_embedder()) == ["Minecraft"]
    # no named title is it: nothing is taken as the anchor
    assert translations(["헝거게임"], ["Gardening for Beginners", "A Cookbook of Soups"], get_embedder()) == []
