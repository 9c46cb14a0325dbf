"""LanceDB catalogs: atomic, resumable builds and embedder checks."""

import pytest

import recchat.retrieval.build as build_mod
import recchat.retrieval.search as search_mod
from recchat.retrieval.embedder import get_embedder
from recchat.core.errors import EmbedderMismatch, UnknownCatalog
from recchat.core.schema import Item
from recchat.retrieval.store import get_store


def _items(n, tag=""):
    return [Item(id=str(i), title=f"Item {i}{tag}", text=f"item number {i} {tag} about topic {i % 7}") for i in range(n)]


class Flaky:
    """The real embedder, dying after `ok_batches` batches (a crash halfway through a build)."""

    def __init__(self, ok_batches):
        self.inner = get_embedder()
        self.name, self.dim = self.inner.name, self.inner.dim
        self.ok = ok_batches
        self.calls = 0
        self.embedded = 0

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts):
        self.calls += 1
        if self.ok is not None and self.calls > self.ok:
            raise RuntimeError("killed")
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)


def test_failed_rebuild_keeps_old_version_and_resume_skips_done_work(empty_home, monkeypatch):
    monkeypatch.setattr(build_mod, "EMBED_BATCH", 4)
    st = get_store()
    st.build("c", _items(6), Flaky(None))
    assert st.info("c").items == 6

    dying = Flaky(ok_batches=2)
    with pytest.raises(RuntimeError):
        st.build("c", _items(20, "v2"), dying)
    assert st.info("c").items == 6  # the old version still serves
    hits = st.vector_search("c", get_embedder().embed_queries(["item number 3"])[0], 3)
    assert len(hits) == 3

    again = Flaky(None)
    info = st.build("c", _items(20, "v2"), again)
    assert info.items == 20
    assert again.embedded == 20 - 8  # the 8 texts embedded before the crash came from the cache
    assert len([t for t in st._table_names() if t.startswith("items__c__v")]) == 1  # no stale versions


def test_unknown_catalog_lists_available(empty_home):
    st = get_store()
    st.build("one", _items(3), get_embedder())
    with pytest.raises(UnknownCatalog, match="available: one"):
        st.info("nope")


def test_query_with_other_embedder_is_refused(empty_home):
    st = get_store()
    st.build("one", _items(3), get_embedder())

    class Other:
        name, dim = "minilm", 384

    with pytest.raises(EmbedderMismatch, match="built with embedder 'e5'"):
        st.check_embedder("one", Other())


def test_remove(empty_home):
    st = get_store()
    st.build("gone", _items(3), get_embedder())
    st.remove("gone")
    assert not st.exists("gone")


def test_a_rebuild_in_another_process_is_served_without_restart(empty_home, monkeypatch):
    """The app (one store) keeps serving while `recchat catalog build` (another store on the same
    database, as in another process) replaces the catalog and drops the old version."""
    from recchat.retrieval.store import CatalogStore

    monkeypatch.setattr(search_mod, "REVALIDATE_S", 0.0)
    app = get_store()
    app.build("c", _items(3), get_embedder())
    q = get_embedder().embed_queries(["item number 1"])[0]
    assert {h["id"] for h in app.vector_search("c", q, 10)} == {"0", "1", "2"}
    assert "item 1" in app.title_index("c")

    builder = CatalogStore(app.uri)
    builder.build("c", _items(5, "new"), get_embedder())  # drops the version the app had open
    assert len({h["id"] for h in app.vector_search("c", q, 10)}) == 5
    assert "item 1new" in app.title_index("c") and "item 1" not in app.title_index("c")
    assert app.count("c") == 5

    builder.remove("c")
    with pytest.raises(UnknownCatalog):
        app.vector_search("c", q, 10)


def test_a_request_inside_the_revalidation_window_reopens_a_dropped_version(empty_home):
    """Default window: the first request after another process dropped the open version still works."""
    from recchat.retrieval.store import CatalogStore

    app = get_store()
    app.build("c", _items(3), get_embedder())
    q = get_embedder().embed_queries(["item number 1"])[0]
    assert len(app.vector_search("c", q, 10)) == 3
    CatalogStore(app.uri).build("c", _items(4, "new"), get_embedder())
    assert len(app.vector_search("c", q, 10)) == 4  # at once, not after REVALIDATE_S
    assert [r["id"] for r in app.get("c", ["3"])] == ["3"]
    assert app.text_search("c", "item number", 10)


def test_rebuilding_or_removing_a_catalog_leaves_similar_names_alone(empty_home):
    """`x` owns `items__x__v{digits}` only: not `x-v2`'s tables, nor those of a catalog `x__v2` made
    before '__' was forbidden (its tables start with `items__x__v`, which the old cleanup matched)."""
    import json

    import pyarrow as pa

    from recchat.retrieval.registry import CatalogInfo

    st = get_store()
    st.build("x-v2", _items(3, "dash"), get_embedder())
    # a legacy catalog named `x__v2` (today's rule refuses the name): its table and registry row
    legacy = st.db.create_table("items__x__v2__v1700000000000",
                                data=st.db.open_table(st.info("x-v2").table).to_arrow())
    info = CatalogInfo(**{**st.info("x-v2").__dict__, "name": "x__v2", "table": legacy.name})
    st._registry().add([{"name": "x__v2", "info": json.dumps(info.__dict__)}])
    assert st.info("x__v2").items == 3

    st.build("x", _items(4), get_embedder())
    st.build("x", _items(5), get_embedder())  # a rebuild runs the cleanup
    assert st.info("x").items == 5
    assert st.info("x-v2").items == 3 and st.info("x__v2").items == 3
    assert st.db.open_table(st.info("x__v2").table).count_rows() == 3
    st.remove("x")
    assert {i.name for i in st.list()} == {"x-v2", "x__v2"}


def test_names_with_double_underscores_are_refused(empty_home):
    from recchat.core.errors import BadInput
    from recchat.catalog.upload import validate_name

    with pytest.raises(ValueError, match="without '__'"):
        get_store().build("x__v2", _items(3), get_embedder())
    with pytest.raises(BadInput, match="may not contain '__'"):
        validate_name("x__v2")
    assert validate_name("x_v2") == "x_v2"


def test_the_embedding_cache_is_read_by_key_not_whole(empty_home):
    """A build looks up only its own texts' keys, in batches (`key IN (...)`), so a 10-row upload
    beside a large cache reads 10 rows; before, every build loaded the whole cache table."""
    import numpy as np

    from recchat.retrieval.build import cached_vectors, text_key

    st, emb = get_store(), get_embedder()
    cache = st._cache_table(emb)
    others = [{"key": text_key(f"other {i}"), "vector": np.full(emb.dim, 0.5, np.float32).tolist()} for i in range(3000)]
    cache.add(others)
    mine = [f"item {i}" for i in range(7)]
    vecs = st.embed_with_cache(emb, mine)  # embeds and caches these 7
    keys = [text_key(t) for t in mine]
    cache = st._cache_table(emb)  # a fresh handle: an open LanceDB table does not see later appends
    got = cached_vectors(cache, keys + [text_key("never embedded")], batch=3)  # 3 batches of IN (...)
    assert set(got) == set(keys)
    assert all(np.allclose(got[k], v) for k, v in zip(keys, vecs))
    again = Flaky(None)
    st.embed_with_cache(again, mine)
    assert again.embedded == 0  # all 7 found by key
