"""A prior for well-known, well-liked items, from each catalog's own data.

- With an interaction log: how many interactions each item has and its mean rating, counted on the
  log WITHOUT each evaluable user's last two interactions (recchat/core/split.py, the split the CF
  models use), so no evaluation ever sees a held-out item through the prior.
- Without a log: the metadata fields the manifest names (`prior: {count: members, rating: rating}`),
  e.g. anime members, Yelp review counts and stars.
- Neither: no prior (every item 0, `has_prior` false). It is a ranking feature, never a filter.

`pop` is the percentile of log(1 + count) among the catalog's items (0 = never seen, 1 = the most
consumed); `quality` is the percentile of the rating shrunk towards the catalog mean by the median
count (an item with three 5-star ratings is not the best item of the catalog). Stored beside the
interaction log as prior.parquet, read once per catalog version.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd

from recchat.core.settings import get_settings
from recchat.core.split import training_rows


def prior_path(name: str) -> Path:
    return get_settings().home / "catalogs" / name / "prior.parquet"


def from_log(interactions: pd.DataFrame) -> pd.DataFrame:
    """(id, count, rating) from a log's training rows (rating NaN where the log has none)."""
    rows = training_rows(interactions)
    g = rows.groupby("item", sort=False)
    out = pd.DataFrame({"count": g.size()})
    if "rating" in rows.columns and rows["rating"].notna().any():
        out["rating"] = g["rating"].mean()
    else:
        out["rating"] = np.nan
    return out.rename_axis("id").reset_index()


def from_metadata(items, count_field: str | None, rating_field: str | None) -> pd.DataFrame:
    def num(v):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return np.nan
        return f if np.isfinite(f) else np.nan

    return pd.DataFrame({
        "id": [it.id for it in items],
        "count": [num(it.metadata.get(count_field)) if count_field else np.nan for it in items],
        "rating": [num(it.metadata.get(rating_field)) if rating_field else np.nan for it in items],
    })


def _percentile(x: np.ndarray) -> np.ndarray:
    """Rank percentile in [0, 1] of the finite values (ties share their mean rank); NaN stays NaN."""
    out = np.full(len(x), np.nan)
    ok = np.isfinite(x)
    if ok.sum() == 1:
        out[ok] = 1.0
    elif ok.any():
        out[ok] = (pd.Series(x[ok]).rank(method="average").to_numpy() - 1) / (ok.sum() - 1)
    return out


def scores(ids: list[str], raw: pd.DataFrame) -> pd.DataFrame:
    """(id, count, rating, pop, quality) for every catalog id; items missing from `raw` count 0."""
    d = pd.DataFrame({"id": ids}).merge(raw, on="id", how="left")
    count = d["count"].to_numpy(dtype=float)
    if np.isfinite(count).any():
        count = np.nan_to_num(count, nan=0.0)
        # never consumed is the least known, whatever the share of such items: ranked with the rest, Steam's
        # 28,000 unplayed games (84% of the catalog) tied at percentile 0.42, a middling item elsewhere
        used = count > 0
        pop = np.zeros(len(count))
        pop[used] = pd.Series(count[used]).rank(method="average").to_numpy() / max(int(used.sum()), 1)
        d["pop"] = pop
    else:
        d["pop"] = np.nan
    rating = d["rating"].to_numpy(dtype=float)
    if np.isfinite(rating).any():
        rated = np.isfinite(rating)
        n = np.where(rated, np.maximum(count, 1.0) if np.isfinite(count).all() else 1.0, 0.0)
        m = float(np.median(n[rated])) if rated.any() else 1.0
        mean = float(np.average(rating[rated], weights=n[rated]))
        shrunk = np.where(rated, (n * np.nan_to_num(rating) + m * mean) / (n + m), np.nan)
        d["quality"] = _percentile(shrunk)
    else:
        d["quality"] = np.nan
    d["count"] = count
    return d[["id", "count", "rating", "pop", "quality"]]


def save(name: str, table: pd.DataFrame) -> Path:
    p = prior_path(name)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp.parquet")
    table.to_parquet(tmp, index=False)
    tmp.replace(p)  # atomic, like the interaction log beside it
    return p


_cache: dict[str, tuple[float, dict[str, tuple[float, float]]]] = {}
_lock = threading.Lock()


def load(name: str) -> dict[str, tuple[float, float]]:
    """id -> (pop, quality), NaN where unknown; {} for a catalog without a prior."""
    p = prior_path(name)
    if not p.exists():
        return {}
    mtime = p.stat().st_mtime
    with _lock:
        hit = _cache.get(name)
        if hit is None or hit[0] != mtime:
            t = pd.read_parquet(p, columns=["id", "pop", "quality"])
            hit = (mtime, dict(zip(t["id"].astype(str), zip(t["pop"].astype(float), t["quality"].astype(float)))))
            _cache[name] = hit
        return hit[1]
