"""Catalogs in LanceDB: one table per catalog, vectors plus native full-text search.

`CatalogStore` is the one object the rest of recchat talks to; its three jobs live in their own
modules: registry.py (which version of each catalog serves), build.py (atomic, resumable builds
through the embedding cache) and search.py (vector, full-text and id/title lookups).
"""

from __future__ import annotations

import threading
from typing import Any

from recchat.core.settings import get_settings
from recchat.retrieval.build import Builder
from recchat.retrieval.registry import CatalogInfo, Registry
from recchat.retrieval.search import Reader


class CatalogStore(Registry, Builder, Reader):
    """All catalogs of one LanceDB database."""

    def __init__(self, uri: str):
        import lancedb

        self.uri = uri
        self.db = lancedb.connect(uri)
        self._lock = threading.RLock()
        self._tables: dict[str, tuple[Any, CatalogInfo]] = {}  # name -> (open table, its registry info)
        self._title_index: dict[str, dict[str, list[str]]] = {}
        self._checked: dict[str, float] = {}  # name -> when its registry row was last read (monotonic)
        self._memory: dict[str, tuple] = {}  # name -> (table version, unit vectors, columns): search.py
        self._positions: dict[str, tuple] = {}  # name -> (table version, id -> row in _memory): search.py
        self._word_stats: dict[str, tuple] = {}  # name -> (table version, WordStats): search.py


_stores: dict[str, CatalogStore] = {}
_stores_lock = threading.Lock()


def get_store(uri: str | None = None) -> CatalogStore:
    uri = uri or get_settings().db_path
    with _stores_lock:
        if uri not in _stores:
            _stores[uri] = CatalogStore(uri)
        return _stores[uri]
