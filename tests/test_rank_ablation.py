"""The ranker trainer's ablation (training/rank/train.py): on hand-made cases where one feature decides
the target and another is noise, refitting without the deciding feature loses validation NDCG@10 with
an interval above zero, and the noise feature's interval covers zero."""

import numpy as np

from training.rank.train import RankConfig, ablation


def _groups(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        m = 20
        signal, noise = rng.normal(size=m), rng.normal(size=m)
        y = np.zeros(m)
        y[int(np.argmax(signal + 0.3 * rng.normal(size=m)))] = 1.0  # the target: mostly the top of `signal`
        out.append((np.stack([signal, noise], axis=1).astype(np.float32), y, "toy"))
    return out


def test_ablation_tells_the_deciding_feature_from_noise():
    cfg = RankConfig(catalogs=["movies"], n_estimators=60, min_data_in_leaf=5, prior_dropout=0.0, bm25_dropout=0.0)
    groups, names = _groups(300), ("cos_last", "words_h")
    deciding = ablation(cfg, "history", groups, names, names, "cos_last")
    assert deciding["with"] > 0.6 and deciding["ci95"][0] > 0.2  # NDCG@10 near 1 with it, near chance without
    assert deciding["valid_groups"] == 60
    noise = ablation(cfg, "history", groups, names, names, "words_h")
    assert noise["ci95"][0] <= 0.0 <= noise["ci95"][1] or abs(noise["diff"]) < 0.05
