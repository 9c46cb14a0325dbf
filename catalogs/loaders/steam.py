"""Steam: UCSD steam_games metadata (genres, tags) + steam-200k purchase/play logs matched by name.

steam-200k games whose name matches no metadata row (about a quarter) become title-only items with
id `s200k-<Game_ID>`, so every logged game is in the catalog and no interaction is lost.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult, read_table
from catalogs.loaders.fields import as_list, clean, collect_items, item_text, optional_path, read_str
from recchat.core.schema import Item


def norm_name(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", clean(s).lower())


def steam_fields(r: dict, title: str) -> tuple[str, dict]:
    """(item text, metadata) from one steam_games row: genres, user tags, developer, publisher."""
    genres, tags = as_list(r.get("genres")), as_list(r.get("tags"))
    meta = {"genres": genres, "tags": tags[:12], "developer": clean(r.get("developer")),
            "publisher": clean(r.get("publisher")), "release_date": clean(r.get("release_date")),
            "price": clean(r.get("price")), "url": clean(r.get("url"))}
    # tags repeat the genres on most games: embed only the ones that add something
    text = item_text(title, ("genres", genres), ("tags", [t for t in tags if t not in genres][:8]),
                     ("developer", meta["developer"]))
    return text, {k: v for k, v in meta.items() if v not in ("", [], None)}


# what a store's product title adds to a game's name: its platform, edition or packaging
_PLATFORM = (r"pc|mac|linux|windows|xbox(?: 360| one)?|ps ?[1-4]|ps ?vita|psp|sony psp|playstation(?: ?[1-4]| vita|"
             r" portable)?|(?:nintendo )?(?:wii u|wii|switch|3ds|2ds|ds|64|gamecube|game ?cube)|nintendo|"
             r"game ?boy(?: advance| color)?|gba|online game code|download|digital code")
_EDITION = (r"(?:standard|limited|collector'?s|legendary|special|complete|deluxe|gold|goty|game of the year|"
            r"definitive|ultimate|digital|premium|hardened|day one|launch|signature|anniversary|essentials|"
            r"greatest hits|platinum hits|player'?s choice)(?: edition)?")
_TAIL = re.compile(rf"\s*[-–,:/]?\s*(?:{_PLATFORM}|{_EDITION})\s*$", re.I)
MIN_KEY = 4  # shorter names ("ico", "pc") match too much by chance


def match_key(title: str) -> str:
    """A game's name without its platform, edition or bracketed packaging, letters and digits only:
    "The Elder Scrolls V: Skyrim - Legendary Edition, XBOX 360" and Steam's "The Elder Scrolls V:
    Skyrim" both give "theelderscrollsvskyrim"."""
    t = re.sub(r"\[[^\]]*\]|\([^)]*\)", " ", clean(title))
    prev = None
    while prev != t:
        prev, t = t, _TAIL.sub("", t).strip()
    return norm_name(t)


def metadata_by_name(path: Path) -> dict[str, dict]:
    """steam_games rows with genres or tags, keyed by match_key of their title and app name (the row
    with the most tags wins a shared key): what another games catalog's items can be matched to."""
    games = read_table(path, "json")
    out: dict[str, dict] = {}
    n_tags: dict[str, int] = {}  # key -> tags of the row it holds
    for r in games.to_dict("records"):
        tags = len(as_list(r.get("tags")))
        if not (tags or as_list(r.get("genres"))):
            continue
        for name in {clean(r.get("title")), clean(r.get("app_name"))}:
            key = match_key(name)
            if len(key) >= MIN_KEY and tags >= n_tags.get(key, 0):
                out[key], n_tags[key] = r, tags
    return out


def load_steam(manifest, data_dir: Path | None) -> LoadResult:
    games = read_table(manifest.path("games", data_dir), "json")
    dropped: Counter = Counter()
    by_name: dict[str, str] = {}  # normalised app name / title -> the first game id

    def item(r: dict, title: str) -> Item | None:
        gid = clean(r.get("id"))
        if not gid:
            dropped["no id"] += 1
            return None
        text, meta = steam_fields(r, title)
        it = Item(id=gid, title=title, language="en", domain="games", text=text, metadata=meta)
        for n in (norm_name(r.get("app_name")), norm_name(title)):
            if n:
                by_name.setdefault(n, gid)
        return it

    items: list[Item] = collect_items(games.to_dict("records"),
                                      lambda r: clean(r.get("title")) or clean(r.get("app_name")), item, dropped)
    res = LoadResult(items=items, read=len(games), dropped=dropped)
    ipath = optional_path(manifest, "log_items", data_dir)
    if ipath is None:
        res.notes.append("no steam-200k files: interaction log not built")
        return res
    info = read_str(ipath, sep="\t")
    g_id, g_name = info.columns[:2]
    to_item: dict[str, str] = {}
    matched = extra = 0
    for sid, name in zip(info[g_id], info[g_name]):
        hit = by_name.get(norm_name(name))
        if hit:
            to_item[sid] = hit
            matched += 1
        elif clean(name):
            iid = f"s200k-{sid}"
            to_item[sid] = iid
            items.append(Item(id=iid, title=clean(name), text=clean(name), language="en", domain="games",
                              metadata={"source": "steam-200k (no metadata match)"}))
            extra += 1
    res.read += len(info)
    # a matched steam-200k game is the same game as its metadata row: merged, not lost
    res.dropped["merged: steam-200k game matched to its metadata item"] = matched
    res.notes.append(f"steam-200k: {matched} of {len(info)} games matched to metadata by normalised name; "
                     f"{extra} added as title-only items")
    purchase = read_str(manifest.path("purchase", data_dir), sep="\t")
    play = read_str(manifest.path("play", data_dir), sep="\t")
    hours = {(u, g): float(h) for u, g, h in zip(play["User_ID"], play["Game_ID"], play["Hours"])}
    inter = pd.DataFrame({"user": purchase["User_ID"].astype(str),
                          "item": purchase["Game_ID"].map(to_item)})
    # rating = hours played (0 for bought, never played); order = the file's order per user
    inter["rating"] = [hours.get((u, g), 0.0) for u, g in zip(purchase["User_ID"], purchase["Game_ID"])]
    missing = inter["item"].isna()
    if missing.any():
        res.notes.append(f"{int(missing.sum())} purchases of games missing from the item file dropped")
    inter = inter[~missing].reset_index(drop=True)
    inter["order"] = inter.groupby("user").cumcount().astype("int64")
    res.interactions = inter[["user", "item", "order", "rating"]]
    return res
