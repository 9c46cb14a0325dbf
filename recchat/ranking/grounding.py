"""Titles the model names, matched to real catalog items: normalised exact match, then fuzzy
(rapidfuzz) over the catalog's normalised titles. Matched items join the ranking as one more signal;
names that match nothing are dropped, so a made-up title is never shown as an item."""

from __future__ import annotations

import threading

from rapidfuzz import fuzz, process

from recchat.core.textnorm import normalize_title

FUZZY_CUTOFF = 88  # WRatio: "zelda breath of the wild" ~ "legend of zelda breath of the wild"
_choices: dict[int, list[str]] = {}
_lock = threading.Lock()


def _keys(index: dict[str, list[str]]) -> list[str]:
    # the title index object changes with the catalog version, so its id keys the cache
    with _lock:
        k = id(index)
        if k not in _choices:
            _choices.clear()
            _choices[k] = list(index)
        return _choices[k]


def ground(names: list[str], index: dict[str, list[str]], per_name: int = 3,
           prior: dict[str, tuple[float, float]] | None = None) -> dict[str, float]:
    """item id -> match score in (0, 1] for the named titles (best score when named twice).
    `index` is the catalog's normalised title -> ids (CatalogStore.title_index). A name matches a
    title exactly, else the start of titles ("Harry Potter" -> "Harry Potter and the Sorcerer's
    Stone (Harry Potter, #1)"; score 0.95), else fuzzily; of several matches the best-known items
    (most interactions: `prior`, id -> (popularity, quality)) are taken, so a series name grounds to
    its main books, not its companions."""
    pop = prior or {}
    out: dict[str, float] = {}
    keys = _keys(index)
    for name in names:
        key = normalize_title(name)
        if len(key) < 2:
            continue
        if key in index:
            hits = [(key, 100.0)]
        else:
            hits = [(k, 95.0) for k in keys if k.startswith(key + " ")] if len(key) >= 4 else []
            if not hits:
                hits = process.extract(key, keys, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF, limit=per_name * 4)
        ranked = sorted(((i, float(h[1]) / 100.0) for h in hits for i in index[h[0]]),
                        key=lambda t: (-round(t[1], 2), -pop.get(t[0], (0.0,))[0]))
        for item_id, score in ranked[:per_name]:  # one title, a few editions at most
            out[item_id] = max(out.get(item_id, 0.0), score)
    return out
