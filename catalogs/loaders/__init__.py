"""Loaders: each reads one public data set into the one schema (`recchat.core.schema.Item`).

A loader takes (manifest, data_dir) and returns a LoadResult that counts what it read, kept and
dropped and why, so no item is lost silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from recchat.core.schema import Item


@dataclass
class LoadResult:
    items: list[Item]
    read: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> rows
    interactions: pd.DataFrame | None = None  # columns: user, item, order, rating (item = Item.id)
    notes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return len(self.items)

    def stats(self) -> dict[str, Any]:
        s: dict[str, Any] = {"read": self.read, "kept": self.kept, "dropped": dict(self.dropped)}
        if self.interactions is not None:
            s["interactions"] = int(len(self.interactions))
            s["users"] = int(self.interactions["user"].nunique())
        if self.notes:
            s["notes"] = self.notes
        return s


def read_table(path, fmt: str = "csv", **kw) -> pd.DataFrame:
    """Read a file through `datasets` (the same call takes a Hub dataset for online users)."""
    import datasets
    from datasets import load_dataset

    datasets.disable_progress_bars()  # the catalog build shows its own progress

    ds = load_dataset(fmt, data_files=str(path), split="train", **kw)
    return ds.to_pandas()

