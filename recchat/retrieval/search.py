"""Reading a catalog: open its current version (revalidated against the registry), vector search,
full-text search, lookups by id and by normalised title."""

from __future__ import annotations

import re
import time
from typing import Any, Callable

import numpy as np

from recchat.core.errors import EmbedderMismatch, UnknownCatalog
from recchat.retrieval.ann import tune_query
from recchat.retrieval.embedder import Embedder
from recchat.retrieval.registry import CatalogInfo

REVALIDATE_S = 2.0  # how stale a process's view of the registry may get (another process may rebuild)


class Reader:
    """The read part of `CatalogStore`."""

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
        text = fts_safe(text)
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


def fts_safe(text: str) -> str:
    # Tantivy-style query syntax chars would turn a user's words into a parse error
    t = re.sub(r"[^\w\s]", " ", text, flags=re.UNICODE)
    return " ".join(t.split()[:64])
