"""Building a catalog version: embed (through a resumable cache), write the table, index it, switch.

- every embedded text lands first in an embedding cache keyed by (embedder, sha1(text)), flushed
  batch by batch, so a build killed halfway re-embeds nothing it already did;
- the items go into a fresh versioned table; only when it is complete (vectors, FTS index, ANN
  index) does the registry row switch to it, so a failed rebuild leaves the previous version serving.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any, Iterable

import numpy as np
import pyarrow as pa

from recchat.core.progress import ProgressFn
from recchat.core.schema import Item
from recchat.core.textnorm import normalize_title
from recchat.retrieval.embedder import Embedder
from recchat.retrieval.registry import NAME_RE, CatalogInfo, catalog_lock, table_version

ANN_THRESHOLD = 50_000  # below this, exact search is fast enough (measured in benchmarks/retrieval.py)
EMBED_BATCH = 64
LOOKUP_BATCH = 1000  # keys per `key IN (...)` query on the embedding cache


def arrow_vectors(tbl: pa.Table, column: str = "vector") -> np.ndarray:
    """A fixed-size-list vector column of an Arrow table as a float32 (rows, dim) matrix."""
    col = tbl.column(column).combine_chunks()
    return np.asarray(col.flatten().to_numpy(), np.float32).reshape(len(tbl), -1)


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")[:60] or "x"


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def cached_vectors(cache, keys: list[str], batch: int = LOOKUP_BATCH) -> dict[str, np.ndarray]:
    """The cache's vectors for `keys`, looked up in batches: a 10-row upload reads 10 rows, not the
    whole cache (which grows with every catalog ever built)."""
    wanted = sorted(set(keys))
    have: dict[str, np.ndarray] = {}
    for s in range(0, len(wanted), batch):
        part = wanted[s : s + batch]
        quoted = ", ".join(f"'{k}'" for k in part)  # sha1 hex digests: nothing to escape
        tbl = cache.search().where(f"key IN ({quoted})").select(["key", "vector"]).limit(None).to_arrow()
        if tbl.num_rows:
            vs = arrow_vectors(tbl)
            have.update({k: vs[i] for i, k in enumerate(tbl.column("key").to_pylist())})
    return have


class Builder:
    """The build part of `CatalogStore` (uses the registry methods to switch versions)."""

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
        have = cached_vectors(cache, keys)
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
            raise ValueError(f"catalog name {name!r} must match [a-z0-9][a-z0-9_-]* without '__'")
        items = list(items)
        if not items:
            raise ValueError(f"catalog {name!r} has no items")
        # embedding runs outside the lock: the cache is keyed by text, so concurrent builds share it
        vectors = self.embed_with_cache(embedder, [it.embed_text or it.text for it in items], progress, seed=seed)
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
        with catalog_lock(name):  # write, index and switch one version at a time: see _cleanup_stale
            return self._write_version(name, rows, embedder, ann, progress, dict(
                language=language, domain=domain, source=source, licence=licence,
                has_interactions=has_interactions, stats=stats or {}))

    def _write_version(self, name: str, rows: pa.Table, embedder: Embedder, ann: bool | None,
                       progress: ProgressFn | None, meta: dict[str, Any]) -> CatalogInfo:
        # later than every version on disk (the serving one, a killed build's), even within one millisecond
        newest = max((v for t in self._table_names() if (v := table_version(name, t)) is not None), default=0)
        version = max(int(time.time() * 1000), newest + 1)
        table_name = f"items__{name}__v{version}"
        if progress:
            progress(0, 1, "writing table")
        tbl = self.db.create_table(table_name, data=rows)
        self._index(tbl, len(rows), ann)
        if progress:
            progress(1, 1, "writing table")
        info = CatalogInfo(
            name=name,
            table=table_name,
            embedder=embedder.name,
            dim=embedder.dim,
            items=len(rows),
            built_at=time.time(),
            **meta,
        )
        self._set_registry(info)  # the switch: from here on the new version serves
        with self._lock:
            self._tables.pop(name, None)
            self._title_index.pop(name, None)
        self._cleanup_stale(name)
        return info

    def _index(self, tbl, n: int, ann: bool | None) -> None:
        from lancedb.index import FTS

        # word-level tokens with English stemming, no ASCII folding of Hangul; works for ko and en
        tbl.create_index("text", config=FTS(base_tokenizer="simple", stem=True, remove_stop_words=True))
        if ann or (ann is None and n >= ANN_THRESHOLD):
            from recchat.retrieval.ann import create_ann_index

            create_ann_index(tbl, n)
