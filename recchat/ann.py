"""ANN index for large catalogs (below store.ANN_THRESHOLD exact search is used)."""

from __future__ import annotations

import math


def ann_params(n: int) -> dict:
    # IVF-HNSW-SQ: HNSW inside each partition, 8-bit scalar quantisation; partitions ~ sqrt(n)
    return {"num_partitions": max(1, int(math.sqrt(n))), "m": 20, "ef_construction": 150}


def create_ann_index(tbl, n: int) -> None:
    from lancedb.index import IvfHnswSq

    p = ann_params(n)
    tbl.create_index(
        "vector",
        config=IvfHnswSq(distance_type="cosine", num_partitions=p["num_partitions"], m=p["m"],
                         ef_construction=p["ef_construction"]),
    )
