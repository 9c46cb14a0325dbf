"""Train the learned ranker (search and history) on the training domains; ship it with recchat.

Usage:
    python -m training.rank.train --config training/configs/rank.yaml
    python -m training.rank.train --config training/configs/rank.yaml --search_per_catalog 100 --tasks search

The catalogs must be built (`recchat catalog build NAME` with RECCHAT_DATA_DIR set). Features come
from recchat.ranking (the exact code the app ranks with), so training and serving cannot drift.
Held-out domains (games, steam, office) are refused. Writes recchat/ranking/models/{task}.lgb.txt
and a card {task}.json (data, features, validation NDCG@10 of the model vs its inputs alone).
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm import tqdm

from recchat import prompts
from recchat.chat.pipeline import AskRequest, run
from recchat.core.settings import get_settings
from recchat.catalog import prior as prior_mod
from recchat.core.errors import BadInput
from recchat.ranking import features as F
from recchat.ranking import model as ranker_model
from recchat.ranking.history import HistoryInput
from recchat.ranking.history import featurize as history_features
from recchat.ranking.history import pool_for as history_pool
from recchat.ranking.query import in_catalog_language
from recchat.ranking.search import ModelText, SearchInput
from recchat.retrieval.rank import rationale_usable
from recchat.ranking.search import featurize as search_features
from recchat.ranking.search import matches
from recchat.ranking.search import pool_for as search_pool
from recchat.retrieval.embedder import get_embedder
from recchat.retrieval.store import get_store
from training.rank.cases import catalog_data, history_cases, search_cases
from training.train.runs import run_main

HELD_OUT = {"games", "steam", "office"}


@dataclass
class RankConfig:
    catalogs: list[str] = field(default_factory=lambda: ["movies", "books", "anime", "poi", "news", "industrial"],
                                metadata={"help": "training-domain catalogs (built)"})
    tasks: list[str] = field(default_factory=lambda: ["search", "history"], metadata={"help": "search, history"})
    search_per_catalog: int = field(default=300, metadata={"help": "search requests per catalog"})
    history_per_catalog: int = field(default=300, metadata={"help": "users per catalog"})
    ko_share: float = field(default=0.5, metadata={"help": "share of Korean search requests"})
    cf_share: float = field(default=0.5, metadata={"help": "share of history cases with CF features (item-kNN)"})
    llm_share: float = field(default=0.0, metadata={"help": "share of cases with the model's text (through the pipeline, cached)"})
    llm_checkpoint: str = field(default="base", metadata={"help": "checkpoint that writes that text"})
    depth: int = field(default=300, metadata={"help": "candidates per signal (RECCHAT_RANK_DEPTH at run time)"})
    seed: int = 0
    valid_share: float = 0.2
    num_leaves: int = 15
    learning_rate: float = 0.05
    n_estimators: int = 300
    min_data_in_leaf: int = 20
    given_share: float = field(default=0.0, metadata={"help": "share of history cases also fitted as a given list: the "
                                                       "target and given_negatives items drawn uniformly from the "
                                                       "catalog (what --candidates and candidates20 rank)"})
    given_negatives: int = 19
    prior_dropout: float = field(default=0.25, metadata={"help": "share of cases fitted with the prior missing (catalogs without one)"})
    bm25_dropout: float = field(default=0.5, metadata={"help": "share of cases fitted without full-text features: generated "
                                                        "requests are built from item words, so BM25 alone would look far "
                                                        "better than it is on what people type"})
    reuse_features: bool = field(default=False, metadata={"help": "reuse the features saved by earlier runs (RECCHAT_HOME/rank) "
                                                           "for the catalogs they computed; compute only the others"})
    out_dir: str = field(default="", metadata={"help": "where to write models (default: recchat/ranking/models)"})
    drop_features: list[str] = field(default_factory=list, metadata={"help": "computed features the shipped model leaves out"})
    validation: str = field(default="random", metadata={"help": "what the ablations compare: random (the shipped fit's "
                                                          "random split) or catalog (each training catalog left out in turn: "
                                                          "a domain the model never saw, as games is)"})
    validation_seeds: int = field(default=1, metadata={"help": "catalog validation: fits per left-out catalog "
                                                          "(seeds seed, seed+1, ...), their scores averaged"})
    ablate: list[str] = field(default_factory=list, metadata={"help": "features each refitted without, on the same split: "
                                                               "validation NDCG@10 with and without, paired bootstrap"})


def _log(msg: str) -> None:
    print(f"[rank] {msg}", file=sys.stderr, flush=True)


def model_text(cfg: RankConfig, name: str, *, query: str = "", history_ids: list[str] | None = None,
               anchor=None) -> ModelText | None:
    """What the served model says for this case, through the real pipeline (cached on disk, so a rerun
    generates nothing twice), made into the ranking's ModelText exactly as the pipeline does."""
    raw = ""
    req = AskRequest(query=query, history_ids=history_ids, catalog=name, checkpoint=cfg.llm_checkpoint,
                     task="search" if query else "recommend", cache=True, seed=cfg.seed, top_k=1, explain=False,
                     ranker="rrf")  # only the model's text is used: the ranker being retrained may not fit the features
    for ev in run(req):
        if ev[0] == "token":
            raw += ev[1]
    u = prompts.split_understanding(raw)
    text, names = u.text, u.names
    if not text:
        return None
    vec = get_embedder().embed_queries([text])[0]
    ok, _ = rationale_usable(text, vec, anchor, get_settings().min_rationale_similarity)
    return ModelText(text=text, vec=vec, names=names) if ok else None


def search_groups(cfg: RankConfig, name: str, items, log, prior) -> list[tuple[np.ndarray, np.ndarray, str]]:
    store, emb = get_store(), get_embedder()
    lang = store.info(name).language
    cases = search_cases(name, items, log, cfg.search_per_catalog, cfg.ko_share if lang == "en" else 0.0, cfg.seed)
    rng = np.random.default_rng(cfg.seed + 1)
    qv = emb.embed_queries([c.query for c in cases])
    texts = [in_catalog_language(c.query, c.language, lang) for c in cases]
    need = [i for i, (c, t) in enumerate(zip(cases, texts)) if t != c.query and t.strip()]
    tv = dict(zip(need, emb.embed_queries([texts[i] for i in need]))) if need else {}
    out = []
    for i, c in enumerate(tqdm(cases, desc=f"{name} search cases", file=sys.stderr, mininterval=10)):
        inp = SearchInput(query=c.query, query_vec=qv[i], catalog_text=texts[i] or c.query, catalog_vec=tv.get(i))
        if rng.random() < cfg.llm_share:
            inp.llm = model_text(cfg, name, query=c.query, anchor=qv[i])
        pool, grounded = search_pool(store, name, inp, cfg.depth, set())
        if c.target not in pool.rows:
            continue  # no signal proposed it: nothing to learn about ordering
        ids, x = search_features(pool, inp, grounded, prior, set(), F.SEARCH, store.word_stats(name))
        out.append((x, np.array([1.0 if j == c.target else 0.0 for j in ids]), name))
    return out


def target_match_share(groups) -> float:
    """How often the target passes the match gate (recchat.ranking.search.matches): MATCH_GAP's check."""
    ok = [bool(matches(x)[y > 0].all()) for x, y, _ in groups]
    return float(np.mean(ok)) if ok else 0.0


def history_groups(cfg: RankConfig, name: str, log, prior) -> list[tuple[np.ndarray, np.ndarray, str]]:
    from recchat.cf.data import leave_last_out
    from recchat.cf.itemknn import ItemKNN

    store = get_store()
    cases = history_cases(name, log, cfg.history_per_catalog, cfg.seed)
    cf = ItemKNN.fit(leave_last_out(log), progress=False) if cfg.cf_share > 0 else None
    rng = np.random.default_rng(cfg.seed)
    given_rng = np.random.default_rng(cfg.seed + 11)  # its own draws: the full-catalog cases stay as they were
    # drawn from the whole catalog, as candidates20 draws them (the prior lists every catalog id): many are
    # items no one consumed, as most of a catalog like Steam's are
    all_ids = np.array(sorted(prior or map(str, log["item"].unique()))) if cfg.given_share > 0 else None
    out = []
    for c in tqdm(cases, desc=f"{name} history cases", file=sys.stderr, mininterval=10):
        rows = store.get(name, c.history)
        if not rows:
            continue
        inp = HistoryInput(history_vecs=np.asarray([r["vector"] for r in rows], np.float32),
                           history_ids=[r["id"] for r in rows],
                           titles_text=" ".join(r["title"] for r in rows[-5:]),
                           titles=[r["title"] for r in rows],
                           cf=cf if rng.random() < cfg.cf_share else None)
        if rng.random() < cfg.llm_share:
            inp.llm = model_text(cfg, name, history_ids=inp.history_ids,
                                 anchor=F.unit(inp.history_vecs).mean(axis=0))
        pool, grounded, cf_scores = history_pool(store, name, inp, cfg.depth, set())
        for h in inp.history_ids:  # consumed items are never shown, so never ranked
            pool.rows.pop(h, None)
        if c.target not in pool.rows:
            continue
        ids, x = history_features(pool, inp, grounded, cf_scores, prior, set(), F.HISTORY)
        out.append((x, np.array([1.0 if j == c.target else 0.0 for j in ids]), name))
        if all_ids is not None and given_rng.random() < cfg.given_share:
            out.append(given_group(cfg, store, name, inp, c, all_ids, given_rng, prior))
    return out


def given_group(cfg: RankConfig, store, name: str, inp: HistoryInput, c, all_ids: np.ndarray, rng, prior):
    """The case as a given list: its target among `given_negatives` items drawn uniformly from `all_ids`
    (the catalog), never from the history (no model text: its prompt would list these items)."""
    seen = set(inp.history_ids) | {c.target}
    negs: list[str] = []
    need = min(cfg.given_negatives, len(set(all_ids) - seen))  # a catalog smaller than that gives what it has
    while len(negs) < need:
        for j in rng.choice(len(all_ids), size=cfg.given_negatives * 2):
            if all_ids[j] not in seen and len(negs) < need:
                seen.add(all_ids[j])
                negs.append(str(all_ids[j]))
    g = HistoryInput(history_vecs=inp.history_vecs, history_ids=inp.history_ids, titles_text=inp.titles_text,
                     titles=inp.titles, cf=inp.cf, candidates=[c.target] + negs)
    pool, grounded, cf_scores = history_pool(store, name, g, cfg.depth, set())
    ids, x = history_features(pool, g, grounded, cf_scores, prior, set(), F.HISTORY)
    return x, np.array([1.0 if j == c.target else 0.0 for j in ids]), name


def _ndcg10_each(groups, scores_of) -> np.ndarray:
    """NDCG@10 of each case (one target per case)."""
    vals = []
    for x, y, _ in groups:
        s = scores_of(x)
        order = np.argsort(-s, kind="stable")[:10]
        hit = np.where(y[order] > 0)[0]
        vals.append(1.0 / np.log2(hit[0] + 2) if len(hit) else 0.0)
    return np.array(vals, np.float64)


def _ndcg10(groups, scores_of) -> float:
    vals = _ndcg10_each(groups, scores_of)
    return float(vals.mean()) if len(vals) else 0.0


def _drop(x: np.ndarray, cols: list[int]) -> np.ndarray:
    x = x.copy()
    x[:, cols] = np.nan
    return x


def split_groups(groups, share: float, rng) -> tuple[list, list]:
    """(rest, a random `share` of the groups)."""
    idx = rng.permutation(len(groups))
    n = max(1, int(len(groups) * share))
    return [groups[i] for i in idx[n:]], [groups[i] for i in idx[:n]]


def fit(cfg: RankConfig, task: str, groups, names: tuple[str, ...]) -> dict:
    """The shipped fit: early-stopped on a random `valid_share` of the cases, which it reports on."""
    rng = np.random.default_rng(cfg.seed)
    train, valid = split_groups(groups, cfg.valid_share, rng)
    return fit_on(cfg, train, valid, names, rng)


def fit_on(cfg: RankConfig, train, valid, names: tuple[str, ...], rng, stop=None) -> dict:
    """Fit on `train`, early-stopped on `stop` (default: `valid`), scored on `valid`."""
    import lightgbm as lgb

    def ds(gs, ref=None):
        return lgb.Dataset(np.vstack([g[0] for g in gs]), np.concatenate([g[1] for g in gs]),
                           group=[len(g[1]) for g in gs], feature_name=list(names), reference=ref,
                           free_raw_data=False)

    # more similarity, more full-text match, a better-known item: never a worse score. Trees fitted on
    # six catalogs would otherwise learn bumps that invert on a catalog unlike them (a tiny upload)
    mono = [1] * len(names)
    pq = [names.index(f) for f in ("pop", "quality") if f in names]
    lex = [names.index(f) for f in F.SIGNALS["bm25"] if f in names]
    train = [(_drop(x, pq) if rng.random() < cfg.prior_dropout else x, y, c) for x, y, c in train]
    train = [(_drop(x, lex) if rng.random() < cfg.bm25_dropout else x, y, c) for x, y, c in train]
    dtrain = ds(train)
    dvalid = ds(stop if stop is not None else valid, dtrain)
    params = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [10], "num_leaves": cfg.num_leaves,
              "learning_rate": cfg.learning_rate, "min_data_in_leaf": cfg.min_data_in_leaf, "verbose": -1,
              "seed": cfg.seed, "deterministic": True, "num_threads": 2, "lambdarank_truncation_level": 20,
              "monotone_constraints": mono, "monotone_constraints_method": "advanced"}
    booster = lgb.train(params, dtrain, num_boost_round=cfg.n_estimators, valid_sets=[dvalid],
                        callbacks=[lgb.early_stopping(30, verbose=False)])
    base = {f: _ndcg10(valid, lambda x, j=names.index(f): np.nan_to_num(x[:, j], nan=-1e9))
            for f in names if f.startswith(("cos_q", "cos_mean", "rank_q", "rank_mean", "bm25", "pop"))}
    each = _ndcg10_each(valid, lambda x: booster.predict(x))
    return {"booster": booster, "valid_ndcg10": float(each.mean()), "valid_ndcg10_each": each,
            "single_feature_valid_ndcg10": base, "train_groups": len(train), "valid_groups": len(valid),
            "best_iteration": booster.best_iteration,
            "importance_gain": dict(zip(names, booster.feature_importance("gain").round(2).tolist()))}


def select_columns(groups, all_names: tuple[str, ...], names: tuple[str, ...]):
    idx = [all_names.index(f) for f in names]
    return [(x[:, idx], y, c) for x, y, c in groups]


def by_catalog(cfg: RankConfig, groups, names: tuple[str, ...]) -> dict:
    """Leave one catalog out, for each training catalog in turn: fit on the others (early-stopped on a
    random `valid_share` of them), score the left-out one. What a zero-shot ranker is for: a domain it
    never saw. Per-case NDCG@10 in the groups' order, and its mean per catalog and over catalogs."""
    names_of = sorted({g[2] for g in groups})
    each = np.zeros(len(groups), np.float64)
    per = {}
    seeds = range(cfg.seed, cfg.seed + max(1, cfg.validation_seeds))
    for c in names_of:
        out_idx = [i for i, g in enumerate(groups) if g[2] == c]
        held = [groups[i] for i in out_idx]
        for seed in seeds:  # the fit's dropouts and early-stopping split move a score by ~0.01: average them
            rng = np.random.default_rng(seed)
            rest, stop = split_groups([g for g in groups if g[2] != c], cfg.valid_share, rng)
            r = fit_on(cfg, rest, held, names, rng, stop=stop)
            each[out_idx] += r["valid_ndcg10_each"] / len(seeds)
        per[c] = round(float(each[out_idx].mean()), 4)
    return {"each": each, "per_catalog": per, "macro": round(float(np.mean(list(per.values()))), 4) if per else 0.0}


def ablation(cfg: RankConfig, task: str, groups, all_names: tuple[str, ...], names: tuple[str, ...],
             feature: str, fitted: np.ndarray | None = None) -> dict:
    """The model with and without `feature`, fitted on the same split (fit's): validation NDCG@10 of
    each, the paired difference and its bootstrap 95% interval (1,000 resamples of the validation
    cases). `fitted`: the per-case validation NDCG@10 of the model on `names`, when already fitted."""
    with_f = tuple(names) if feature in names else tuple(f for f in all_names if f in names or f == feature)
    without = tuple(f for f in with_f if f != feature)
    scores = {}
    for key, ns in (("with", with_f), ("without", without)):
        reuse = fitted is not None and ns == tuple(names)
        if reuse:
            scores[key] = fitted
        elif cfg.validation == "catalog":
            scores[key] = by_catalog(cfg, select_columns(groups, all_names, ns), ns)["each"]
        else:
            scores[key] = fit(cfg, task, select_columns(groups, all_names, ns), ns)["valid_ndcg10_each"]
    diff = scores["with"] - scores["without"]
    boot = np.random.default_rng(cfg.seed + 7).choice(diff, size=(1000, len(diff))).mean(axis=1)
    out = {"with": round(float(scores["with"].mean()), 4), "without": round(float(scores["without"].mean()), 4),
           "diff": round(float(diff.mean()), 4), "ci95": [round(float(np.quantile(boot, q)), 4) for q in (0.025, 0.975)],
           "valid_groups": len(diff)}
    if cfg.validation == "catalog":  # the difference on each left-out catalog
        cats = [g[2] for g in groups]
        out["diff_per_catalog"] = {c: round(float(diff[[k for k, x in enumerate(cats) if x == c]].mean()), 4)
                                   for c in sorted(set(cats))}
    return out


def main(cfg: RankConfig) -> dict:
    bad = sorted(set(cfg.catalogs) & HELD_OUT)
    if bad:
        raise BadInput(f"held-out domain(s) {', '.join(bad)} may not train the ranker")
    store = get_store()
    out_dir = ranker_model.MODELS_DIR if not cfg.out_dir else __import__("pathlib").Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list] = {t: [] for t in cfg.tasks}
    per_catalog: dict[str, dict[str, int]] = {}
    t0 = time.time()
    cache = get_settings().home / "rank" / "features.pkl"
    if cfg.reuse_features:
        if not cache.exists():
            raise BadInput(f"no saved features at {cache}: run once without --reuse_features")
        groups, per_catalog = pickle.loads(cache.read_bytes())
        for t in cfg.tasks:
            groups.setdefault(t, [])
    for name in cfg.catalogs:
        if cfg.reuse_features and all(t in per_catalog.get(name, {}) for t in cfg.tasks):
            continue  # saved by an earlier run: only catalogs new to the config are computed
        if not store.exists(name):
            _log(f"{name}: not built, skipped (recchat catalog build {name})")
            continue
        items, log = catalog_data(name)
        prior = prior_mod.load(name)
        counts = {}
        if "search" in cfg.tasks:
            g = search_groups(cfg, name, items, log, prior)
            groups["search"] = [x for x in groups["search"] if x[2] != name] + g
            counts["search"] = len(g)
        if "history" in cfg.tasks and log is not None:
            g = history_groups(cfg, name, log, prior)
            groups["history"] = [x for x in groups["history"] if x[2] != name] + g
            counts["history"] = len(g)
        per_catalog[name] = {**per_catalog.get(name, {}), **counts}
        _log(f"{name}: {counts} ({time.time() - t0:.0f} s)")
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")  # after each catalog: a killed run keeps what it computed
        tmp.write_bytes(pickle.dumps((groups, per_catalog)))
        tmp.replace(cache)
    report = {}
    groups = {t: [g for g in gs if g[2] in cfg.catalogs] for t, gs in groups.items()}  # saved, not configured: out
    per_catalog = {c: v for c, v in per_catalog.items() if c in cfg.catalogs}
    for task in cfg.tasks:
        all_names = F.SEARCH if task == "search" else F.HISTORY
        names = tuple(f for f in all_names if f not in cfg.drop_features)
        if len(groups[task]) < 20:
            raise BadInput(f"only {len(groups[task])} {task} cases with the target among the candidates; build more catalogs")
        r = fit(cfg, task, select_columns(groups[task], all_names, names), names)
        fitted = r.pop("valid_ndcg10_each")
        if cfg.validation == "catalog":  # ablations compare left-out-catalog scores, not the random split's
            lo = by_catalog(cfg, select_columns(groups[task], all_names, names), names)
            fitted = lo.pop("each")
            r["left_out_catalog_ndcg10"] = lo
            _log(f"{task}: left-out catalog NDCG@10 {lo['macro']:.4f} (mean over catalogs) {lo['per_catalog']}")
        r["ablations"] = {f: ablation(cfg, task, groups[task], all_names, names, f, fitted)
                          for f in cfg.ablate if f in all_names}
        for f, a in r["ablations"].items():
            _log(f"{task}: without {f} {a['without']:.4f}, with {a['with']:.4f} (diff {a['diff']:+.4f}, 95% CI {a['ci95']})")
        booster = r.pop("booster")
        path = out_dir / f"{task}.lgb.txt"
        tmp = path.with_suffix(".tmp")
        booster.save_model(str(tmp), num_iteration=booster.best_iteration or None)
        tmp.replace(path)
        if task == "search":
            r["target_match_share"] = round(target_match_share(groups[task]), 4)
            r["match_gap"] = F.MATCH_GAP
        card = {"task": task, "features": list(names), "catalogs": {c: v.get(task, 0) for c, v in per_catalog.items()},
                "config": asdict(cfg), **r, "trained_s": round(time.time() - t0, 1)}
        (out_dir / f"{task}.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _log(f"{task}: valid NDCG@10 {r['valid_ndcg10']:.3f} (single features: "
             + ", ".join(f"{k} {v:.3f}" for k, v in r["single_feature_valid_ndcg10"].items()) + ")")
        report[task] = card
    ranker_model.reset()
    return report


if __name__ == "__main__":
    run_main(main, RankConfig)
