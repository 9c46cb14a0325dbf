"""Input bounds: upload rows, decoded Parquet size, nested values, temp files; history caps."""

from __future__ import annotations

import json
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recchat.core.errors import BadInput
from recchat.core.settings import reset_settings


@pytest.fixture()
def small_limits(empty_home, monkeypatch):
    monkeypatch.setenv("RECCHAT_MAX_UPLOAD_ROWS", "100")
    reset_settings()
    yield empty_home
    reset_settings()


def _rows(n):
    return [{"title": f"Item {i}", "genre": "g"} for i in range(n)]


def _write(path, rows):
    df = pd.DataFrame(rows)
    fmt = path.suffix
    if fmt == ".csv":
        df.to_csv(path, index=False)
    elif fmt == ".tsv":
        df.to_csv(path, sep="\t", index=False)
    elif fmt == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif fmt == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    else:
        df.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("ext", ["csv", "tsv", "json", "jsonl", "parquet"])
def test_row_limit_is_checked_before_decoding(small_limits, tmp_path, ext):
    from recchat.catalog.upload import add_catalog, read_upload

    assert len(read_upload(_write(tmp_path / f"ok.{ext}", _rows(100)))) == 100
    with pytest.raises(BadInput, match=r"rows; the limit is 100 \(RECCHAT_MAX_UPLOAD_ROWS\)") as e:
        add_catalog("big", _write(tmp_path / f"big.{ext}", _rows(101)))
    assert "\n" not in str(e.value)


def test_a_csv_with_a_million_rows_is_refused_at_once(small_limits, tmp_path):
    """The count stops at the first row past the limit: no decoding, no embedding."""
    from recchat.catalog.upload import add_catalog

    p = tmp_path / "million.csv"
    p.write_text("title\n" + "".join(f"t{i}\n" for i in range(1_000_000)), encoding="utf-8")
    t0 = time.perf_counter()
    with pytest.raises(BadInput, match="more than 100 rows"):
        add_catalog("big", p)
    assert time.perf_counter() - t0 < 2.0


def test_a_parquet_dictionary_bomb_is_refused_from_its_metadata(empty_home, tmp_path, monkeypatch):
    """100,000 rows of one 3,000-character title: a 0.3 MB file that decodes to ~300 MB."""
    from recchat.catalog.upload import add_catalog

    monkeypatch.setenv("RECCHAT_MAX_UPLOAD_DECODED_MB", "100")
    reset_settings()
    p = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"title": ["x" * 3000] * 100_000}), p, compression="zstd")
    assert p.stat().st_size < 1_000_000
    t0 = time.perf_counter()
    with pytest.raises(BadInput, match="expands to more than 100 MB when decoded"):
        add_catalog("bomb", p)
    assert time.perf_counter() - t0 < 5.0
    # a list column repeating one long value (~200 MB decoded): sized from its dictionary
    pq.write_table(pa.table({"title": ["a"] * 10, "tags": [["y" * 1000] * 20_000] * 10}), p)
    with pytest.raises(BadInput, match="expands to more than 100 MB"):
        add_catalog("bomb", p)


@pytest.mark.parametrize("ext", ["json", "parquet"])
def test_nested_values_count_towards_the_field_limit(empty_home, tmp_path, ext):
    from recchat.catalog.upload import add_catalog

    rows = [{"title": "ok", "tags": ["word " * 100] * 50}]  # 25,000+ characters as JSON, no string over 20,000
    p = _write(tmp_path / f"nested.{ext}", rows)
    with pytest.raises(BadInput, match=r"row 1, column 'tags' has [\d,]+ characters \(as JSON\); the limit is 20,000"):
        add_catalog("nested", p)


def test_uploads_leave_no_temp_files_and_no_datasets_cache(empty_home, tmp_path):
    import datasets

    from recchat.catalog.upload import add_catalog

    hf_cache = datasets.config.HF_DATASETS_CACHE
    before = sorted(p.name for p in hf_cache.rglob("*")) if hf_cache.exists() else []
    add_catalog("ok", _write(tmp_path / "ok.csv", _rows(3)))
    for bad in ("title\n\x00\n", "foo\n1\n"):
        (tmp_path / "bad.jsonl").write_text(bad, encoding="utf-8")
        with pytest.raises(BadInput):
            add_catalog("ok", tmp_path / "bad.jsonl")
    (tmp_path / "bad.csv").write_text("foo\n1\n", encoding="utf-8")
    with pytest.raises(BadInput):
        add_catalog("ok", tmp_path / "bad.csv")
    after = sorted(p.name for p in hf_cache.rglob("*")) if hf_cache.exists() else []
    assert after == before  # no Arrow copy of an upload in the HF cache
    assert not list(empty_home.glob("upload-*"))  # and our own scratch cache is gone


def test_too_many_columns_and_a_late_nul_byte(empty_home, tmp_path):
    from recchat.catalog.upload import add_catalog

    (tmp_path / "wide.csv").write_text(",".join(f"c{i}" for i in range(600)) + ",title\n" + "x," * 600 + "t\n")
    with pytest.raises(BadInput, match="has 601 columns; the limit is 500"):
        add_catalog("wide", tmp_path / "wide.csv")
    (tmp_path / "nul.csv").write_bytes(b"title\n" + b"a\n" * 40_000 + b"b\x00c\n")  # past the first 64 KB
    with pytest.raises(BadInput, match="NUL bytes"):
        add_catalog("nul", tmp_path / "nul.csv")
