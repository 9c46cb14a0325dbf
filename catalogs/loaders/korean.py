"""Korean headlines: KLUE-YNAT (DACON release; topic as metadata) and kocohub entertainment news."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from catalogs.loaders import LoadResult
from catalogs.loaders.fields import clean, collect_items, optional_path, read_str
from recchat.core.schema import Item


def load_ynat(manifest, data_dir: Path | None) -> LoadResult:
    df = read_str(manifest.path("titles", data_dir))
    topics: dict[str, str] = {}
    tpath = optional_path(manifest, "topics", data_dir)
    if tpath is not None:
        t = read_str(tpath)
        topics = dict(zip(t["topic_idx"], t["topic"]))
    dropped: Counter = Counter()
    items = collect_items(
        df.to_dict("records"), lambda r: clean(r["title"]),
        lambda r, title: Item(id=clean(r["index"]), title=title, text=title, language="ko", domain="news",
                              metadata={"topic": topics.get(r["topic_idx"], r["topic_idx"])}),
        dropped)
    return LoadResult(items=items, read=len(df), dropped=dropped)


def _unquote(s: str) -> str:
    """Titles were written CSV-quoted twice ('"[단독]..."' after one pass): undo the second pass."""
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        try:
            return next(csv.reader(io.StringIO(s)))[0]
        except (StopIteration, csv.Error):
            return s
    return s


def load_kocohub(manifest, data_dir: Path | None) -> LoadResult:
    df = read_str(manifest.path("titles", data_dir), sep="\t")

    def item(r: dict, title: str) -> Item:
        n = int(r["n_comments"]) if str(r["n_comments"]).isdigit() else None
        return Item(id=clean(r["title_id"]), title=title, text=title, language="ko",
                    domain="entertainment news",
                    metadata={k: v for k, v in {"n_comments": n, "split": clean(r["splits"])}.items() if v})

    dropped: Counter = Counter()
    items = collect_items(df.to_dict("records"), lambda r: clean(_unquote(r["title"])), item, dropped)
    return LoadResult(items=items, read=len(df), dropped=dropped)
