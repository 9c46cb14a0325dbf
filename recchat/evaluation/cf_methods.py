"""Collaborative-filtering methods in `recchat eval` (registered on import by recchat.evaluation).

- `itemknn`, `sasrec`: a CF model from `recchat cf train` alone. It trained on the same leave-last-out
  split (both sort each user's log stably by order), so no test target was seen in training.
- `hybrid+cf:CKPT`: HyDE's ranking (the same answer as `hyde:CKPT`) fused with the best CF model's by
  weighted reciprocal rank; the weight is chosen on VALIDATION users (outside the test sample, target
  = their second-to-last item), never on the users under test.
- `hyde+cfprompt:CKPT` lives beside `hyde` in methods.py (CF neighbours in the prompt).
"""

from __future__ import annotations

import numpy as np

from recchat.evaluation.methods import (
    REGISTRY,
    Context,
    Method,
    order_candidates,
    top_ranked,
    fused_with_hyde,
    hyde_answer,
    make_hyde,
)
from recchat.evaluation.protocols import Case, add_candidates, interacted_items, validation_cases

VALIDATION_USERS = 100  # HyDE answers per weight choice; cached, so a rerun costs nothing


def make_cf_method(model_name: str):
    def factory(ctx: Context, arg: str | None) -> Method:
        from recchat.cf import load_cf

        model = load_cf(ctx.catalog, model_name)  # NoCFModel (a RecchatError) says how to train it

        def rank(case: Case) -> list[str]:
            if case.candidates is not None:
                return order_candidates(model.score(case.history, case.candidates), case)
            sc = model.score(case.history, None)
            return top_ranked(np.array([sc.get(i, -np.inf) for i in ctx.ids], np.float64), ctx, case)

        return Method(model_name, rank)

    return factory


def cf_scores(model, case: Case) -> dict[str, float]:
    """The CF model's scores for a case: the candidates, or every item but the user's earlier ones."""
    sc = model.score(case.history, case.candidates)
    if case.candidates is None:
        for i in case.earlier:
            sc.pop(i, None)
    return sc


def choose_fusion_weight(ctx: Context, ckpt: str, model, n_users: int = VALIDATION_USERS) -> dict:
    """Weight with the best validation Hit@1 (then NDCG@10) over the grid 0, 0.1, ..., 1."""
    from recchat.cf import ValCase, best_weight, weight_table

    if ctx.log is None:
        raise ValueError("choosing a fusion weight needs the interaction log in the context")
    split = validation_cases(ctx.log, set(ctx.ids), ctx.test_users, n_users, ctx.seed, ctx.max_history)
    cases = split.cases
    if ctx.protocol == "candidates20":
        add_candidates(cases, ctx.ids, interacted_items(ctx.log), ctx.seed + 1)
    from tqdm import tqdm

    val = []
    for c in tqdm(cases, desc=f"hybrid+cf:{ckpt} validation", unit="user", disable=not ctx.progress):
        ranking, _ = hyde_answer(ctx, c, ckpt)
        val.append(ValCase(ranking, cf_scores(model, c), c.target))
    table = weight_table(val)
    return {"weight": best_weight(table), "validation_users": len(val), "table": {str(k): v for k, v in table.items()}}


def make_hybrid_cf(ctx: Context, arg: str | None) -> Method:
    from recchat.cf import fuse, load_cf, require_best_model

    hyde = make_hyde(ctx, arg)
    ckpt = hyde.name.split(":", 1)[1]
    cf_name = require_best_model(ctx.catalog)
    model = load_cf(ctx.catalog, cf_name)
    chosen = choose_fusion_weight(ctx, ckpt, model)
    m = fused_with_hyde(f"hybrid+cf:{ckpt}", hyde, ctx,
                        lambda ranking, case: fuse(ranking, cf_scores(model, case), chosen["weight"]))
    m.info = {"cf_model": cf_name, **chosen}
    return m


REGISTRY["itemknn"] = make_cf_method("itemknn")
REGISTRY["ease"] = make_cf_method("ease")
REGISTRY["sasrec"] = make_cf_method("sasrec")
REGISTRY["hybrid+cf"] = make_hybrid_cf


def tune_fusion(catalog: str, ckpt: str = "base", protocol: str = "candidates20", n_users: int = VALIDATION_USERS,
                seed: int = 0, progress: bool = True) -> dict:
    """Choose the app's fusion weight (`recchat cf tune`) on validation items and save it in the CF meta.

    Every user may take part here (no test sample is being scored); the targets are validation items,
    which neither the CF models nor any test ever see."""
    from collections import Counter

    from recchat.catalog.build import load_interactions
    from recchat.cf import load_cf, require_best_model
    from recchat.cf.registry import read_meta, write_meta
    from recchat.llm.checkpoints import get_checkpoint
    from recchat.retrieval.store import get_store

    get_checkpoint(ckpt)
    cf_name = require_best_model(catalog)
    store = get_store()
    ids = store.table(catalog).to_arrow().column("id").to_pylist()
    ctx = Context(catalog=catalog, protocol=protocol, store=store, ids=ids, vectors=np.empty((0, 0), np.float32),
                  titles=[], popularity=Counter(), seed=seed, log=load_interactions(catalog), progress=progress)
    chosen = {"cf_model": cf_name, "checkpoint": ckpt, "protocol": protocol,
              **choose_fusion_weight(ctx, ckpt, load_cf(catalog, cf_name), n_users)}
    meta = read_meta(catalog)
    meta["fusion_weight"] = chosen["weight"]
    meta["fusion"] = chosen
    write_meta(catalog, meta)
    return chosen
