"""User catalogs from a file (CSV, TSV, JSON, JSONL, Parquet) or a Hub dataset.

Everything is validated before anything changes: a refused upload raises a one-line BadInput and
the catalog it would have replaced keeps serving (the store switches versions only after a build
completes). Item text from uploads is data; recchat.prompts fences it wherever it reaches a prompt.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from recchat.catalog.upload_bounds import (check_columns, check_parquet, check_unique_columns, count_text_rows,
                                           shown)
from recchat.core.errors import BadInput
from recchat.core.schema import Item
from recchat.core.settings import get_settings
from recchat.core.progress import ProgressFn
from recchat.retrieval.registry import NAME_RE, CatalogInfo

FORMATS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
           ".parquet": "parquet", ".pq": "parquet"}
TITLE_CANDIDATES = ("title", "name", "item_title", "item_name", "product_title", "headline")
ID_CANDIDATES = ("id", "item_id", "itemid", "product_id", "sku")
# fields that describe an item well enough to embed beside its title, when --text-col is not given
TEXT_CANDIDATES = ("description", "text", "overview", "summary", "abstract", "genres", "genre", "tags",
                   "category", "categories", "author", "authors", "brand", "artist")


def validate_name(name: str) -> str:
    from recchat.catalog.build import manifests

    if isinstance(name, str) and "__" in name:  # '__' separates a catalog's name from its table version
        raise BadInput(f"catalog name {name[:80]!r} is not allowed: it may not contain '__' (two underscores)")
    if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > 64:
        raise BadInput(f"catalog name {str(name)[:80]!r} is not allowed: use lowercase letters, digits, '-' and '_' "
                       "(starting with a letter or digit, at most 64 characters)")
    if name in manifests():
        raise BadInput(f"{name!r} is a built-in catalog; choose another name for your upload")
    return name


def _check_file(path: Path) -> str:
    """The file's format, after checking it exists, is small enough, and is UTF-8 text (or Parquet)."""
    s = get_settings()
    if not path.exists():
        raise BadInput(f"file {shown(path)} does not exist")
    if not path.is_file():
        raise BadInput(f"{shown(path)} is not a regular file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"{shown(path)}: unsupported file type {shown(path.suffix) or '(none)'}; "
                       "use .csv, .tsv, .json, .jsonl or .parquet")
    size_mb = path.stat().st_size / 1e6
    if size_mb > s.max_upload_mb:
        raise BadInput(f"{shown(path)} is {size_mb:.1f} MB; the limit is {s.max_upload_mb:g} MB "
                       "(RECCHAT_MAX_UPLOAD_MB)")
    if path.stat().st_size == 0:
        raise BadInput(f"{shown(path)} is empty")
    data = path.read_bytes()
    if fmt == "parquet":
        if not (data[:4] == b"PAR1" and data[-4:] == b"PAR1"):
            raise BadInput(f"{shown(path)} is not a Parquet file")
        return fmt
    if b"\x00" in data:
        raise BadInput(f"{shown(path)} looks binary (it has NUL bytes), not {fmt.upper()} text")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInput(f"{shown(path)} is not UTF-8 text (bad byte at offset {e.start}); "
                       "save it as UTF-8 and try again") from e
    return fmt


@contextmanager
def _scratch_dir() -> Iterator[str]:
    """A `datasets` cache for one upload, removed afterwards: every read writes an Arrow copy of the
    file there, which would otherwise pile up in the HF cache, one per upload."""
    s = get_settings()
    s.home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="upload-", dir=s.home) as d:
        yield d


def _first_line(e: BaseException) -> str:
    """The first line of the innermost error: `datasets` wraps the reader's own message (the useful
    one) in "An error occurred while generating the dataset"."""
    while e.__cause__ is not None and str(e.__cause__).strip():
        e = e.__cause__
    msg = str(e).strip()
    return (msg.splitlines()[0] if msg else type(e).__name__)[:300]


def read_upload(path: str | Path) -> pd.DataFrame:
    """The file as a DataFrame; every way it can be wrong is a BadInput.

    Rows (and, for Parquet, the decoded size) are checked before anything is decoded. Text formats
    are read through `datasets` with a scratch cache removed afterwards; Parquet through pyarrow,
    which has just read its metadata for the checks."""
    from catalogs.loaders import read_table
    from catalogs.loaders.fields import read_str

    s = get_settings()
    path = Path(path)
    fmt = _check_file(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            check_parquet(path, s.max_upload_rows, s.max_upload_decoded_mb)
            df = pq.read_table(path).to_pandas()
        else:
            if not count_text_rows(path, fmt, s.max_upload_rows):
                raise BadInput(f"{shown(path)} has no rows")
            with _scratch_dir() as cache:
                if fmt in ("csv", "tsv"):  # every column as text: an id '007' stays '007'
                    df = read_str(path, sep="\t" if fmt == "tsv" else ",", encoding="utf-8-sig", cache_dir=cache)
                else:
                    df = read_table(path, fmt, cache_dir=cache)
    except BadInput:
        raise
    except Exception as e:  # the readers' errors are long; keep the first line
        raise BadInput(f"could not read {shown(path)} as {fmt.upper()}: {_first_line(e)}") from e
    return _checked_frame(df, shown(path))


def _checked_frame(df: pd.DataFrame, what: str) -> pd.DataFrame:
    s = get_settings()
    if df.empty:
        raise BadInput(f"{what} has no rows")
    if len(df) > s.max_upload_rows:  # JSON objects spread over lines, Hub datasets: counted only now
        raise BadInput(f"{what} has {len(df):,} rows; the limit is {s.max_upload_rows:,} (RECCHAT_MAX_UPLOAD_ROWS)")
    check_columns(what, len(df.columns))
    check_unique_columns(what, df.columns)
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _columns_text(cols) -> str:
    """The columns for a message: each name and the list bounded, so the message stays one short line."""
    names = [repr(c)[1:-1][:40] for c in cols]
    return ", ".join(names[:20]) + (f" ... ({len(names)} columns)" if len(names) > 20 else "")


def _pick(df: pd.DataFrame, given: str | None, candidates: tuple[str, ...], what: str, required: bool):
    cols = list(df.columns)
    if given:
        if given not in cols:
            raise BadInput(f"no {what} column {given[:80]!r}; the columns are: {_columns_text(cols)}")
        return given
    lower = {c.lower(): c for c in cols}
    for c in candidates:
        if c in lower:
            return lower[c]
    if required:
        raise BadInput(f"no {what} column found (looked for {', '.join(candidates[:3])}); "
                       f"give --{what}-col; the columns are: {_columns_text(cols)}")
    return None


def _cell(v: Any) -> Any:
    """A JSON-safe metadata value."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, (str, int, float, bool)):
        return v
    try:
        json.dumps(v)
        return v
    except TypeError:
        return str(v)


def _cell_chars(v: Any) -> int:
    """A cell's size as stored: characters of text, bytes of binary, JSON characters of a nested value."""
    if isinstance(v, (str, bytes)):
        return len(v)
    if v is None or isinstance(v, (int, float, bool)):
        return 0
    return len(json.dumps(_cell(v), ensure_ascii=False, default=str))


def _str(v: Any) -> str:
    v = _cell(v)
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v if x is not None)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def stable_id(title: str, row: dict) -> str:
    """Same row, same id, on every upload: a hash of the title and the row's content."""
    blob = title + "\x1f" + json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return "u" + hashlib.sha1(blob.encode("utf-8")).hexdigest()[:15]


def items_from_frame(df: pd.DataFrame, id_col: str | None = None, title_col: str | None = None,
                     text_col: str | None = None, domain: str = "generic") -> tuple[list[Item], dict]:
    """Validated Items from a table; raises BadInput naming the rows and columns at fault."""
    from recchat.core.textnorm import detect_language

    s = get_settings()
    title_col = _pick(df, title_col, TITLE_CANDIDATES, "title", required=True)
    id_col = _pick(df, id_col, ID_CANDIDATES, "id", required=False)
    if text_col and text_col not in df.columns:
        raise BadInput(f"no text column {text_col[:80]!r}; the columns are: {_columns_text(df.columns)}")
    text_cols = [text_col] if text_col else [c for c in df.columns
                                             if c.lower() in TEXT_CANDIDATES and c not in (title_col, id_col)]
    records = df.to_dict("records")
    # over-long fields first: they make every later message unreadable
    for i, r in enumerate(records):
        for c, v in r.items():
            n = _cell_chars(v)
            if n > s.max_field_chars:
                raise BadInput(f"row {i + 1}, column {_columns_text([c])!r} has {n:,} characters"
                               f"{'' if isinstance(v, str) else ' (as JSON)'}; the limit is "
                               f"{s.max_field_chars:,} (RECCHAT_MAX_FIELD_CHARS)")
    titles = [_str(r.get(title_col)) for r in records]
    empty = [i + 1 for i, t in enumerate(titles) if not t]
    if empty:
        raise BadInput(f"{len(empty)} row(s) have an empty {title_col!r}: row(s) "
                       f"{', '.join(map(str, empty[:10]))}{' ...' if len(empty) > 10 else ''}")
    dropped: Counter = Counter()
    if id_col:
        ids = [_str(r.get(id_col)) for r in records]
        no_id = [i + 1 for i, x in enumerate(ids) if not x]
        if no_id:
            raise BadInput(f"{len(no_id)} row(s) have an empty {id_col!r}: row(s) {', '.join(map(str, no_id[:10]))}")
        dup = [k for k, n in Counter(ids).items() if n > 1]
        if dup:
            raise BadInput(f"duplicate ids in column {id_col!r}: {', '.join(map(repr, dup[:5]))}"
                           f"{' ...' if len(dup) > 5 else ''} ({len(dup)} id(s) repeated); ids must be unique")
    else:
        ids = [stable_id(t, {k: _cell(v) for k, v in r.items()}) for t, r in zip(titles, records)]
    language = detect_language(" ".join(titles[:200]))
    items, seen = [], set()
    for iid, title, r in zip(ids, titles, records):
        if iid in seen:  # only possible for generated ids: the very same row twice
            dropped["identical row"] += 1
            continue
        seen.add(iid)
        extra = [(c, _str(r.get(c))) for c in text_cols]
        text = title + "".join(f" | {c}: {v}" if not text_col else f" | {v}" for c, v in extra if v)
        meta = {k: _cell(v) for k, v in r.items() if k not in (id_col, title_col) and _cell(v) not in (None, "")}
        items.append(Item(id=iid, title=title, text=text[:2000], language=language, domain=domain, metadata=meta))
    stats = {"read": len(records), "kept": len(items), "dropped": dict(dropped), "id_col": id_col,
             "title_col": title_col, "text_cols": text_cols}
    return items, stats


def _build(name: str, items: list[Item], stats: dict, source: str, progress: ProgressFn | None) -> CatalogInfo:
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    lang = items[0].language if items else "en"
    return get_store().build(name, items, get_embedder(), language=lang, domain="upload", source=source,
                             licence="uploaded by the user", has_interactions=False, stats=stats,
                             progress=progress)


def add_catalog(name: str, path: str | Path, id_col: str | None = None, title_col: str | None = None,
                text_col: str | None = None, progress: ProgressFn | None = None) -> CatalogInfo:
    """Validate `path`, then build (or atomically replace) catalog `name` from it."""
    validate_name(name)
    path = Path(path)
    df = read_upload(path)
    items, stats = items_from_frame(df, id_col, title_col, text_col)
    return _build(name, items, stats, f"upload: {shown(path)}", progress)


def add_hf_dataset(name: str, dataset_id: str, id_col: str | None = None, title_col: str | None = None,
                   text_col: str | None = None, progress: ProgressFn | None = None,
                   split: str = "train") -> CatalogInfo:
    """The same, from a Hub dataset (online users; `datasets.load_dataset(dataset_id)`)."""
    validate_name(name)
    s = get_settings()
    what = f"Hub dataset {dataset_id!r}"
    try:
        from datasets import load_dataset

        with _scratch_dir() as cache:
            ds = load_dataset(dataset_id, split=split, cache_dir=cache)
            if ds.num_rows > s.max_upload_rows:  # memory-mapped so far: refuse before decoding it
                raise BadInput(f"{what} has {ds.num_rows:,} rows; the limit is {s.max_upload_rows:,} "
                               "(RECCHAT_MAX_UPLOAD_ROWS)")
            df = ds.to_pandas()
    except BadInput:
        raise
    except Exception as e:
        raise BadInput(f"could not load {what}: {_first_line(e)}") from e
    df = _checked_frame(df, what)
    items, stats = items_from_frame(df, id_col, title_col, text_col)
    return _build(name, items, stats, f"hub: {dataset_id}", progress)
