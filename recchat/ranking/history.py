"""Ranking from a history: candidates near the history (mean, recent, last item), full text on its
titles, the model's text and named titles, and CF picks where the catalog has a CF model; then one
learned score over features of how each candidate relates to the history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recchat.ranking import features as F
from recchat.ranking import model
from recchat.ranking.candidates import Pool, add_model_text, fill, restrict, rrf_scores, text_hits, vector_hits
from recchat.ranking.search import ModelText
from recchat.retrieval.store import CatalogStore


@dataclass
class HistoryInput:
    history_vecs: np.ndarray  # (n, dim), oldest first: resolved items, then unresolved names embedded
    history_ids: list[str]
    titles_text: str  # the history's titles, for full-text search
    titles: list[str] | None = None  # every history title (title-word overlap); None: titles_text
    llm: ModelText | None = None
    cf: object | None = None  # a recchat.cf model, or None
    candidates: list[str] | None = None


def _vectors(inp: HistoryInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h = F.unit(inp.history_vecs)
    mean = F.unit(h.mean(axis=0))
    recent = F.unit((F.recency_weights(len(h))[:, None] * h).sum(axis=0))
    return h, mean, recent


def pool_for(store: CatalogStore, catalog: str, inp: HistoryInput, depth: int, off: set[str],
             prior: dict | None = None) -> tuple[Pool, dict[str, float], dict[str, float] | None]:
    h, mean, recent = _vectors(inp)
    pool = Pool()
    pool.add("mean", vector_hits(store, catalog, mean, depth))
    pool.add("recent", vector_hits(store, catalog, recent, depth))
    pool.add("last", vector_hits(store, catalog, h[-1], depth // 2))
    if "bm25" not in off:
        pool.add("bm25_h", text_hits(store, catalog, inp.titles_text, depth), "_score")
    grounded = add_model_text(store, catalog, pool, inp.llm, off, depth, prior=prior)
    cf_scores = None
    if inp.cf is not None and "cf" not in off:
        # only items the history co-occurred with: the CF model's popularity tie-break is not CF evidence
        top = inp.cf.neighbours(inp.history_ids, depth) if inp.history_ids else []
        pool.lists["cf"] = top
        fill(store, catalog, pool, top)
    if inp.candidates is not None:
        fill(store, catalog, pool, inp.candidates)
        restrict(pool, inp.candidates, by_vec=("mean", mean))
    if inp.cf is not None and "cf" not in off:
        raw = inp.cf.score(inp.history_ids, pool.ids())
        # no candidate with CF evidence (a short or unknown history, a list of strangers): the CF
        # features are missing, as for a catalog without CF, rather than popularity read as CF
        # (min-max scaling had spread the tie-break over 0..1)
        if any(inp.cf.evident(v) for v in raw.values()):
            finite = [v for v in raw.values() if np.isfinite(v)]
            lo, hi = min(finite), max(finite)
            cf_scores = {i: ((v - lo) / (hi - lo) if hi > lo else 0.0) if np.isfinite(v) else 0.0 for i, v in raw.items()}
    return pool, grounded, cf_scores


def featurize(pool: Pool, inp: HistoryInput, grounded: dict[str, float], cf_scores: dict[str, float] | None,
              prior: dict, off: set[str], names: tuple[str, ...] | None = None) -> tuple[list[str], np.ndarray]:
    """The (candidates, features) matrix in `names` order (default: the shipped model's features)."""
    names = names or model.features("history", F.HISTORY)
    ids = pool.ids()
    h, mean, recent = _vectors(inp)
    mat = F.unit(pool.vectors(ids)) if ids else np.zeros((0, h.shape[1]), np.float32)
    sims = mat @ h.T if ids else np.zeros((0, len(h)), np.float32)
    cos_mean = mat @ mean
    llm = inp.llm if "llm" not in off else None
    cos_u = F.cosines(mat, llm.vec if llm else None)
    pop, quality = F.prior_columns(ids, prior)
    nan = np.full(len(ids), np.nan, np.float32)
    cols = {
        "cos_mean": cos_mean, "cos_mean_gap": F.gap(cos_mean), "cos_recent": mat @ recent,
        "cos_last": sims[:, -1] if len(h) else nan, "cos_max": sims.max(axis=1) if len(h) else nan,
        "bm25_h": F.scaled(ids, pool.scores.get("bm25_h", {} if "bm25" not in off else None)),
        "cos_u": cos_u, "cos_u_gap": F.gap(cos_u),
        "ground": np.array([grounded.get(i, 0.0) for i in ids], np.float32) if llm and llm.names else nan,
        "pop": pop, "quality": quality,
        "cf": np.array([cf_scores.get(i, 0.0) for i in ids], np.float32) if cf_scores is not None else nan,
        "cf_rank": F.rank_feature(ids, pool.lists.get("cf")) if cf_scores is not None else nan,
        "rank_mean": F.rank_feature(ids, pool.lists.get("mean")),
        "rank_bm25": F.rank_feature(ids, pool.lists.get("bm25_h")),
        "given": np.full(len(ids), 0.0 if inp.candidates is None else 1.0, np.float32),
    }
    if "words_h" in names:  # a Python loop over titles: only when the model reads it
        cols["words_h"] = F.title_overlap(inp.titles if inp.titles is not None else [inp.titles_text],
                                          [pool.rows[i] for i in ids])
    return ids, F.matrix(cols, names, off)


def score_history(store: CatalogStore, catalog: str, inp: HistoryInput, prior: dict, *, depth: int = 100,
                  off: set[str] = frozenset(), fts_weight: float = 1.0, learned: bool = True
                  ) -> tuple[Pool, dict[str, float]]:
    pool, grounded, cf_scores = pool_for(store, catalog, inp, depth, off, prior)
    scores = None
    if learned:
        names = model.features("history", F.HISTORY)
        ids, x = featurize(pool, inp, grounded, cf_scores, prior, off, names)
        s = model.score("history", x, names)
        scores = dict(zip(ids, s.tolist())) if s is not None else None
    if scores is None:
        scores = rrf_scores(pool, grounded, fts_weight)
    for i in pool.rows:  # a given candidate no list proposed still gets ranked (last), never dropped
        scores.setdefault(i, 0.0)
    return pool, scores
