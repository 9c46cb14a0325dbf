"""ANN index for large catalogs (below build.ANN_THRESHOLD exact search is used).

IVF-HNSW-SQ over cosine with few, large partitions: an HNSW graph per 250k rows, 8-bit
scalar-quantised vectors, every partition searched, ef=512. Chosen with
`benchmarks/retrieval.py --sweep` on real multilingual-e5-small vectors of real catalog texts,
queried with real e5 *query* vectors (random vectors mislead: they have no cluster structure).
What the measurements showed (benchmarks/results/retrieval_*_sweep*.json, 2-core shared machine):
- e5 query vectors sit between passage clusters, so a query's neighbours spread over many IVF
  partitions: with 4k-row partitions recall@10 follows the share probed (100k rows: 25% -> 0.76,
  50% -> 0.87, 75% -> 0.96) and latency grows with it;
- IVF-PQ (48 sub-vectors, refine x10) reached 0.84 at 20k: PQ error is large next to e5's narrow
  cosine range; 96 sub-vectors needed ~10x the build time of HNSW-SQ;
- one HNSW graph per 250k rows, searching all: 100k rows, ef 256/512/1024 -> recall@10
  0.96/0.975/0.977, p50 5.8 ms at ef 512 (exact search p50 ~0.9 s on the same loaded machine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AnnConfig:
    kind: str = "ivf_hnsw_sq"  # or "ivf_pq"
    rows_per_partition: int = 250_000  # one graph up to ~375k rows; partitions keep 1M builds parallel
    probe_fraction: float = 1.0  # share of partitions searched per query
    num_sub_vectors: int = 96  # IVF-PQ only: 384-d e5 -> 4 dims per sub-vector
    refine_factor: int = 20  # IVF-PQ only: re-rank k * refine_factor candidates exactly
    m: int = 20  # HNSW only
    ef_construction: int = 150  # HNSW only
    ef: int = 512  # HNSW only: candidate list per partition at query time


DEFAULT = AnnConfig()


def ann_params(n: int, cfg: AnnConfig = DEFAULT) -> dict:
    parts = max(1, min(4096, round(n / cfg.rows_per_partition)))
    return {"num_partitions": parts, "nprobes": max(1, math.ceil(parts * cfg.probe_fraction)),
            "num_sub_vectors": cfg.num_sub_vectors, "m": cfg.m, "ef_construction": cfg.ef_construction}


def create_ann_index(tbl, n: int, cfg: AnnConfig = DEFAULT) -> None:
    from lancedb.index import IvfHnswSq, IvfPq

    p = ann_params(n, cfg)
    if cfg.kind == "ivf_hnsw_sq":
        config = IvfHnswSq(distance_type="cosine", num_partitions=p["num_partitions"], m=p["m"],
                           ef_construction=p["ef_construction"])
    else:
        config = IvfPq(distance_type="cosine", num_partitions=p["num_partitions"],
                       num_sub_vectors=p["num_sub_vectors"])
    tbl.create_index("vector", config=config)


def tune_query(q, cfg: AnnConfig = DEFAULT, n: int | None = None):
    """Query-time ANN settings for a table of n rows; a table without a vector index ignores them."""
    if n is not None:
        q = q.nprobes(ann_params(n, cfg)["nprobes"])
    if cfg.kind == "ivf_hnsw_sq":
        return q.ef(cfg.ef)
    return q.refine_factor(cfg.refine_factor)
