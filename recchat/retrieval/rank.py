"""Retrieval helpers around the ranking (recchat/ranking): matching pasted titles to items, the gate
that ignores a model text that loops or drifts off-topic, selection (consumed items excluded by id
and by normalised title, follow-up drops, no repeated titles), evidence snippets, and the HyDE vector
normalise(w * user + (1 - w) * rationale) that the preference-pair judge scores with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np

from recchat.retrieval.embedder import normalise
from recchat.core.quality import is_degenerate
from recchat.core.schema import RecItem
from recchat.retrieval.store import CatalogStore
from recchat.retrieval.words import terms
from recchat.core.textnorm import normalize_title, same_series, same_work_key, series_key

RRF_K = 60


def hyde_vector(user_vec: np.ndarray, rationale_vec: np.ndarray | None, weight: float) -> np.ndarray:
    """normalise(w * user + (1 - w) * rationale); the user vector alone when there is no rationale."""
    if rationale_vec is None:
        return normalise(user_vec)
    return normalise(weight * normalise(user_vec) + (1.0 - weight) * normalise(rationale_vec))


def rrf(rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion: sum_i w_i / (k + rank_i)."""
    weights = weights or [1.0] * len(rankings)
    out: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for r, key in enumerate(ranking):
            out[key] = out.get(key, 0.0) + w / (k + r + 1)
    return out


def rationale_usable(rationale: str, rationale_vec: np.ndarray | None, user_vec: np.ndarray | list[np.ndarray],
                     min_similarity: float) -> tuple[bool, str]:
    """Whether the model's text may steer the ranking: on topic for the request (`user_vec`, or several
    vectors of it: the best counts, so a Korean request is also compared through its words in the
    catalog's language, where the embedder's cross-language cosines are too compressed to judge)."""
    if not rationale.strip() or rationale_vec is None:
        return False, "no rationale"
    if len(rationale.split()) < 3 and not re.search(r"[\uac00-\ud7a3]{4,}", rationale):
        return False, "rationale too short"
    if is_degenerate(rationale):
        return False, "rationale repeats itself"
    anchors = user_vec if isinstance(user_vec, list) else [user_vec]
    sim = max(float(normalise(v) @ normalise(rationale_vec)) for v in anchors)
    if sim < min_similarity:
        return False, f"rationale off-topic (similarity {sim:.2f})"
    return True, ""


@dataclass
class Exclusion:
    ids: set[str] = field(default_factory=set)
    title_norms: set[str] = field(default_factory=set)
    # normalised titles of the items a request is "like": their sequels and editions are left out too
    franchise: set[str] = field(default_factory=set)

    def excludes(self, row: dict) -> bool:
        if row["id"] in self.ids or row.get("title_norm") in self.title_norms:
            return True
        if self.franchise:
            padded = f" {row.get('title_norm') or ''} "
            return any(f" {k} " in padded for k in self.franchise)
        return False


def resolve_history(store: CatalogStore, catalog: str, titles: list[str]) -> tuple[list[dict], list[str]]:
    """Match pasted titles to catalog rows: exact normalised title, then full-text with overlap check."""
    idx = store.title_index(catalog)
    resolved_ids: list[str] = []
    unresolved: list[str] = []
    for t in titles:
        key = normalize_title(t)
        if not key:
            continue
        if key in idx:
            resolved_ids.append(idx[key][0])
            continue
        # the catalog's own id pasted as a line
        if t.strip() and store.get(catalog, [t.strip()]):
            resolved_ids.append(t.strip())
            continue
        hit = None
        for r in store.text_search(catalog, t, 5):
            cand = set(r["title_norm"].split())
            want = set(key.split())
            if want and len(cand & want) / len(cand | want) >= 0.6:
                hit = r
                break
        if hit:
            resolved_ids.append(hit["id"])
        else:
            unresolved.append(t)
    rows = store.get(catalog, list(dict.fromkeys(resolved_ids)))
    return rows, unresolved


def evidence_for(row: dict, query_terms: set[str], limit: int = 140) -> str:
    """A short snippet saying why an item matched: the history item that drove a CF pick, the shared
    terms, else the start of its text."""
    if row.get("because"):
        return f"people who liked {row['because']} also liked this"
    text = row.get("text") or ""
    shared = [w for w in dict.fromkeys(re.findall(r"[\w']+", text.lower())) if w in query_terms]
    if shared:
        return "matches: " + ", ".join(shared[:6])
    return text[:limit] + ("…" if len(text) > limit else "")


def to_rec_items(rows: list[dict], scores: dict[str, float], query_text: str, k: int) -> list[RecItem]:
    wanted = terms(query_text)
    out = []
    for r in rows[:k]:
        try:
            meta = json.loads(r.get("metadata") or "{}")
        except (TypeError, ValueError):
            meta = {}
        out.append(RecItem(id=r["id"], title=r["title"], score=round(float(scores.get(r["id"], 0.0)), 6),
                           evidence=evidence_for(r, wanted), metadata=meta))
    return out


def select(order: list[str], rows: dict[str, dict], exclusion: Exclusion, drop_terms: list[str] | None,
           k: int, one_version: bool = False, per_series: int = 0) -> list[dict]:
    """The first k rows of a ranking that are not consumed, not ruled out, and not a repeated title;
    with `one_version` (a search), nor another version of a work already shown (the same game on another
    platform: a search's first five should be five things to try, not one thing five times), and
    further entries of a series already shown wait until every other match has its place (five High
    School DxD seasons and specials were the first five answers to "a high school romantic comedy").
    `per_series` (a history) lets that many entries of one series through before the rest wait: after
    Fullmetal Alchemist: Brotherhood the logs' next items are its film, specials and recaps, six of the
    first eight, where a person wants one or two and then something new."""
    drop = [d.lower() for d in (drop_terms or []) if d.strip()]
    out: list[dict] = []
    later: list[dict] = []
    groups: list[list[str]] = []  # the keys of each series' entries shown: same_series is not transitive (DxD New / BorN)
    seen_titles: set[str] = set()
    for i in order:
        r = rows.get(i)
        if r is None or exclusion.excludes(r):
            continue
        title_key = same_work_key(r["title"]) if one_version else r["title"].strip().lower()
        if title_key in seen_titles:
            continue
        if drop and any(d in (r.get("text") or "").lower() for d in drop):
            continue
        seen_titles.add(title_key)
        if one_version or per_series:
            key = series_key(r["title"])
            group = next((g for g in groups if any(same_series(key, k) for k in g)), None)
            if group is not None and len(group) >= (1 if one_version else per_series):
                later.append(r)
                continue
            if group is None:
                groups.append([key])
            else:
                group.append(key)
        out.append(r)
        if len(out) >= k:
            break
    return out + later[: k - len(out)]
