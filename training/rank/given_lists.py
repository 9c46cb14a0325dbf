"""Does fitting the history ranker on given lists too help? Each training catalog left out in turn:
model A fitted on the other catalogs' full-catalog cases only, model B on those and their given-list
cases (training/configs/rank_history.yaml: given_share), each scored on the left-out catalog's cases
of both kinds, NDCG@10, the mean of three fits.

Usage (after a training run with given_share > 0 saved its features to RECCHAT_HOME/rank):
    python -m training.rank.given_lists --config training/configs/rank_history.yaml
"""

from __future__ import annotations

import pickle

import numpy as np

from recchat.core.settings import get_settings
from recchat.ranking import features as F
from training.rank.train import RankConfig, fit_on, select_columns, split_groups
from training.train.runs import run_main


def kind(group) -> str:
    return "given" if group[0][0, F.HISTORY.index("given")] == 1.0 else "full"


def main(cfg: RankConfig) -> dict:
    groups, _ = pickle.loads((get_settings().home / "rank" / "features.pkl").read_bytes())
    hist = [g for g in groups["history"] if g[2] in cfg.catalogs]
    names_b = tuple(f for f in F.HISTORY if f not in cfg.drop_features)
    names_a = tuple(f for f in names_b if f != "given")
    cats = sorted({g[2] for g in hist})
    scores: dict[tuple, list[float]] = {}
    for seed in range(cfg.seed, cfg.seed + max(1, cfg.validation_seeds)):
        for c in cats:
            held = [g for g in hist if g[2] == c]
            rest = [g for g in hist if g[2] != c]
            for label, train, names in (("full only", [g for g in rest if kind(g) == "full"], names_a),
                                        ("full + given", rest, names_b)):
                rng = np.random.default_rng(seed)
                tr, stop = split_groups(select_columns(train, F.HISTORY, names), cfg.valid_share, rng)
                each = fit_on(cfg, tr, select_columns(held, F.HISTORY, names), names, rng, stop=stop)["valid_ndcg10_each"]
                for k in ("full", "given"):
                    scores.setdefault((label, k, c), []).append(float(np.mean([e for e, g in zip(each, held) if kind(g) == k])))
    out = {}
    for label in ("full only", "full + given"):
        for k in ("full", "given"):
            per = {c: round(float(np.mean(scores[(label, k, c)])), 4) for c in cats}
            out[f"{label} | {k} cases"] = {"macro": round(float(np.mean(list(per.values()))), 4), **per}
            print(f"fitted on {label:13s} scored on {k:5s} cases: NDCG@10 {out[f'{label} | {k} cases']['macro']:.4f} {per}")
    return out


if __name__ == "__main__":
    run_main(main, RankConfig)
