"""A disk cache of LLM outputs keyed by (prompt, checkpoint, seed, sampling settings).

Evaluation and data generation run thousands of prompts: with this, a rerun is instant and a killed
run resumes where it stopped. SQLite commits each row, so nothing finished is lost.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

_lock = threading.Lock()


class GenCache:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS gen (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        self._db.commit()

    @staticmethod
    def key(**parts) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        with _lock:
            row = self._db.execute("SELECT text FROM gen WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, text: str) -> None:
        with _lock:
            self._db.execute("INSERT OR REPLACE INTO gen (key, text) VALUES (?, ?)", (key, text))
            self._db.commit()


_caches: dict[str, GenCache] = {}


def get_cache() -> GenCache:
    from recchat.core.settings import get_settings

    p = get_settings().cache_dir / "generations.sqlite"
    with _lock:
        if str(p) not in _caches:
            _caches[str(p)] = GenCache(p)
        return _caches[str(p)]
