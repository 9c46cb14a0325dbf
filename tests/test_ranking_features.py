"""Ranking features on tiny hand-made inputs with hand-computed answers (RecBole style), and the
rule that the ranker never trains on a held-out domain."""

import numpy as np
import pytest

from recchat.core.errors import BadInput
from recchat.ranking import features as F
from recchat.ranking.candidates import Pool
from recchat.ranking.history import HistoryInput, featurize


def test_recency_weights_favour_the_newest_item():
    w = F.recency_weights(3, decay=0.5)
    assert np.allclose(w, np.array([0.25, 0.5, 1.0]) / 1.75)


def test_gap_scaled_and_rank_features():
    assert np.allclose(F.gap(np.array([0.2, 0.5, 0.4], np.float32)), [-0.3, 0.0, -0.1])
    assert np.allclose(F.scaled(["a", "b", "c"], {"a": 2.0, "b": 4.0}), [0.5, 1.0, 0.0])
    assert np.isnan(F.scaled(["a"], None)).all()  # the signal did not run: missing, not zero
    assert np.allclose(F.rank_feature(["a", "b", "c"], ["b", "a"]), [0.5, 1.0, 0.0])


def test_switched_off_signals_become_missing():
    cols = {f: np.ones(2, np.float32) for f in F.SEARCH}
    x = F.matrix(cols, F.SEARCH, {"prior"})
    j = F.SEARCH.index("pop"), F.SEARCH.index("quality"), F.SEARCH.index("cos_q")
    assert np.isnan(x[:, j[0]]).all() and np.isnan(x[:, j[1]]).all() and (x[:, j[2]] == 1).all()


def test_history_features_on_a_hand_made_history():
    # 2-d "embeddings": h1 points east, h2 (the newest) north; a is east, b is north, c is in between
    hist = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    pool = Pool(rows={"a": {"vector": [1.0, 0.0]}, "b": {"vector": [0.0, 1.0]}, "c": {"vector": [1.0, 1.0]}},
                lists={"mean": ["c", "a", "b"]}, scores={"bm25_h": {"b": 2.0, "c": 1.0}})
    inp = HistoryInput(history_vecs=hist, history_ids=["h1", "h2"], titles_text="")
    cf = {"a": 0.0, "b": 1.0, "c": 0.0}
    ids, x = featurize(pool, inp, {}, cf, {"a": (0.9, 0.5), "b": (0.1, 0.2)}, set(), F.HISTORY)
    col = {f: dict(zip(ids, x[:, j])) for j, f in enumerate(F.HISTORY)}
    assert col["cos_last"]["b"] == pytest.approx(1.0) and col["cos_last"]["a"] == pytest.approx(0.0)
    assert col["cos_max"]["a"] == pytest.approx(1.0) and col["cos_max"]["c"] == pytest.approx(np.sqrt(0.5))
    assert col["cos_mean"]["c"] == pytest.approx(1.0)  # the mean of east and north points at c
    # recency: the newest item (north) weighs 1, the older 0.7, so b is closer than a
    assert col["cos_recent"]["b"] > col["cos_recent"]["a"]
    assert col["bm25_h"]["b"] == pytest.approx(1.0) and col["bm25_h"]["a"] == 0.0
    assert col["cf"]["b"] == 1.0 and col["pop"]["a"] == pytest.approx(0.9) and np.isnan(col["pop"]["c"])
    assert col["rank_mean"]["c"] == 1.0 and col["rank_mean"]["b"] == pytest.approx(1 / 3)
    assert np.isnan(col["ground"]["a"])  # the model did not run


def test_the_ranker_refuses_held_out_domains():
    from training.rank.train import RankConfig, main

    for name in ("games", "steam", "office"):
        with pytest.raises(BadInput, match="held-out"):
            main(RankConfig(catalogs=["movies", name]))


def test_word_overlap_tells_a_title_match_from_a_genre_match():
    rows = [{"title": "Small Soldiers (1998)", "text": "Small Soldiers (1998) | genres: Animation, Children"},
            {"title": "Saving Private Ryan (1998)", "text": "Saving Private Ryan (1998) | genres: Drama, War | tags: soldiers"},
            {"title": "Heat (1995)", "text": "Heat (1995) | genres: Crime"}]
    desc, title = F.word_overlap("war movie about soldiers", rows)  # words: war, soldier ("movie" is a stopword)
    assert desc.tolist() == pytest.approx([0.0, 1.0, 0.0])
    assert title.tolist() == pytest.approx([0.5, 0.0, 0.0])  # "Soldiers" in the title only
    nan_desc, _ = F.word_overlap("the a of", rows)  # no content words: the feature does not apply
    assert np.isnan(nan_desc).all()


def test_title_overlap_counts_the_candidates_title_words_seen_in_the_history():
    rows = [{"title": "Halo 4 - Xbox 360"}, {"title": "Mario Kart 8 - Wii U"}, {"title": "Halo"}]
    got = F.title_overlap(["Halo 3 - Xbox 360", "Gears of War - Xbox 360"], rows)
    # words: {halo, xbox} / {mario, kart, wii} / {halo} (numbers and 2-letter words do not count)
    assert got.tolist() == pytest.approx([1.0, 0.0, 1.0])
    assert F.title_overlap([], rows).tolist() == [0.0, 0.0, 0.0]


def test_the_history_ranking_feeds_the_shipped_model_the_features_it_lists():
    from recchat.ranking import model

    names = model.features("history", F.HISTORY)
    assert set(names) <= set(F.HISTORY) and list(names) == model.load("history").feature_name()


def test_description_bm25_weighs_rare_words_and_ignores_titles():
    from recchat.retrieval.words import WordStats, bm25, description

    rows = [{"title": "Fracture (2007)", "text": "Fracture (2007) | genres: Drama | tags: courtroom"},
            {"title": "Trial, The (1962)", "text": "Trial, The (1962) | genres: Drama"},
            {"title": "Big (1988)", "text": "Big (1988) | genres: Comedy"}]
    descs = [description(r) for r in rows]
    stats = WordStats.of(descs)
    # words: {genres, drama, tags, courtroom}, {genres, drama}, {genres, comedy}: 3 docs, mean length 8/3
    assert stats.docs == 3 and stats.mean_len == pytest.approx(8 / 3) and stats.df["drama"] == 2
    got = bm25("a big courtroom drama about a trial", descs, stats)
    idf_court, idf_drama = np.log(1 + 2.5 / 1.5), np.log(1 + 1.5 / 2.5)
    # k1 1.2, b 0.75: length norms 1.2 * (0.25 + 0.75 * len / mean) = 1.65 (4 words) and 0.975 (2 words)
    want = [(idf_court + idf_drama) * 2.2 / 2.65, idf_drama * 2.2 / 1.975, 0.0]
    assert got.tolist() == pytest.approx(want, rel=1e-5)  # "big" and "trial" are only in titles: no score
    assert F.scaled_array(got).tolist() == pytest.approx([1.0, want[1] / want[0], 0.0])
    assert bm25("the of", descs, stats).tolist() == [0.0, 0.0, 0.0]


def test_a_given_list_case_holds_its_target_and_draws_negatives_outside_the_history(empty_home):
    """training/rank/train.py fits the history ranker on given lists too (what --candidates and
    candidates20 rank): the target plus items drawn from the catalog, none of them consumed, and the
    `given` feature says which kind of ranking a row belongs to."""
    from recchat.retrieval.store import get_store
    from tests.conftest import build_tiny_catalog
    from training.rank.cases import HistoryCase
    from training.rank.train import RankConfig, given_group

    rows = [(str(i), f"Film {w}", f"a {w} story", 10 - i) for i, w in enumerate(
        ["heist", "war", "space", "romance", "horror", "western", "musical", "sports", "spy", "zombie"])]
    build_tiny_catalog("tinyh", rows, "movies")
    store = get_store()
    hist = store.get("tinyh", ["0", "1"])
    inp = HistoryInput(history_vecs=np.asarray([r["vector"] for r in hist], np.float32), history_ids=["0", "1"],
                       titles_text="Film heist Film war")
    case = HistoryCase("tinyh", "u", ["0", "1"], "5")
    cfg = RankConfig(given_negatives=4, depth=10)
    x, y, name = given_group(cfg, store, "tinyh", inp, case, np.array([r[0] for r in rows]),
                             np.random.default_rng(0), {})
    assert name == "tinyh" and len(y) == 5 and y.sum() == 1  # the target and four others
    assert (x[:, F.HISTORY.index("given")] == 1.0).all()
    assert (x[:, F.HISTORY.index("cos_max")] < 0.999).all()  # no history item (cosine 1 with itself) among them
    full = featurize(Pool(rows={"5": store.get("tinyh", ["5"])[0]}), inp, {}, None, {}, set(), F.HISTORY)[1]
    assert full[0, F.HISTORY.index("given")] == 0.0


@pytest.mark.parametrize("a,b,same", [
    ("dystopia", "dystopian", True), ("mystery", "mysterious", True), ("court", "courtroom", True),
    ("apocalypse", "apocalyptic", True),
    ("anime", "animal", False),  # a shared "anim" is too short to be one word
    ("horror", "horrific", False), ("crime", "criminal", False), ("cook", "cooking", False),
    ("drama", "drama", False),
])
def test_two_forms_of_one_word_share_a_long_beginning(a, b, same):
    from recchat.retrieval.words import same_stem

    assert same_stem(a, b) is same and same_stem(b, a) is same


def test_a_request_word_no_item_uses_becomes_the_catalogs_form_of_it():
    from recchat.retrieval.words import WordStats, in_vocabulary

    stats = WordStats.of(["genres: dystopian, classics", "genres: dystopian", "genres: mysterious, horror",
                          "by: Robin Cooke | genres: cooking"])
    assert stats.variant("dystopia") == "dystopian"
    assert stats.variant("dystopian") is None  # used as it is, and by as many items as any other form
    assert WordStats.of(["tags: court"] * 3 + ["tags: courtroom"]).variant("courtroom") == "courtroom court"
    assert WordStats.of(["tags: court"] * 2 + ["tags: courtroom"]).variant("courtroom") is None  # < 3x as common
    assert stats.variant("horrific") is None and stats.variant("cook") is None  # nothing close / too short
    assert in_vocabulary("a bleak dystopia, mysteries and horror", stats) == "a bleak dystopian, mysterious and horror"
    assert in_vocabulary("dystopia", None) == "dystopia"


def test_cf_features_are_missing_when_no_candidate_co_occurred_with_the_history(empty_home):
    """A CF model scores every item (a popularity tie-break below any co-occurrence); min-max scaling
    used to spread that tie-break over 0..1, so a list of strangers read as strong CF evidence."""
    from recchat.cf.data import LogSplit
    from recchat.cf.itemknn import ItemKNN
    from recchat.ranking.history import pool_for
    from recchat.retrieval.store import get_store
    from tests.conftest import build_tiny_catalog

    rows = [(str(i), f"Film {w}", f"a {w} story", 10 - i) for i, w in enumerate(["heist", "war", "space", "romance", "spy"])]
    build_tiny_catalog("tinycf", rows, "movies")
    # "0" and "1" co-occur (two users); "2", "3" and "4" each with a different user, never with "0"
    split = LogSplit(item_ids=["0", "1", "2", "3", "4"],
                     train={"u1": ["0", "1"], "u2": ["1", "0"], "u3": ["2", "3"], "u4": ["4", "3"]})
    cf = ItemKNN.fit(split, k=5, shrink=0.0, progress=False)
    assert cf.evident(cf.score(["0"], ["1"])["1"]) and not cf.evident(cf.score(["0"], ["2"])["2"])
    store = get_store()
    vecs = np.asarray([store.get("tinycf", ["0"])[0]["vector"]], np.float32)

    def cf_features(candidates):
        inp = HistoryInput(history_vecs=vecs, history_ids=["0"], titles_text="Film heist", cf=cf, candidates=candidates)
        return pool_for(store, "tinycf", inp, 10, set())[2]

    assert cf_features(["2", "3", "4"]) is None  # strangers only: no CF features (NaN in the ranker)
    got = cf_features(["1", "2", "3"])
    assert got["1"] == 1.0 and got["2"] == pytest.approx(0.0, abs=1e-4) and got["3"] == pytest.approx(0.0, abs=1e-4)
