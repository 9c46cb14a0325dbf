"""Sequential rules (the "SR" of Ludewig & Jannach, "Evaluation of session-based recommendation
algorithms", 2018): how often item j came after item i in the training sequences, at most WINDOW
steps later, each occurrence weighted 1 / gap. Mixed with an item-item model's weights (item-kNN or
EASE) in a share chosen on the validation users, like the recency decay:

    W = (1 - a) * B / scale(B) + a * S / scale(S),   S_ij = sum over "j came g <= WINDOW steps after i"
                                                     of 1/g, each row divided by its sum (P(next = j | i))

Co-occurrence says what goes together and is symmetric; order says what comes next (the next episode
or season, the game for the console just bought), which SASRec learns and item-kNN/EASE cannot. Rows
are normalised so a popular item's many successors do not outweigh a rare item's few; `scale` is the
mean of the non-empty rows' largest weight, so the two parts are on one footing. a = 0 (the plain
model) and a = 1 (the rules alone) are both in the grid: a log whose order carries nothing (no
timestamps) keeps the plain model. Only the training split is read: validation and test items, each
user's last two, are never part of a rule.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recchat.cf.data import LogSplit

WINDOW = 3
SHARES = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)


def transitions(split: LogSplit, window: int = WINDOW) -> sp.csr_matrix:
    """Row-normalised successor weights over the model's vocabulary (split.item_ids order)."""
    ix = {i: n for n, i in enumerate(split.item_ids)}
    n = len(ix)
    src, dst, val = [], [], []
    for seq in split.train.values():
        a = np.fromiter((ix[i] for i in seq), np.int64, len(seq))
        for g in range(1, window + 1):
            if len(a) > g:
                src.append(a[:-g])
                dst.append(a[g:])
                val.append(np.full(len(a) - g, 1.0 / g, np.float32))
    if not src:
        return sp.csr_matrix((n, n), dtype=np.float32)
    s = sp.csr_matrix((np.concatenate(val), (np.concatenate(src), np.concatenate(dst))), shape=(n, n))
    s.setdiag(0.0)  # a repeat of the same item is not a rule about what comes next
    s.eliminate_zeros()
    sums = np.asarray(s.sum(axis=1)).ravel()
    return sp.diags(np.where(sums > 0, 1.0 / np.maximum(sums, 1e-12), 0.0)).astype(np.float32) @ s


def _scale(m: sp.csr_matrix) -> float:
    top = m.max(axis=1).toarray().ravel()
    top = top[top > 0]
    return float(top.mean()) if len(top) else 1.0


def blend(base: sp.csr_matrix, seq: sp.csr_matrix, share: float, k: int) -> sp.csr_matrix:
    """(1 - share) * base + share * seq, each on its own scale, each row cut to its k largest weights."""
    if share <= 0 or seq.nnz == 0:
        return base.tocsr()
    out = ((1.0 - share) / _scale(base)) * base + (share / _scale(seq)) * seq
    return top_k_rows(out.tocsr().astype(np.float32), k)


def top_k_rows(m: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's k largest positive entries (the saved models keep k weights an item, as item-kNN does)."""
    m = m.tocsr()
    rows, cols, vals = [], [], []
    for r in range(m.shape[0]):
        a, b = m.indptr[r], m.indptr[r + 1]
        d, c = m.data[a:b], m.indices[a:b]
        keep = d > 0
        d, c = d[keep], c[keep]
        if len(d) > k:
            top = np.argpartition(-d, k - 1)[:k]
            d, c = d[top], c[top]
        rows.append(np.full(len(d), r, np.int64))
        cols.append(c)
        vals.append(d)
    if not rows:
        return sp.csr_matrix(m.shape, dtype=np.float32)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=m.shape)
