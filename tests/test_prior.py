"""The item prior and the leave-last-out rule, on hand-made logs with hand-computed answers."""

import numpy as np
import pandas as pd
import pytest

from recchat.catalog import prior
from recchat.cf.data import leave_last_out
from recchat.core.split import training_rows


def _log(rows):
    return pd.DataFrame(rows, columns=["user", "item", "order", "rating"])


LOG = _log([
    # u1: a b c d  -> trains on a b; c is validation, d is test
    ("u1", "a", 1, 5.0), ("u1", "b", 2, 4.0), ("u1", "c", 3, 3.0), ("u1", "d", 4, 1.0),
    # u2: a e  -> too short to evaluate: all of it is training data
    ("u2", "a", 2, 3.0), ("u2", "e", 1, 2.0),
    # u3: b a d -> trains on b; a is validation, d is test
    ("u3", "b", 1, 2.0), ("u3", "a", 2, 5.0), ("u3", "d", 3, 5.0),
])


def test_training_rows_drop_each_evaluable_users_last_two():
    kept = sorted(map(tuple, training_rows(LOG)[["user", "item"]].to_numpy().tolist()))
    assert kept == [("u1", "a"), ("u1", "b"), ("u2", "a"), ("u2", "e"), ("u3", "b")]


def test_the_prior_never_sees_a_held_out_item():
    raw = prior.from_log(LOG).set_index("id")
    # counts by hand: a (u1, u2) 2; b (u1, u3) 2; e 1; c and d only ever held out -> absent
    assert raw["count"].to_dict() == {"a": 2, "b": 2, "e": 1}
    assert raw.loc["a", "rating"] == 4.0 and raw.loc["b", "rating"] == 3.0
    split = leave_last_out(LOG)
    held = set(split.valid.values()) | set(split.test.values())
    # the same rule as the CF models: nothing the prior counted is a user's held-out interaction
    for u, target in {**split.valid, **split.test}.items():
        assert (u, target) not in set(map(tuple, training_rows(LOG)[["user", "item"]].to_numpy().tolist()))
    assert {"c", "d"} <= held and not ({"c", "d"} & set(raw.index))


def test_scores_are_percentiles_and_shrink_few_ratings():
    raw = pd.DataFrame({"id": ["a", "b", "c"], "count": [100.0, 1.0, 10.0], "rating": [4.0, 5.0, 2.0]})
    s = prior.scores(["a", "b", "c", "z"], raw).set_index("id")
    assert s.loc["a", "pop"] == 1.0 and s.loc["z", "pop"] == 0.0  # z was never consumed
    assert s.loc["b", "pop"] == pytest.approx(1 / 3)  # consumed items rank above every unconsumed one
    assert s.loc["b", "pop"] < s.loc["c", "pop"] < s.loc["a", "pop"]
    # one 5-star rating does not beat a hundred 4-star ones once shrunk towards the mean
    assert s.loc["a", "quality"] > s.loc["b", "quality"] > s.loc["c", "quality"]
    assert np.isnan(s.loc["z", "quality"])


def test_unconsumed_items_stay_least_known_however_many_there_are():
    # a catalog most of whose items nobody consumed (Steam's): ranked in one tie with the rest, they would
    # share a middling percentile; they are the least known, below every consumed item
    raw = pd.DataFrame({"id": ["a", "b"], "count": [5.0, 1.0], "rating": np.nan})
    s = prior.scores(["a", "b"] + [f"z{i}" for i in range(8)], raw).set_index("id")
    assert s.loc["a", "pop"] == 1.0 and s.loc["b", "pop"] == 0.5
    assert (s.loc[[f"z{i}" for i in range(8)], "pop"] == 0.0).all()


def test_history_training_cases_target_the_validation_item_never_the_test_item():
    from training.rank.cases import history_cases

    log = _log([("u1", x, n, 1.0) for n, x in enumerate("abcde")] + [("u2", x, n, 1.0) for n, x in enumerate("abc")])
    cases = history_cases("movies", log, n=10, seed=0)
    assert [(c.user, c.history, c.target) for c in cases] == [("u1", ["a", "b", "c"], "d")]
