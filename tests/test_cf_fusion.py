"""Fusion of HyDE ranks with CF scores, and the weight chosen on hand-made validation users."""

from __future__ import annotations

import pytest

from recchat.cf.fusion import ValCase, cf_ranking, choose_weight, fuse, weight_table

HYDE = ["x", "y", "z"]
CF = {"z": 3.0, "y": 2.0, "x": 1.0, "w": 0.5, "u": float("-inf")}


def test_weight_zero_is_hyde_and_one_is_cf():
    assert fuse(HYDE, CF, 0.0) == ["x", "y", "z"]  # CF-only items add nothing at weight 0
    assert fuse(HYDE, CF, 1.0) == ["z", "y", "x", "w"]  # -inf = no CF signal: u never appears


def test_even_weight_is_reciprocal_rank_fusion():
    # k = 60: x = z = (1/61 + 1/63) / 2 = 0.016133 > y = 1/62 = 0.016129 > w = 0.5/64; x before z by HyDE order
    assert fuse(HYDE, CF, 0.5) == ["x", "z", "y", "w"]


def test_cf_ranking_and_bad_weight():
    assert cf_ranking({"a": 1.0, "b": 1.0, "c": 2.0, "d": float("nan")}) == ["c", "a", "b"]
    with pytest.raises(ValueError, match="weight"):
        fuse(HYDE, CF, 1.5)
    with pytest.raises(ValueError, match="validation"):
        choose_weight([])


def test_choose_weight_follows_the_validation_users():
    # two users whose held-out item CF ranks first, one whose item HyDE ranks first
    cases = [
        (["a", "b"], {"b": 1.0, "a": 0.0}, "b"),
        ValCase(["a", "b"], {"b": 1.0, "a": 0.0}, "b"),
        (["c", "d"], {"d": 1.0, "c": 0.0}, "c"),
    ]
    table = weight_table([c if isinstance(c, ValCase) else ValCase(*c) for c in cases])
    assert table[0.0]["hit@1"] == pytest.approx(1 / 3)
    assert table[0.5]["hit@1"] == pytest.approx(1 / 3)  # a tie keeps HyDE order
    assert table[0.6]["hit@1"] == pytest.approx(2 / 3)
    # all of 0.6..1.0 reach 2/3 with equal NDCG: the one nearest plain RRF wins
    assert choose_weight(cases) == 0.6
    # flip the majority: HyDE is right for two users -> 0.0..0.5 all reach 2/3 (at 0.5 ties keep
    # HyDE order), and the nearest to plain RRF is 0.5 itself
    flipped = [(["a", "b"], {"b": 1.0, "a": 0.0}, "a")] * 2 + [(["c", "d"], {"d": 1.0, "c": 0.0}, "d")]
    assert weight_table([ValCase(*c) for c in flipped])[0.6]["hit@1"] == pytest.approx(1 / 3)
    assert choose_weight(flipped) == 0.5
