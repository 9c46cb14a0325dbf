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


# ------------------------------------------------------------------------------ history and prompts

RARE = "".join(chr(0x20000 + i * 7) for i in range(300))  # CJK Extension B: several tokens per character


def test_history_box_is_bounded_before_parsing():
    from recchat.chat.followup import history_lines

    t0 = time.perf_counter()
    lines = history_lines("\n".join(f"Movie {i} " + "y" * 2000 for i in range(2000)))  # 4 MB pasted
    assert time.perf_counter() - t0 < 2.0
    assert sum(map(len, lines)) <= 40_000 and all(len(h) <= 600 for h in lines)
    assert lines[-1].startswith("Movie 1999")  # the newest items are the ones kept
    assert history_lines("  ") is None


def test_history_items_and_total_are_capped_with_a_notice(home, monkeypatch):
    from recchat.chat.pipeline import AskRequest, answer

    a = answer(AskRequest(history=["Toy Story " + "z" * 5000, "Alien"], catalog="movies", use_llm=False))
    assert all(len(h) <= 300 for h in a.history)
    assert any("over 300 characters" in n for n in a.notices), a.notices
    monkeypatch.setenv("RECCHAT_MAX_HISTORY_CHARS", "20")
    reset_settings()
    try:
        a = answer(AskRequest(history=["Toy Story", "Alien", "Heat", "Up", "Jumanji"], catalog="movies",
                              use_llm=False))
    finally:
        reset_settings()
    assert any("over 20 characters; the last 4 of its 5 items" in n for n in a.notices), a.notices
    assert len(a.history) == 4 and not any(h.startswith("Toy Story") for h in a.history), a.history


def test_a_prompt_over_the_token_budget_is_refused_before_llama_cpp(home):
    """Rare CJK costs several tokens per character: character caps alone let the prompt overflow."""
    from recchat.core.errors import RecchatError
    from recchat.llm.generate import complete, get_pool, prompt_tokens

    llm = get_pool("base").acquire()
    try:
        n = len(prompt_tokens(llm, RARE))
        budget = llm.n_ctx() - 64
    finally:
        get_pool("base").release(llm)
    assert n > 2 * len(RARE)  # the premise: more than two tokens per character
    over = RARE * (budget // n + 1)  # just over n_ctx - max_tokens, under n_ctx for small n
    with pytest.raises(RecchatError, match=r"too long for the model: [\d,]+ tokens, and [\d,]+ fit"):
        complete("base", over, max_tokens=64)
    with pytest.raises(RecchatError, match="too long for the model"):
        complete("base", RARE * 20, max_tokens=64)  # over n_ctx itself: llama.cpp raised ValueError
    assert complete("base", "Hello", max_tokens=2) is not None  # the pool is still usable


def test_a_long_rare_script_history_gets_a_clear_error_not_a_crash(home):
    from recchat.chat.pipeline import AskRequest, run
    from recchat.core.errors import RecchatError

    events = []
    with pytest.raises(RecchatError, match="too long for the model"):
        for ev in run(AskRequest(history=[RARE] * 12, catalog="movies", checkpoint="base")):
            events.append(ev[0])
    assert events == ["items"]  # the items from the user's words were shown before the refusal


def test_llama_threads_follow_the_cpu_affinity(home):
    """Restricted to one CPU (taskset, a container's cpuset), llama.cpp gets one thread."""
    import subprocess
    import sys

    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})\n"
            "from recchat.llm.checkpoints import get_checkpoint\n"
            "from recchat.llm.generate import load_llama\n"
            "print(load_llama(get_checkpoint('base')).n_threads)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "1"
