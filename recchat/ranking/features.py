"""Features that mean the same in every domain, computed in batch for one request's candidates.

Similarities are cosines of e5 vectors; `*_gap` is a candidate's cosine minus the best one in the
pool (how far it is from the request's best match, which compares across catalogs better than the
raw value); `bm25_*` is the full-text score over the best one (`bm25_d` over the item's fields
without its title, where a shared word says what the item is, not a pun on its name); `rank_*` is
1 / (1 + rank) in a list (0 when the list does not hold the candidate). A feature that does not apply (no model text, no
prior) is NaN, which the learned ranker treats as missing.
"""

from __future__ import annotations

import numpy as np

from recchat.retrieval.words import description, words

SEARCH = ("cos_q", "cos_q_gap", "cos_t", "cos_t_gap", "cos_u", "cos_u_gap", "bm25_t", "bm25_u", "ground",
          "pop", "quality", "rank_q", "rank_t", "rank_bm25", "words_desc", "words_title", "bm25_d")
HISTORY = ("cos_mean", "cos_mean_gap", "cos_recent", "cos_last", "cos_max", "bm25_h", "cos_u", "cos_u_gap",
           "ground", "pop", "quality", "cf", "cf_rank", "rank_mean", "rank_bm25", "words_h", "given")
# `given` is 1 when the ranking orders a short list it was given (`--candidates`, recchat eval's
# candidates20) and 0 when it ranks the catalog: drawn at random, most given items are unknown, so
# how well known an item is tells far more there than among the history's near neighbours.
# HISTORY is what the history ranking computes; the shipped model uses the features its file lists
# (recchat.ranking.model.features), chosen on the training domains' validation (training/rank/train.py)

# A candidate whose best cosine is this far below the best candidate's, with no full-text hit and not
# named by the model, does not match the request: no prior may lift it above one that does
# (recchat/ranking/search.py). Measured on 294 generated requests of the training domains whose target
# was a candidate: 95% of the targets had a full-text hit, and 99% of the rest sat within 0.040 of the
# best cosine (target_match_share in recchat/ranking/models/search.json records the share kept).
MATCH_GAP = 0.04

# which features each switchable signal owns (RECCHAT_RANK_OFF=prior,ground,... for ablations)
SIGNALS = {
    "prior": ("pop", "quality"),
    "ground": ("ground",),
    "llm": ("cos_u", "cos_u_gap", "bm25_u", "ground"),
    "translate": ("cos_t", "cos_t_gap", "rank_t"),
    "bm25": ("bm25_t", "bm25_u", "rank_bm25", "bm25_h", "words_desc", "words_title", "words_h", "bm25_d"),
    "cf": ("cf", "cf_rank"),
}


def unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float32)
    n = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.maximum(n, 1e-12)


def cosines(mat: np.ndarray, vec: np.ndarray | None) -> np.ndarray:
    """Cosine of each row of `mat` (already unit) with `vec`; NaN for every row when vec is None."""
    if vec is None:
        return np.full(len(mat), np.nan, np.float32)
    return mat @ unit(vec)


def gap(x: np.ndarray) -> np.ndarray:
    if not len(x) or np.all(np.isnan(x)):
        return np.full(len(x), np.nan, np.float32)
    return x - np.nanmax(x)


def rank_feature(ids: list[str], ranking: list[str] | None) -> np.ndarray:
    if ranking is None:
        return np.full(len(ids), np.nan, np.float32)
    pos = {i: r for r, i in enumerate(ranking)}
    return np.array([1.0 / (1 + pos[i]) if i in pos else 0.0 for i in ids], np.float32)


def scaled(ids: list[str], scores: dict[str, float] | None) -> np.ndarray:
    """score / best score (0 when absent); NaN for every row when the signal did not run."""
    if scores is None:
        return np.full(len(ids), np.nan, np.float32)
    top = max(scores.values(), default=0.0) or 1.0
    return np.array([scores.get(i, 0.0) / top for i in ids], np.float32)


def scaled_array(x: np.ndarray) -> np.ndarray:
    """x / its best value in the pool (all 0 when nothing scored)."""
    top = float(np.max(x)) if len(x) else 0.0
    return (x / top).astype(np.float32) if top > 0 else np.zeros(len(x), np.float32)


def _words(text: str) -> set[str]:
    return set(words(text))


def word_overlap(request: str, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(share of the request's words in each candidate's text outside its title, share found only in
    its title). Full-text scores do not tell the two apart, and a title that shares a word with the
    request ("Crying Freeman" for "an anime that will make me cry", "Small Soldiers" for a WWII combat
    movie) is much weaker evidence than genres, tags or authors that do."""
    want = _words(request)
    if not want:
        nan = np.full(len(rows), np.nan, np.float32)
        return nan, nan.copy()
    desc, title = np.zeros(len(rows), np.float32), np.zeros(len(rows), np.float32)
    for k, r in enumerate(rows):
        t = _words(r.get("title") or "")
        d = _words(description(r))
        desc[k] = len(want & d) / len(want)
        title[k] = len((want & t) - d) / len(want)
    return desc, title


def title_overlap(history_titles: list[str], rows: list[dict]) -> np.ndarray:
    """Share of each candidate's title words found in the history's titles: the same series, author
    or platform ("Halo 4 - Xbox 360" after "Halo 3 - Xbox 360"), over the whole history, where the
    full-text list sees only the last few titles and only its top hits."""
    seen = set().union(*(_words(t) for t in history_titles)) if history_titles else set()
    out = np.zeros(len(rows), np.float32)
    for k, r in enumerate(rows):
        w = _words(r.get("title") or "")
        out[k] = len(w & seen) / len(w) if w else 0.0
    return out


def recency_weights(n: int, decay: float = 0.7) -> np.ndarray:
    """Newest item weight 1, the one before `decay`, ...: what comes next follows recent items."""
    w = decay ** np.arange(n - 1, -1, -1, dtype=np.float32)
    return w / w.sum()


def prior_columns(ids: list[str], prior: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not prior:
        nan = np.full(len(ids), np.nan, np.float32)
        return nan, nan.copy()
    none = (np.nan, np.nan)
    pq = np.array([prior.get(i, none) for i in ids], np.float32).reshape(len(ids), 2)
    return pq[:, 0], pq[:, 1]


def matrix(columns: dict[str, np.ndarray], names: tuple[str, ...], off: set[str]) -> np.ndarray:
    """The (candidates, features) matrix in `names` order; switched-off signals become NaN."""
    dead = {f for s in off for f in SIGNALS.get(s, ())}
    n = len(next(iter(columns.values()))) if columns else 0
    cols = [np.full(n, np.nan, np.float32) if f in dead else np.asarray(columns[f], np.float32) for f in names]
    return np.stack(cols, axis=1) if cols else np.zeros((n, 0), np.float32)
