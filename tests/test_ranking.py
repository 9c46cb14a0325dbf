"""The one ranking (recchat/ranking): tiny catalogs built with the real embedder and LanceDB, ranked
through the real pipeline with the shipped learned model, checked against hand-set expectations."""

from __future__ import annotations

import pytest

from recchat.ranking.grounding import ground
from recchat.ranking.query import in_catalog_language
from tests.conftest import build_tiny_catalog

MOVIES = [
    ("1", "Night Harbor", "a crime thriller: a detective hunts a serial killer through a rainy city", 2),
    ("2", "Laugh Factory", "a slapstick comedy about two clumsy bakers", 40),
    ("3", "Star Voyage", "science fiction adventure in deep space with aliens", 30),
    ("4", "Kitchen Stories", "a documentary about cooking pasta in Italian family kitchens", 500),
    ("5", "Haunted Hollow", "a horror movie about a haunted house in the woods", 1),
    ("6", "Love in Paris", "a romantic comedy about a chance meeting in Paris", 25),
    ("7", "Desert Kings", "a war drama about soldiers in the desert", 10),
    ("8", "Toy Parade", "an animated family comedy about toys that come alive", 60),
]


@pytest.fixture()
def tiny(empty_home):
    return build_tiny_catalog("tiny", MOVIES, "movies")


def _ask(catalog: str, query: str, **kw) -> list[str]:
    from recchat.chat.pipeline import AskRequest, answer

    a = answer(AskRequest(query=query, catalog=catalog, task="search", use_llm=False, top_k=8, **kw))
    return [it.title for it in a.items]


def test_korean_words_become_the_catalogs_words():
    # the catalog's own noun (movie, book, game) adds no search words: its titles use them otherwise
    assert in_catalog_language("범죄 스릴러 영화 추천해줘", "ko", "en") == "crime thriller"
    assert in_catalog_language("젤다 같은 오픈월드 RPG", "ko", "en") == "open world RPG"  # "like" would find "Like ..." titles
    assert in_catalog_language("느긋하게 힐링할 수 있는 게임", "ko", "en") == "relaxing healing relaxing"  # word + ending
    assert in_catalog_language("SF 고전 명작", "ko", "en") == "science fiction sci-fi classic classic masterpiece"
    assert in_catalog_language("경쟁 없이 느긋한 게임", "ko", "en") == "relaxing"  # what is not wanted is dropped
    assert in_catalog_language("좀비공포", "ko", "en") == "zombie horror"  # a compound written as one word
    assert in_catalog_language("a crime thriller", "en", "en") == "a crime thriller"
    assert in_catalog_language("반도체 수출", "ko", "ko") == "반도체 수출"  # same language: untouched
    # the catalogs' tag vocabulary (court, lawyers, gothic...), and "나" ("or") taken off like a particle
    assert in_catalog_language("법정 드라마", "ko", "en") == "court lawyers drama"
    assert in_catalog_language("으스스한 고딕 소설", "ko", "en") == "spooky creepy gothic"
    assert in_catalog_language("밴드나 음악", "ko", "en") == "band music music"
    assert in_catalog_language("하나", "ko", "en") == ""  # "나" is only taken off when what is left is a word
    # an ending whose last syllable is also a particle ("요리하는": 는), and a known word with one more
    # syllable naming a person of it ("연쇄살인범": serial killer + 범, offender)
    assert in_catalog_language("요리하는 애니", "ko", "en") == "cooking"
    assert in_catalog_language("연쇄살인범을 쫓는 형사", "ko", "en") == "serial killer detective police"
    assert in_catalog_language("전기차", "ko", "en") == ""  # a two-syllable word + one is another word (전기: biography)


def test_full_text_leaves_out_only_the_nouns_naming_the_catalogs_kind():
    from recchat.ranking.query import full_text_words

    assert full_text_words("YA dystopian books", "books") == "YA dystopian"
    assert full_text_words("couch party games for four", "games") == "couch party for four"
    # on an anime catalog "a game" is what the story is about
    assert full_text_words("anime where the hero is trapped in a game", "anime") == "where the hero is trapped in a game"
    assert full_text_words("books", "books") == ""  # nothing left to search for
    assert full_text_words("a heist movie", "news") == "a heist movie"
    assert full_text_words("recommend something dark", "news") == "dark"  # no item is about "something"
    # praise says how good, not what: "great" and "classic" found "Great Race" and Star Wars ("classic sci-fi")
    assert full_text_words("a classic musical with really great songs", "movies") == "a musical with songs"
    assert full_text_words("a state that controls everything", "books") == "a state that controls"
    assert full_text_words("Great Expectations", "books") == "Expectations"  # a title stays with the vector


def test_korean_request_on_an_english_catalog_finds_its_english_twin(tiny):
    en = _ask(tiny, "a crime thriller movie")
    ko = _ask(tiny, "범죄 스릴러 영화 추천해줘")
    assert en[0] == "Night Harbor"
    assert ko[0] == en[0]
    assert _ask(tiny, "무서운 공포 영화")[0] == "Haunted Hollow"


def test_the_prior_cannot_lift_an_unmatched_item_above_a_matching_one(tiny):
    # "Kitchen Stories" is by far the most consumed item and shares nothing with the request
    titles = _ask(tiny, "a haunted house horror movie")
    assert titles[0] == "Haunted Hollow"
    if "Kitchen Stories" in titles:
        assert titles.index("Kitchen Stories") > titles.index("Haunted Hollow")
    # and with the prior switched off the order of matching items is still the request's
    assert _ask(tiny, "a haunted house horror movie", rank_off="prior")[0] == "Haunted Hollow"


def test_named_titles_are_grounded_to_real_items_only(tiny):
    from recchat.retrieval.store import get_store

    idx = get_store().title_index(tiny)
    got = ground(["Night Harbour", "A Film That Does Not Exist", "toy parade", "Star Voyage II: Return"], idx)
    assert set(got) <= {m[0] for m in MOVIES}
    assert "1" in got and "8" in got  # fuzzy ("Harbour") and exact after normalising case
    assert got["8"] == 1.0 and got["1"] < 1.0


def test_unmatched_named_titles_never_appear_as_items_or_in_the_rationale():
    from recchat import prompts

    u = prompts.split_understanding(" Night Harbor; Totally Invented Film\nGenres: crime, thriller")
    assert u.names == ["Night Harbor", "Totally Invented Film"] and u.genres == "crime, thriller"
    # the pipeline passes only titles of shown items that grounding matched
    shown = prompts.display_understanding(u.genres, ["Night Harbor"], "en")
    assert "Night Harbor" in shown and "Totally Invented" not in shown
    ko = prompts.display_understanding(u.genres, [], "ko")
    assert "범죄" in ko and "스릴러" in ko and "Invented" not in ko
    # a genre word with no Korean entry is left out, not shown in English
    assert prompts.display_understanding("crime, home furniture", [], "ko") == "찾는 분위기: 범죄"
    # no Genres line: the titles it named are not shown as what fits
    bare = prompts.split_understanding(" Harry Potter and the Sorcerer's Stone")
    assert prompts.display_understanding(bare.genres, [], "en") == ""


def test_a_requests_second_pass_reuses_the_first_passs_searches(tiny, monkeypatch):
    from recchat.ranking.candidates import RequestSearches
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    store = get_store()
    calls = []
    real = store.vector_search
    monkeypatch.setattr(store, "vector_search", lambda *a, **k: calls.append(a) or real(*a, **k))
    searches = RequestSearches(store)
    vec = get_embedder().embed_queries(["a crime thriller"])[0]
    first = searches.vector_search(tiny, vec, 5)
    again = searches.vector_search(tiny, vec.copy(), 5)
    other = searches.vector_search(tiny, vec, 3)
    assert again == first and len(calls) == 2  # the same question once; another k is asked
    assert [r["title"] for r in first][0] == "Night Harbor" and len(other) == 3
    assert searches.title_index(tiny) is store.title_index(tiny)  # the rest goes to the store


ROMANCES = [  # (id, title, description, times consumed): every one matches "romance"
    ("r1", "Rain", "romance", 1),
    ("r2", "Snow", "romance", 2),
    ("r3", "Tears of the Sun", "a long drama and romance about two families over forty years", 900),
    ("r4", "Tide", "a romance by the sea", 3),
    ("r5", "Quiet Garden", "a gentle story about a widow and her garden and a late romance", 50),
]


def test_well_known_matches_below_the_full_text_depth_still_become_candidates(empty_home):
    """BM25 ranks a common word's matches by how short their text is; the most consumed of the
    matches it leaves below the depth join the candidates, best-known first, with their BM25 score."""
    from recchat.catalog import prior
    from recchat.ranking.candidates import popular_matches
    from recchat.retrieval.store import get_store

    build_tiny_catalog("rom", ROMANCES, "movies")
    store, p = get_store(), prior.load("rom")
    top2 = [i for i, _ in store.text_matches("rom", "romance", 2)]
    assert "r3" not in top2  # its long text puts it last by BM25
    extra = popular_matches(store, "rom", "romance", 2, p, n=2)
    assert [r["id"] for r in extra] == sorted(["r3", "r5"], key=lambda i: -dict(store.text_matches("rom", "romance", 9))[i])
    assert all(r["_score"] > 0 and len(r["vector"]) for r in extra)
    assert popular_matches(store, "rom", "romance", 2, {}, n=2) == []  # no prior: no notion of well-known
    assert popular_matches(store, "rom", "romance", 9, p, n=2) == []  # nothing below the depth


def test_named_titles_are_fused_as_a_second_list_only_when_weighted(tiny):
    """RECCHAT_NAMED_WEIGHT: 0 (the default) leaves a named title where the learned order puts it (the
    name is a feature and a candidate); a weight fuses the named titles with that order as a list."""
    from recchat.ranking.search import ModelText, SearchInput, score_search
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    q = "a funny comedy movie"
    vec = get_embedder().embed_queries([q])[0]
    named = ModelText(text="Desert Kings", vec=get_embedder().embed_queries(["Desert Kings"])[0], names=["Desert Kings"])
    inp = SearchInput(query=q, query_vec=vec, catalog_text=q, catalog_vec=None, llm=named)

    def place(weight):
        _, scores = score_search(get_store(), tiny, inp, {}, depth=50, named_weight=weight)
        return sorted(scores, key=lambda i: -scores[i]).index("7")  # Desert Kings, a war drama

    assert place(0.0) > 0  # by default a wrong guess of another kind does not lead a comedy request
    assert place(1.0) < place(0.0)


def test_a_word_the_items_spell_differently_still_finds_them(empty_home):
    # "dystopia" is in no item's fields, "dystopian" is (BM25's stemmer keeps the two apart); without
    # the catalog's own form of the word the title pun and the popular "Utopia" come first
    books = [("1", "Grey State", "genres: dystopian, politics", 5),
             ("2", "Dystopia: A Cookbook", "genres: cooking", 300),
             ("3", "The Long Voyage", "genres: adventure, sea", 200),
             ("4", "Utopia", "genres: philosophy, politics", 250)]
    name = build_tiny_catalog("tinybooks", books, "books")
    assert _ask(name, "a dystopia")[0] == "Grey State"
