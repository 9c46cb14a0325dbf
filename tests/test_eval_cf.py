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
