"""Which catalogs exist: the `_registry` table maps a catalog name to its current versioned table.

A catalog's rows live in `items__{name}__v{ms}`; the registry row switches to a new version only
after that table is complete (see build.py), so readers never see a half-built catalog.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import pyarrow as pa

from recchat.core.errors import RecchatError, UnknownCatalog
from recchat.core.settings import get_settings

REGISTRY = "_registry"
# no '__' in a name: it separates the name from the version in `items__{name}__v{ms}`, so a catalog
# `x__v2` would otherwise own tables that look like versions of catalog `x`
NAME_RE = re.compile(r"^(?!.*__)[a-z0-9][a-z0-9_-]*$")
LOCK_TIMEOUT_S = 1800.0  # a writer holds a catalog's lock while it writes and indexes one version

_thread_locks: dict[str, threading.RLock] = {}
_file_locks: dict[str, Any] = {}
_locks_guard = threading.Lock()


@contextmanager
def exclusive(key: str, what: str) -> Iterator[None]:
    """Hold `key` against every other thread of this process and every other process on RECCHAT_HOME.

    Threads queue on an RLock (a thread that holds it may take it again); processes on a file lock
    under RECCHAT_HOME/locks, taken once per process while the RLock is held."""
    from filelock import FileLock, Timeout

    d = get_settings().home / "locks"
    d.mkdir(parents=True, exist_ok=True)
    path = str(d / f"{key}.lock")
    with _locks_guard:
        tl = _thread_locks.setdefault(path, threading.RLock())
        fl = _file_locks.setdefault(path, FileLock(path, thread_local=False))
    busy = RecchatError(f"{what} is busy (another build or removal is running); try again when it finishes")
    if not tl.acquire(timeout=LOCK_TIMEOUT_S):
        raise busy
    try:
        try:
            fl.acquire(timeout=LOCK_TIMEOUT_S)  # reentrant: counted by the FileLock object
        except Timeout as e:
            raise busy from e
        try:
            yield
        finally:
            fl.release()
    finally:
        tl.release()


def catalog_lock(name: str):
    """One build or removal of catalog `name` at a time, across threads and processes."""
    return exclusive(f"catalog-{name}", f"catalog {name!r}")


def table_version(name: str, table: str) -> int | None:
    """The version of `items__{name}__v{ms}`; None for any other table (another catalog's included)."""
    m = re.fullmatch(rf"items__{re.escape(name)}__v(\d+)", table)
    return int(m.group(1)) if m else None


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


class Registry:
    """The registry part of `CatalogStore` (needs `self.db`, `self._lock`, `self._tables`, `self._title_index`)."""

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

    def _registered(self, name: str) -> CatalogInfo | None:
        """The registry row of `name` as stored (even when its table is missing), or None."""
        for r in self._registry().to_arrow().to_pylist():
            if r["name"] == name:
                return CatalogInfo(**json.loads(r["info"]))
        return None

    def _set_registry(self, info: CatalogInfo) -> None:
        row = [{"name": info.name, "info": json.dumps(info.__dict__)}]
        with exclusive("registry", "the catalog registry"):  # one writer: concurrent commits would conflict
            reg = self._registry()
            reg.merge_insert("name").when_matched_update_all().when_not_matched_insert_all().execute(row)

    def remove(self, name: str) -> None:
        with catalog_lock(name):
            self.info(name)  # raises UnknownCatalog with the list
            with exclusive("registry", "the catalog registry"):
                self._registry().delete(f"name = '{name}'")
            with self._lock:
                self._tables.pop(name, None)
                self._title_index.pop(name, None)
            self._cleanup_stale(name)

    def _drop_quietly(self, table: str) -> None:
        try:
            self.db.drop_table(table)
        except Exception:
            pass

    def _cleanup_stale(self, name: str) -> None:
        """Drop this catalog's versions older than the one the registry points to now (all of them once
        it is removed). Called with the catalog's lock held; never touches a newer version (a build in
        flight elsewhere) or another catalog's tables."""
        current = self._registered(name)
        keep_from = table_version(name, current.table) if current else None
        for t in self._table_names():
            v = table_version(name, t)
            if v is not None and (keep_from is None or v < keep_from):
                self._drop_quietly(t)
