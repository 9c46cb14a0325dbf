"""Evaluation parts on tiny hand-computed inputs (RecBole style): metrics, Holm, splits, sampling, popularity."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from recchat.core.errors import BadInput
from recchat.evaluation import metrics as MX
from recchat.evaluation.methods import parse_methods, popularity_counts
from recchat.evaluation.protocols import Case, add_candidates, interacted_items, leave_last_out
from recchat.evaluation.significance import beaten, holm

# u1: target at rank 1; u2: rank 2; u3: rank 11; u4: not ranked at all
TARGETS = {"u1": "a", "u2": "b", "u3": "c", "u4": "d"}
RANKINGS = {
    "u1": ["a", "x", "y"],
    "u2": ["x", "b", "y"],
    "u3": [f"n{i}" for i in range(10)] + ["c"],
    "u4": ["x", "y", "z"],
}


def test_full_metrics_by_hand():
    s = MX.per_user(TARGETS, RANKINGS, MX.FULL_METRICS)
    # per user, aligned with sorted users
    assert s["hit_rate@10"].tolist() == [1, 1, 0, 0]
    assert s["hit_rate@20"].tolist() == [1, 1, 1, 0]
    assert s["mrr@10"].tolist() == pytest.approx([1, 0.5, 0, 0])
    assert s["ndcg@10"].tolist() == pytest.approx([1, 1 / math.log2(3), 0, 0])
    assert s["ndcg@20"].tolist() == pytest.approx([1, 1 / math.log2(3), 1 / math.log2(12), 0])
    m = MX.means(s)
    assert m["hit_rate@10"] == pytest.approx(0.5)
    assert m["hit_rate@20"] == pytest.approx(0.75)
    assert m["mrr@10"] == pytest.approx(0.375)
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 4)
    assert m["ndcg@20"] == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(12)) / 4)


def test_candidate_metrics_by_hand():
    m = MX.means(MX.per_user(TARGETS, RANKINGS, MX.CANDIDATE_METRICS))
    assert m["hit_rate@1"] == pytest.approx(0.25)
    assert m["ndcg@5"] == pytest.approx((1 + 1 / math.log2(3)) / 4)


def test_ranking_order_is_kept_and_empty_ranking_scores_zero():
    # the target second in a long list: the run's scores must not reorder it (no tie shuffling)
    s = MX.per_user({"u": "t"}, {"u": ["p", "t"] + [f"q{i}" for i in range(50)]}, ["mrr@10"])
    assert s["mrr@10"].tolist() == [0.5]
    s = MX.per_user({"u": "t"}, {"u": []}, ["hit_rate@10"])
    assert s["hit_rate@10"].tolist() == [0.0]


def test_bootstrap_ci_brackets_the_mean():
    v = np.array([0, 1] * 50, np.float64)
    lo, hi = MX.bootstrap_ci(v, seed=0)
    assert lo < 0.5 < hi and 0.35 < lo and hi < 0.65
    assert MX.bootstrap_ci(v, seed=0) == (lo, hi)  # seeded


def test_holm_by_hand():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1, monotone in the raw order
    assert holm([0.02, 0.001]) == pytest.approx([0.02, 0.002])


def test_beaten_reads_only_significant_wins():
    sig = {"pairs": [
        {"a": "x", "b": "y", "metric": "m", "significant": True, "better": "x"},
        {"a": "x", "b": "z", "metric": "m", "significant": False, "better": "x"},
        {"a": "y", "b": "z", "metric": "m", "significant": True, "better": "z"},
    ]}
    assert beaten(sig, "x", "m") == ["y"]
    assert beaten(sig, "z", "m") == ["y"]
    assert beaten(sig, "y", "m") == []


LOG = pd.DataFrame(
    [
        # u1: 4 items, two share a timestamp (log order breaks the tie); target i4
        ("u1", "i1", 1), ("u1", "i2", 2), ("u1", "i3", 2), ("u1", "i4", 3),
        # u2: the last item repeats an earlier one -> not eligible
        ("u2", "i1", 1), ("u2", "i2", 2), ("u2", "i1", 3),
        # u3: one interaction only -> not eligible
        ("u3", "i5", 1),
        # u4: an item unknown to the catalog is dropped; 12 earlier items
        *[("u4", f"i{k}", k) for k in range(1, 13)], ("u4", "ghost", 13), ("u4", "i13", 14),
    ],
    columns=["user", "item", "order"],
)
CATALOG = {f"i{k}" for k in range(1, 41)}


def test_leave_last_out_split():
    sp = leave_last_out(LOG, CATALOG, n_users=10, seed=0, max_history=10)
    by = {c.user: c for c in sp.cases}
    assert sorted(by) == ["u1", "u4"] and sp.eligible_users == 2
    assert by["u1"].history == ["i1", "i2", "i3"] and by["u1"].target == "i4" and by["u1"].cold
    assert by["u4"].target == "i13" and by["u4"].n_history == 12 and not by["u4"].cold
    assert by["u4"].history == [f"i{k}" for k in range(3, 13)]  # the last 10, oldest first
    assert sp.dropped["users whose last item repeats an earlier one"] == 1
    assert sp.dropped["users with a single interaction"] == 1
    assert sp.dropped["log rows whose item is not in the catalog"] == 1


def test_user_sample_is_seeded():
    log = pd.DataFrame([(f"u{u}", f"i{k}", k) for u in range(50) for k in (1, 2, 3)], columns=["user", "item", "order"])
    a = [c.user for c in leave_last_out(log, CATALOG, 10, seed=1).cases]
    b = [c.user for c in leave_last_out(log, CATALOG, 10, seed=1).cases]
    c = [c.user for c in leave_last_out(log, CATALOG, 10, seed=2).cases]
    assert a == b and len(a) == 10 and a != c
    with pytest.raises(BadInput):
        leave_last_out(log, CATALOG, 0, seed=1)


def _cands(seed: int, users=("u1", "u4")) -> dict[str, list[str]]:
    sp = leave_last_out(LOG[LOG.user.isin(users)], CATALOG, 10, seed=0)
    add_candidates(sp.cases, sorted(CATALOG), interacted_items(LOG), seed)
    return {c.user: c.candidates for c in sp.cases}


def test_candidates_exclude_history_and_hold_the_target_once():
    for seed in range(5):
        cands = _cands(seed)
        for user, target in (("u1", "i4"), ("u4", "i13")):
            cs = cands[user]
            assert len(cs) == 20 and len(set(cs)) == 20
            assert cs.count(target) == 1
            seen = set(LOG[LOG.user == user].item)
            assert not (set(cs) - {target}) & seen  # negatives were never interacted with
            assert set(cs) <= CATALOG


def test_candidates_are_deterministic_per_seed_and_per_user():
    assert _cands(3) == _cands(3)
    assert _cands(3)["u1"] != _cands(4)["u1"]
    # a user's list does not depend on which other users were sampled
    assert _cands(3, users=("u1",))["u1"] == _cands(3)["u1"]
    # the target's position varies (shuffled): it must carry no signal
    positions = {_cands(s)["u1"].index("i4") for s in range(10)}
    assert len(positions) > 1


def test_candidates_with_a_small_pool_take_what_exists():
    c = Case(user="u", history=["a"], earlier=["a"], target="b")
    add_candidates([c], ["a", "b", "c", "d"], {"u": {"a", "b"}}, seed=0)
    assert sorted(c.candidates) == ["b", "c", "d"]


def test_popularity_counts_leave_out_the_held_out_rows():
    # item z is the last item of every test user: only its held-out rows make it popular
    log = pd.DataFrame(
        [("t1", "y", 1), ("t1", "z", 2), ("t2", "y", 1), ("t2", "z", 2), ("t3", "x", 1), ("t3", "z", 2),
         ("o1", "y", 1), ("o1", "x", 2)],
        columns=["user", "item", "order"],
    )
    cases = [c for c in leave_last_out(log, {"x", "y", "z"}, 10, 0).cases if c.user.startswith("t")]
    counts = popularity_counts(log, cases)
    assert counts == Counter({"y": 3, "x": 2, "z": 0})
    # a non-test user's last item still counts: o1's x is not held out
    assert counts["x"] == 2


def test_parse_methods():
    assert parse_methods("random, hyde,hybrid", ["sft", "dpo"]) == [
        "random", "hyde:sft", "hyde:dpo", "hybrid:sft", "hybrid:dpo"]
    assert parse_methods("hyde:base,hyde:base") == ["hyde:base"]
    with pytest.raises(BadInput, match="unknown method 'knn'"):
        parse_methods("random,knn")
    with pytest.raises(BadInput):
        parse_methods(" , ")
