"""Finished rows on disk: one JSON line per row, keyed by its deterministic row id.

Each row is flushed as soon as it is built, so a killed build loses at most the row in flight; a
torn last line (killed mid-write) is cut off on reopen, and a row id already present is never
written twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class RowCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, dict] = {}
        good = 0  # byte offset after the last complete line
        if self.path.exists():
            with open(self.path, "rb") as f:
                for line in f:
                    if not line.endswith(b"\n"):
                        break
                    try:
                        r = json.loads(line)
                    except ValueError:
                        break
                    self.rows.setdefault(r["row_id"], r)
                    good += len(line)
            if good != self.path.stat().st_size:
                with open(self.path, "r+b") as f:
                    f.truncate(good)
        self._f = open(self.path, "a", encoding="utf-8")

    def __contains__(self, row_id: str) -> bool:
        return row_id in self.rows

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: dict) -> None:
        if row["row_id"] in self.rows:
            return
        self._f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._f.flush()
        self.rows[row["row_id"]] = row

    def close(self) -> None:
        if not self._f.closed:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
