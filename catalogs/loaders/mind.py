"""MIND-small subset: news titles with category/abstract; clicks whose news id is in news.tsv."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult
from catalogs.loaders.fields import clean, collect_items, item_text, optional_path, read_str
from recchat.core.schema import Item

NEWS_COLS = ["id", "category", "subcategory", "title", "abstract", "url", "title_entities", "abstract_entities"]
BEH_COLS = ["impression_id", "user", "time", "history", "impressions"]


def load_mind(manifest, data_dir: Path | None) -> LoadResult:
    df = read_str(manifest.path("news", data_dir), sep="\t", names=NEWS_COLS,
                    quoting=3)  # quoting=3: quotes are text here

    def item(r: dict, title: str) -> Item:
        abstract = clean(r["abstract"])
        return Item(id=clean(r["id"]), title=title, language="en", domain="news",
                    text=item_text(title, ("", f"{r['category']} / {r['subcategory']}"), ("", abstract[:200])),
                    metadata={"category": clean(r["category"]), "subcategory": clean(r["subcategory"]),
                              "abstract": abstract, "url": clean(r["url"])})

    dropped: Counter = Counter()
    items = collect_items(df.to_dict("records"), lambda r: clean(r["title"]), item, dropped)
    res = LoadResult(items=items, read=len(df), dropped=dropped)
    bpath = optional_path(manifest, "behaviors", data_dir)
    if bpath is None:
        res.notes.append("no behaviors file: interaction log not built")
        return res
    beh = read_str(bpath, sep="\t", names=BEH_COLS, quoting=3)
    known = {it.id for it in items}
    rows: list[tuple[str, str, int]] = []
    total = 0
    for r in beh.to_dict("records"):
        ts = int(datetime.strptime(r["time"], "%m/%d/%Y %I:%M:%S %p").timestamp())
        hist = r["history"].split()
        clicks = [x[:-2] for x in r["impressions"].split() if x.endswith("-1")]
        total += len(hist) + len(clicks)
        # history clicks came before the impression; their position keeps their order
        rows += [(r["user"], n, ts * 1000 - len(hist) + i) for i, n in enumerate(hist) if n in known]
        rows += [(r["user"], n, ts * 1000) for n in clicks if n in known]
    inter = pd.DataFrame(rows, columns=["user", "item", "order"])
    # histories repeat across a user's impressions: keep each (user, news) once, at its first time
    inter = inter.sort_values("order").drop_duplicates(["user", "item"]).reset_index(drop=True)
    inter["order"] = inter["order"].astype("int64")
    inter["rating"] = float("nan")
    res.notes.append(f"{len(rows)} of {total} clicks name a news id present in news.tsv "
                     f"({len(inter)} after removing repeats); the rest are outside this subset")
    res.interactions = inter
    return res
