"""Small helpers shared by the loaders: the row loop, bounded item text, clean strings, optional files."""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from recchat.core.schema import Item

R = TypeVar("R")  # one source row: a dict, a namedtuple from itertuples(), ...

TEXT_CHARS = 400  # embedding cost grows with tokens; the title plus a few fields is what matters


def clean(v: Any) -> str:
    """A display string: '' for None/NaN, HTML entities decoded, whitespace collapsed."""
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    s = html.unescape(str(v))
    s = " ".join(s.split())
    return "" if s.lower() in {"nan", "none", "null"} else s


def as_list(v: Any) -> list[str]:
    if v is None or isinstance(v, float):
        return []
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[,|]", v) if p.strip()]
    try:
        return [clean(x) for x in v if clean(x)]
    except TypeError:
        return []


def item_text(title: str, *parts: tuple[str, Any], limit: int = TEXT_CHARS) -> str:
    """'title | label: value | ...' with empty parts left out, cut at `limit` characters."""
    out = title
    for label, val in parts:
        if isinstance(val, (list, tuple)):
            val = ", ".join(str(x) for x in val if str(x))
        val = clean(val)
        if val:
            out += f" | {label}: {val}" if label else f" | {val}"
    return out[:limit]


def optional_path(manifest, role: str, data_dir: Path | None) -> Path | None:
    """The file for `role`, or None when the manifest lacks it or it is not on disk."""
    if role not in manifest.files:
        return None
    try:
        p = manifest.path(role, data_dir)
    except FileNotFoundError:
        return None
    return p if p.exists() else None


def read_str(path, sep: str = ",", names: list[str] | None = None, encoding: str = "utf-8", **kw):
    """A CSV/TSV read through `datasets` with every column as text (ids stay '007', not 7.0)."""
    import csv

    from datasets import Features, Value

    from catalogs.loaders import read_table

    has_header = names is None
    if has_header:
        with open(path, encoding=encoding, newline="") as f:
            names = next(csv.reader(f, delimiter=sep, quoting=kw.get("quoting", csv.QUOTE_MINIMAL)))
    feats = Features({n: Value("string") for n in names})
    # header=0 with names: pandas replaces the file's header row with `names`
    df = read_table(path, "csv", sep=sep, names=names, header=0 if has_header else None, features=feats,
                    encoding=encoding, keep_default_na=False, **kw)
    return df.fillna("")


def dedupe_items(items: list[Item], dropped: Counter) -> list[Item]:
    """The first item with each id; the later ones are counted as 'duplicate id'."""
    seen: set[str] = set()
    out = []
    for it in items:
        if it.id in seen:
            dropped["duplicate id"] += 1
            continue
        seen.add(it.id)
        out.append(it)
    return out


def collect_items(rows: Iterable[R], title_of: Callable[[R], str], make: Callable[[R, str], Item | None],
                  dropped: Counter, *, empty: str = "empty title") -> list[Item]:
    """The loaders' one row loop: a row whose title is empty is counted as `empty` ('empty title');
    make(row, title) builds the Item (or returns None with its own dropped reason already counted);
    ids seen twice are dropped as 'duplicate id' (dedupe_items), the first one kept."""
    items = []
    for r in rows:
        title = title_of(r)
        if not title:
            dropped[empty] += 1
            continue
        it = make(r, title)
        if it is not None:
            items.append(it)
    return dedupe_items(items, dropped)
