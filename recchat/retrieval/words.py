"""Words of a request or an item, as the ranking's word features and evidence snippets see them."""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
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


def _fold(w: str) -> str:
    return w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w


def words(text: str) -> list[str]:
    """`terms`, in order and with repeats, a plural folded to its singular ("soldiers" / "Soldier"):
    crude, but the same on both sides of a match."""
    return [_fold(w) for w in _tokens(text)]


def description(row: dict) -> str:
    """An item's text without its title: the fields that say what it is (genres, tags, authors, ...)."""
    text, title = row.get("text") or "", row.get("title") or ""
    return text.replace(title, " ", 1) if title else text


_STEM = 5  # shorter shared beginnings join unrelated words ("anime" / "animal", "cook" / "Cooke")


def same_stem(a: str, b: str) -> bool:
    """Two forms of one word by their endings: they share a beginning of at least five letters that
    lacks at most two of the shorter one's letters, and the longer adds at most four after it
    ("dystopia"/"dystopian", "mystery"/"mysterious", "court"/"courtroom", "apocalypse"/"apocalyptic")."""
    a, b = sorted((a, b), key=len)
    p = len(os.path.commonprefix([a, b]))
    return a != b and p >= max(_STEM, len(a) - 2) and len(b) - p <= 4


def in_vocabulary(text: str, stats: WordStats | None) -> str:
    """`text` with each word in the catalog's own forms of it (`WordStats.variant`), so full text finds
    "dystopian" novels for "dystopia" (BM25's stemmer keeps the two apart); other words as written."""
    if stats is None or not stats.docs:
        return text

    def swap(m: re.Match) -> str:
        ws = words(m.group(0))
        v = stats.variant(ws[0]) if len(ws) == 1 else None
        return v or m.group(0)

    return re.sub(r"[\w']+", swap, text)


@dataclass(frozen=True)
class WordStats:
    """Document frequencies of the words in a catalog's descriptions (titles left out), for BM25."""

    docs: int
    mean_len: float
    df: dict[str, int]
    forms: dict[str, str] = field(default_factory=dict)  # word -> as items write it ("mysteriou" -> "mysterious")

    @classmethod
    def of(cls, descriptions: Iterable[str]) -> WordStats:
        df: Counter[str] = Counter()
        written: Counter[tuple[str, str]] = Counter()
        n = total = 0
        for d in descriptions:
            toks = _tokens(d)
            ws = [_fold(t) for t in toks]
            df.update(set(ws))
            written.update(set(zip(ws, toks)))
            n, total = n + 1, total + len(ws)
        forms: dict[str, str] = {}
        for (w, t), _ in written.most_common():
            forms.setdefault(w, t)
        return cls(docs=n, mean_len=total / n if n else 0.0, df=dict(df), forms=forms)

    @cached_property
    def _by_prefix(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for w in self.df:
            if len(w) >= _STEM:
                out.setdefault(w[:_STEM], []).append(w)
        return out

    def variant(self, w: str) -> str | None:
        """The catalog's own form of a word, as its items write it: for a word no item uses, the
        commonest description word that shares its stem (`same_stem`; "dystopia" -> "dystopian"); for a
        word few items use, the word followed by a form at least three times as common ("courtroom" ->
        "courtroom court": 2 movies are tagged "courtroom", 12 "court"). None otherwise."""
        if len(w) < _STEM:
            return None
        near = [v for v in self._by_prefix.get(w[:_STEM], ()) if same_stem(w, v)]
        if not near:
            return None
        best = max(near, key=lambda v: (self.df[v], v))
        own = self.df.get(w, 0)
        if own and self.df[best] < 3 * own:
            return None
        return (self.forms.get(w, w) + " " if own else "") + self.forms.get(best, best)

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
