"""Amazon 2018 processed sets: Video Games (LLMRank) and Office / Industrial (MiniOneRec)."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult
from catalogs.loaders.fields import clean, collect_items, item_text, optional_path, read_str
from catalogs.loaders.steam import match_key, metadata_by_name, steam_fields
from recchat.core.schema import Item


def _known(res: LoadResult, inter: pd.DataFrame, what: str) -> pd.DataFrame:
    known = {it.id for it in res.items}
    keep = inter["item"].isin(known)
    if (~keep).any():
        res.notes.append(f"{int((~keep).sum())} {what} with unknown items dropped")
    return inter[keep].reset_index(drop=True)


def load_games(manifest, data_dir: Path | None) -> LoadResult:
    """games.item.tsv titles; each user's test row = whole (capped) history + the last item. A title is
    all the item data has, so a game that Steam's metadata also lists (matched by name without platform
    or edition: catalogs/loaders/steam.py) takes its genres, tags and developer from there."""
    df = read_str(manifest.path("items", data_dir), sep="\t")
    id_col, title_col = df.columns[0], df.columns[1]  # RecBole headers: item_id:token, title:token_seq
    dropped: Counter = Counter()
    spath = optional_path(manifest, "steam_metadata", data_dir)
    steam = metadata_by_name(spath) if spath is not None else {}

    def item(r, title: str) -> Item:
        meta: dict = {"source": "Amazon Video Games"}
        text = title
        match = steam.get(match_key(title))
        if match is not None:
            text, fields = steam_fields(match, title)
            meta.update({k: fields[k] for k in ("genres", "tags", "developer", "publisher") if k in fields})
            meta["metadata_from"] = f"Steam: {clean(match.get('title')) or clean(match.get('app_name'))}"
        # the embedder reads the title alone, as for every other item here: 14% of the items with genre words
        # in their vectors drew histories toward them whatever the history was (history ranking, games
        # candidates20 Hit@1: embedding 0.312 -> 0.272 when embedded); full-text search reads the fields
        return Item(id=str(r[0]).strip(), title=title, text=text, embed_text=title if match is not None else None,
                    language="en", domain="games", metadata=meta)

    items = collect_items(zip(df[id_col], df[title_col]), lambda r: clean(r[1]), item, dropped)
    res = LoadResult(items=items, read=len(df), dropped=dropped)
    ipath = optional_path(manifest, "sequences", data_dir)
    if ipath is None:
        res.notes.append("no sequence file: interaction log not built")
        return res
    seq = read_str(ipath, sep="\t")
    u_col, h_col, t_col = seq.columns[:3]
    users, its, order = [], [], []
    for u, hist, target in zip(seq[u_col], seq[h_col], seq[t_col]):
        s = hist.split() + [target.strip()]
        users += [u] * len(s)
        its += s
        order += range(len(s))
    inter = pd.DataFrame({"user": users, "item": its, "order": pd.Series(order, dtype="int64"),
                          "rating": float("nan")})
    res.interactions = _known(res, inter, "history entries")
    return res


def _desc(v) -> str:
    """The description is a stringified list of paragraphs, some of them inline CSS/HTML."""
    s = clean(v)
    if s.startswith("["):
        try:
            parts = ast.literal_eval(s)
            s = " ".join(p for p in map(clean, parts) if p and "{" not in p and "<" not in p)
        except (ValueError, SyntaxError):
            pass
    return s


def load_minionerec(manifest, data_dir: Path | None) -> LoadResult:
    """{cat}.item.json (id -> title, description, brand) + valid/test rows: ≤10-item history + target."""
    # a single JSON object keyed by item id: `datasets` turns it into one column per item and loses
    # the field names, so this file is read with the json module
    with open(manifest.path("items", data_dir), encoding="utf-8") as f:
        raw: dict = json.load(f)
    domain = manifest.domain

    def item(row: tuple[str, dict], title: str) -> Item:
        iid, rec = row
        brand, desc = clean(rec.get("brand")), _desc(rec.get("description"))
        cats = clean(rec.get("categories"))
        return Item(id=str(iid), title=title,
                    text=item_text(title, ("brand", brand), ("", desc[:200])),
                    language="en", domain=domain,
                    metadata={k: v for k, v in {"brand": brand, "description": desc[:1000],
                                                "categories": cats}.items() if v})

    dropped: Counter = Counter()
    items = collect_items(raw.items(), lambda row: clean(row[1].get("title")), item, dropped)
    res = LoadResult(items=items, read=len(raw), dropped=dropped)
    frames = []
    for role in ("valid", "test"):  # time-split: every valid row precedes the test rows
        p = optional_path(manifest, role, data_dir)
        if p is not None:
            frames.append(read_str(p))
    if not frames:
        res.notes.append("no valid/test files: interaction log not built")
        return res
    rows = pd.concat(frames, ignore_index=True)
    users, its = [], []
    seen_users: set[str] = set()
    for u, hist, target in zip(rows["user_id"], rows["history_item_id"], rows["item_id"]):
        if u not in seen_users:  # the first row's history is what came before it
            seen_users.add(u)
            for h in ast.literal_eval(hist):
                users.append(u)
                its.append(str(h))
        users.append(u)
        its.append(str(target).strip())
    inter = pd.DataFrame({"user": users, "item": its})
    inter["order"] = inter.groupby("user").cumcount().astype("int64")
    inter["rating"] = float("nan")
    res.interactions = _known(res, inter, "history entries")
    return res
