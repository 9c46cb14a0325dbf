"""What people tell us, appended to JSONL under RECCHAT_HOME: thumbs on answers and items
(`feedback.jsonl`) and Label/Compare votes (`labels.jsonl`). training/data/pairs.py turns both into
DPO pairs."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict, deque

from recchat.core.errors import RecchatError
from recchat.core.settings import get_settings

_lock = threading.Lock()


class FeedbackRefused(RecchatError):
    """A thumb that is not saved: too many from one visitor this minute, or the same target twice."""


class FeedbackGate:
    """Per-visitor limits on thumbs, so a public Space's feedback.jsonl (training data) cannot be
    flooded or stuffed: at most `per_minute` rows per visitor (session) and `per_minute_ip` per
    client address in any 60 s, and one thumb per visitor per answer or item. Memory is bounded:
    only the `max_visitors` most recent visitors are remembered (an evicted one starts afresh)."""

    def __init__(self, per_minute: int, per_minute_ip: int, window_s: float = 60.0, max_visitors: int = 10_000):
        self.per_minute, self.per_minute_ip, self.window_s = per_minute, per_minute_ip, window_s
        self.max_visitors = max_visitors
        self._recent: OrderedDict[str, deque] = OrderedDict()  # key -> times of accepted rows
        self._seen: OrderedDict[str, set] = OrderedDict()  # visitor -> targets already thumbed
        self._lock = threading.Lock()

    def _times(self, key: str, now: float) -> deque:
        q = self._recent.pop(key, None) or deque()
        while q and now - q[0] >= self.window_s:
            q.popleft()
        self._recent[key] = q  # most recent last
        while len(self._recent) > 2 * self.max_visitors:
            self._recent.popitem(last=False)
        return q

    def admit(self, visitor: str, address: str, target: str, now: float | None = None) -> None:
        """Record one thumb, or raise FeedbackRefused with a message for the visitor."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.pop(visitor, None) or set()
            self._seen[visitor] = seen
            while len(self._seen) > self.max_visitors:
                self._seen.popitem(last=False)
            if target in seen:
                raise FeedbackRefused("you already rated this; your first rating is kept")
            mine, theirs = self._times("s:" + visitor, now), self._times("a:" + address, now)
            if len(mine) >= self.per_minute or len(theirs) >= self.per_minute_ip:
                raise FeedbackRefused("too many ratings in a minute; please wait a moment and try again")
            mine.append(now)
            theirs.append(now)
            seen.add(target)


_gate: FeedbackGate | None = None


def feedback_gate() -> FeedbackGate:
    global _gate
    with _lock:
        if _gate is None:
            s = get_settings()
            _gate = FeedbackGate(s.feedback_per_minute, s.feedback_per_minute_ip)
        return _gate


def reset_feedback_gate() -> None:
    """Forget the limits' counters and settings (tests change RECCHAT_FEEDBACK_* between cases)."""
    global _gate
    with _lock:
        _gate = None


def record_feedback(row: dict, visitor: str, address: str, target: str) -> None:
    """append_feedback, if this visitor may still rate `target` (raises FeedbackRefused otherwise)."""
    feedback_gate().admit(visitor, address, target)
    append_feedback(row)


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
