"""Catalog loaders on the real data dir: counts, coverage, interaction logs, repairs, bundles."""

from __future__ import annotations

import os

import pytest

from recchat.core.settings import get_settings

DATA = get_settings().data_dir
needs_data = pytest.mark.skipif(DATA is None or not os.path.isdir(DATA),
                                reason="public data sets absent: set RECCHAT_DATA_DIR to run the loader tests")

ALL = ["movies", "movies-100k", "books", "book-crossing", "games", "steam", "anime", "news", "news-ko",
       "ent-news-ko", "poi", "office", "industrial"]
WITH_LOGS = {"movies", "movies-100k", "books", "book-crossing", "games", "steam", "anime", "news", "poi",
             "office", "industrial"}


def test_every_catalog_has_a_manifest():
    from recchat.catalog.build import manifests

    assert set(ALL) <= set(manifests())


@needs_data
@pytest.mark.parametrize("name", ALL)
def test_loader_keeps_95_percent_and_logs_point_at_items(name):
    from recchat.catalog.build import load_items

    m, res = load_items(name, DATA)
    merged = sum(v for k, v in res.dropped.items() if k.startswith("merged"))
    assert res.read > 0
    assert (res.kept + merged) / res.read >= 0.95, res.stats()
    # no item is lost silently: everything read is kept or counted with a reason
    assert res.kept + sum(res.dropped.values()) >= res.read, res.stats()
    ids = [it.id for it in res.items]
    assert len(ids) == len(set(ids))
    assert all(it.title and it.text.startswith(it.title[:20]) for it in res.items[:200])
    assert {it.language for it in res.items} == {m.language}
    if name in WITH_LOGS:
        inter = res.interactions
        assert inter is not None and len(inter) > 1000
        assert list(inter.columns)[:4] == ["user", "item", "order", "rating"]
        assert inter["item"].isin(set(ids)).all()
        assert str(inter["order"].dtype) == "int64"


@needs_data
def test_book_crossing_repairs_shifted_rows():
    from catalogs.loaders.books import read_book_crossing_items
    from recchat.catalog.build import manifests

    rows, counts = read_book_crossing_items(manifests()["book-crossing"].path("items", DATA))
    assert counts["repaired"] > 900  # SOURCES.md: '&amp' + tab shifts columns in some rows
    assert counts["bad field count"] == 0
    by_id = {r["Book_ID"]: r for r in rows}
    norton = by_id["2"]  # 'W. W. Norton &amp<TAB> Company' in the raw file
    assert norton["Publisher"] == "W. W. Norton & Company"
    assert norton["Image-URL-S"].startswith("http://images.amazon.com/")
    assert all(r["Image-URL-L"].startswith("http") or r["Image-URL-L"] == "" for r in rows)


def test_book_crossing_repair_on_a_hand_made_row(tmp_path):
    from catalogs.loaders.books import read_book_crossing_items

    head = "\t".join(["Book_ID", "ISBN", "Book-Title", "Book-Author", "Year-Of-Publication", "Publisher",
                      "Image-URL-S", "Image-URL-M", "Image-URL-L"])
    ok = "1\t111\tA\tAnn\t1999\tPenguin\ts\tm\tl\t"
    bad = "2\t222\tB\tBob\t2001\tSimon &amp\t Schuster\thttp://s\thttp://m\thttp://l\t"
    medea = "4\t444\tMedea \t Fedra\tSeneca\t1989\tBUR\thttp://s\thttp://m\thttp://l\t"
    hopeless = "3\t333\tC"
    p = tmp_path / "items_info.tsv"
    p.write_text("\n".join([head, ok, bad, hopeless, medea]) + "\n", encoding="utf-8")
    rows, counts = read_book_crossing_items(p)
    assert counts["read"] == 4 and counts["repaired"] == 2 and counts["bad field count"] == 1
    assert [r["Publisher"] for r in rows] == ["Penguin", "Simon & Schuster", "BUR"]
    assert rows[2]["Book-Title"] == "Medea ; Fedra" and rows[2]["Book-Author"] == "Seneca"
    assert rows[1]["Image-URL-L"] == "http://l" and rows[2]["Year-Of-Publication"] == "1989"


@needs_data
def test_steam_logs_match_metadata_by_name():
    from recchat.catalog.build import load_items

    _, res = load_items("steam", DATA)
    merged = res.dropped["merged: steam-200k game matched to its metadata item"]
    assert merged > 3500  # SOURCES.md: 73.6% of 5,155 names match
    ids = {it.id for it in res.items}
    logged = set(res.interactions["item"])
    assert logged <= ids
    assert sum(1 for i in logged if not i.startswith("s200k-")) > 3000  # most logs hit metadata items
    fallout = [it for it in res.items if it.title == "Fallout 4"]  # steam-200k game 2
    assert len(fallout) == 1 and "genres" in fallout[0].metadata and not fallout[0].id.startswith("s200k-")


@needs_data
def test_games_sequences_keep_history_order():
    from recchat.catalog.build import load_items

    _, res = load_items("games", DATA)
    u0 = res.interactions[res.interactions["user"] == "0"].sort_values("order")
    # games.test.inter.tsv row 0: history 0..13, target 14
    assert u0["item"].tolist() == [str(i) for i in range(15)]


def test_bundled_catalogs_load_without_a_data_dir(tmp_path, monkeypatch):
    from recchat.catalog.build import load_items
    from recchat.core.settings import reset_settings

    monkeypatch.setenv("RECCHAT_DATA_DIR", str(tmp_path))  # an empty data dir
    reset_settings()
    try:
        # books ships its ratings (goodbooks' 5% user sample, CC BY-SA) so the prior and CF work offline
        for name, n, lang, log_rows in (("books", 10000, "en", 298176), ("news-ko", 45654, "ko", None)):
            m, res = load_items(name)
            assert m.bundled and res.kept == n and res.items[0].language == lang
            assert (res.interactions is None) if log_rows is None else len(res.interactions) == log_rows
        assert any("topic" in it.metadata for it in res.items[:5])
        assert {it.metadata["topic"] for it in res.items} >= {"스포츠", "정치", "IT과학"}
    finally:
        reset_settings()


def test_bundles_carry_a_licence():
    from catalogs.manifest import BUNDLED

    for name in ("books", "news-ko"):
        text = (BUNDLED / name / "LICENSE.txt").read_text(encoding="utf-8")
        assert "CC BY-SA 4.0" in text and "creativecommons.org/licenses/by-sa/4.0" in text


def test_korean_query_on_news_ko_returns_korean_sports_headlines(empty_home):
    """A small news-ko subset (embedding is slow here), the real runtime path, a Korean query."""
    from recchat.catalog.build import load_items
    from recchat.retrieval.embedder import get_embedder
    from recchat.chat.pipeline import AskRequest, answer
    from recchat.retrieval.store import get_store

    _, res = load_items("news-ko")
    sports = [it for it in res.items if it.metadata["topic"] == "스포츠"][:12]
    other = [it for it in res.items if it.metadata["topic"] in ("경제", "IT과학", "정치")][:24]
    get_store().build("news-ko-mini", sports + other, get_embedder(), language="ko", domain="news")
    a = answer(AskRequest(query="축구 국가대표 경기 결과 뉴스", catalog="news-ko-mini", use_llm=False))
    assert a.language == "ko" and len(a.items) >= 3
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in r.title) for r in a.items)
    top = [r.metadata.get("topic") for r in a.items[:3]]
    assert top.count("스포츠") >= 2, [(r.title, r.metadata) for r in a.items[:5]]


def build_from_seed_with_no_data_dir(name, home, monkeypatch):
    """Build a bundled catalog with no data dir; (its info, how many vectors came from the seed)."""
    from recchat.catalog.build import build, seed_path
    from recchat.core.settings import reset_settings

    if not seed_path(name, "e5").exists():
        pytest.skip(f"{name} seed vectors not shipped")
    monkeypatch.setenv("RECCHAT_DATA_DIR", str(home / "no-data"))
    reset_settings()
    seen = []
    info = build(name, progress=lambda d, t, what: seen.append((what, d, t)))
    first = next(s for s in seen if s[0] == "embedding")
    assert first[1] == first[2]  # every vector came from the seed: nothing embedded
    return info, first[1]


def test_books_builds_from_its_shipped_vectors_with_no_data_dir(empty_home, monkeypatch):
    from recchat.chat.pipeline import AskRequest, answer

    info, seeded = build_from_seed_with_no_data_dir("books", empty_home, monkeypatch)
    assert info.items == seeded == 10000 and info.has_interactions  # its ratings ship too (the prior, CF)
    # the shipped ratings give the prior: an author's best-known books lead
    a = answer(AskRequest(query="Stephen King horror novels", catalog="books", use_llm=False))
    top = [r.title for r in a.items[:5]]
    assert {"It", "Misery"} & set(top), top
    # and the item-kNN behind "more like X": the series is left out, other books people liked come back
    b = answer(AskRequest(query="something like Harry Potter", catalog="books", use_llm=False, top_k=10))
    titles = [r.title for r in b.items]
    assert titles and not any(t.startswith("Harry Potter") for t in titles), titles
    assert {"The Hobbit", "The Name of the Wind (The Kingkiller Chronicle, #1)"} & set(titles), titles


def test_int8_seed_keeps_the_vectors_and_halves_the_file(empty_home, monkeypatch, tmp_path):
    import numpy as np

    import recchat.catalog.build as cat
    from recchat.retrieval.embedder import get_embedder
    from recchat.core.schema import Item
    from recchat.retrieval.build import arrow_vectors
    from recchat.retrieval.store import get_store

    monkeypatch.setattr(cat, "seed_path", lambda name, emb: tmp_path / f"{name}.{emb}.npz")
    items = [Item(id=str(i), title=f"제목 {i}", text=f"headline {i} about topic {i % 5} 뉴스 {i * 7}") for i in range(300)]
    get_store().build("mini", items, get_embedder(), language="ko")
    exact = arrow_vectors(get_store().table("mini").to_arrow())
    fp16 = cat.save_seed("mini").stat().st_size
    p = cat.save_seed("mini", int8=True)
    assert p.stat().st_size < 0.7 * fp16
    keys, vecs = cat.read_seed(p)
    assert len(keys) == 300 and vecs.dtype == np.float32
    cos = (vecs * exact).sum(1) / np.linalg.norm(vecs, axis=1)
    assert cos.min() > 0.9999
    q = get_embedder().embed_queries(["topic 3 뉴스"])[0]
    # scores move by far less than real items differ (these synthetic ones differ by a number only)
    assert np.abs(exact @ q - vecs @ q).max() < 2e-3
    assert set(cat.load_seed("mini", get_embedder().name)) == set(keys)


def test_news_ko_builds_from_its_shipped_vectors_and_answers_in_korean(empty_home, monkeypatch):
    """The bundled Korean catalog: 45k headlines from the shipped int8 vectors, nothing embedded."""
    from recchat.chat.pipeline import AskRequest, answer

    info, seeded = build_from_seed_with_no_data_dir("news-ko", empty_home, monkeypatch)
    assert info.items == 45654 and info.language == "ko" and seeded == 45654
    a = answer(AskRequest(query="반도체 수출 관련 경제 뉴스", catalog="news-ko", use_llm=False, top_k=5))
    assert a.language == "ko" and len(a.items) == 5
    assert all(any("\uac00" <= ch <= "\ud7a3" for ch in r.title) for r in a.items)
    assert sum("반도체" in r.title or "수출" in r.title for r in a.items) >= 3, [r.title for r in a.items]
