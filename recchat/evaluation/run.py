"""One evaluation: sample the cases, rank them with every method, score, test, summarise."""

from __future__ import annotations

import sys
import time
from typing import Callable


from recchat.core.errors import BadInput, RecchatError
from recchat.retrieval.rank import normalise
from recchat.retrieval.build import arrow_vectors
from recchat.evaluation import methods as M
from recchat.evaluation.metrics import bootstrap_ci, means, metrics_for, per_user
from recchat.evaluation.protocols import add_candidates, interacted_items, leave_last_out
from recchat.evaluation.significance import compare_methods

PROTOCOLS = ("full", "candidates20")
VALID_NOTE = ("ValidRatio: share of answers whose generated item names are all real "
              "{what}; retrieval methods rank real items only, so they are 1.0 by construction")


def evaluate(
    catalog: str,
    protocol: str = "full",
    n_users: int = 500,
    seed: int = 0,
    methods: str = "random,popularity,bm25,embedding",
    checkpoints: list[str] | None = None,
    max_history: int = 10,
    max_tokens: int | None = None,
    progress: bool = True,
    notify: Callable[[str], None] | None = None,
) -> dict:
    from recchat.catalog.build import load_interactions
    from recchat.retrieval.store import get_store

    notify = notify or (lambda msg: print(msg, file=sys.stderr))
    if protocol not in PROTOCOLS:
        raise BadInput(f"unknown protocol {protocol!r}; use one of: {', '.join(PROTOCOLS)}")
    names = M.parse_methods(methods, checkpoints)
    store = get_store()
    info = store.info(catalog)  # UnknownCatalog lists the built ones
    log = load_interactions(catalog)
    tbl = store.table(catalog).to_arrow().select(["id", "title", "vector"])
    ids = tbl.column("id").to_pylist()
    vecs = normalise(arrow_vectors(tbl))

    split = leave_last_out(log, set(ids), n_users, seed, max_history)
    cases = split.cases
    if protocol == "candidates20":
        add_candidates(cases, ids, interacted_items(log), seed)
    ctx = M.Context(catalog=catalog, protocol=protocol, store=store, ids=ids, vectors=vecs,
                    titles=tbl.column("title").to_pylist(), popularity=M.popularity_counts(log, cases),
                    seed=seed, max_tokens=max_tokens, log=log, test_users={c.user for c in cases},
                    max_history=max_history, progress=progress)

    skipped: dict[str, str] = {}
    built: list[M.Method] = []
    for name in names:
        try:
            built.append(M.make(name, ctx))
        except RecchatError as e:  # e.g. hyde:sft before the adapter is trained: say so, run the rest
            skipped[name] = str(e)
            notify(f"skipping {name}: {e}")
    if not built:
        raise BadInput("no method could run: " + "; ".join(f"{n}: {r}" for n, r in skipped.items()))

    rankings: dict[str, dict[str, list[str]]] = {}
    seconds: dict[str, float] = {}
    run_methods: list[M.Method] = []
    for m in built:
        t0 = time.perf_counter()
        try:
            rankings[m.name] = {c.user: m.rank(c) for c in _progress(cases, m.name, progress)}
        except RecchatError as e:  # generations so far are cached: a rerun resumes where this stopped
            skipped[m.name] = str(e)
            notify(f"{m.name} stopped: {e}")
            continue
        seconds[m.name] = round(time.perf_counter() - t0, 2)
        run_methods.append(m)
    if not run_methods:
        raise BadInput("every method failed: " + "; ".join(f"{n}: {r}" for n, r in skipped.items()))

    metrics = metrics_for(protocol)
    cold_users = {c.user for c in cases if c.cold}
    warm_users = {c.user for c in cases if not c.cold}
    out = {
        "catalog": catalog, "protocol": protocol, "n_users": len(cases), "seed": seed,
        "requested_users": n_users, "eligible_users": split.eligible_users, "max_history": max_history,
        "n_cold": len(cold_users), "cold_definition": "users with <= 5 earlier items", "n_warm": len(warm_users),
        "catalog_items": info.items, "embedder": info.embedder, "metrics": metrics,
        "methods": [m.name for m in run_methods]
    }
    for suffix, users in (("", {c.user for c in cases}), ("_cold", cold_users), ("_warm", warm_users)):
        targets = {c.user: c.target for c in cases if c.user in users}
        if not targets:  # no cold users in this sample: nothing to report, not zeros
            out["results" + suffix], out["ci95" + suffix], out["significance" + suffix] = {}, {}, {}
            continue
        sub = {n: {u: r[u] for u in targets} for n, r in rankings.items()}
        scores = {n: per_user(targets, sub[n], metrics) for n in sub}
        res = {n: means(s) for n, s in scores.items()}
        for m in run_methods if not suffix else []:  # counted over all answers, not per slice
            res[m.name]["ValidRatio"] = m.valid_ratio()
        out["results" + suffix] = res
        out["ci95" + suffix] = {n: {k: list(bootstrap_ci(v, seed)) for k, v in s.items()} for n, s in scores.items()}
        out["significance" + suffix] = compare_methods(targets, sub, metrics, res, seed=seed)
    what = "candidates" if protocol == "candidates20" else "catalog titles"
    out["valid_ratio"] = {
        "note": VALID_NOTE.format(what=what),
        "by_construction": [m.name for m in run_methods if not m.generates_names],
        "answers_with_picks": {m.name: m.answers_with_picks for m in run_methods if m.generates_names},
    }
    out["method_info"] = {m.name: m.info for m in run_methods if m.info}  # e.g. hybrid+cf's chosen weight
    out["skipped"] = skipped
    out["dropped"] = dict(split.dropped)
    out["seconds"] = seconds
    out["users"] = [c.user for c in cases]  # the sample, so a figure can be re-derived
    return out


def _progress(cases, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(cases, desc=desc, unit="user", disable=not enabled, file=sys.stderr, dynamic_ncols=True)
