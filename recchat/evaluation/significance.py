"""Paired significance tests between methods on per-user scores, Holm-corrected.

ranx.compare runs the paired test (Fisher's randomization test by default) for every pair of
methods and metric; with k methods that is k(k-1)/2 tests per metric, so the p-values of one metric
are corrected together with Holm's step-down method (controls the family-wise error at alpha).
"""

from __future__ import annotations

from itertools import combinations

ALPHA = 0.05
N_PERMUTATIONS = 10_000  # resolves p down to ~1e-4: enough for Holm over dozens of pairs


def holm(pvalues: list[float]) -> list[float]:
    """Holm-adjusted p-values (same order as given), monotone and capped at 1."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adj = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * pvalues[i])
        adj[i] = min(1.0, running)
    return adj


def compare_methods(
    targets: dict[str, str], rankings: dict[str, dict[str, list[str]]], metrics: list[str], means: dict[str, dict],
    seed: int = 0, stat_test: str = "fisher", alpha: float = ALPHA,
) -> dict:
    """{test, correction, alpha, pairs: [{a, b, metric, p, p_holm, significant, better}]}."""
    from ranx import compare

    from recchat.evaluation.metrics import to_qrels, to_run

    names = list(rankings)
    out = {"test": _test_name(stat_test), "correction": "holm (per metric, over all method pairs)",
           "alpha": alpha, "pairs": []}
    if len(names) < 2 or len(targets) < 2:
        return out
    users = sorted(targets)
    runs = [to_run({u: rankings[n][u] for u in users}, n) for n in names]
    rep = compare(to_qrels({u: targets[u] for u in users}), runs, metrics, stat_test=stat_test,
                  n_permutations=N_PERMUTATIONS, max_p=alpha, random_seed=seed)
    for metric in metrics:
        pairs = list(combinations(names, 2))
        raw = [float(rep.comparisons[a, b][metric]["p_value"]) for a, b in pairs]
        for (a, b), p, ph in zip(pairs, raw, holm(raw)):
            ma, mb = means[a][metric], means[b][metric]
            out["pairs"].append({
                "a": a, "b": b, "metric": metric, "p": round(p, 6), "p_holm": round(ph, 6),
                "significant": bool(ph < alpha and ma != mb),
                "better": a if ma > mb else b if mb > ma else None,
            })
    return out


def beaten(sig: dict, method: str, metric: str) -> list[str]:
    """Methods that `method` beats significantly on `metric`."""
    return [p["b"] if p["a"] == method else p["a"] for p in sig.get("pairs", [])
            if p["metric"] == metric and p["significant"] and p["better"] == method]


def _test_name(stat_test: str) -> str:
    return {"fisher": f"Fisher randomization, paired, {N_PERMUTATIONS} permutations",
            "student": "paired Student t-test"}.get(stat_test, stat_test)
