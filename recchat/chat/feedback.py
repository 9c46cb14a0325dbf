"""What people tell us, appended to JSONL under RECCHAT_HOME: thumbs on answers and items
(`feedback.jsonl`) and Label/Compare votes (`labels.jsonl`). training/data/pairs.py turns both into
DPO pairs."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from recchat.core.settings import get_settings

_lock = threading.Lock()


def append_feedback(row: dict) -> None:
    path = get_settings().feedback_path
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"ts": time.time(), **row}
    with _lock, open(path, "a+b") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(size - 1, 0))
        lead = b"\n" if size and f.read(1) != b"\n" else b""  # a torn last line (crash mid-write) stays alone
        f.write(lead + (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))


def labels_path():
    return get_settings().home / "labels.jsonl"


def append_label(row: dict) -> None:
    p = labels_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(p, "a+b") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(size - 1, 0))
        lead = b"\n" if size and f.read(1) != b"\n" else b""  # a torn last line (crash mid-write) stays alone
        f.write(lead + (json.dumps({**row, "ts": time.time()}, ensure_ascii=False) + "\n").encode("utf-8"))


def labelled_ids() -> set[str]:
    p = labels_path()
    if not p.exists():
        return set()
    out = set()
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            out.add(json.loads(line)["prompt_id"])
        except (ValueError, KeyError):
            continue  # a torn last line from a crash is skipped, not fatal
    return out
