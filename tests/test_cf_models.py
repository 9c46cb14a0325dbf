"""CF models on a tiny hand-made log where the right answer is known.

Every "A" user goes on to B right after A; fillers vary. Item-kNN and SASRec must both put B
first after A, the split must hold out the last two items, and a killed SASRec run must resume
from its checkpoint and end exactly where an uninterrupted run ends.
"""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from recchat.cf import available_cf, leave_last_out, load_cf, train_from_interactions
from recchat.cf.base import NoCFModel, cf_dir
from recchat.cf.data import sequences
from recchat.cf.itemknn import ItemKNN, Popularity
from recchat.cf.metrics import full_rank
from recchat.cf.sasrec import SASRecConfig, fit
from recchat.core.errors import BadInput

FILL = ["C", "D", "E", "F"]


def tiny_log() -> pd.DataFrame:
    rows = []
    for u in range(24):  # filler, A, B, then two held-out items
        seq = [FILL[u % 4], "A", "B", FILL[(u + 1) % 4], FILL[(u + 2) % 4]]
        rows += [(f"a{u}", it, t, 4.0) for t, it in enumerate(seq)]
    for u in range(12):  # users who never touch A or B
        seq = [FILL[u % 4], FILL[(u + 1) % 4], "G", FILL[(u + 3) % 4], "H"]
        rows += [(f"n{u}", it, t, 3.0) for t, it in enumerate(seq)]
    rows += [("short", "A", 0, 5.0), ("short", "G", 1, 5.0)]  # too short to evaluate: all training
    df = pd.DataFrame(rows, columns=["user", "item", "order", "rating"])
    return df.sample(frac=1.0, random_state=0)  # the log's row order must not matter


SMALL = SASRecConfig(dim=16, max_len=6, blocks=2, heads=1, dropout=0.0, lr=0.02, batch_size=8, negatives=8, valid_users=50)


def test_split_holds_out_last_two_by_order():
    s = leave_last_out(tiny_log())
    assert s.train["a0"] == ["C", "A", "B"]
    assert (s.valid["a0"], s.test["a0"]) == ("D", "E")
    assert s.train["short"] == ["A", "G"] and "short" not in s.test
    assert s.interactions == 36 * 5 + 2
    assert "H" not in s.item_ids  # only ever a held-out item: the models never see it


def test_ties_keep_log_row_order_and_bad_logs_fail_clearly():
    df = pd.DataFrame({"user": ["u", "u", "u"], "item": ["x", "y", "z"], "order": [5, 1, 5]})
    assert sequences(df)["u"] == ["y", "x", "z"]
    with pytest.raises(BadInput, match="order"):
        sequences(df.drop(columns=["order"]))
    with pytest.raises(BadInput, match="empty"):
        sequences(df.iloc[:0])


def test_itemknn_ranks_b_first_after_a():
    s = leave_last_out(tiny_log())
    m = ItemKNN.fit(s, k=10, shrink=0.0, progress=False)
    assert m.similar(["A"], 3)[0] == "B"
    assert m.similar(["B"], 1) == ["A"]
    sc = m.score(["A"], ["B", "C", "G", "H"])
    assert sc["B"] > sc["C"] > 0 and sc["G"] < sc["C"]
    assert sc["H"] == float("-inf")  # unknown item: no CF signal
    # hand-computed cosine: A and B share all 24 A-users (plus "short" has A only): 24 / sqrt(25 * 24)
    assert m.sim[m.index["A"], m.index["B"]] == pytest.approx(24 / (25 * 24) ** 0.5, rel=1e-5)
    assert m.drivers(["C", "A"], "B") == ["A", "C"]  # sim(A,B) = 0.98 > sim(C,B) = 6 / sqrt(12 * 24)


def test_ease_weights_match_the_closed_form_by_hand(monkeypatch):
    from recchat.cf.data import LogSplit
    from recchat.cf.ease import EASE

    # users {x, y}, {x, y}, {x}: G = X^T X + 1 I = [[4, 2], [2, 3]], P = G^-1 = [[3, -2], [-2, 4]] / 8
    # B_xy = -P_xy / P_yy = 0.25 / 0.5, B_yx = -P_yx / P_xx = 0.25 / 0.375
    s = LogSplit(item_ids=["x", "y", "z"], train={"u1": ["x", "y"], "u2": ["y", "x"], "u3": ["x"]})
    m = EASE.fit(s, lam=1.0, k=5)
    ix, iy, iz = m.index["x"], m.index["y"], m.index["z"]
    assert m.sim[ix, iy] == pytest.approx(0.5) and m.sim[iy, ix] == pytest.approx(2 / 3)
    assert m.sim[ix, ix] == 0 and m.sim[iz].nnz == 0  # no self-weight; z was never consumed
    assert m.lam == 1.0 and m.similar(["x"], 1) == ["y"]
    monkeypatch.setattr("recchat.cf.ease.MAX_ITEMS", 1)  # x and y were consumed: two items, over the limit
    with pytest.raises(BadInput, match="train itemknn"):
        EASE.fit(s, lam=1.0)


def test_ease_ranks_b_first_after_a_and_is_chosen_on_validation(empty_home):
    from recchat.cf.context import best_model
    from recchat.cf.ease import EASE, LAMBDAS
    from recchat.cf.sequential import SHARES

    m = EASE.fit(leave_last_out(tiny_log()), lam=10.0, k=10)
    assert m.similar(["A"], 3)[0] == "B" and m.similar(["B"], 1) == ["A"]
    reports = train_from_interactions(tiny_log(), "tiny", ["itemknn", "ease"], progress=False, log=lambda s: None)
    assert reports["ease"]["lambda"] in LAMBDAS and set(reports["ease"]["tables"]) == {str(x) for x in LAMBDAS}
    assert reports["ease"]["sequence_share"] in SHARES and reports["itemknn"]["sequence_share"] in SHARES
    assert load_cf("tiny", "ease").similar(["A"], 1) == ["B"]
    v = {k: reports[k]["valid"]["ndcg@10"] for k in ("itemknn", "ease")}
    assert best_model("tiny") == max(v, key=lambda k: (v[k], ["itemknn", "ease"].index(k)))


def test_popularity_and_full_rank():
    s = leave_last_out(tiny_log())
    p = Popularity.fit(s)
    # training counts: A 25 (24 A-users + "short"), B 24, G 13, each filler 12
    assert p.similar([], 3) == ["A", "B", "G"]
    assert p.counts[p.index["G"]] == 13 and p.counts[p.index["C"]] == 12
    assert full_rank([0.1, 0.9, 0.5, 0.5], target=2, exclude=[1]) == 1  # ties count against the target


def test_sasrec_learns_a_then_b(tmp_path):
    s = leave_last_out(tiny_log())
    model, info = fit(s, tmp_path / "ck", epochs=10, cfg=SMALL, progress=False, patience=None)
    assert model.similar(["C", "A"], 1) == ["B"]
    assert model.similar(["D", "A"], 1) == ["B"]
    assert info["epochs_done"] == 10 and info["history"][-1]["loss"] < info["history"][0]["loss"]
    model.save(tmp_path / "m.pt")
    from recchat.cf.sasrec import SASRec

    again = SASRec.load(tmp_path / "m.pt")
    assert again.score(["C", "A"], ["B", "G"]) == pytest.approx(model.score(["C", "A"], ["B", "G"]))


def test_killed_sasrec_run_resumes_to_the_same_weights(tmp_path):
    s = leave_last_out(tiny_log())
    full, _ = fit(s, tmp_path / "full.ck", epochs=4, cfg=SMALL, progress=False, patience=None)

    def kill(epoch, batch):
        if epoch == 3 and batch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(s, tmp_path / "part.ck", epochs=4, cfg=SMALL, progress=False, patience=None, on_batch=kill)
    assert torch.load(tmp_path / "part.ck", weights_only=False)["epoch"] == 2
    resumed, info = fit(s, tmp_path / "part.ck", epochs=4, cfg=SMALL, progress=False, patience=None)
    assert info["resumed_from"] == 2 and info["epochs_done"] == 4
    a, b = full.net.state_dict(), resumed.net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # other settings: the checkpoint does not match and training starts over
    _, info2 = fit(s, tmp_path / "part.ck", epochs=1, cfg=SASRecConfig(**{**SMALL.__dict__, "dim": 8}),
                   progress=False, patience=None)
    assert info2["resumed_from"] == 0


def test_train_from_interactions_saves_and_loads(empty_home):
    reports = train_from_interactions(tiny_log(), "tiny", ["itemknn", "sasrec"], epochs=3,
                                      sasrec_config=SMALL, progress=False, log=lambda s: None)
    assert set(reports) == {"popularity", "itemknn", "sasrec"}
    assert available_cf("tiny") == ["popularity", "itemknn", "sasrec"]
    assert reports["itemknn"]["seconds"] >= 0 and reports["itemknn"]["peak_rss_mb"] > 0
    assert load_cf("tiny", "itemknn").similar(["A"], 1) == ["B"]
    held = pd.read_parquet(cf_dir("tiny") / "split.parquet")
    assert len(held) == 36 and set(held.columns) == {"user", "valid", "test"}
    with pytest.raises(NoCFModel, match="recchat cf train"):
        load_cf("nope", "sasrec")
