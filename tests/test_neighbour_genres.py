"""Genres spread from co-consumed items (recchat/catalog/neighbour_genres.py): a hand-made similarity
graph whose shares are computed by hand, then the join into a built catalog's items."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recchat.catalog import neighbour_genres as NG
from recchat.catalog.model_genres import join
from recchat.core.schema import Item

# item 3 has no genres; its neighbours 0, 1, 2 weigh 0.5, 0.3, 0.2
SIM = sp.csr_matrix(np.array([
    [0.0, 0.6, 0.1, 0.5],
    [0.6, 0.0, 0.1, 0.3],
    [0.1, 0.1, 0.0, 0.2],
    [0.5, 0.3, 0.2, 0.0],
], np.float32))
IDS = ["a", "b", "c", "d"]
LABELS = {"a": ["Horror"], "b": ["horror", "classics"], "c": ["romance"]}


def test_an_items_genres_are_the_similarity_shares_of_its_labelled_neighbours():
    lab = {0: {"horror"}, 1: {"horror", "classics"}, 2: {"romance"}}
    got = NG.predict(3, SIM, lab, k=20, min_labelled=3)
    assert got == pytest.approx({"horror": 0.8, "classics": 0.3, "romance": 0.2})
    assert NG.assign(got, 0.5) == ["horror"] and NG.assign(got, 0.25) == ["horror", "classics"]
    assert NG.predict(3, SIM, lab, k=2, min_labelled=2) == pytest.approx({"horror": 1.0, "classics": 0.375})
    assert NG.predict(3, SIM, lab, min_labelled=4) == {}  # too few labelled neighbours to say
    # its own labels never count: "a" from b (0.6), c (0.1) and d (unlabelled)
    assert NG.predict(0, SIM, lab, min_labelled=2) == pytest.approx({"horror": 0.6 / 0.7, "classics": 0.6 / 0.7,
                                                                     "romance": 0.1 / 0.7})


def test_the_rule_is_checked_on_labelled_items_and_labels_only_the_unlabelled():
    lab = {0: {"horror"}, 1: {"horror", "classics"}, 2: {"romance"}}
    c = NG.check(SIM, lab, share=0.5, k=20)
    # min_labelled 3 is never met among the labelled (each has two labelled neighbours): nothing predicted
    assert (c.precision, c.recall, c.covered, c.labelled) == (0.0, 0.0, 0.0, 3)
    assert NG.propagate(IDS, SIM, LABELS, share=0.5) == [("d", ["horror"], pytest.approx(0.8))]


def test_the_datas_genres_and_the_models_win_over_the_neighbours():
    items = [Item(id="a", title="A", text="A", metadata={"genres": ["drama"]}),
             Item(id="b", title="B", text="B", metadata={"model_genres": ["fantasy"]}),
             Item(id="d", title="D", text="D", metadata={})]
    n = join(items, {"a": ["horror"], "b": ["horror"], "d": ["horror"]}, embed=False, key=NG.KEY)
    assert n == 1 and items[2].metadata[NG.KEY] == ["horror"] and items[2].text == "D | genres: horror"
    assert "horror" not in items[0].text + items[1].text
    assert items[2].embed_text == "D"  # the embedder keeps reading the data's own text


def test_a_card_says_whose_guess_its_genres_are():
    from recchat.app.cards import meta_line

    assert meta_line({"year": 1999, "neighbour_genres": ["horror", "classics"]}) == \
        "year: 1999 · genres (similar items): horror, classics"
    assert meta_line({"model_genres": ["fantasy"]}) == "genres (model): fantasy"
    assert meta_line({"genres": ["drama"]}) == "genres: drama"
