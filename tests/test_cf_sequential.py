"""Sequential rules added to item-item CF weights (recchat/cf/sequential.py), on hand-made logs."""

from __future__ import annotations

import numpy as np
import pytest

from recchat.cf.data import LogSplit
from recchat.cf.itemknn import ItemKNN
from recchat.cf.sequential import blend, top_k_rows, transitions
from recchat.cf.train import tune_sequence


def test_transitions_by_hand():
    # u1: a b c -> (a,b) 1, (b,c) 1, (a,c) 1/2; u2: a b a -> (a,b) 1, (b,a) 1, (a,a) 1/2 (a repeat: dropped)
    s = LogSplit(item_ids=["a", "b", "c"], train={"u1": ["a", "b", "c"], "u2": ["a", "b", "a"]})
    t = transitions(s, window=3).toarray()
    a, b, c = 0, 1, 2
    assert t[a, b] == pytest.approx(2 / 2.5) and t[a, c] == pytest.approx(0.5 / 2.5) and t[a, a] == 0
    assert t[b, c] == pytest.approx(0.5) and t[b, a] == pytest.approx(0.5)
    assert t[c].sum() == 0  # nothing ever came after c
    assert transitions(s, window=1)[a, c] == 0  # two steps apart: outside a window of one


def test_blend_mixes_the_two_on_their_own_scales_and_keeps_top_k():
    import scipy.sparse as sp

    base = sp.csr_matrix(np.array([[0, 0.2, 0.1], [0.4, 0, 0.0], [0.0, 0.0, 0]], np.float32))
    seq = sp.csr_matrix(np.array([[0, 0, 1.0], [0, 0, 1.0], [0, 0, 0]], np.float32))
    # scale(base) = mean(0.2, 0.4) = 0.3, scale(seq) = 1: share 0.5 gives 0.5 * base / 0.3 + 0.5 * seq
    out = blend(base, seq, 0.5, k=5).toarray()
    assert out[0] == pytest.approx([0, 1 / 3, 1 / 6 + 0.5]) and out[1] == pytest.approx([2 / 3, 0, 0.5])
    assert (blend(base, seq, 0.0, k=5) != base).nnz == 0  # share 0: the plain model
    assert blend(base, seq, 1.0, k=5).toarray() == pytest.approx(seq.toarray())  # share 1: the rules alone
    assert (top_k_rows(sp.csr_matrix(out), 1).toarray() > 0).sum(axis=1).tolist() == [1, 1, 0]


def _split(c_follows_b: bool) -> LogSplit:
    # A and B co-occur most, but five users whose history is [B] go on to C, which six others
    # consumed right after B (or right before it, when c_follows_b is False)
    train = {f"p{u}": ["A", "B"] for u in range(10)}
    train |= {f"q{u}": (["B", "C"] if c_follows_b else ["C", "B"]) for u in range(6)}
    train |= {f"e{u}": ["B"] for u in range(5)}
    return LogSplit(item_ids=["A", "B", "C"], train=train, valid={f"e{u}": "C" for u in range(5)})


def test_validation_picks_a_share_of_rules_only_when_order_predicts():
    users = [f"e{u}" for u in range(5)]
    s = _split(c_follows_b=True)
    m = ItemKNN.fit(s, k=10, shrink=0.0, progress=False)
    assert m.similar(["B"], 1) == ["A"]  # co-occurrence alone: A
    tables = tune_sequence(m, s, users)
    assert m.sequence_share > 0 and m.similar(["B"], 1) == ["C"]
    assert tables["0.0"]["1.0"]["ndcg@10"] < tables[str(m.sequence_share)][str(m.decay)]["ndcg@10"] == 1.0
    # C came before B: no rule says what follows B, every share scores the same, the plain model stays
    s = _split(c_follows_b=False)
    m = ItemKNN.fit(s, k=10, shrink=0.0, progress=False)
    tune_sequence(m, s, users)
    assert m.sequence_share == 0.0 and m.similar(["B"], 1) == ["A"]
