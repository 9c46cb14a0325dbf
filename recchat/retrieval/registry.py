"""Which catalogs exist: the `_registry` table maps a catalog name to its current versioned table.

A catalog's rows live in `items__{name}__v{ms}`; the registry row switches to a new version only
after that table is complete (see build.py), so readers never see a half-built catalog.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from recchat.core.errors import UnknownCatalog

REGISTRY = "_registry"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


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
