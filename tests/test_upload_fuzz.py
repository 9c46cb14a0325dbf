"""Property-based fuzzing of uploads: any file in any accepted format, well-formed or hostile.

Whatever the file holds (binary junk, NULs, huge or nested fields, other encodings, no title
column, duplicate ids, truncation, Parquet that expands when decoded), `add_catalog` either builds
the catalog or raises a RecchatError with one short line, and a refused upload leaves the catalog it
would have replaced exactly as it was (every row compared).

RECCHAT_FUZZ_EXAMPLES sets the number of files (default 100, about a minute; 1000 for a long run).
"""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from recchat.core.errors import RecchatError  # noqa: E402

EXAMPLES = int(os.environ.get("RECCHAT_FUZZ_EXAMPLES", "100"))
NAME = "fz"
FORMATS = ["csv", "tsv", "json", "jsonl", "parquet"]

# -------------------------------------------------------------------------------- strategies

column_names = st.one_of(
    st.sampled_from(["title", "name", "id", "item_id", "description", "genre", "tags", "Title ", "", "title"]),
    st.text(min_size=0, max_size=12),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),  # any code point, NUL and controls included
    st.sampled_from(["", " ", "nan", "null", "[/]", "<end_of_turn>", "한국어 제목", "\ufeff"]),
    st.integers(20_001, 40_000).map(lambda n: "x" * n),  # over RECCHAT_MAX_FIELD_CHARS
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=8)


@st.composite
def tables(draw):
    # most tables have a title column with text in it, so that uploads also build (and replace the catalog)
    title = draw(st.sampled_from(["title", "name", "headline"])) if draw(st.integers(0, 9)) < 7 else None
    cols = ([title] if title else []) + draw(st.lists(column_names, min_size=0 if title else 1, max_size=4))
    n = draw(st.integers(0, 6))
    rows = [{c: draw(st.text(min_size=1, max_size=30) if c == title and draw(st.integers(0, 4)) else values)
             for c in cols} for _ in range(n)]
    if rows and draw(st.booleans()) and "id" in cols:  # duplicate ids
        rows[-1]["id"] = rows[0]["id"]
    return cols, rows


def _csv(cols, rows, sep):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep)
    w.writerow(cols)
    for r in rows:
        w.writerow([json.dumps(r[c]) if isinstance(r[c], (list, dict)) else r[c] for c in cols])
    return buf.getvalue().encode("utf-8", "surrogatepass")


def _parquet(rows, bomb: bool) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if bomb:  # one long value on every row: tiny on disk, large once decoded
        tbl = pa.table({"title": ["t" * 19_000] * 40, "tags": [["u" * 19_000] * 10] * 40})
    else:
        tbl = pa.Table.from_pylist(rows) if rows else pa.table({"title": pa.array([], pa.string())})
    buf = io.BytesIO()
    pq.write_table(tbl, buf, compression="zstd")
    return buf.getvalue()


@st.composite
def files(draw):
    fmt = draw(st.sampled_from(FORMATS))
    cols, rows = draw(tables())
    try:
        if fmt in ("csv", "tsv"):
            data = _csv(cols, rows, "\t" if fmt == "tsv" else ",")
        elif fmt == "json":
            data = json.dumps(rows, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
        elif fmt == "jsonl":
            data = "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8", "surrogatepass")
        else:
            data = _parquet(rows, bomb=draw(st.integers(0, 9)) == 0)
    except Exception:  # pyarrow refuses mixed types, say: hand the validator junk instead
        data = b"PAR1" + draw(st.binary(max_size=200)) + b"PAR1" if fmt == "parquet" else b"\x00junk"
    mutation = draw(st.sampled_from(["none"] * 6 + ["truncate", "flip", "junk", "utf16", "latin1", "bom", "empty",
                                                    "nul"]))
    if mutation == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif mutation == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + draw(st.binary(min_size=1, max_size=8)) + data[i + 1:]
    elif mutation == "junk":
        data = draw(st.binary(max_size=300))
    elif mutation == "utf16":
        data = data.decode("utf-8", "replace").encode("utf-16")
    elif mutation == "latin1":
        data = data.decode("utf-8", "replace").encode("latin-1", "replace") + b"\xe9\xff"
    elif mutation == "bom":
        data = b"\xef\xbb\xbf" + data
    elif mutation == "empty":
        data = b""
    elif mutation == "nul":
        data = data + b"\x00"
    suffix = {"jsonl": draw(st.sampled_from([".jsonl", ".ndjson"])), "parquet": draw(st.sampled_from([".parquet", ".pq"]))}
    name = draw(st.sampled_from(["upload", "up load", "x\ny", "..", "ünï"]))
    return name + suffix.get(fmt, "." + fmt), data


# -------------------------------------------------------------------------------- the property


@pytest.fixture(scope="module")
def fuzz_home(tmp_path_factory):
    from recchat.core.settings import reset_settings
    import recchat.retrieval.store as store_mod

    old = {k: os.environ.get(k) for k in ("RECCHAT_HOME", "RECCHAT_MAX_UPLOAD_ROWS", "RECCHAT_MAX_UPLOAD_DECODED_MB")}
    home = tmp_path_factory.mktemp("fuzz_home")
    os.environ.update(RECCHAT_HOME=str(home), RECCHAT_MAX_UPLOAD_ROWS="50", RECCHAT_MAX_UPLOAD_DECODED_MB="5")
    reset_settings()
    store_mod._stores.clear()
    from recchat.catalog.upload import add_catalog

    seed = home / "seed.csv"
    seed.write_text("id,title,genre\n1,Harvest Valley,farming\n2,Star Raider,shooter\n", encoding="utf-8")
    add_catalog(NAME, seed)
    yield home
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    reset_settings()
    store_mod._stores.clear()


def _kind(msg: str) -> str:
    """The message without its specifics, for --hypothesis-show-statistics."""
    import re

    return re.sub(r"\d[\d,.]*|'[^']*'|\S+\.(?:csv|tsv|json|jsonl|ndjson|parquet|pq)\b", "_", msg)[:70]


def _snapshot():
    from recchat.retrieval.store import get_store

    store = get_store()
    info = store.info(NAME)
    rows = store.db.open_table(info.table).to_arrow().drop_columns(["vector"]).to_pylist()
    return info.table, sorted(rows, key=lambda r: r["id"])


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(f=files())
def test_any_upload_builds_or_is_refused_in_one_line_and_loses_nothing(fuzz_home, tmp_path_factory, f):
    from recchat.catalog.upload import add_catalog

    fname, data = f
    d = tmp_path_factory.mktemp("f")
    path = d / fname
    path.write_bytes(data)
    before = _snapshot()
    try:
        add_catalog(NAME, path)
        event("built")
    except RecchatError as e:
        msg = str(e)
        event("refused: " + (msg[:110] if os.environ.get("RECCHAT_FUZZ_MESSAGES") else _kind(msg)))
        assert msg and "\n" not in msg and len(msg) <= 600 and "Traceback" not in msg, repr(msg)
        assert _snapshot() == before, "a refused upload changed the catalog"
    assert not list(fuzz_home.glob("upload-*")), "a scratch cache was left behind"
    path.unlink()
