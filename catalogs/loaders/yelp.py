"""Yelp Boston subset (2015 release): businesses as points of interest, tips as interactions."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult, read_table
from catalogs.loaders.fields import as_list, clean, collect_items, item_text, optional_path
from recchat.core.schema import Item


def load_yelp(manifest, data_dir: Path | None) -> LoadResult:
    biz = read_table(manifest.path("business", data_dir), "json")

    def item(r: dict, name: str) -> Item:
        cats, hoods = as_list(r.get("categories")), as_list(r.get("neighborhoods"))
        meta = {"categories": cats, "city": clean(r.get("city")), "neighborhoods": hoods,
                "stars": r.get("stars"), "review_count": r.get("review_count"),
                "address": clean(r.get("full_address")), "open": r.get("open"),
                "latitude": r.get("latitude"), "longitude": r.get("longitude")}
        return Item(id=clean(r["business_id"]), title=name, language="en", domain="places",
                    text=item_text(name, ("", cats), ("in", ", ".join(hoods + [meta["city"]]))),
                    metadata={k: v for k, v in meta.items() if v not in ("", [], None)})

    dropped: Counter = Counter()
    items = collect_items(biz.to_dict("records"), lambda r: clean(r.get("name")), item, dropped, empty="empty name")
    res = LoadResult(items=items, read=len(biz), dropped=dropped)
    tpath = optional_path(manifest, "tips", data_dir)
    if tpath is None:
        res.notes.append("no tip file: interaction log not built")
        return res
    tips = read_table(tpath, "json")
    days = [date.fromisoformat(str(d)[:10]).toordinal() for d in tips["date"]]
    inter = pd.DataFrame({"user": tips["user_id"].astype(str), "item": tips["business_id"].astype(str),
                          "order": pd.Series(days, dtype="int64"), "rating": float("nan")})
    known = {it.id for it in items}
    keep = inter["item"].isin(known)
    if (~keep).any():
        res.notes.append(f"{int((~keep).sum())} tips on unknown businesses dropped")
    res.interactions = inter[keep].sort_values(["user", "order"], kind="stable").reset_index(drop=True)
    res.notes.append("interactions are tips (no star reviews in this release); order = tip date (day ordinal)")
    return res
