"""`itemknn` in `recchat eval`: trained by `recchat cf` on the same leave-last-out split."""

import json

from tests.test_eval_run import _eval, _log, tiny  # noqa: F401  (the tiny catalog + log fixture)


def test_itemknn_method_without_and_with_a_trained_model(tiny, tmp_path):  # noqa: F811
    r = _eval(tmp_path, "--protocol", "full", "--users", "8", "--methods", "popularity,itemknn", "--json")
    assert r.exit_code == 0, r.output
    assert "recchat cf train --catalog tiny" in json.loads(r.stdout)["skipped"]["itemknn"]  # says how to fix it
    from recchat.cf import train_from_interactions

    train_from_interactions(_log(), "tiny", models=["itemknn"], progress=False, log=lambda *a: None)
    r = _eval(tmp_path, "--protocol", "full", "--users", "8", "--methods", "popularity,itemknn", "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    # genre-pure users: co-occurrence finds the genre, so item-kNN beats raw popularity
    assert res["results"]["itemknn"]["hit_rate@10"] > res["results"]["popularity"]["hit_rate@10"]


def test_validation_cases_leave_out_test_users_and_test_items():
    import pandas as pd

    from recchat.evaluation.protocols import validation_cases

    log = pd.DataFrame([("u1", "a", 1), ("u1", "b", 2), ("u1", "c", 3), ("u1", "d", 4),
                        ("u2", "a", 1), ("u2", "c", 2), ("u2", "e", 3),
                        ("u3", "b", 1), ("u3", "e", 2)], columns=["user", "item", "order"])
    split = validation_cases(log, set("abcde"), exclude_users={"u2"}, n_users=10, seed=0)
    by_user = {c.user: c for c in split.cases}
    assert set(by_user) == {"u1"}  # u2 is under test; u3 has no history once its last item is cut
    assert by_user["u1"].target == "c" and by_user["u1"].history == ["a", "b"]  # d (the test item) never shows


def test_hybrid_cf_and_cf_prompt_methods(tiny, tmp_path):  # noqa: F811
    from recchat.cf import train_from_interactions

    r = _eval(tmp_path, "--protocol", "candidates20", "--users", "8", "--methods", "popularity,hybrid+cf:base", "--json")
    assert "recchat cf train --catalog tiny" in json.loads(r.stdout)["skipped"]["hybrid+cf:base"]
    train_from_interactions(_log(), "tiny", models=["itemknn"], progress=False, log=lambda *a: None)
    r = _eval(tmp_path, "--protocol", "candidates20", "--users", "8", "--max-tokens", "8", "--json",
              "--methods", "itemknn,hyde:base,hybrid+cf:base,hyde+cfprompt:base")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["methods"] == ["itemknn", "hyde:base", "hybrid+cf:base", "hyde+cfprompt:base"]
    info = res["method_info"]["hybrid+cf:base"]
    # the weight was chosen on the 4 users outside the test sample of 8, over the whole grid
    assert info["cf_model"] == "itemknn" and info["validation_users"] == 4
    assert 0.0 <= info["weight"] <= 1.0 and len(info["table"]) == 11
    for m in res["methods"]:
        assert 0.0 <= res["results"][m]["hit_rate@1"] <= 1.0


def test_cf_tune_saves_the_weight_for_the_app(tiny):  # noqa: F811
    from recchat.cf import train_from_interactions
    from recchat.cf.registry import read_meta
    from recchat.evaluation.cf_methods import tune_fusion

    train_from_interactions(_log(), "tiny", models=["itemknn"], progress=False, log=lambda *a: None)
    chosen = tune_fusion("tiny", "base", "candidates20", n_users=6, seed=0, progress=False)
    assert chosen["validation_users"] == 6 and chosen["cf_model"] == "itemknn"
    assert read_meta("tiny")["fusion_weight"] == chosen["weight"]  # what the app's CF toggle will use
