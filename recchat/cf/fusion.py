"""Fusing HyDE retrieval with CF scores, and choosing the fusion weight on VALIDATION users.

fused(id) = (1 - w) / (K + rank_hyde(id)) + w / (K + rank_cf(id)), ranks 1-based; an item absent
from one list (or with no CF signal, score -inf) gets nothing from it. w = 0 is HyDE alone,
w = 1 CF alone, w = 0.5 plain reciprocal-rank fusion. Rank-based, so the two score scales never
need calibrating. Pick w with `choose_weight` on validation users only, never on test users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from recchat.cf.metrics import hit, ndcg, rank_of

RRF_K = 60
GRID = tuple(round(i / 10, 1) for i in range(11))


def cf_ranking(cf_scores: dict[str, float]) -> list[str]:
    """CF ids best first; items with no CF signal (-inf / NaN) are left out; ties by id."""
    ok = [(s, i) for i, s in cf_scores.items() if s is not None and not math.isnan(s) and s != float("-inf")]
    return [i for s, i in sorted(ok, key=lambda t: (-t[0], t[1]))]


def fuse(hyde_ranking: list[str], cf_scores: dict[str, float], weight: float = 0.5, k: int = RRF_K) -> list[str]:
    """One ranking from both; items in neither list never appear; ties keep HyDE order."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fusion weight must be in [0, 1], got {weight}")
    hyde_pos = {i: r for r, i in enumerate(dict.fromkeys(hyde_ranking))}
    cf_pos = {i: r for r, i in enumerate(cf_ranking(cf_scores))}
    score: dict[str, float] = {}
    for i, r in hyde_pos.items():
        score[i] = (1.0 - weight) / (k + r + 1)
    for i, r in cf_pos.items():
        score[i] = score.get(i, 0.0) + weight / (k + r + 1)
    keep = [i for i, s in score.items() if s > 0]  # weight 0 drops CF-only items, weight 1 HyDE-only ones
    big = len(hyde_pos) + len(cf_pos)
    return sorted(keep, key=lambda i: (-score[i], hyde_pos.get(i, big), cf_pos.get(i, big), i))


@dataclass
class ValCase:
    """One validation user: HyDE's ranking, the CF scores and the held-out validation item."""

    hyde_ranking: list[str]
    cf_scores: dict[str, float]
    target: str


def weight_table(cases: Iterable[ValCase], grid: Iterable[float] = GRID, k: int = RRF_K,
                 at: int = 10) -> dict[float, dict[str, float]]:
    cases = list(cases)
    out = {}
    for w in grid:
        h1 = nd = 0.0
        for c in cases:
            r = rank_of(c.target, fuse(c.hyde_ranking, c.cf_scores, w, k))
            h1 += hit(r, 1)
            nd += ndcg(r, at)
        n = max(len(cases), 1)
        out[float(w)] = {"hit@1": h1 / n, f"ndcg@{at}": nd / n}
    return out


def best_weight(table: dict[float, dict[str, float]], at: int = 10) -> float:
    """From weight_table's output: the best Hit@1, then NDCG@at, then the weight nearest 0.5."""
    return max(table, key=lambda w: (table[w]["hit@1"], table[w][f"ndcg@{at}"], -abs(w - 0.5)))


def choose_weight(cases: Iterable[ValCase | tuple], grid: Iterable[float] = GRID, k: int = RRF_K,
                  at: int = 10) -> float:
    """The weight with the best Hit@1 on validation users, then NDCG@at, then the one nearest 0.5.

    `cases`: ValCase or (hyde_ranking, cf_scores, target) tuples, one per VALIDATION user.
    """
    cases = [c if isinstance(c, ValCase) else ValCase(*c) for c in cases]
    if not cases:
        raise ValueError("choose_weight needs at least one validation user")
    return best_weight(weight_table(cases, grid, k, at), at)
