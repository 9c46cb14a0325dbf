"""CF-context rows: the runtime's "people who liked these also liked ..." line, from training-domain logs.

The app puts a CF model's nearest items for the history into the prompt (`recchat.cf.context`); the
tuned model should learn to use that line. So a share of the recommendation rows (`cf_share`) carry
the same line, made the same way (item-kNN neighbours of the history, `cf_line` wording), from the
training catalogs' own logs; held-out catalogs have no rows at all.

No row may learn from its own future: users are split in two halves by a hash of their id, and a
row of a user in one half gets neighbours from an item-kNN fitted on the other half's sequences
only. The rationale then leans on what the history and the CF items share (their common qualities
count like history), never on their names (they are scrubbed like every involved title).
"""

from __future__ import annotations

import hashlib

from recchat.cf.data import LogSplit
from recchat.cf.itemknn import ItemKNN

DECAY = 0.7  # recent history items dominate, as in the runtime's tuned item-kNN


def half_of(user: str) -> int:
    return int(hashlib.sha1(f"cf-half:{user}".encode()).hexdigest(), 16) & 1


def fit_halves(seqs: dict[str, list[str]], k: int = 50) -> dict[int, ItemKNN | None]:
    """half -> item-kNN fitted on that half's users (None when the half has no sequences)."""
    out: dict[int, ItemKNN | None] = {}
    for half in (0, 1):
        train = {u: s for u, s in seqs.items() if half_of(u) == half}
        vocab = list(dict.fromkeys(i for s in train.values() for i in s))
        if not vocab:
            out[half] = None
            continue
        m = ItemKNN.fit(LogSplit(vocab, train), k=k, progress=False)
        m.decay = DECAY
        out[half] = m
    return out


def cf_neighbours(models: dict[int, ItemKNN | None], user: str, history: list[str], k: int) -> list[str]:
    """Neighbours of `history` from the model that never saw `user`."""
    m = models.get(1 - half_of(user))
    return m.neighbours(history, k) if m is not None else []
