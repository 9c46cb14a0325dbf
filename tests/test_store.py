"""LanceDB catalogs: atomic, resumable builds and embedder checks."""

import pytest

import recchat.store as store_mod
from recchat.embedder import get_embedder
from recchat.errors import EmbedderMismatch, UnknownCatalog
from recchat.schema import Item
from recchat.store import get_store


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
    monkeypatch.setattr(store_mod, "EMBED_BATCH", 4)
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
