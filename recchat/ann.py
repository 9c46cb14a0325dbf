"""ANN index for large catalogs (below store.ANN_THRESHOLD exact search is used).

IVF-PQ over cosine, with a refine step that re-ranks the PQ candidates by their exact vectors.
Parameters were picked with `benchmarks/retrieval.py --sweep` on real multilingual-e5-small
embeddings of real catalog titles (random vectors mislead: they have no cluster structure); the
chosen row and the alternatives are in benchmarks/results/. The numbers below are the defaults the
store uses; `tune_query` applies the query-time half.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AnnConfig:
    kind: str = "ivf_pq"  # or "ivf_hnsw_sq"
    rows_per_partition: int = 4096  # partitions = n / this (LanceDB's own default is 8192)
    num_sub_vectors: int = 48  # 384-d e5 -> 8 dims per sub-vector, 48 bytes per row
    nprobes: int = 20
    refine_factor: int = 10  # re-rank k * refine_factor PQ candidates with exact distances
    m: int = 20  # HNSW only
    ef_construction: int = 150  # HNSW only
    ef: int = 64  # HNSW only


DEFAULT = AnnConfig()


def ann_params(n: int, cfg: AnnConfig = DEFAULT) -> dict:
    parts = max(1, min(4096, round(n / cfg.rows_per_partition)))
    parts = max(parts, int(math.sqrt(n) / 4)) if n > 0 else 1
    return {"num_partitions": parts, "num_sub_vectors": cfg.num_sub_vectors, "m": cfg.m,
            "ef_construction": cfg.ef_construction}


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


def tune_query(q, cfg: AnnConfig = DEFAULT):
    """Query-time ANN settings; a table without a vector index ignores them (exact search)."""
    q = q.nprobes(cfg.nprobes)
    if cfg.kind == "ivf_hnsw_sq":
        return q.ef(cfg.ef)
    return q.refine_factor(cfg.refine_factor)
