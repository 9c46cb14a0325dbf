"""The one interface every CF model answers to, and where models live on disk (loading: registry.py).

A CF model knows a vocabulary of item ids (the items of its training log) and scores all of them
for a history. Ids it never saw get -inf in `score` (no collaborative signal, not "bad").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recchat.core.errors import RecchatError
from recchat.core.settings import get_settings

MODELS = ("popularity", "itemknn", "ease", "sasrec")  # every name `recchat cf train` can write


class NoCFModel(RecchatError):
    pass


def cf_dir(catalog: str) -> Path:
    return get_settings().home / "cf" / catalog


class CFModel:
    """Base: subclasses set `name`, `item_ids` and implement `_raw(history_idx) -> scores per item`."""

    name = "cf"
    item_ids: list[str]

    @property
    def index(self) -> dict[str, int]:
        if getattr(self, "_index", None) is None:
            self._index = {i: n for n, i in enumerate(self.item_ids)}
        return self._index

    def _raw(self, hist_idx: list[int]) -> np.ndarray:
        raise NotImplementedError

    def evident(self, score: float) -> bool:
        """Whether a score carries collaborative evidence (item-kNN/EASE: a co-occurrence, not the
        popularity tie-break every item gets)."""
        return bool(np.isfinite(score))

    def known(self, ids: list[str]) -> list[int]:
        ix = self.index
        return [ix[i] for i in ids if i in ix]

    def score(self, history_ids: list[str], candidate_ids: list[str] | None = None) -> dict[str, float]:
        """Higher is better. None = every item the model knows; unknown candidates get -inf."""
        s = self._raw(self.known(history_ids))
        if candidate_ids is None:
            return dict(zip(self.item_ids, s.tolist()))
        ix = self.index
        return {c: (float(s[ix[c]]) if c in ix else float("-inf")) for c in candidate_ids}

    def similar(self, history_ids: list[str], k: int = 10) -> list[str]:
        """The k best items for the history, history items excluded."""
        hist = self.known(history_ids)
        s = np.array(self._raw(hist), dtype=np.float64, copy=True)
        s[hist] = -np.inf
        k = min(k, int(np.isfinite(s).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.lexsort((top, -s[top]))]  # by score, ties by index: deterministic
        return [self.item_ids[i] for i in top]


    def neighbours(self, history_ids: list[str], k: int = 5) -> list[str]:
        """Like `similar`, but only items the history itself points to: [] for an unknown history
        (no popularity fallback), so "people who liked these also liked" is never made up."""
        return self.similar(history_ids, k) if self.known(history_ids) else []
