"""HyDE vector, fusion, exclusion and history matching on small hand-made inputs."""

import numpy as np
import pytest

from recchat.retrieval.embedder import get_embedder
from recchat.retrieval.rank import Exclusion, hyde_vector, rationale_usable, resolve_history, rrf, select
from recchat.core.schema import Item
from recchat.retrieval.store import get_store


def test_hyde_vector_is_normalised_weighted_mean():
    u = np.array([1.0, 0.0], np.float32)
    r = np.array([0.0, 2.0], np.float32)  # not unit: normalised first
    v = hyde_vector(u, r, 0.5)
    assert np.allclose(v, [np.sqrt(0.5), np.sqrt(0.5)])
    v = hyde_vector(u, r, 0.75)
    assert np.allclose(v, np.array([0.75, 0.25]) / np.hypot(0.75, 0.25))
    assert np.allclose(hyde_vector(u * 3, None, 0.5), u)


def test_rrf_hand_computed():
    s = rrf([["a", "b"], ["b", "c"]], k=1)
    assert s["a"] == pytest.approx(1 / 2)
    assert s["b"] == pytest.approx(1 / 3 + 1 / 2)
    assert s["c"] == pytest.approx(1 / 3)
    s = rrf([["a"], ["a"]], weights=[1.0, 0.5], k=0)
    assert s["a"] == pytest.approx(1.5)


def test_rationale_gate():
    u = np.array([1.0, 0.0])
    assert rationale_usable("a warm animated comedy for families", np.array([0.9, 0.1]), u, 0.75)[0]
    ok, why = rationale_usable("toys toys toys " * 30, np.array([1.0, 0.0]), u, 0.75)
    assert not ok and "repeats" in why
    ok, why = rationale_usable("a gritty war documentary about submarines", np.array([0.0, 1.0]), u, 0.75)
    assert not ok and "off-topic" in why
    assert not rationale_usable("", None, u, 0.75)[0]
    # a second view of the request (its words in the catalog's language) can vouch for the text
    assert rationale_usable("a gritty war documentary about submarines", np.array([0.0, 1.0]),
                            [u, np.array([0.1, 0.9])], 0.75)[0]


TITLES = [
    ("1", "Toy Story (1995)", "Animation|Children|Comedy"),
    ("2", "Matrix, The (1999)", "Action|Sci-Fi"),
    ("3", "Toy Story 2 (1999)", "Animation|Children|Comedy"),
    ("4", "Heat (1995)", "Action|Crime|Thriller"),
    ("5", "Alien (1979)", "Horror|Sci-Fi"),
    ("6", "Finding Nemo (2003)", "Animation|Children|Comedy"),
    ("7", "Schindler's List (1993)", "Drama|War"),
    ("8", "Aliens (1986)", "Action|Horror|Sci-Fi"),
]


@pytest.fixture()
def tiny(empty_home):
    items = [Item(id=i, title=t, text=f"{t} | genres: {g.replace('|', ', ')}", domain="movies") for i, t, g in TITLES]
    get_store().build("tiny", items, get_embedder())
    return get_store()


def test_resolve_history_matches_titles_loosely(tiny):
    rows, unresolved = resolve_history(tiny, "tiny", ["the matrix", "TOY STORY", "5", "Nonexistent Film"])
    assert [r["id"] for r in rows] == ["2", "1", "5"]
    assert unresolved == ["Nonexistent Film"]


def _ranked(store, query, k=5, exclusion=None, candidates=None, drop_terms=None):
    """The one ranking (recchat/ranking), without the model, then the pipeline's selection."""
    from recchat.ranking.search import SearchInput, score_search

    inp = SearchInput(query=query, query_vec=get_embedder().embed_queries([query])[0], catalog_text=query,
                      catalog_vec=None, candidates=candidates)
    pool, scores = score_search(store, "tiny", inp, {}, depth=50)
    return select(sorted(scores, key=lambda i: -scores[i]), pool.rows, exclusion or Exclusion(), drop_terms, k)


def test_rank_excludes_consumed_items_by_id_and_title(tiny):
    rows = _ranked(tiny, "animated movie about toys", exclusion=Exclusion(ids={"1"}, title_norms={"finding nemo"}))
    ids = [r["id"] for r in rows]
    assert "1" not in ids and "6" not in ids
    assert ids[0] == "3"  # Toy Story 2 is the best remaining match
    assert len(ids) == len(set(ids)) == 5


def test_rank_candidates_only_and_drop_terms(tiny):
    rows = _ranked(tiny, "scary space monster", k=3, candidates=["4", "5", "7"])
    assert {r["id"] for r in rows} == {"4", "5", "7"} and rows[0]["id"] == "5"
    rows = _ranked(tiny, "scary space monster", k=8, drop_terms=["horror"])
    assert not {"5", "8"} & {r["id"] for r in rows}


def test_evidence_names_shared_words_not_years():
    from recchat.retrieval.rank import evidence_for
    from recchat.retrieval.words import terms

    wanted = terms("Finding Nemo (2003), Toy Story (1995): animated adventures")
    assert wanted == {"finding", "nemo", "toy", "story", "animated", "adventures"}
    row = {"text": "Brother Bear (2003) | genres: Animation, Adventure | tags: animated, bears"}
    assert evidence_for(row, wanted) == "matches: animated"
    assert evidence_for({"text": "Elf (2003) | genres: Comedy"}, wanted) == "Elf (2003) | genres: Comedy"


def test_description_full_text_counts_fields_not_titles(tiny):
    """bm25_d on a real catalog: "Aliens (1986)" shares "aliens" with the request only through its
    title, "The Matrix" has neither word, and the word stats follow a rebuild (a new table version)."""
    from recchat.ranking import features as F
    from recchat.ranking.candidates import Pool
    from recchat.ranking.search import SearchInput, featurize

    stats = tiny.word_stats("tiny")
    assert stats.docs == len(TITLES) and stats.df["comedy"] == 3 and "aliens" not in stats.df
    rows = {r["id"]: r for r in tiny.get("tiny", ["8", "6", "2"])}
    q = "aliens comedy"
    inp = SearchInput(query=q, query_vec=get_embedder().embed_queries([q])[0], catalog_text=q, catalog_vec=None)
    ids, x = featurize(Pool(rows=rows), inp, {}, {}, set(), F.SEARCH, stats)
    got = dict(zip(ids, x[:, F.SEARCH.index("bm25_d")]))
    assert got["6"] == 1.0 and got["8"] == 0.0 and got["2"] == 0.0  # Finding Nemo's genres have "comedy"
    items = [Item(id="9", title="Airplane! (1980)", text="Airplane! (1980) | genres: Comedy", domain="movies")]
    tiny.build("tiny", items, get_embedder())
    assert tiny.word_stats("tiny").docs == 1
