"""The one progress callback type for long work (catalog builds), and its tqdm rendering: a bar per phase."""

from __future__ import annotations

from typing import Callable

ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


def tqdm_progress(prefix: str = "", **tqdm_kw) -> ProgressFn:
    """A `(done, total, what)` callback drawing one tqdm bar per `what` (embedding, writing table)."""
    from tqdm import tqdm

    bars: dict = {}

    def cb(done: int, total: int, what: str) -> None:
        bar = bars.get(what)
        if bar is None:
            bar = bars[what] = tqdm(total=total, desc=f"{prefix}{what}", **tqdm_kw)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return cb
