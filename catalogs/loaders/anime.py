"""Anime: the full 12,294-title catalog (MAL ids) + CaseRecommender's 5,000-user histories.

The sampled logs use new consecutive ids; anime_info.tsv names them, and names map to MAL ids.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult
from catalogs.loaders.fields import as_list, clean, collect_items, item_text, optional_path, read_str
from recchat.core.schema import Item


def _num(v):
    try:
        f = float(v)
        return None if pd.isna(f) else f
    except (TypeError, ValueError):
        return None


def load_anime(manifest, data_dir: Path | None) -> LoadResult:
    df = read_str(manifest.path("anime", data_dir))
    by_key: dict[tuple[str, str], str] = {}  # (name, type) and (name, '') -> the first MAL id

    def item(r: dict, title: str) -> Item:
        genres, kind = as_list(r["genre"]), clean(r["type"])
        meta = {"genres": genres, "type": kind, "episodes": clean(r["episodes"]),
                "rating": _num(r["rating"]), "members": _num(r["members"])}
        aid = clean(r["anime_id"])
        it = Item(id=aid, title=title, language="en", domain="anime",
                  text=item_text(title, ("type", kind), ("genres", genres)),
                  metadata={k: v for k, v in meta.items() if v not in ("", [], None)})
        by_key.setdefault((title, kind), aid)
        by_key.setdefault((title, ""), aid)
        return it

    dropped: Counter = Counter()
    items = collect_items(df.to_dict("records"), lambda r: clean(r["name"]), item, dropped)
    res = LoadResult(items=items, read=len(df), dropped=dropped)
    ipath = optional_path(manifest, "log_items", data_dir)
    if ipath is None:
        res.notes.append("no anime_info/history files: interaction log not built")
        return res
    info = read_str(ipath, sep="\t")
    to_mal: dict[str, str] = {}
    for r in info.to_dict("records"):
        name, kind = clean(r["name"]), clean(r["type"])
        hit = by_key.get((name, kind)) or by_key.get((name, ""))
        if hit is None:  # in the sample but not in anime.csv: keep it as its own item
            hit = f"caserec-{r['anime_ids']}"
            items.append(Item(id=hit, title=name, language="en", domain="anime",
                              text=item_text(name, ("type", kind), ("genres", as_list(r["genre"]))),
                              metadata={"genres": as_list(r["genre"]), "type": kind}))
            res.read += 1
            res.notes.append(f"anime_info id {r['anime_ids']} ({name}) not in anime.csv: added")
        to_mal[str(r["anime_ids"])] = hit
    hist = read_str(manifest.path("history", data_dir), sep="\t")
    inter = pd.DataFrame({"user": hist["User_ID"], "item": hist["Anime_ID"].map(to_mal)})
    rpath = optional_path(manifest, "ratings", data_dir)
    if rpath is not None:  # 1-10 where the user rated; NaN for listed-but-unrated
        rt = read_str(rpath, sep="\t")
        rt = pd.DataFrame({"user": rt["User_ID"], "item": rt["Anime_ID"].map(to_mal),
                           "rating": rt["Feedback"].astype(float)}).drop_duplicates(["user", "item"])
        inter = inter.merge(rt, on=["user", "item"], how="left")
    else:
        inter["rating"] = float("nan")
    missing = inter["item"].isna()
    if missing.any():
        res.notes.append(f"{int(missing.sum())} history rows with ids missing from anime_info dropped")
    inter = inter[~missing].reset_index(drop=True)
    inter["order"] = inter.groupby("user").cumcount().astype("int64")  # no timestamps in the sample
    res.interactions = inter[["user", "item", "order", "rating"]]
    return res
