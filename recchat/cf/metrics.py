"""Leave-last-out ranking metrics used while training (validation users only) and by `choose_weight`."""

from __future__ import annotations

import math

import numpy as np


def rank_of(target: str, ranking: list[str]) -> int | None:
    """0-based position of the target, None when absent."""
    try:
        return ranking.index(target)
    except ValueError:
        return None


def hit(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank < k else 0.0


def ndcg(rank: int | None, k: int) -> float:
    return 1.0 / math.log2(rank + 2) if rank is not None and rank < k else 0.0


def full_rank(scores: np.ndarray, target: int, exclude: list[int]) -> int:
    """Rank of `target` among all items (history excluded); ties count against the target."""
    s = np.asarray(scores, np.float64)
    t = s[target]
    better = s >= t
    better[target] = False
    if exclude:
        ex = np.asarray([i for i in set(exclude) if i != target], dtype=np.int64)
        better[ex] = False
    return int(better.sum())


def validate(model, split, users: list[str], k: int = 10) -> dict[str, float]:
    """Hit@k and NDCG@k for predicting each user's VALIDATION item from the training sequence."""
    hits, gains, n = 0.0, 0.0, 0
    for u in users:
        t = model.index.get(split.valid[u])
        if t is None:
            n += 1  # an item never seen in training cannot be predicted: a miss
            continue
        hist = model.known(split.train[u])
        r = full_rank(model._raw(hist), t, hist)
        hits += hit(r, k)
        gains += ndcg(r, k)
        n += 1
    return {f"hit@{k}": hits / max(n, 1), f"ndcg@{k}": gains / max(n, 1), "users": n}


def sample_users(users: list[str], n: int, seed: int = 0) -> list[str]:
    users = sorted(users)
    if len(users) <= n:
        return users
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(users, size=n, replace=False).tolist())
