"""Candidate pools: every signal proposes items; the learned scorer orders their union."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from recchat.ranking.grounding import ground
from recchat.retrieval.rank import RRF_K, rrf
from recchat.retrieval.store import CatalogStore


@dataclass
class Pool:
    """Candidate rows by id, plus each signal's own ranking (ids, best first) and raw scores."""

    rows: dict[str, dict] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, name: str, hits: list[dict], score_key: str | None = None) -> None:
        self.lists[name] = [h["id"] for h in hits]
        if score_key:
            self.scores[name] = {h["id"]: float(h.get(score_key) or 0.0) for h in hits}
        for h in hits:
            self.rows.setdefault(h["id"], h)

    def ids(self) -> list[str]:
        return list(self.rows)

    def vectors(self, ids: list[str]) -> np.ndarray:
        return np.asarray([self.rows[i]["vector"] for i in ids], np.float32).reshape(len(ids), -1)


class RequestSearches:
    """One request's searches, remembered: the final ranking pass (with the model's text) asks the
    same vector and full-text questions as the first pass, and gets the first pass's answers back.
    Everything else goes to the store."""

    def __init__(self, store: CatalogStore):
        self._store = store
        self._memo: dict[tuple, list[dict]] = {}

    def vector_search(self, catalog: str, vec: np.ndarray, k: int) -> list[dict]:
        key = ("v", catalog, np.asarray(vec, np.float32).tobytes(), k)
        if key not in self._memo:
            self._memo[key] = self._store.vector_search(catalog, vec, k)
        return self._memo[key]

    def text_search(self, catalog: str, text: str, k: int) -> list[dict]:
        key = ("t", catalog, text, k)
        if key not in self._memo:
            self._memo[key] = self._store.text_search(catalog, text, k)
        return self._memo[key]

    def text_matches(self, catalog: str, text: str, k: int) -> list[tuple[str, float]]:
        key = ("m", catalog, text, k)
        if key not in self._memo:
            self._memo[key] = self._store.text_matches(catalog, text, k)
        return self._memo[key]

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def restrict(pool: Pool, allowed: list[str], by_vec: tuple[str, np.ndarray] | None = None) -> None:
    """Keep only `allowed` ids (listwise ranking of given candidates), in every list; `by_vec`
    (list name, vector) re-ranks that list over ALL the candidates by cosine, so none is left unordered."""
    keep = set(allowed)
    pool.rows = {i: r for i, r in pool.rows.items() if i in keep}
    pool.lists = {n: [i for i in ids if i in keep] for n, ids in pool.lists.items()}
    pool.scores = {n: {i: s for i, s in sc.items() if i in keep} for n, sc in pool.scores.items()}
    if by_vec is not None and pool.rows:
        ids = pool.ids()
        sims = pool.vectors(ids) @ np.asarray(by_vec[1], np.float32)
        pool.lists[by_vec[0]] = [ids[j] for j in np.argsort(-sims, kind="stable")]


def vector_hits(store: CatalogStore, catalog: str, vec: np.ndarray | None, k: int) -> list[dict]:
    return [] if vec is None else store.vector_search(catalog, vec, k)


def text_hits(store: CatalogStore, catalog: str, text: str, k: int) -> list[dict]:
    return store.text_search(catalog, text, k) if text and text.strip() else []


MATCH_SCAN = 5000  # full-text matches looked at for well-known ones (ids and scores only)
POPULAR_MATCHES = 100  # of those beyond the list's depth, the most consumed join the candidates


def popular_matches(store: CatalogStore, catalog: str, text: str, depth: int, prior: dict | None,
                    n: int = POPULAR_MATCHES) -> list[dict]:
    """The best-known full-text matches BM25 left below `depth`, as rows with their `_score`: a
    request of common words ("a romance anime that will make me cry") matches a thousand items, and
    BM25 orders them by how short their text is, so Clannad never reached the ranker; the prior then
    decides among matches (a feature of the ranking, not a filter)."""
    if not prior or not text or not text.strip():
        return []
    # a second query on purpose: ids and scores for 5,000 matches cost 7-17 ms, while fetching the first
    # `depth` rows by id from such a scan costs more (25-28 ms) than the full-text search that returned them
    beyond = store.text_matches(catalog, text, MATCH_SCAN)[depth:]
    best = sorted(beyond, key=lambda m: -np.nan_to_num(prior.get(m[0], (0.0,))[0] or 0.0))[:n]  # NaN: unknown, 0
    score = dict(best)
    rows = store.get(catalog, [i for i, _ in best])
    for r in rows:
        r["_score"] = score[r["id"]]
    return sorted(rows, key=lambda r: -r["_score"])


def fill(store: CatalogStore, catalog: str, pool: Pool, ids: list[str]) -> None:
    """Rows for ids that no search returned (grounded titles, CF picks, given candidates)."""
    missing = [i for i in dict.fromkeys(ids) if i not in pool.rows]
    for r in store.get(catalog, missing):
        pool.rows[r["id"]] = r


def rrf_scores(pool: Pool, grounded: dict[str, float], fts_weight: float, k: int = RRF_K) -> dict[str, float]:
    """The fallback without a learned model: reciprocal-rank fusion of the lists (the old ranking)."""
    names = list(pool.lists)
    out = rrf([pool.lists[n] for n in names], [fts_weight if n.startswith("bm25") else 1.0 for n in names], k)
    for i, s in grounded.items():
        out[i] = out.get(i, 0.0) + s / (k + 1)
    return out


def add_model_text(store: CatalogStore, catalog: str, pool: Pool, llm, off: set[str], depth: int,
                   full_text_list: str | None = None, prior: dict | None = None) -> dict[str, float]:
    """The model's contribution to a pool: its text's vector neighbours (list "u"), a full-text list of
    its words when `full_text_list` names one, and the items its named titles ground to (returned)."""
    if llm is None or "llm" in off:
        return {}
    pool.add("u", vector_hits(store, catalog, llm.vec, depth))
    if full_text_list and "bm25" not in off:
        pool.add(full_text_list, text_hits(store, catalog, llm.text, depth), "_score")
    if "ground" in off or not llm.names:
        return {}
    grounded = ground(llm.names, store.title_index(catalog), prior=prior)
    fill(store, catalog, pool, list(grounded))
    return grounded
