"""Genres for items that have none, from the items the same people consumed (label propagation).

Most books have no genres in their data and the model named genres for only a quarter of them
(model_genres.py), so "a horror novel" could not find most horror novels by their words. An item's
nearest neighbours in the catalog's item-kNN (co-consumption in the log's training split, each user's
last interaction held out: recchat/cf) mostly share its genres: an item gets a genre when at least
`share` of the similarity mass of its `k` nearest labelled neighbours carries it.

    recchat cf train --catalog books
    recchat catalog genres books --from-neighbours    # writes catalogs/data/books/neighbour_genres.csv

The command first scores the rule on the items that have genres (each predicted from its neighbours as
if it had none) and prints precision and recall next to how many unlabelled items it would label. A
build joins the file after the data's own genres and the model's (they win), into the item's full text
and its card ("genres (similar items)"), never into what the embedder reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recchat.catalog.model_genres import join, read_csv, write_csv

KEY = "neighbour_genres"


def path(name: str) -> Path:
    from catalogs.manifest import BUNDLED

    return BUNDLED / name / f"{KEY}.csv"


def read(name: str) -> dict[str, list[str]]:
    return read_csv(path(name))


def join_into(items: list, genres: dict[str, list[str]]) -> int:
    return join(items, genres, key=KEY)


def predict(item: int, sim: sp.csr_matrix, labels: dict[int, set[str]], k: int = 20,
            min_labelled: int = 3) -> dict[str, float]:
    """genre -> share of the similarity mass of the item's `k` most similar labelled neighbours that
    carries it (the item's own labels never count); {} with fewer than `min_labelled` of them."""
    row = sim.getrow(item)
    order = np.argsort(-row.data, kind="stable")
    got: dict[str, float] = {}
    total, n = 0.0, 0
    for j, v in zip(row.indices[order], row.data[order]):
        if j == item or j not in labels or v <= 0:
            continue
        for g in labels[j]:
            got[g] = got.get(g, 0.0) + float(v)
        total, n = total + float(v), n + 1
        if n >= k:
            break
    if n < min_labelled or total <= 0:
        return {}
    return {g: s / total for g, s in got.items()}


def assign(scores: dict[str, float], share: float) -> list[str]:
    return [g for g, s in sorted(scores.items(), key=lambda t: (-t[1], t[0])) if s >= share]


@dataclass
class Check:
    precision: float
    recall: float
    covered: float  # share of labelled items that get any genre
    labelled: int


def check(sim: sp.csr_matrix, labels: dict[int, set[str]], share: float, k: int = 20) -> Check:
    """The rule scored on the labelled items, each predicted from its neighbours alone."""
    tp = fp = fn = cov = 0
    for i, want in labels.items():
        got = set(assign(predict(i, sim, labels, k), share))
        tp, fp, fn, cov = tp + len(got & want), fp + len(got - want), fn + len(want - got), cov + bool(got)
    n = len(labels)
    return Check(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, cov / n if n else 0.0, n)


def by_row(index: dict[str, int], labels: dict[str, list[str]]) -> dict[int, set[str]]:
    """Labels keyed by the kNN's row (`index`: item id -> row), lowercased; items it lacks left out."""
    return {index[i]: {g.lower() for g in gs} for i, gs in labels.items() if i in index and gs}


def propagate(item_ids: list[str], sim: sp.csr_matrix, labels: dict[str, list[str]], share: float = 0.5,
              k: int = 20) -> list[tuple[str, list[str], float]]:
    """(id, genres, the top genre's share) for each unlabelled item of the kNN that gets a genre."""
    lab = by_row({i: n for n, i in enumerate(item_ids)}, labels)
    out = []
    for n, i in enumerate(item_ids):
        if n in lab:
            continue
        scores = predict(n, sim, lab, k)
        gs = assign(scores, share)
        if gs:
            out.append((i, gs, max(scores.values())))
    return out


def write(name: str, rows: list[tuple[str, list[str], float]]) -> Path:
    return write_csv(path(name), rows)

