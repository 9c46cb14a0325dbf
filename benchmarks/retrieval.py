"""Retrieval benchmark: an N-row LanceDB table of real e5 vectors; ANN vs exact search.

    python benchmarks/retrieval.py --items 100000 --json
    python benchmarks/retrieval.py --items 100000 --sweep      # the parameter search behind recchat/ann.py

Vectors: real multilingual-e5-small passage vectors of real catalog texts, taken from the bundled
seeds (catalogs/data/*/vectors.e5.npz) and from embedding caches of built catalogs (--from-db).
When N is larger than the real vectors at hand, the extra rows are mixes of two real vectors
(a*u + (1-a)*v, a in [0.55, 0.95], plus a little noise, renormalised): new points that stay on the
real data's manifold, like a text that combines two titles, rather than exact duplicates or
structureless random vectors. Queries are real e5 *query* vectors of real titles (the role the app
queries in). Reports build and index time, the embedder's throughput on real titles, query p50/p95 and
recall@10 against exact search, and exact search's own p50 in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("LANCE_LOG", "error")  # lance warns once per query about `_distance` projection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"


# ----------------------------------------------------------------------------- real vectors

def real_vectors(from_dbs: list[str], dim: int = 384) -> np.ndarray:
    """Every distinct real e5 passage vector we have: bundled seeds + embedding caches."""
    keys: dict[str, np.ndarray] = {}
    from recchat.catalog.build import read_seed

    for p in sorted((ROOT / "catalogs" / "data").glob("*/vectors.e5.npz")):
        for k, v in zip(*read_seed(p)):
            keys.setdefault(k, v)
    for uri in from_dbs:
        import lancedb

        db = lancedb.connect(uri)
        try:
            t = db.open_table("_embcache__e5").to_arrow()
        except Exception:
            continue
        vs = t.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, dim)
        for k, v in zip(t.column("key").to_pylist(), vs):
            keys.setdefault(k, v)
    if not keys:
        raise SystemExit("no real vectors: build a catalog first or ship a seed")
    x = np.stack(list(keys.values())).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def grow(real: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """n rows: the real vectors first, then mixes of two real vectors (see the module doc)."""
    rng = np.random.default_rng(seed)
    m = len(real)
    if n <= m:
        return real[rng.permutation(m)[:n]], n
    out = np.empty((n, real.shape[1]), np.float32)
    out[:m] = real
    step = 200_000
    for s in range(m, n, step):
        e = min(n, s + step)
        i, j = rng.integers(0, m, e - s), rng.integers(0, m, e - s)
        a = rng.uniform(0.55, 0.95, (e - s, 1)).astype(np.float32)
        v = a * real[i] + (1 - a) * real[j] + rng.normal(0, 0.01, (e - s, real.shape[1])).astype(np.float32)
        out[s:e] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out, m


def real_titles(limit: int = 2000) -> list[str]:
    import pandas as pd

    titles: list[str] = []
    for p, col in [(ROOT / "catalogs/data/movies/movies.csv", "title"),
                   (ROOT / "catalogs/data/books/books.csv", "title"),
                   (ROOT / "catalogs/data/news-ko/ynat_dacon_train_data.csv", "title")]:
        if p.exists():
            titles += pd.read_csv(p, usecols=[col])[col].dropna().astype(str).tolist()
    random.Random(0).shuffle(titles)
    return titles[:limit]


# ----------------------------------------------------------------------------- measurements

def embed_throughput(titles: list[str], batch: int) -> dict:
    from recchat.retrieval.embedder import get_embedder

    emb = get_embedder("e5")
    emb.embed_passages(titles[:8])  # warm-up
    t0 = time.perf_counter()
    for s in range(0, len(titles), batch):
        emb.embed_passages(titles[s : s + batch])
    dt = time.perf_counter() - t0
    return {"items": len(titles), "batch": batch, "items_per_s": round(len(titles) / dt, 1),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "default"),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def timed_search(tbl, queries: np.ndarray, k: int, exact: bool, cfg=None) -> tuple[list[list[int]], list[float]]:
    from recchat.retrieval.ann import tune_query

    ids, ms = [], []
    for q in queries:
        t0 = time.perf_counter()
        b = tbl.search(q).metric("cosine").limit(k).select(["rid", "_distance"])
        b = b.bypass_vector_index() if exact else tune_query(b, cfg, n=tbl.count_rows())
        rows = b.to_arrow().column("rid").to_pylist()
        ms.append((time.perf_counter() - t0) * 1000)
        ids.append(rows)
    return ids, ms


def recall(got: list[list[int]], truth: list[list[int]], k: int) -> float:
    return float(np.mean([len(set(g[:k]) & set(t[:k])) / k for g, t in zip(got, truth)]))


def pct(xs: list[float], p: float) -> float:
    return round(float(np.percentile(xs, p)), 2)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--from-db", action="append", default=[], help="LanceDB dir whose embedding cache to use")
    ap.add_argument("--embed-sample", type=int, default=256, help="real titles to time the embedder on (0: skip)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--sweep", action="store_true", help="try several index/query settings")
    ap.add_argument("--rows-per-partition", type=int, default=4096, help="IVF partition size for --sweep")
    ap.add_argument("--sweep-pq", action="store_true", help="add IVF-PQ settings to the sweep")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--db", default=None, help="where to write the table (default: a temp dir); s3://... works")
    a = ap.parse_args(argv)

    import lancedb
    import pyarrow as pa

    from recchat.retrieval.ann import DEFAULT, AnnConfig, ann_params, create_ann_index

    res: dict = {"items": a.items, "k": a.k, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    real = real_vectors(a.from_db)
    titles = real_titles(max(a.embed_sample, a.queries))
    # queries: real e5 query vectors of real titles (the role the app queries with)
    from recchat.retrieval.embedder import get_embedder

    qv = get_embedder("e5").embed_queries(titles[: a.queries])
    if a.embed_sample:
        res["embedding"] = embed_throughput(titles[: a.embed_sample], a.batch)
    vecs, n_real = grow(real, a.items)
    res["rows"] = {"real": min(n_real, a.items), "mixed": max(0, a.items - n_real), "dim": int(vecs.shape[1])}
    tmp = tempfile.mkdtemp(prefix="recchat_bench_")
    db = lancedb.connect(a.db or tmp)
    t0 = time.perf_counter()
    data = pa.table({"rid": pa.array(np.arange(len(vecs)), pa.int64()),
                     "vector": pa.FixedSizeListArray.from_arrays(pa.array(vecs.reshape(-1)), vecs.shape[1])})
    tbl = db.create_table("bench", data=data, mode="overwrite")
    res["write_s"] = round(time.perf_counter() - t0, 2)
    truth, exact_ms = timed_search(tbl, qv, a.k, exact=True)
    res["exact"] = {"p50_ms": pct(exact_ms, 50), "p95_ms": pct(exact_ms, 95)}

    configs = [DEFAULT]
    if a.sweep:
        # one HNSW-SQ index, several probe fractions; IVF-PQ only with --sweep-pq (slow to build here)
        rpp = a.rows_per_partition
        if rpp < a.items:
            configs = [AnnConfig(rows_per_partition=rpp, probe_fraction=f, ef=e)
                       for f, e in ((0.25, 100), (0.5, 200), (0.75, 200))]
        else:  # one partition: a single HNSW graph over every row, ef sets recall
            configs = [AnnConfig(rows_per_partition=rpp, probe_fraction=1.0, ef=e) for e in (256, 512, 1024)]
        if a.sweep_pq:
            configs += [AnnConfig(kind="ivf_pq", probe_fraction=f, refine_factor=r) for f, r in ((0.5, 20), (0.75, 50))]
    runs, built = [], {}
    for cfg in configs:
        key = (cfg.kind, cfg.num_sub_vectors, cfg.m, cfg.rows_per_partition)
        if key not in built:
            t0 = time.perf_counter()
            create_ann_index(tbl, len(vecs), cfg)
            built[key] = round(time.perf_counter() - t0, 2)
        got, ms = timed_search(tbl, qv, a.k, exact=False, cfg=cfg)
        runs.append({"kind": cfg.kind, "num_partitions": ann_params(len(vecs), cfg)["num_partitions"],
                     "num_sub_vectors": cfg.num_sub_vectors if cfg.kind == "ivf_pq" else None,
                     "nprobes": ann_params(len(vecs), cfg)["nprobes"], "refine_factor": cfg.refine_factor if cfg.kind == "ivf_pq" else None,
                     "ef": cfg.ef if cfg.kind != "ivf_pq" else None, "index_build_s": built[key],
                     "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), f"recall@{a.k}": round(recall(got, truth, a.k), 4)})
    res["ann"] = runs
    if not a.db:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    res["build_s"] = round(res["write_s"] + runs[0]["index_build_s"], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = "_sweep" + (f"_rpp{a.rows_per_partition}" if a.rows_per_partition != 4096 else "") if a.sweep else ""
    out = RESULTS / f"retrieval_{a.items}{tag}.json"
    out.write_text(json.dumps(res, indent=1))
    if a.json:
        print(json.dumps(res, indent=1))
    _table(res, out)
    return res


def _table(res: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    c = Console(stderr=True)
    e = res.get("embedding", {})
    c.print(f"{res['items']:,} rows ({res['rows']['real']:,} real e5 vectors, {res['rows']['mixed']:,} mixed), "
            f"dim {res['rows']['dim']}; write {res['write_s']} s; exact p50 {res['exact']['p50_ms']} ms, "
            f"p95 {res['exact']['p95_ms']} ms; embedder {e.get('items_per_s', '-')} items/s "
            f"(batch {e.get('batch', '-')}, load {e.get('load_avg_1m', '-')})", highlight=False)
    t = Table(title=f"ANN vs exact  ->  {out.relative_to(ROOT)}")
    for col in ("kind", "parts", "sub-vec", "nprobes", "refine/ef", "index s", "p50 ms", "p95 ms", "recall@10"):
        t.add_column(col)
    for r in res["ann"]:
        t.add_row(r["kind"], str(r["num_partitions"]), str(r["num_sub_vectors"] or "-"), str(r["nprobes"]),
                  str(r["refine_factor"] or r["ef"]), str(r["index_build_s"]), str(r["p50_ms"]),
                  str(r["p95_ms"]), str(r[f"recall@{res['k']}"]))
    c.print(t)


if __name__ == "__main__":
    main()
