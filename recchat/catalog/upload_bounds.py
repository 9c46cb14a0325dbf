"""Bounds an upload must fit before it is decoded: rows, columns, and what a Parquet file expands to.

A 50 MB file can still hold millions of short rows (hours of embedding) or, as Parquet, gigabytes
behind dictionary/RLE encoding and compression. Each check here reads the file as a stream or reads
only Parquet metadata, and stops at the first row past the limit, so a hostile file is refused
before it costs memory.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from recchat.core.errors import BadInput

MAX_COLUMNS = 500  # a catalog row is a title and a few fields; thousands of columns are a mistake or an attack


def shown(path: Path | str) -> str:
    """A file name for a one-line message: control characters (a newline in a name) escaped, bounded."""
    name = Path(path).name if isinstance(path, Path) else str(path)
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)[:120]


def _too_many_rows(name: str, n: int | str, limit: int) -> BadInput:
    return BadInput(f"{name} has {n} rows; the limit is {limit:,} (RECCHAT_MAX_UPLOAD_ROWS)")


def check_columns(name: str, n: int) -> None:
    if n > MAX_COLUMNS:
        raise BadInput(f"{name} has {n:,} columns; the limit is {MAX_COLUMNS:,}")


def check_unique_columns(name: str, columns) -> None:
    """Column names, compared as they will be used (stripped), must be unique."""
    from collections import Counter

    dup = [c for c, k in Counter(str(c).strip() for c in columns).items() if k > 1]
    if dup:
        shown_dup = ", ".join(repr(c[:40]) for c in dup[:5])
        raise BadInput(f"{name} has duplicate column names: {shown_dup}; rename them so each is unique")


def count_text_rows(path: Path, fmt: str, max_rows: int) -> int:
    """Rows of a CSV/TSV/JSON/JSONL file, counted as a stream that stops at max_rows + 1."""
    if fmt in ("csv", "tsv"):
        return _count_csv(path, "\t" if fmt == "tsv" else ",", max_rows)
    with open(path, encoding="utf-8-sig") as f:
        head = f.read(4096).lstrip()
    if head.startswith("["):
        return _count_json_array(path, max_rows)
    return _count_lines(path, max_rows)  # JSON lines (one object per line)


def _count_csv(path: Path, sep: str, max_rows: int) -> int:
    n = -1  # the header is not a row
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=sep)
        try:
            for row in reader:
                if n == -1:
                    check_columns(shown(path), len(row))
                    check_unique_columns(shown(path), row)
                n += 1
                if n > max_rows:
                    raise _too_many_rows(shown(path), f"more than {max_rows:,}", max_rows)
        except csv.Error as e:  # e.g. a field over csv's own limit (131,072 characters)
            raise BadInput(f"{shown(path)}: line {reader.line_num}: {str(e)[:200]}") from e
    return max(n, 0)


def _count_lines(path: Path, max_rows: int) -> int:
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                n += 1
                if n > max_rows:
                    raise _too_many_rows(shown(path), f"more than {max_rows:,}", max_rows)
    return n


def _count_json_array(path: Path, max_rows: int) -> int:
    """Elements of a top-level JSON array, decoded one at a time (the file is at most RECCHAT_MAX_UPLOAD_MB)."""
    text = path.read_text(encoding="utf-8-sig")
    dec = json.JSONDecoder()
    i = text.index("[") + 1
    n = 0
    try:
        while True:
            while i < len(text) and text[i] in " \t\r\n,":
                i += 1
            if i >= len(text) or text[i] == "]":
                return n
            _, i = dec.raw_decode(text, i)
            n += 1
            if n > max_rows:
                raise _too_many_rows(shown(path), f"more than {max_rows:,}", max_rows)
    except ValueError as e:  # JSONDecodeError: say where, in one line
        raise BadInput(f"{shown(path)} is not valid JSON: {str(e).splitlines()[0][:200]}") from e
    except RecursionError as e:
        raise BadInput(f"{shown(path)} nests its values too deeply") from e


# ------------------------------------------------------------------------------ Parquet


def check_parquet(path: Path, max_rows: int, max_decoded_mb: float) -> None:
    """Refuse a Parquet file whose rows, columns or decoded size are over the limits, before decoding it.

    The metadata gives rows, columns, value counts and uncompressed page sizes (a compression bomb);
    dictionary-encoded strings (one long value repeated on every row) are then sized from the
    dictionary and its indices, batch by batch, without expanding them."""
    import pyarrow.parquet as pq

    limit = int(max_decoded_mb * 1e6)
    too_big = BadInput(f"{shown(path)} expands to more than {max_decoded_mb:g} MB when decoded; "
                       "the limit is RECCHAT_MAX_UPLOAD_DECODED_MB")
    pf = pq.ParquetFile(path)
    md = pf.metadata
    if md.num_rows > max_rows:
        raise _too_many_rows(shown(path), f"{md.num_rows:,}", max_rows)
    check_columns(shown(path), md.num_columns)
    chunks = [md.row_group(g).column(c) for g in range(md.num_row_groups) for c in range(md.num_columns)]
    # pages after decompression, and 8 bytes per value (offsets, indices, numbers) for RLE-packed values
    if sum(max(ch.total_uncompressed_size, 0) for ch in chunks) > limit:
        raise too_big
    if sum(max(ch.num_values, 0) for ch in chunks) * 8 > limit:
        raise too_big
    strings = [c.path for c in pf.schema if c.physical_type == "BYTE_ARRAY"]
    if not strings:
        return
    total = 0
    for batch in pq.ParquetFile(path, read_dictionary=strings).iter_batches(batch_size=4096):
        total += sum(decoded_nbytes(col) for col in batch.columns)
        if total > limit:
            raise too_big


def decoded_nbytes(arr) -> int:
    """Bytes an Arrow array takes once its dictionaries are expanded, computed without expanding them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = arr.type
    if pa.types.is_dictionary(t):
        lengths = pc.binary_length(arr.dictionary)
        values = pc.sum(pc.take(lengths, arr.indices)).as_py() or 0
        return int(values) + 8 * len(arr)
    if pa.types.is_map(t):
        return decoded_nbytes(arr.keys) + decoded_nbytes(arr.items) + 8 * len(arr)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return decoded_nbytes(arr.flatten()) + 8 * len(arr)
    if pa.types.is_struct(t):
        return sum(decoded_nbytes(child) for child in arr.flatten()) + len(arr)
    return arr.nbytes
