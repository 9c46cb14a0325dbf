"""Books: goodbooks-10k (bundled; ratings of a 5% user sample as logs) and Book-Crossing."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from catalogs.loaders import LoadResult, read_table
from catalogs.loaders.fields import clean, collect_items, item_text, optional_path
from recchat.core.schema import Item


def _year(v) -> int | None:
    try:
        y = int(float(v))
    except (TypeError, ValueError):
        return None
    return y if 0 < y <= 2100 else None


def load_goodbooks(manifest, data_dir: Path | None) -> LoadResult:
    books = read_table(manifest.path("books", data_dir), "csv")

    def item(r, title: str) -> Item:
        authors = [a.strip() for a in clean(r.authors).split(",") if a.strip()]
        year = _year(r.original_publication_year)
        meta = {"authors": authors, "year": year, "isbn": clean(getattr(r, "isbn", "")),
                "average_rating": float(r.average_rating) if pd.notna(r.average_rating) else None,
                "language_code": clean(getattr(r, "language_code", "")),
                "image_url": clean(getattr(r, "image_url", ""))}
        text = item_text(title, ("by", authors), ("year", year or ""))
        return Item(id=str(int(r.book_id)), title=title, text=text, language="en", domain="books",
                    metadata={k: v for k, v in meta.items() if v not in ("", None, [])})

    dropped: Counter = Counter()
    items = collect_items(books.itertuples(), lambda r: clean(r.title) or clean(getattr(r, "original_title", "")),
                          item, dropped)
    res = LoadResult(items=items, read=len(books), dropped=dropped)
    # tags.csv holds only tag names; the book->tag table (book_tags.csv) was too large to be served
    res.notes.append("tags.csv not joined: it has no book ids (book_tags.csv is absent from the data dir)")
    rpath = optional_path(manifest, "ratings", data_dir)
    if rpath is None:
        res.notes.append("no ratings file: interaction log not built (set RECCHAT_DATA_DIR)")
        return res
    rt = read_table(rpath, "csv")
    known = {it.id for it in items}
    inter = pd.DataFrame({"user": rt["user_id"].astype(str), "item": rt["book_id"].astype(str),
                          # no timestamps in this file: row order within a user is the only order
                          "order": rt.groupby("user_id").cumcount().astype("int64"),
                          "rating": rt["rating"].astype(float)})
    keep = inter["item"].isin(known)
    if (~keep).any():
        res.notes.append(f"{int((~keep).sum())} ratings of unknown books dropped")
    res.interactions = inter[keep].reset_index(drop=True)
    return res


# --------------------------------------------------------------------------- Book-Crossing

_BX_COLS = ["Book_ID", "ISBN", "Book-Title", "Book-Author", "Year-Of-Publication", "Publisher",
            "Image-URL-S", "Image-URL-M", "Image-URL-L"]


def _bx_repair(fields: list[str], n: int) -> tuple[list[str], bool]:
    """Rows with extra fields: somewhere upstream every ';' inside a field became a tab, so
    'Norton &amp; Company' reads 'Norton &amp<TAB> Company' and 'Medea ; Fedra' reads 'Medea <TAB> Fedra'.
    The ends of a row are fixed (id, ISBN ... year, publisher, 3 image URLs), and the year is the
    anchor: the fields before it are title + author, the ones after it the publisher; the split
    pieces are glued back with ';'. Returns (fields, repaired)."""
    if len(fields) <= n or n != len(_BX_COLS):
        return fields, False
    head, mid, urls = fields[:2], fields[2:-3], fields[-3:]
    if not all(u.startswith("http") or not u for u in urls):
        return fields, False
    years = [i for i, f in enumerate(mid) if i >= 2 and re.fullmatch(r"\s*\d{1,4}\s*", f)]
    if not years:
        return fields, False
    y = years[0]
    title, author, year, publisher = ";".join(mid[: y - 1]), mid[y - 1], mid[y], ";".join(mid[y + 1 :])
    return head + [title, author, year, publisher] + urls, True


def read_book_crossing_items(path: Path) -> tuple[list[dict], Counter]:
    """Parse items_info.tsv by hand: a generic CSV reader would silently shift the broken rows."""
    counts: Counter = Counter()
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        header = f.readline().rstrip("\n").split("\t")
        n = len([h for h in header if h]) or len(_BX_COLS)
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            counts["read"] += 1
            fields = line.split("\t")
            while len(fields) > n and fields[-1] == "":  # the file's trailing tab
                fields.pop()
            if len(fields) > n:
                fields, fixed = _bx_repair(fields, n)
                counts["repaired"] += fixed
            if len(fields) != n:
                counts["bad field count"] += 1
                continue
            rows.append(dict(zip(_BX_COLS, (html.unescape(f).strip() for f in fields))))
    return rows, counts


def load_book_crossing(manifest, data_dir: Path | None) -> LoadResult:
    rows, counts = read_book_crossing_items(manifest.path("items", data_dir))
    dropped: Counter = Counter()
    if counts["bad field count"]:
        dropped["unrepairable field count"] = counts["bad field count"]

    def item(r: dict, title: str) -> Item:
        author, publisher, year = clean(r["Book-Author"]), clean(r["Publisher"]), _year(r["Year-Of-Publication"])
        meta = {"isbn": clean(r["ISBN"]), "author": author, "publisher": publisher, "year": year,
                "image_url": clean(r["Image-URL-M"])}
        return Item(id=clean(r["Book_ID"]), title=title,
                    text=item_text(title, ("by", author), ("publisher", publisher), ("year", year or "")),
                    language="en", domain="books",
                    metadata={k: v for k, v in meta.items() if v not in ("", None)})

    items = collect_items(rows, lambda r: clean(r["Book-Title"]), item, dropped)
    res = LoadResult(items=items, read=counts["read"], dropped=dropped)
    res.notes.append(f"{counts['repaired']} rows repaired (';' turned into a tab had shifted the columns)")
    hpath = optional_path(manifest, "history", data_dir)
    if hpath is None:
        res.notes.append("no history file: interaction log not built")
        return res
    hist = read_table(hpath, "csv", sep="\t")
    inter = pd.DataFrame({"user": hist["user"].astype(str), "item": hist["item"].astype(str),
                          "order": hist.groupby("user").cumcount().astype("int64")})
    rpath = optional_path(manifest, "ratings", data_dir)
    if rpath is not None:  # explicit 1-10 ratings where the user gave one; implicit rows stay NaN
        rt = read_table(rpath, "csv", sep="\t")
        rt = rt.assign(user=rt["user"].astype(str), item=rt["item"].astype(str))
        rt = rt.drop_duplicates(["user", "item"])
        inter = inter.merge(rt[["user", "item", "rating"]], on=["user", "item"], how="left")
    else:
        inter["rating"] = float("nan")
    known = {it.id for it in items}
    keep = inter["item"].isin(known)
    if (~keep).any():
        res.notes.append(f"{int((~keep).sum())} interactions with unknown books dropped")
    res.interactions = inter[keep].reset_index(drop=True)
    return res


