"""The runtime's CF path: a tiny catalog whose log says "after Toy Story comes Schindler's List".

No text links the two, so only collaborative knowledge can put it on top.
"""

import pandas as pd
import pytest

from recchat.retrieval.embedder import get_embedder
from recchat.chat.pipeline import AskRequest, answer
from recchat.core.schema import Item
from recchat.retrieval.store import get_store
from tests.test_retrieval import TITLES


@pytest.fixture()
def tiny_cf(empty_home):
    items = [Item(id=i, title=t, text=f"{t} | genres: {g.replace('|', ', ')}", domain="movies") for i, t, g in TITLES]
    get_store().build("tiny", items, get_embedder())
    rows = []
    for u in range(30):  # everyone: Toy Story -> Schindler's List -> three more (the last two are held out)
        for n, it in enumerate(["1", "7", str(2 + u % 3), "5", "8"]):
            rows.append({"user": f"u{u}", "item": it, "order": n, "rating": 1.0})
    from recchat.cf import train_from_interactions

    train_from_interactions(pd.DataFrame(rows), "tiny", models=["itemknn"], progress=False, log=lambda *a: None)
    return "tiny"


def test_use_cf_brings_collaborative_item_up(tiny_cf):
    base = answer(AskRequest(history_ids=["1"], catalog=tiny_cf, use_llm=False, top_k=3))
    cf = answer(AskRequest(history_ids=["1"], catalog=tiny_cf, use_llm=False, top_k=3, use_cf=True, cf_weight=0.9))
    assert "7" not in [i.id for i in base.items][:1]
    assert cf.items[0].id == "7"
    toy = next(t for i, t, _ in TITLES if i == "1")
    assert cf.items[0].evidence == f"people who liked {toy} also liked this"  # what drove the pick
    assert "1" not in [i.id for i in cf.items]  # history still excluded


def test_use_cf_without_model_says_how_to_train(empty_home):
    items = [Item(id=i, title=t, text=t) for i, t, _ in TITLES]
    get_store().build("nocf", items, get_embedder())
    a = answer(AskRequest(history_ids=["1"], catalog="nocf", use_llm=False, use_cf=True))
    assert any("recchat cf train --catalog nocf" in n for n in a.notices) or len(a.items) > 0
