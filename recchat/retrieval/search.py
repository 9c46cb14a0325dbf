"""Reading a catalog: open its current version (revalidated against the registry), vector search,
full-text search, lookups by id and by normalised title."""

from __future__ import annotations

import re
import time
from typing import Any, Callable

import numpy as np

from recchat.core.errors import EmbedderMismatch, UnknownCatalog
from recchat.retrieval.ann import tune_query
from recchat.retrieval.build import ANN_THRESHOLD, arrow_vectors
from recchat.retrieval.embedder import Embedder
from recchat.retrieval.registry import CatalogInfo
from recchat.retrieval.words import WordStats, description

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

    def _in_memory(self, name: str):
        """(table version, unit vectors, columns) of a catalog small enough for exact search, kept in
        memory per version: one matrix product replaces a LanceDB scan, which the ranking's several
        candidate lists per request made the slowest step (~60 ms each on this 2-core machine)."""
        with self._lock:
            info = self._open(name)[1]
            hit = self._memory.get(name)
            if hit is not None and hit[0] == info.table:
                if info.table in self._table_names():  # a directory listing: ~1 ms
                    return hit
                # another process replaced and dropped this version inside the REVALIDATE_S window
                self._checked[name] = float("-inf")
                info = self._open(name)[1]
        cols = ["id", "title", "title_norm", "text", "metadata", "vector"]
        t = self._read(name, lambda tbl: tbl.to_arrow().select(cols))
        vecs = arrow_vectors(t)
        unit = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        hit = (info.table, unit, {c: t.column(c).to_pylist() for c in cols[:-1]})
        with self._lock:
            self._memory[name] = hit
        return hit

    def vector_search(self, name: str, vector: np.ndarray, k: int, where: str | None = None) -> list[dict]:
        if where is None and self.count(name) < ANN_THRESHOLD:
            _, unit, cols = self._in_memory(name)
            v = np.asarray(vector, np.float32)
            sims = unit @ (v / max(float(np.linalg.norm(v)), 1e-12))
            k = min(k, len(sims))
            top = np.argpartition(-sims, k - 1)[:k] if k else np.zeros(0, int)
            top = top[np.lexsort((top, -sims[top]))]  # best first, ties by row: deterministic
            return [{**{c: cols[c][i] for c in cols}, "vector": unit[i], "_distance": float(1.0 - sims[i])}
                    for i in top]

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

    def text_matches(self, name: str, text: str, k: int) -> list[tuple[str, float]]:
        """(id, BM25 score) of up to k full-text matches, best first, without their rows (cheap at a
        depth no one reads rows for: ~7 ms for 1,500 anime matches)."""
        text = fts_safe(text)
        if not text:
            return []

        def search(tbl):
            return tbl.search(text, query_type="fts").limit(k).select(["id", "_score"]).to_list()

        try:
            return [(r["id"], float(r["_score"])) for r in self._read(name, search)]
        except UnknownCatalog:
            raise
        except Exception:
            return []

    def get(self, name: str, ids: list[str]) -> list[dict]:
        if not ids:
            return []
        if self.count(name) < ANN_THRESHOLD:  # the rows are in memory already: no filter scan (~11 ms)
            version, unit, cols = self._in_memory(name)
            with self._lock:
                pos = self._positions.get(name)
                if pos is None or pos[0] != version:
                    pos = self._positions[name] = (version, {i: j for j, i in enumerate(cols["id"])})
            rows = [pos[1].get(i) for i in ids]
            return [{**{c: cols[c][j] for c in cols}, "vector": unit[j]} for j in rows if j is not None]
        quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
        rows = self._read(name, lambda tbl: tbl.search().where(f"id IN ({quoted})")
                          .select(["id", "title", "title_norm", "text", "metadata", "vector"])
                          .limit(len(ids) * 2 + 10).to_list())
        by_id = {r["id"]: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def word_stats(self, name: str) -> WordStats:
        """Word statistics of the catalog's descriptions, computed once per table version (~1 s for
        30,000 items here) for the description-only full-text feature (recchat/ranking/features.py)."""
        with self._lock:
            version = self._open(name)[1].table
            hit = self._word_stats.get(name)
            if hit is not None and hit[0] == version:
                return hit[1]
        if self.count(name) < ANN_THRESHOLD:
            _, _, cols = self._in_memory(name)
            rows = ({"title": t, "text": x} for t, x in zip(cols["title"], cols["text"]))
        else:
            rows = iter(self._read(name, lambda tbl: tbl.to_arrow().select(["title", "text"]).to_pylist()))
        stats = WordStats.of(description(r) for r in rows)
        with self._lock:
            self._word_stats[name] = (version, stats)
        return stats

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
