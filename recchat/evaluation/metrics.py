"""Ranking metrics through ranx: per-user scores (for tests and CIs) and their means.

One relevant item per user (the held-out one), so HR@k = hit_rate@k, MRR@k = reciprocal rank of
the target when it is within k, NDCG@k = 1/log2(rank + 1) when within k.
"""

from __future__ import annotations

import numpy as np

FULL_METRICS = ["hit_rate@10", "hit_rate@20", "ndcg@10", "ndcg@20", "mrr@10"]
CANDIDATE_METRICS = ["hit_rate@1", "ndcg@5"]
LABELS = {
    "hit_rate@1": "Hit@1", "hit_rate@10": "HR@10", "hit_rate@20": "HR@20", "ndcg@5": "NDCG@5",
    "ndcg@10": "NDCG@10", "ndcg@20": "NDCG@20", "mrr@10": "MRR@10",
}
_NONE = "\x00none"  # stands in for an empty ranking: ranx needs at least one document per query


def metrics_for(protocol: str) -> list[str]:
    return FULL_METRICS if protocol == "full" else CANDIDATE_METRICS


def label(metric: str) -> str:
    return LABELS.get(metric, metric)


def to_qrels(targets: dict[str, str]):
    from ranx import Qrels

    return Qrels({u: {t: 1} for u, t in targets.items()})


def to_run(rankings: dict[str, list[str]], name: str):
    """A ranx Run from ranked lists: strictly decreasing scores keep the order (no tie reshuffling)."""
    from ranx import Run

    d = {}
    for u, ranking in rankings.items():
        ranking = list(dict.fromkeys(ranking)) or [_NONE]
        n = len(ranking)
        d[u] = {doc: float(n - r) for r, doc in enumerate(ranking)}
    return Run(d, name=name)


def per_user(targets: dict[str, str], rankings: dict[str, list[str]], metrics: list[str]) -> dict[str, np.ndarray]:
    """metric -> scores aligned with sorted(targets) (one value per user)."""
    from ranx import evaluate

    users = sorted(targets)
    run = to_run({u: rankings[u] for u in users}, "m")
    evaluate(to_qrels({u: targets[u] for u in users}), run, metrics, return_mean=False)
    return {m: np.array([run.scores[m][u] for u in users], np.float64) for m in metrics}


def means(scores: dict[str, np.ndarray]) -> dict[str, float]:
    return {m: float(v.mean()) if len(v) else 0.0 for m, v in scores.items()}


def bootstrap_ci(values: np.ndarray, seed: int, n_boot: int = 1000, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean over users."""
    if len(values) == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    boots = values[idx].mean(axis=1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
