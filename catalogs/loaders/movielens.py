"""MovieLens ml-latest-small: titles, genres and user tags; ratings as the interaction log."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult, read_table
from catalogs.loaders.fields import collect_items, read_str
from recchat.core.schema import Item

_YEAR = re.compile(r"\((\d{4})\)\s*$")


def _latest_title(r) -> str:
    title = str(r.title or "").strip()
    return "" if title == "nan" else title  # a missing title read as NaN


def _100k_title(r: dict) -> str:
    title = str(r["title"]).strip()
    return "" if title == "unknown" else title  # u.item's placeholder row 267


def load_latest_small(manifest, data_dir: Path | None) -> LoadResult:
    movies = read_table(manifest.path("movies", data_dir), "csv", column_names=None)
    tags_path = manifest.path("tags", data_dir)
    tags: dict[str, Counter] = defaultdict(Counter)
    if tags_path.exists():
        for r in read_table(tags_path, "csv").itertuples():
            tags[str(r.movieId)][str(r.tag).strip().lower()] += 1

    def item(r, title: str) -> Item:
        genres = [] if r.genres in (None, "(no genres listed)") else str(r.genres).split("|")
        top_tags = [t for t, _ in tags.get(str(r.movieId), Counter()).most_common(8)]
        m = _YEAR.search(title)
        meta = {"genres": genres, "tags": top_tags, "year": int(m.group(1)) if m else None}
        text = title
        if genres:
            text += " | genres: " + ", ".join(genres)
        if top_tags:
            text += " | tags: " + ", ".join(top_tags)
        return Item(id=str(r.movieId), title=title, text=text, language="en", domain="movies", metadata=meta)

    dropped: Counter = Counter()
    items = collect_items(movies.itertuples(), _latest_title, item, dropped)
    res = LoadResult(items=items, read=len(movies), dropped=dropped)
    try:
        rpath = manifest.path("ratings", data_dir)
    except FileNotFoundError:
        rpath = None
    if rpath is not None and rpath.exists():
        rt = read_table(rpath, "csv")
        res.interactions = pd.DataFrame(
            {"user": rt["userId"].astype(str), "item": rt["movieId"].astype(str),
             "order": rt["timestamp"].astype("int64"), "rating": rt["rating"].astype(float)}
        )
    else:
        res.notes.append("no ratings file: interaction log not built (set RECCHAT_DATA_DIR)")
    return res


_ML100K_GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                  "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
                  "Thriller", "War", "Western"]


def load_100k(manifest, data_dir: Path | None) -> LoadResult:
    """MovieLens ml-100k: 1,682 movies (u.item, latin-1, '|'-separated) and 100,000 timed ratings."""
    cols = ["movie_id", "title", "release", "video_release", "imdb_url"] + [f"g{i}" for i in range(19)]
    mv = read_str(manifest.path("movies", data_dir), sep="|", names=cols,
                    encoding="latin-1")

    def item(r: dict, title: str) -> Item:
        genres = [g for i, g in enumerate(_ML100K_GENRES) if r[f"g{i}"] == "1" and g != "unknown"]
        m = _YEAR.search(title)
        text = title + (" | genres: " + ", ".join(genres) if genres else "")
        return Item(id=str(r["movie_id"]), title=title, text=text, language="en", domain="movies",
                    metadata={"genres": genres, "year": int(m.group(1)) if m else None,
                              "imdb_url": r["imdb_url"]})

    dropped: Counter = Counter()
    items = collect_items(mv.to_dict("records"), _100k_title, item, dropped)
    res = LoadResult(items=items, read=len(mv), dropped=dropped)
    rt = read_str(manifest.path("ratings", data_dir), sep="\t",
                    names=["user", "item", "rating", "ts"])
    inter = pd.DataFrame({"user": rt["user"], "item": rt["item"], "order": rt["ts"].astype("int64"),
                          "rating": rt["rating"].astype(float)})
    known = {it.id for it in items}
    res.interactions = inter[inter["item"].isin(known)].reset_index(drop=True)
    return res
