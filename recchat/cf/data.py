"""Interaction log -> per-user sequences -> leave-last-out split (the rule: recchat/core/split.py).

The split is the contract with evaluation: for every user with >= MIN_EVAL_LEN interactions, the
last item is the TEST target and the one before it the VALIDATION target; models train only on
what comes before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from recchat.core.errors import BadInput
from recchat.core.split import MIN_EVAL_LEN

COLUMNS = ("user", "item", "order")


@dataclass
class LogSplit:
    item_ids: list[str]  # the vocabulary: items in some training sequence, by first appearance
    train: dict[str, list[str]]  # user -> training sequence
    valid: dict[str, str] = field(default_factory=dict)  # user -> validation target
    test: dict[str, str] = field(default_factory=dict)  # user -> test target
    interactions: int = 0

    def fingerprint(self) -> str:
        """Changes whenever the training data changes: a checkpoint of other data is not resumed."""
        h = hashlib.sha1()
        for u in sorted(self.train):
            h.update(f"{u}\x1f{chr(31).join(self.train[u])}\x1e".encode("utf-8"))
        return h.hexdigest()[:16]

    def heldout_frame(self) -> pd.DataFrame:
        users = sorted(self.test)
        return pd.DataFrame({"user": users, "valid": [self.valid[u] for u in users], "test": [self.test[u] for u in users]})


def sequences(df: pd.DataFrame) -> dict[str, list[str]]:
    """user -> item ids in interaction order (stable: equal `order` keeps the log's row order)."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise BadInput(f"interaction log lacks column(s) {', '.join(missing)}; need user, item, order")
    if df.empty:
        raise BadInput("interaction log is empty")
    d = df[list(COLUMNS)].dropna()
    d = d.assign(user=d["user"].astype(str), item=d["item"].astype(str))
    d = d.sort_values(["user", "order"], kind="mergesort")
    return {u: g.tolist() for u, g in d.groupby("user", sort=False)["item"]}


def leave_last_out(df: pd.DataFrame, min_len: int = MIN_EVAL_LEN) -> LogSplit:
    seqs = sequences(df)
    train: dict[str, list[str]] = {}
    valid: dict[str, str] = {}
    test: dict[str, str] = {}
    for u, s in seqs.items():
        if len(s) >= min_len:
            train[u], valid[u], test[u] = s[:-2], s[-2], s[-1]
        else:
            train[u] = s
    vocab: dict[str, None] = {}
    for s in train.values():
        vocab.update(dict.fromkeys(s))
    if not vocab:
        raise BadInput("interaction log has no training interactions after holding out the last two per user")
    return LogSplit(list(vocab), train, valid, test, interactions=sum(len(s) for s in seqs.values()))
