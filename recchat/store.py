"""Catalogs in LanceDB: one table per catalog, vectors plus native full-text search.

Builds are atomic and resumable:
- every embedded text lands first in an embedding cache keyed by (embedder, sha1(text)), flushed
  batch by batch, so a build killed halfway re-embeds nothing it already did;
- the items go into a fresh versioned table; only when it is complete (vectors, FTS index, ANN
  index) does the registry row switch to it, so a failed rebuild leaves the previous version serving.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import pyarrow as pa

from .ann import tune_query
from .embedder import Embedder
from .errors import EmbedderMismatch, UnknownCatalog
from .schema import Item
from .textnorm import normalize_title

REGISTRY = "_registry"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ANN_THRESHOLD = 50_000  # below this, exact search is fast enough (measured in benchmarks/retrieval.py)
EMBED_BATCH = 64
REVALIDATE_S = 2.0  # how stale a process's view of the registry may get (another process may rebuild)

ProgressFn = Callable[[int, int, str], None]


def arrow_vectors(tbl: pa.Table, column: str = "vector") -> np.ndarray:
    """A fixed-size-list vector column of an Arrow table as a float32 (rows, dim) matrix."""
    col = tbl.column(column).combine_chunks()
    return np.asarray(col.flatten().to_numpy(), np.float32).reshape(len(tbl), -1)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")[:60] or "x"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class CatalogInfo:
    name: str
    table: str
    embedder: str
    dim: int
    items: int
    language: str = "en"
    domain: str = "generic"
    source: str = ""
    licence: str = ""
    built_at: float = 0.0
    has_interactions: bool = False
    stats: dict[str, Any] = field(default_factory=dict)


class CatalogStore:
    """All catalogs of one LanceDB database."""

    def __init__(self, uri: str):
        import lancedb

        self.uri = uri
        self.db = lancedb.connect(uri)
        self._lock = threading.RLock()
        self._tables: dict[str, tuple[Any, CatalogInfo]] = {}  # name -> (open table, its registry info)
        self._title_index: dict[str, dict[str, list[str]]] = {}
        self._checked: dict[str, float] = {}  # name -> when its registry row was last read (monotonic)

    # ------------------------------------------------------------------ registry
    def _table_names(self) -> list[str]:
        r = self.db.list_tables()
        names = getattr(r, "tables", r)
        out = list(names)
        # list_tables pages; follow the token when there is one
        tok = getattr(r, "page_token", None)
        while tok:
            r = self.db.list_tables(page_token=tok)
            out += list(getattr(r, "tables", r))
            tok = getattr(r, "page_token", None)
        return out

    def _exists(self, name: str) -> bool:
        return name in self._table_names()

    def _registry(self):
        if not self._exists(REGISTRY):
            schema = pa.schema([("name", pa.string()), ("info", pa.string())])
            try:
                self.db.create_table(REGISTRY, schema=schema)
            except Exception:  # created by a concurrent process
                pass
        return self.db.open_table(REGISTRY)

    def list(self) -> list[CatalogInfo]:
        rows = self._registry().to_arrow().to_pylist()
        names = set(self._table_names())
        out = []
        for r in rows:
            info = CatalogInfo(**json.loads(r["info"]))
            if info.table in names:
                out.append(info)
        return sorted(out, key=lambda i: i.name)

    def info(self, name: str) -> CatalogInfo:
        for i in self.list():
            if i.name == name:
                return i
        available = ", ".join(i.name for i in self.list()) or "none built yet"
        raise UnknownCatalog(f"unknown catalog {name!r}; available: {available}")

    def exists(self, name: str) -> bool:
        return any(i.name == name for i in self.list())

    def _set_registry(self, info: CatalogInfo) -> None:
        reg = self._registry()
        row = [{"name": info.name, "info": json.dumps(info.__dict__)}]
        reg.merge_insert("name").when_matched_update_all().when_not_matched_insert_all().execute(row)

    def remove(self, name: str) -> None:
        info = self.info(name)
        self._registry().delete(f"name = '{name}'")
        with self._lock:
            self._tables.pop(name, None)
            self._title_index.pop(name, None)
        self._drop_quietly(info.table)
        self._cleanup_stale(name, keep=None)

    def _drop_quietly(self, table: str) -> None:
        try:
            self.db.drop_table(table)
        except Exception:
            pass

    def _cleanup_stale(self, name: str, keep: str | None) -> None:
        prefix = f"items__{name}__v"
        for t in self._table_names():
            if t.startswith(prefix) and t != keep:
                self._drop_quietly(t)

    # ------------------------------------------------------------------ embedding cache
    def _cache_table(self, embedder: Embedder):
        name = f"_embcache__{_slug(embedder.name)}"
        if not self._exists(name):
            schema = pa.schema([("key", pa.string()), ("vector", pa.list_(pa.float32(), embedder.dim))])
            try:
                self.db.create_table(name, schema=schema)
            except Exception:
                pass
        return self.db.open_table(name)

    def embed_with_cache(
        self, embedder: Embedder, texts: list[str], progress: ProgressFn | None = None,
        seed: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Passage vectors for texts; what was embedded before (this build or a killed one) is reused."""
        cache = self._cache_table(embedder)
        keys = [text_key(t) for t in texts]
        have: dict[str, np.ndarray] = {}
        if cache.count_rows():
            tbl = cache.to_arrow()
            ks = tbl.column("key").to_pylist()
            vs = arrow_vectors(tbl)
            wanted = set(keys)
            have = {k: vs[i] for i, k in enumerate(ks) if k in wanted}
        if seed:  # vectors shipped with a bundled catalog (same embedder, same text hash)
            have.update({k: np.asarray(seed[k], np.float32) for k in keys if k in seed and k not in have})
        todo_idx: list[int] = []
        seen: set[str] = set()
        for i, k in enumerate(keys):
            if k not in have and k not in seen:
                todo_idx.append(i)
                seen.add(k)
        done = len(set(keys)) - len(todo_idx)
        total = len(set(keys))
        if progress:
            progress(done, total, "embedding")
        for s in range(0, len(todo_idx), EMBED_BATCH):
            idx = todo_idx[s : s + EMBED_BATCH]
            vecs = embedder.embed_passages([texts[i] for i in idx])
            batch = [{"key": keys[i], "vector": vecs[j].tolist()} for j, i in enumerate(idx)]
            cache.add(batch)  # flushed per batch: a kill loses at most one batch
            for j, i in enumerate(idx):
                have[keys[i]] = vecs[j]
            done += len(idx)
            if progress:
                progress(done, total, "embedding")
        if todo_idx and cache.count_rows() > 10 * EMBED_BATCH:
            try:
                cache.optimize()  # many small appends: compact them
            except Exception:
                pass
        return np.stack([have[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)

    # ------------------------------------------------------------------ build
    def build(
        self,
        name: str,
        items: Iterable[Item],
        embedder: Embedder,
        *,
        language: str = "en",
        domain: str = "generic",
        source: str = "",
        licence: str = "",
        has_interactions: bool = False,
        stats: dict[str, Any] | None = None,
        progress: ProgressFn | None = None,
        ann: bool | None = None,
        seed: dict[str, np.ndarray] | None = None,
    ) -> CatalogInfo:
        if not NAME_RE.match(name):
            raise ValueError(f"catalog name {name!r} must match [a-z0-9][a-z0-9_-]*")
        items = list(items)
        if not items:
            raise ValueError(f"catalog {name!r} has no items")
        vectors = self.embed_with_cache(embedder, [it.text for it in items], progress, seed=seed)
        table_name = f"items__{name}__v{int(time.time() * 1000)}"
        rows = pa.table(
            {
                "id": pa.array([it.id for it in items], pa.string()),
                "title": pa.array([it.title for it in items], pa.string()),
                "title_norm": pa.array([normalize_title(it.title) for it in items], pa.string()),
                "text": pa.array([it.text for it in items], pa.string()),
                "language": pa.array([it.language for it in items], pa.string()),
                "domain": pa.array([it.domain for it in items], pa.string()),
                "metadata": pa.array([json.dumps(it.metadata, ensure_ascii=False) for it in items], pa.string()),
                "vector": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.reshape(-1), pa.float32()), embedder.dim
                ),
            }
        )
        if progress:
            progress(0, 1, "writing table")
        tbl = self.db.create_table(table_name, data=rows)
        self._index(tbl, len(items), ann)
        if progress:
            progress(1, 1, "writing table")
        info = CatalogInfo(
            name=name,
            table=table_name,
            embedder=embedder.name,
            dim=embedder.dim,
            items=len(items),
            language=language,
            domain=domain,
            source=source,
            licence=licence,
            built_at=time.time(),
            has_interactions=has_interactions,
            stats=stats or {},
        )
        self._set_registry(info)  # the switch: from here on the new version serves
        with self._lock:
            self._tables.pop(name, None)
            self._title_index.pop(name, None)
        self._cleanup_stale(name, keep=table_name)
        return info

    def _index(self, tbl, n: int, ann: bool | None) -> None:
        from lancedb.index import FTS

        # word-level tokens with English stemming, no ASCII folding of Hangul; works for ko and en
        tbl.create_index("text", config=FTS(base_tokenizer="simple", stem=True, remove_stop_words=True))
        if ann or (ann is None and n >= ANN_THRESHOLD):
            from .ann import create_ann_index

            create_ann_index(tbl, n)

    # ------------------------------------------------------------------ read
    def _open(self, name: str) -> tuple[Any, CatalogInfo]:
        """(table, registry info), kept open between requests. Another process (`recchat catalog build`
        or `add` beside a running app) may switch the catalog to a new version and drop the old one,
        so the registry is read again once `REVALIDATE_S` has passed, and a new version is opened."""
        with self._lock:
            now = time.monotonic()
            cached = self._tables.get(name)
            if cached is not None and now - self._checked.get(name, 0.0) < REVALIDATE_S:
                return cached
            try:
                info = self.info(name)
            except UnknownCatalog:
                self._tables.pop(name, None)
                self._title_index.pop(name, None)
                raise  # removed elsewhere: say so rather than serve a table about to vanish
            if cached is None or cached[1].table != info.table:
                self._tables[name] = (self.db.open_table(info.table), info)
                self._title_index.pop(name, None)
            self._checked[name] = now
            return self._tables[name]

    def table(self, name: str):
        return self._open(name)[0]

    def _read(self, name: str, fn: Callable[[Any], Any]) -> Any:
        """fn(open table); if it fails because another process just replaced and dropped that version
        (inside the REVALIDATE_S window), reopen the current version and try once more."""
        tbl = self.table(name)
        try:
            return fn(tbl)
        except Exception:
            with self._lock:
                self._checked[name] = float("-inf")
            if self.table(name) is tbl:
                raise  # same version: a real error
            return fn(self.table(name))

    def check_embedder(self, name: str, embedder: Embedder) -> None:
        info = self._open(name)[1]
        if info.embedder != embedder.name:
            raise EmbedderMismatch(
                f"catalog {name!r} was built with embedder {info.embedder!r}, not {embedder.name!r}; "
                f"query it with RECCHAT_EMBEDDER={info.embedder} or rebuild it"
            )

    def vector_search(self, name: str, vector: np.ndarray, k: int, where: str | None = None) -> list[dict]:
        def search(tbl):
            q = tbl.search(np.asarray(vector, np.float32)).metric("cosine").limit(k)
            q = tune_query(q, n=self.count(name))  # ANN settings by size; exact search ignores them
            if where:
                q = q.where(where, prefilter=True)
            return q.select(["id", "title", "title_norm", "text", "metadata", "vector", "_distance"]).to_list()

        return self._read(name, search)

    def text_search(self, name: str, text: str, k: int) -> list[dict]:
        text = _fts_safe(text)
        if not text:
            return []
        def search(tbl):
            q = tbl.search(text, query_type="fts").limit(k)
            return q.select(["id", "title", "title_norm", "text", "metadata", "vector", "_score"]).to_list()

        try:
            return self._read(name, search)
        except UnknownCatalog:
            raise
        except Exception:
            return []  # a query the FTS parser rejects just contributes nothing

    def get(self, name: str, ids: list[str]) -> list[dict]:
        if not ids:
            return []
        quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
        rows = self._read(name, lambda tbl: tbl.search().where(f"id IN ({quoted})")
                          .select(["id", "title", "title_norm", "text", "metadata", "vector"])
                          .limit(len(ids) * 2 + 10).to_list())
        by_id = {r["id"]: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def title_index(self, name: str) -> dict[str, list[str]]:
        """normalised title -> ids, for matching pasted histories and excluding consumed items."""
        with self._lock:
            self.table(name)  # revalidates first: a new version drops the old index
            if name not in self._title_index:
                t = self._read(name, lambda tbl: tbl.to_arrow().select(["id", "title_norm"]).to_pylist())
                idx: dict[str, list[str]] = {}
                for r in t:
                    idx.setdefault(r["title_norm"], []).append(r["id"])
                self._title_index[name] = idx
            return self._title_index[name]

    def count(self, name: str) -> int:
        return self._open(name)[1].items  # a version is written whole by build(), so this is its row count


def _fts_safe(text: str) -> str:
    # Tantivy-style query syntax chars would turn a user's words into a parse error
    t = re.sub(r"[^\w\s]", " ", text, flags=re.UNICODE)
    return " ".join(t.split()[:64])


_stores: dict[str, CatalogStore] = {}
_stores_lock = threading.Lock()


def get_store(uri: str | None = None) -> CatalogStore:
    from .settings import get_settings

    uri = uri or get_settings().db_path
    with _stores_lock:
        if uri not in _stores:
            _stores[uri] = CatalogStore(uri)
        return _stores[uri]
