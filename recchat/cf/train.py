"""Train CF models for a catalog and save them under RECCHAT_HOME/cf/<catalog>/.

Files: meta.json (data summary + one report per model), split.parquet (user, valid, test: the
held-out items evaluation must use), popularity.npz, itemknn.npz, ease.npz, sasrec.pt (+ sasrec.ckpt, the
per-epoch checkpoint a killed run resumes from).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from recchat.core.errors import BadInput, RecchatError, UnknownCatalog
from recchat.cf.base import MODELS, cf_dir
from recchat.cf.registry import load_file, model_file, read_meta, write_meta
from recchat.cf.data import LogSplit, leave_last_out
from recchat.cf.metrics import sample_users, validate
from recchat.cf.sequential import SHARES, blend, transitions

Log = Callable[[str], None]


class MemoryMeter:
    """Peak resident memory while a block runs (polls /proc; falls back to the process peak)."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak, self.start = interval, 0, 0
        self._stop = threading.Event()

    @staticmethod
    def rss() -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> "MemoryMeter":
        self.start = self.peak = self.rss()
        self._t = threading.Thread(target=self._poll, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.rss())

    def report(self) -> dict[str, float]:
        return {"peak_rss_mb": round(self.peak / 2**20, 1), "added_rss_mb": round((self.peak - self.start) / 2**20, 1)}


def interactions_for(catalog: str) -> pd.DataFrame:
    """The built catalog's log, or else the manifest's loader (no vector table needed)."""
    from recchat.catalog.build import load_interactions, load_items, manifests

    try:
        return load_interactions(catalog)
    except UnknownCatalog:
        if catalog not in manifests():
            raise
    try:
        _, res = load_items(catalog)
    except FileNotFoundError as e:
        raise BadInput(str(e)) from None
    if res.interactions is None or res.interactions.empty:
        raise BadInput(f"catalog {catalog!r} has no interaction log; CF models need one (set RECCHAT_DATA_DIR)")
    return res.interactions


def train(catalog: str, models: list[str] | None = None, **kw) -> dict[str, dict]:
    return train_from_interactions(interactions_for(catalog), catalog, models, **kw)


def train_from_interactions(
    df: pd.DataFrame,
    catalog: str,
    models: list[str] | None = None,
    epochs: int = 30,
    seed: int = 0,
    patience: int | None = 5,
    knn_k: int = 100,
    shrink: float = 10.0,
    sasrec_config=None,
    progress: bool = True,
    log: Log = print,
    on_batch=None,
) -> dict[str, dict]:
    """Train the named models ("itemknn", "ease", "sasrec"; popularity always comes along) and save them."""
    models = list(models or ["itemknn", "sasrec"])
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise BadInput(f"unknown CF model(s) {', '.join(bad)}; choose from itemknn, ease, sasrec, all")
    split = leave_last_out(df)
    d = cf_dir(catalog)
    d.mkdir(parents=True, exist_ok=True)
    _write_split(d / "split.parquet", split)
    meta = read_meta(catalog)
    if meta.get("fingerprint") != split.fingerprint():
        meta = {}  # another log: the old reports describe other data
    meta.update({
        "catalog": catalog, "fingerprint": split.fingerprint(), "users": len(split.train),
        "eval_users": len(split.test), "items": len(split.item_ids), "interactions": split.interactions,
    })
    meta.setdefault("models", {})
    log(f"{catalog}: {split.interactions:,} interactions, {len(split.train):,} users "
        f"({len(split.test):,} with held-out valid/test items), {len(split.item_ids):,} items")
    vusers = sample_users(list(split.valid), 1000, seed)
    reports: dict[str, dict] = {}
    for name in ["popularity"] + [m for m in models if m != "popularity"]:
        with MemoryMeter() as mem:
            t0 = time.perf_counter()
            rep = _train_one(name, split, d, vusers, epochs, seed, patience, knn_k, shrink, sasrec_config, progress,
                             on_batch)
            rep["seconds"] = round(time.perf_counter() - t0, 2)
        rep.update(mem.report())
        rep["valid"] = rep.get("valid") or validate(_loaded(name, d), split, vusers)
        reports[name] = rep
        meta["models"][name] = rep
        write_meta(catalog, meta)
        v = rep["valid"]
        log(f"{name}: {rep['seconds']:.1f} s, peak RSS {rep['peak_rss_mb']:.0f} MB (+{rep['added_rss_mb']:.0f}), "
            f"valid hit@10 {v['hit@10']:.4f} ndcg@10 {v['ndcg@10']:.4f} on {v['users']} users")
    return reports


def _train_one(name, split, d: Path, vusers: list[str], epochs, seed, patience, knn_k, shrink, sasrec_config, progress,
               on_batch) -> dict:
    if name == "popularity":
        from recchat.cf.itemknn import Popularity

        Popularity.fit(split).save(d / "popularity.npz")
        return {}
    if name == "itemknn":
        from recchat.cf.itemknn import ItemKNN

        m = ItemKNN.fit(split, k=knn_k, shrink=shrink, progress=progress)
        tables = tune_sequence(m, split, vusers)
        m.save(d / "itemknn.npz")
        table = tables[str(m.sequence_share)]
        return {"k": knn_k, "shrink": shrink, "decay": m.decay, "decay_table": table,
                "sequence_share": m.sequence_share, "sequence_tables": tables, "valid": table.get(str(m.decay))}
    if name == "ease":
        from recchat.cf.ease import LAMBDAS, EASE

        tables = {}
        best = None
        for m in EASE.fit_many(split, LAMBDAS, k=knn_k):  # lambda and decay on validation users
            tables[str(m.lam)] = tune_decay(m, split, vusers)
            v = tables[str(m.lam)][str(m.decay)]
            if best is None or v["ndcg@10"] > best[1]["ndcg@10"]:
                best = (m, v)
        m = best[0]
        seq_tables = tune_sequence(m, split, vusers)  # then what comes next, on the best lambda
        m.save(d / "ease.npz")
        v = seq_tables[str(m.sequence_share)][str(m.decay)]
        return {"k": knn_k, "lambda": m.lam, "decay": m.decay, "tables": tables,
                "sequence_share": m.sequence_share, "sequence_tables": seq_tables, "valid": v}
    try:
        import torch  # noqa: F401  (only SASRec needs it; say so rather than fail deep inside)
    except ImportError as e:
        raise RecchatError(f"SASRec needs PyTorch ({e}); install it with `pip install torch`") from None
    from recchat.cf import sasrec

    model, info = sasrec.fit(split, d / "sasrec.ckpt", epochs=epochs, cfg=sasrec_config, seed=seed,
                             patience=patience, progress=progress, on_batch=on_batch)
    model.save(d / "sasrec.pt")
    best = info["best"] or {}
    return {"epochs_done": info["epochs_done"], "resumed_from": info["resumed_from"],
            "best_epoch": best.get("epoch"), "config": info["config"], "history": info["history"],
            "valid": {k: best[k] for k in ("hit@10", "ndcg@10", "users")} if best else None}


DECAYS = (1.0, 0.9, 0.8, 0.7, 0.5, 0.3, 0.1)


def tune_decay(m, split: LogSplit, users: list[str]) -> dict[str, dict]:
    """Set m.decay to the recency decay with the best VALIDATION NDCG@10; returns the whole table."""
    table = {}
    for dc in DECAYS:
        m.decay = dc
        table[str(dc)] = validate(m, split, users)
    if users:
        m.decay = max(DECAYS, key=lambda dc: (table[str(dc)]["ndcg@10"], dc))
    else:
        m.decay = 1.0
    return table


def tune_sequence(m, split: LogSplit, users: list[str]) -> dict[str, dict]:
    """Give `m` (an item-kNN-format model) the share of sequential rules (recchat/cf/sequential.py) and the
    recency decay with the best VALIDATION NDCG@10 (`m.sequence_share`); returns {share: decay table}.
    Ties keep the smaller share."""
    seq = transitions(split)
    base = m.sim
    tables: dict[str, dict] = {}
    best = None
    for a in (SHARES if seq.nnz else (0.0,)):  # no sequence of two: every share is the plain model
        m.sim = blend(base, seq, a, m.k)
        tables[str(a)] = tune_decay(m, split, users)
        v = tables[str(a)][str(m.decay)]["ndcg@10"]
        if best is None or v > best[0]:
            best = (v, a, m.decay, m.sim)
    _, m.sequence_share, m.decay, m.sim = best
    return tables


def _loaded(name: str, d: Path):
    return load_file(name, model_file(d, name))


def _write_split(p: Path, split: LogSplit) -> None:
    tmp = p.with_name(p.stem + ".tmp.parquet")
    split.heldout_frame().to_parquet(tmp, index=False)
    tmp.replace(p)


def item_neighbours(catalog: str, has_log: bool):
    """The catalog's item-kNN ("people who liked X liked Y", and what they took next), trained once on first
    use when the catalog has a log (10-30 s on the bundled catalogs, kept on disk); None without a log. "More like X"
    requests rank with it (recchat/ranking/like.py), whatever the chat's CF toggle says."""
    from filelock import FileLock

    from recchat.cf.registry import available_cf, load_cf

    if "itemknn" in available_cf(catalog):
        return load_cf(catalog, "itemknn")
    if not has_log:
        return None
    d = cf_dir(catalog)
    d.mkdir(parents=True, exist_ok=True)
    with FileLock(str(d / ".train.lock")):
        if "itemknn" not in available_cf(catalog):  # another request may have trained it meanwhile
            train(catalog, ["itemknn"], progress=False, log=lambda _m: None)
    return load_cf(catalog, "itemknn")
