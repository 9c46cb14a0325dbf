"""Training cases for the ranker, from the training domains' own data only (never games, Steam or
office: HeldOutGuard-style, the catalogs are listed in the config and checked).

- search: a target item drawn in proportion to how often it is consumed (requests follow what
  people consume), and a request written from its own metadata the way the instruction-data builder
  writes search requests (training/data/rationales.search_query), in English or Korean;
- history: a user's last <= 10 training interactions and, as the target, the VALIDATION item of the
  leave-last-out split (recchat/core/split.py): the test item is never used, and the CF model and the
  prior never saw the target in that user's history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

from recchat.core.domains import CATALOG_DOMAIN
from recchat.core.schema import Item
from recchat.core.split import MIN_EVAL_LEN, training_rows
from training.data.features import qualities
from training.data.rationales import search_query


def catalog_data(name: str) -> tuple[list[Item], pd.DataFrame | None]:
    """A built catalog's items and its interaction log (None when it has none)."""
    from recchat.catalog.build import load_interactions, load_items
    from recchat.core.errors import RecchatError

    _, res = load_items(name)
    try:
        return res.items, load_interactions(name)
    except RecchatError:
        return res.items, None


@dataclass
class SearchCase:
    catalog: str
    language: str
    query: str
    target: str


@dataclass
class HistoryCase:
    catalog: str
    user: str
    history: list[str]
    target: str


def search_cases(catalog: str, items: list[Item], log: pd.DataFrame | None, n: int, ko_share: float,
                 seed: int) -> list[SearchCase]:
    rng = random.Random(f"search:{catalog}:{seed}")
    by_id = {it.id: it for it in items}
    domain = CATALOG_DOMAIN.get(catalog, items[0].domain if items else "generic")
    if log is not None and len(log):
        rows = training_rows(log)
        pool = [i for i in rows["item"].astype(str).tolist() if i in by_id]  # one entry per interaction
    else:
        pool = list(by_id)
    out: list[SearchCase] = []
    tries = 0
    while len(out) < n and tries < n * 20 and pool:
        tries += 1
        it = by_id[rng.choice(pool)]
        lang = "ko" if rng.random() < ko_share else "en"
        q = search_query(qualities(it, domain), lang, rng)
        if q and it.title.lower() not in q.lower():
            out.append(SearchCase(catalog, lang, q, it.id))
    return out


def history_cases(catalog: str, log: pd.DataFrame, n: int, seed: int, max_history: int = 10) -> list[HistoryCase]:
    d = log.dropna(subset=["user", "item", "order"])
    d = d.assign(user=d["user"].astype(str), item=d["item"].astype(str)).sort_values(["user", "order"], kind="mergesort")
    seqs = {u: g.tolist() for u, g in d.groupby("user", sort=False)["item"]}
    users = sorted(u for u, s in seqs.items() if len(s) >= MIN_EVAL_LEN + 1)  # >= 2 history items before valid
    random.Random(f"history:{catalog}:{seed}").shuffle(users)
    out = []
    for u in users[:n]:
        s = seqs[u]
        hist, valid = s[:-2], s[-2]
        out.append(HistoryCase(catalog, u, hist[-max_history:], valid))
    return out
