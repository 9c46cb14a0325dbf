"""Ranking for a free-text request: candidates from the request's vector, its catalog-language
words (vector and full text), the model's text and the titles it named; then one learned score."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recchat.ranking import features as F
from recchat.ranking import model
from recchat.ranking.candidates import (Pool, add_model_text, fill, popular_matches, restrict, rrf_scores, text_hits,
                                       vector_hits)
from recchat.retrieval.rank import rrf
from recchat.retrieval.store import CatalogStore
from recchat.retrieval.words import WordStats, bm25, description


@dataclass
class ModelText:
    """What the LLM contributed: its text (embedded) and the titles it named."""

    text: str = ""
    vec: np.ndarray | None = None
    names: list[str] = field(default_factory=list)


@dataclass
class SearchInput:
    query: str
    query_vec: np.ndarray
    catalog_text: str  # the request in the catalog's language (== query when they match)
    catalog_vec: np.ndarray | None  # its vector, None when it is the query itself
    llm: ModelText | None = None
    candidates: list[str] | None = None


def pool_for(store: CatalogStore, catalog: str, inp: SearchInput, depth: int, off: set[str],
             prior: dict | None = None) -> tuple[Pool, dict]:
    pool = Pool()
    pool.add("q", vector_hits(store, catalog, inp.query_vec, depth))
    if "translate" not in off and inp.catalog_vec is not None:
        pool.add("t", vector_hits(store, catalog, inp.catalog_vec, depth))
    if "bm25" not in off:
        hits = text_hits(store, catalog, inp.catalog_text, depth)
        if len(hits) >= depth and "popular" not in off:
            hits += popular_matches(store, catalog, inp.catalog_text, depth, prior)
        pool.add("bm25_t", hits, "_score")
    grounded = add_model_text(store, catalog, pool, inp.llm, off, depth, full_text_list="bm25_u", prior=prior)
    if inp.candidates is not None:
        fill(store, catalog, pool, inp.candidates)
        restrict(pool, inp.candidates, by_vec=("q", inp.query_vec))
    return pool, grounded


def featurize(pool: Pool, inp: SearchInput, grounded: dict[str, float], prior: dict, off: set[str],
              names: tuple[str, ...] = F.SEARCH, word_stats: WordStats | None = None) -> tuple[list[str], np.ndarray]:
    """(candidate ids, their features in `names` order); `word_stats` (the catalog's) gives bm25_d."""
    ids = pool.ids()
    mat = F.unit(pool.vectors(ids)) if ids else np.zeros((0, len(inp.query_vec)), np.float32)
    cos_q = F.cosines(mat, inp.query_vec)
    cos_t = F.cosines(mat, inp.catalog_vec) if inp.catalog_vec is not None else cos_q
    llm = inp.llm if "llm" not in off else None
    cos_u = F.cosines(mat, llm.vec if llm else None)
    pop, quality = F.prior_columns(ids, prior)
    words_desc, words_title = F.word_overlap(inp.catalog_text, [pool.rows[i] for i in ids])
    bm25_d = (F.scaled_array(bm25(inp.catalog_text, [description(pool.rows[i]) for i in ids], word_stats))
              if word_stats is not None and "bm25" not in off else np.full(len(ids), np.nan, np.float32))
    cols = {
        "cos_q": cos_q, "cos_q_gap": F.gap(cos_q), "cos_t": cos_t, "cos_t_gap": F.gap(cos_t),
        "cos_u": cos_u, "cos_u_gap": F.gap(cos_u),
        "bm25_t": F.scaled(ids, pool.scores.get("bm25_t", {} if "bm25" not in off else None)),
        "bm25_u": F.scaled(ids, pool.scores.get("bm25_u")) if llm else F.scaled(ids, None),
        "ground": np.array([grounded.get(i, 0.0) for i in ids], np.float32) if llm and llm.names else F.scaled(ids, None),
        "pop": pop, "quality": quality,
        "rank_q": F.rank_feature(ids, pool.lists.get("q")),
        "rank_t": F.rank_feature(ids, pool.lists.get("t", pool.lists.get("q"))),
        "rank_bm25": F.rank_feature(ids, pool.lists.get("bm25_t")),
        "words_desc": words_desc, "words_title": words_title, "bm25_d": bm25_d,
    }
    return ids, F.matrix(cols, names, off)


PLAUSIBLE = 50


def score_search(store: CatalogStore, catalog: str, inp: SearchInput, prior: dict, *, depth: int = 100,
                 off: set[str] = frozenset(), fts_weight: float = 1.0, learned: bool = True,
                 named_weight: float = 0.0) -> tuple[Pool, dict[str, float]]:
    """(pool, id -> score); the caller selects (exclusions, follow-up drops, dedupe) from it."""
    pool, grounded = pool_for(store, catalog, inp, depth, off, prior)
    names = model.features("search", F.SEARCH)
    stats = store.word_stats(catalog) if "bm25_d" in names else None
    ids, x = featurize(pool, inp, grounded, prior, off, names, stats)
    s = model.score("search", x, names) if learned else None
    scores = dict(zip(ids, s.tolist())) if s is not None else rrf_scores(pool, grounded, fts_weight)
    if s is not None and grounded and named_weight > 0:
        # the titles the model knows fit, fused with the learned order (off by default: on the development
        # requests the 270M model's names moved wrong items up more often than right ones)
        order = sorted(scores, key=lambda i: -scores[i])
        plausible = set(order[:PLAUSIBLE])  # a named title the request's own signals put nowhere near is a wrong guess
        named = sorted((i for i in grounded if i in plausible), key=lambda i: -grounded[i])
        if named:
            scores = rrf([order, named], [1.0, named_weight])
    for i in ids:  # a given candidate no list proposed still gets ranked (last), never dropped
        scores.setdefault(i, 0.0)
    # the prior and the rest may reorder items that match the request, never lift one that does not
    unmatched = [i for i, ok in zip(ids, matches(x, names)) if not ok]
    floor = min(scores.values(), default=0.0) - 1.0
    for i in unmatched:
        scores[i] = floor - 1.0 / (1.0 + max(scores[i] - floor, 0.0))  # below every match, order kept
    return pool, scores


def matches(x: np.ndarray, names: tuple[str, ...] = F.SEARCH) -> np.ndarray:
    """Which candidates match the request: a full-text hit, a title the model named, or a cosine
    within MATCH_GAP of the best one, in the catalog's language (the request itself when it already
    is; across languages the embedder's cosines are too compressed to tell) or of the model's text."""
    col = {f: x[:, j] for j, f in enumerate(names)}
    lexical = (np.nan_to_num(col["bm25_t"]) > 0) | (np.nan_to_num(col["bm25_u"]) > 0) | (np.nan_to_num(col["ground"]) > 0)
    near = np.zeros(len(x), bool)
    for f in ("cos_t_gap", "cos_u_gap"):
        near |= np.nan_to_num(col[f], nan=-1.0) >= -F.MATCH_GAP
    return lexical | near
