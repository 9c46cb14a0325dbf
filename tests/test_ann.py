"""ANN index on real e5 vectors (the bundled movies seed): recall against exact search."""

from __future__ import annotations

import numpy as np
import pytest

from catalogs.manifest import BUNDLED

SEED = BUNDLED / "movies" / "vectors.e5.npz"
pytestmark = pytest.mark.skipif(not SEED.exists(), reason="movies seed vectors not shipped yet")


def _real(n: int) -> np.ndarray:
    from recchat.catalog.build import read_seed

    v = read_seed(SEED)[1][:n]
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_params_scale_with_size():
    from recchat.retrieval.ann import ann_params

    small, big = ann_params(2000)["num_partitions"], ann_params(1_000_000)["num_partitions"]
    assert 1 <= small < big <= 4096


@pytest.mark.parametrize("kind", ["ivf_pq", "ivf_hnsw_sq"])
def test_ann_recall_on_real_vectors(tmp_path, kind):
    import lancedb
    import pyarrow as pa

    from recchat.retrieval.ann import AnnConfig, create_ann_index, tune_query

    v = _real(3000)
    db = lancedb.connect(str(tmp_path))
    t = db.create_table("t", data=pa.table({"rid": np.arange(len(v)),
                                            "vector": pa.FixedSizeListArray.from_arrays(pa.array(v.reshape(-1)), 384)}))
    rng = np.random.default_rng(0)
    # queries near real items but not equal to any: what a HyDE vector looks like
    q = v[rng.choice(len(v), 30, replace=False)] + rng.normal(0, 0.02, (30, 384)).astype(np.float32)

    def top(x, exact, cfg=None):
        b = t.search(x).metric("cosine").limit(10).select(["rid"])
        b = b.bypass_vector_index() if exact else tune_query(b, cfg)
        return b.to_arrow().column("rid").to_pylist()

    truth = [top(x, True) for x in q]
    cfg = AnnConfig(kind=kind)
    create_ann_index(t, len(v), cfg)
    assert t.list_indices()
    rec = np.mean([len(set(top(x, False, cfg)) & set(tr)) / 10 for x, tr in zip(q, truth)])
    assert rec >= 0.9


def test_store_builds_ann_above_threshold_and_searches(empty_home):
    from recchat.core.schema import Item
    from recchat.retrieval.store import get_store

    v = _real(1500)

    class Fixed:  # the real seed vectors, handed out by text: no embedding in this test
        name, dim = "e5", 384
        table = {f"item {i}": v[i] for i in range(len(v))}

        def embed_passages(self, texts):
            return np.stack([self.table[t] for t in texts])

        embed_queries = embed_passages

    items = [Item(id=str(i), title=f"item {i}", text=f"item {i}") for i in range(len(v))]
    store = get_store()
    store.build("big", items, Fixed(), ann=True)
    assert store.table("big").list_indices()
    hits = store.vector_search("big", v[42], 10)
    assert hits[0]["id"] == "42"
