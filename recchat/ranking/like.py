"""A request that names items it wants more *like* ("YA dystopian books like The Hunger Games"):
ranked as a search (what the words ask for) and as a history of its anchors (what people who liked
them liked next), the two learned orders fused by reciprocal rank, so items that fit both lead."""

from __future__ import annotations

import numpy as np

from recchat.ranking.anchors import core_title
from recchat.ranking.candidates import Pool, fill
from recchat.ranking.history import HistoryInput, score_history
from recchat.ranking.search import SearchInput, score_search
from recchat.retrieval.rank import Exclusion, rrf
from recchat.retrieval.store import CatalogStore


def score_like(store: CatalogStore, catalog: str, inp: SearchInput, anchors: list[dict], prior: dict, *,
               depth: int = 100, off: set[str] = frozenset(), fts_weight: float = 1.0, learned: bool = True,
               cf=None, exclusion: Exclusion | None = None, named_weight: float = 0.0) -> tuple[Pool, dict[str, float]]:
    """(pool, id -> score) like score_search's; `anchors` are the referred items' rows, `cf` an item-kNN
    of the catalog's log. Items the answer leaves out (the anchors' series) are dropped from both
    orders before they are fused, so they take no rank from the rest."""
    pool, s_scores = score_search(store, catalog, inp, prior, depth=depth, off=off, fts_weight=fts_weight,
                                  learned=learned, named_weight=named_weight)
    if not anchors:
        return pool, s_scores
    h_inp = HistoryInput(history_vecs=np.asarray([a["vector"] for a in anchors], np.float32),
                         history_ids=[a["id"] for a in anchors],
                         # the anchors' own names, not their platform or series ("Minecraft - PlayStation 4"
                         # would find every PlayStation 4 game)
                         titles_text=" ".join(core_title(a["title"]) for a in anchors),
                         titles=[core_title(a["title"]) for a in anchors],
                         llm=inp.llm, cf=cf, candidates=inp.candidates)
    # no full text on the anchors' titles: their series is left out of the answer, so title words could only
    # find items that merely share a word ("Games People Play" for "The Hunger Games")
    h_pool, h_scores = score_history(store, catalog, h_inp, prior, depth=depth, off=set(off) | {"bm25"},
                                     fts_weight=fts_weight, learned=learned)
    for i, r in h_pool.rows.items():
        pool.rows.setdefault(i, r)
    shown = (lambda i: not exclusion.excludes(pool.rows[i])) if exclusion else (lambda i: True)
    fused = rrf([[i for i in sorted(s, key=lambda i: -s[i]) if shown(i)] for s in (s_scores, h_scores)])
    fill(store, catalog, pool, list(fused))
    return pool, fused
