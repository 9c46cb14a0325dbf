"""The CF context line for the prompt, with titles from a real (tiny) LanceDB catalog."""

from __future__ import annotations

import pandas as pd
import pytest

from recchat.cf import available_cf, best_model, cf_context, train_from_interactions
from recchat.retrieval.embedder import get_embedder
from recchat.core.schema import Item
from recchat.retrieval.store import get_store

TITLES = {"A": "Alpha Quest", "B": "Beta Rising", "C": "Cedar Hollow", "D": "Delta Run", "E": "Echo Park", "G": "Gamma Fall"}


def log() -> pd.DataFrame:
    rows = []
    fill = ["C", "D", "E"]
    for u in range(12):  # A is always followed by B; fillers vary; two held-out items at the end
        seq = [fill[u % 3], "A", "B", fill[(u + 1) % 3], "G"]
        rows += [(f"u{u}", it, t) for t, it in enumerate(seq)]
    return pd.DataFrame(rows, columns=["user", "item", "order"])


@pytest.fixture()
def tiny_catalog(empty_home):
    items = [Item(id=i, title=t, text=t, domain="games") for i, t in TITLES.items()]
    get_store().build("tinyg", items, get_embedder(), domain="games")
    return "tinyg"


def test_context_names_the_cf_neighbours(tiny_catalog):
    assert cf_context(tiny_catalog, ["A"]) == ""  # no CF model yet: nothing to say
    train_from_interactions(log(), tiny_catalog, ["itemknn"], progress=False, log=lambda s: None)
    assert available_cf(tiny_catalog) == ["popularity", "itemknn"] and best_model(tiny_catalog) == "itemknn"
    assert cf_context(tiny_catalog, ["A"], k=1) == "People who played these also played: Beta Rising."
    line = cf_context(tiny_catalog, ["C", "A"], k=3)
    assert line.startswith("People who played these also played: Beta Rising; ")
    assert "Alpha Quest" not in line and "Cedar Hollow" not in line  # history items are never suggested
    assert line.count(";") == 2
    assert cf_context(tiny_catalog, ["A"], k=1, language="ko") == "이 항목들을 좋아한 사람들이 함께 좋아한 항목: Beta Rising."
    assert cf_context(tiny_catalog, ["A"], k=1, domain="movies").startswith("People who watched these also watched:")
    assert cf_context(tiny_catalog, ["no-such-id"]) == ""  # nothing the model knows


def test_drivers_name_the_history_item_behind_each_pick(tiny_catalog):
    from recchat.cf import load_cf
    from recchat.cf.context import drivers

    train_from_interactions(log(), tiny_catalog, models=["itemknn"], progress=False, log=lambda *a: None)
    model = load_cf(tiny_catalog, "itemknn")
    # B always follows A, so with A and C in the history, A is what points at B; G (held out) has no driver
    d = drivers(model, ["C", "A", "unknown"], ["B", "G"])
    assert d.get("B") == "A" and "G" not in d
