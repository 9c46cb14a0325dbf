"""Leave-last-out test cases from a catalog's interaction log, and seeded candidate lists.

Every method sees the same cases: the users are sampled once per seed, the history is each user's
earlier items in log order (last `max_history` shown), the target is the last item, and the
candidates20 negatives depend only on (seed, user), not on which other users were sampled.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recchat.core.errors import BadInput

COLD_MAX_HISTORY = 5  # users with at most this many earlier items form the cold slice
N_NEGATIVES = 19


@dataclass
class Case:
    user: str
    history: list[str]  # shown to the method: the last <= max_history earlier items, oldest first
    earlier: list[str]  # every earlier item (excluded from full-catalog rankings)
    target: str
    candidates: list[str] | None = None  # candidates20: target + negatives, shuffled

    @property
    def n_history(self) -> int:
        return len(self.earlier)

    @property
    def cold(self) -> bool:
        return self.n_history <= COLD_MAX_HISTORY


@dataclass
class Split:
    cases: list[Case]
    eligible_users: int
    dropped: Counter = field(default_factory=Counter)  # reason -> users or rows


def user_rng(seed: int, user: str, salt: int = 0) -> np.random.Generator:
    """A generator for one user that depends only on (seed, user id): stable across samples and runs."""
    return np.random.default_rng([seed, zlib.crc32(user.encode("utf-8")), salt])


def leave_last_out(
    log: pd.DataFrame, catalog_ids: set[str], n_users: int, seed: int, max_history: int = 10
) -> Split:
    """Sample `n_users` users (all if fewer) and hold out each one's last item."""
    if n_users < 1:
        raise BadInput("--users must be at least 1")
    if max_history < 1:
        raise BadInput("--max-history must be at least 1")
    missing = {"user", "item", "order"} - set(log.columns)
    if missing:
        raise BadInput(f"the interaction log lacks column(s): {', '.join(sorted(missing))}")
    dropped: Counter = Counter()
    log = log[["user", "item", "order"]].astype({"user": str, "item": str})
    known = log["item"].isin(catalog_ids)
    if (~known).any():
        dropped["log rows whose item is not in the catalog"] = int((~known).sum())
        log = log[known]
    # stable sort: items with the same timestamp keep their log order
    log = log.sort_values(["user", "order"], kind="mergesort")
    seqs: dict[str, list[str]] = {u: list(g) for u, g in log.groupby("user", sort=True)["item"]}
    eligible: dict[str, tuple[list[str], str]] = {}
    for u, items in seqs.items():
        target = items[-1]
        earlier = list(dict.fromkeys(items[:-1]))
        if not earlier:
            dropped["users with a single interaction"] += 1
        elif target in earlier:
            # the target was consumed before: excluding history would make it unreachable
            dropped["users whose last item repeats an earlier one"] += 1
        else:
            eligible[u] = (earlier, target)
    if not eligible:
        raise BadInput("no user has both a history and a held-out item in this interaction log")
    users = sorted(eligible)
    rng = np.random.default_rng(seed)
    if n_users < len(users):
        users = sorted(rng.choice(users, size=n_users, replace=False).tolist())
    cases = [Case(user=u, history=eligible[u][0][-max_history:], earlier=eligible[u][0], target=eligible[u][1])
             for u in users]
    return Split(cases=cases, eligible_users=len(eligible), dropped=dropped)


def validation_cases(
    log: pd.DataFrame, catalog_ids: set[str], exclude_users: set[str], n_users: int, seed: int,
    max_history: int = 10,
) -> Split:
    """Cases for choosing a setting (a fusion weight) without touching the test: users outside the test
    sample, each cut before their last item, so the target is their second-to-last one (the CF split's
    validation target, which no CF model trained on)."""
    log = log[["user", "item", "order"]].astype({"user": str, "item": str})
    log = log[log["item"].isin(catalog_ids) & ~log["user"].isin(exclude_users)]
    log = log.sort_values(["user", "order"], kind="mergesort")
    log = log[log.groupby("user", sort=False).cumcount(ascending=False) > 0]  # drop each user's last item
    if log.empty:
        raise BadInput("no user outside the test sample is left to choose a setting on")
    return leave_last_out(log, catalog_ids, n_users, seed + 1, max_history)


def interacted_items(log: pd.DataFrame) -> dict[str, set[str]]:
    log = log[["user", "item"]].astype(str)
    return {u: set(g) for u, g in log.groupby("user", sort=False)["item"]}


def add_candidates(cases: list[Case], all_ids: list[str], interacted: dict[str, set[str]], seed: int,
                   n_negatives: int = N_NEGATIVES) -> None:
    """Target + `n_negatives` items the user never interacted with, uniform and seeded, shuffled."""
    ids = np.array(sorted(all_ids))
    for c in cases:
        seen = interacted.get(c.user, set()) | set(c.earlier) | {c.target}
        pool = ids[~np.isin(ids, list(seen))]
        rng = user_rng(seed, c.user)
        k = min(n_negatives, len(pool))
        negs = rng.choice(pool, size=k, replace=False).tolist() if k else []
        cands = [c.target] + negs
        rng.shuffle(cands)  # the target's position must carry no signal (ties, LLM position bias)
        c.candidates = cands
