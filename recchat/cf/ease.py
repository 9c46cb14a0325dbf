"""EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): item-to-item weights
from one closed-form ridge regression of each item's column on all the others.

    G = X^T X + lambda I,  P = G^-1,  B_ij = -P_ij / P_jj,  B_jj = 0

X is the binary user-item matrix of the log's training split (each evaluable user's last two items
held out: recchat/core/split.py). On sparse purchase logs it usually ranks above item-kNN because a
weight is learned jointly with every other item's, not from one co-occurrence count. `lambda` is
chosen on the validation users (never the test items) from a small grid, the way item-kNN's recency
decay is. Each row keeps its top-k positive weights, so the saved model is as small as item-kNN's and
scores a history the same way (`ItemKNN._raw`: newest items weigh most); `recchat cf train` then mixes in
what came next (recchat/cf/sequential.py) with a share chosen on the same validation users.

The dense inverse needs items^2 floats (float32 above 16,000 items: 1.1 GB and ~3 min for Amazon
games' 16,837 on 2 busy cores); items nobody consumed in the training split are left out of it (their
rows stay zero).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recchat.cf.data import LogSplit
from recchat.core.errors import BadInput
from recchat.cf.itemknn import ItemKNN, training_counts, user_item_matrix

# 3200 since session 14: games chose 800, the grid's edge, in session 13
LAMBDAS = (10.0, 50.0, 200.0, 800.0, 3200.0)
MAX_ITEMS = 40_000  # 6.4 GB of float32 for the Gram matrix: beyond that, train item-kNN
# above this many items the matrices are float32: OpenBLAS (numpy's and scipy's) crashed here
# inverting a 16,837^2 float64 matrix (2.3 GB), while float32 and 12,000^2 float64 ran
FLOAT64_ITEMS = 16_000


class EASE(ItemKNN):
    name = "ease"

    @property
    def lam(self) -> float:
        return self.shrink  # saved in item-kNN's shrinkage slot: one file layout for both

    @classmethod
    def fit(cls, split: LogSplit, lam: float = 200.0, k: int = 100) -> "EASE":
        return cls.fit_many(split, (lam,), k)[0]

    @classmethod
    def fit_many(cls, split: LogSplit, lambdas: tuple[float, ...], k: int = 100) -> list["EASE"]:
        """One model per lambda, sharing the Gram matrix."""
        X = user_item_matrix(split)
        counts = training_counts(split)
        used = np.flatnonzero(np.asarray(X.sum(axis=0)).ravel() > 0)
        if len(used) > MAX_ITEMS:
            raise BadInput(f"EASE needs a dense {len(used):,}^2 matrix (more than {MAX_ITEMS:,} items); "
                           "train itemknn for this catalog")
        dtype = np.float64 if len(used) <= FLOAT64_ITEMS else np.float32
        Xu = X[:, used].astype(dtype)
        gram = (Xu.T @ Xu).toarray()
        out = []
        for lam in lambdas:
            g = gram.copy()
            g[np.diag_indices_from(g)] += lam
            p = np.linalg.inv(g)
            b = p / (-np.diag(p))[None, :]  # B_ij = -P_ij / P_jj
            np.fill_diagonal(b, 0.0)
            del p
            out.append(cls(split.item_ids, _top_k(b, used, len(split.item_ids), k), counts, k, lam))
        return out


def _top_k(b: np.ndarray, used: np.ndarray, n: int, k: int, block: int = 2048) -> sp.csr_matrix:
    """Each row's k largest positive weights, in the full item index (rows in blocks: an argpartition
    of the whole matrix would hold items^2 int64 indices)."""
    kk = max(1, min(k, b.shape[1] - 1))
    rows, cols, vals = [], [], []
    for s in range(0, b.shape[0], block):
        part = b[s:s + block]
        top = np.argpartition(-part, kk - 1, axis=1)[:, :kk]
        v = np.take_along_axis(part, top, axis=1)
        keep = v > 0
        rows.append(np.repeat(used[s:s + block], kk).reshape(len(part), kk)[keep])
        cols.append(used[top[keep]])
        vals.append(v[keep].astype(np.float32))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
