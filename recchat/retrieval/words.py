"""Words of a request or an item, as the ranking's word features and evidence snippets see them."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import numpy as np

_STOP = set(
    "a an the and or of to in on for with about that this who what which like some something movie movies film "
    "book books game games show item items i me my want would enjoy they their them is are be it its by from "
    "as at more less very really recommend please".split()
)


def _tokens(text: str) -> list[str]:
    # numbers are no evidence: a pasted "Finding Nemo (2003)" made every 2003 item "match: 2003"
    return [w for w in re.findall(r"[\w']+", text.lower()) if len(w) >= 3 and w not in _STOP and not w.isdigit()]


def terms(text: str) -> set[str]:
    return set(_tokens(text))


def words(text: str) -> list[str]:
    """`terms`, in order and with repeats, a plural folded to its singular ("soldiers" / "Soldier"):
    crude, but the same on both sides of a match."""
    return [w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w for w in _tokens(text)]


def description(row: dict) -> str:
    """An item's text without its title: the fields that say what it is (genres, tags, authors, ...)."""
    text, title = row.get("text") or "", row.get("title") or ""
    return text.replace(title, " ", 1) if title else text


@dataclass(frozen=True)
class WordStats:
    """Document frequencies of the words in a catalog's descriptions (titles left out), for BM25."""

    docs: int
    mean_len: float
    df: dict[str, int]

    @classmethod
    def of(cls, descriptions: Iterable[str]) -> WordStats:
        df: Counter[str] = Counter()
        n = total = 0
        for d in descriptions:
            ws = words(d)
            df.update(set(ws))
            n, total = n + 1, total + len(ws)
        return cls(docs=n, mean_len=total / n if n else 0.0, df=dict(df))

    def idf(self, w: str) -> float:
        d = self.df.get(w, 0)
        return math.log(1.0 + (self.docs - d + 0.5) / (d + 0.5))


def bm25(request: str, descriptions: list[str], stats: WordStats, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Okapi BM25 of each description for the request's words: a rare word ("courtroom") counts for
    more than a common one ("drama"), and only where the item's own fields have it."""
    want = set(words(request))
    out = np.zeros(len(descriptions), np.float32)
    if not want or not stats.docs:
        return out
    idf = {w: stats.idf(w) for w in want}
    avg = stats.mean_len or 1.0
    for k, d in enumerate(descriptions):
        ws = words(d)
        tf = Counter(w for w in ws if w in want)
        norm = k1 * (1.0 - b + b * len(ws) / avg)
        out[k] = sum(idf[w] * c * (k1 + 1.0) / (c + norm) for w, c in tf.items())
    return out
