"""Check benchmarks/search_requests.yaml against the catalogs (stdlib + pyyaml only).

Every acceptable id must exist in its catalog with exactly the title the catalog loader would
give it, and every request needs at least MIN_ACCEPTABLE acceptable items. The catalogs are read
here with the csv module, following catalogs/loaders (movielens.load_latest_small,
books.load_goodbooks, amazon.load_games, anime.load_anime) rather than importing them, so the
check runs without the recchat environment.

    python benchmarks/check_search_requests.py [path/to/search_requests.yaml]

Exit 0 and counts per catalog/language when all is well; exit 1 listing every problem otherwise.
"""

from __future__ import annotations

import csv
import html
import math
import os
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "catalogs" / "data"
DEFAULT_YAML = Path(__file__).resolve().parent / "search_requests.yaml"
MIN_ACCEPTABLE = 5
MAX_ACCEPTABLE = 25
CATALOGS = ("movies", "books", "games", "anime")

csv.field_size_limit(sys.maxsize)


def data_dir() -> Path:
    return Path(os.environ.get("RECCHAT_DATA_DIR") or "/work/shared/data")


def clean(v) -> str:
    """catalogs/loaders/_util.clean: '' for None/NaN, HTML entities decoded, whitespace collapsed."""
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    s = " ".join(html.unescape(str(v)).split())
    return "" if s.lower() in {"nan", "none", "null"} else s


def _rows(path: Path, sep: str = ","):
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter=sep)


def _first(pairs) -> dict[str, str]:
    """id -> title, the first row winning on a duplicate id (loaders' dedupe_items)."""
    out: dict[str, str] = {}
    for iid, title in pairs:
        if title and iid not in out:
            out[iid] = title
    return out


def load_movies() -> dict[str, str]:
    # movielens.load_latest_small: title stripped, not otherwise cleaned
    path = BUNDLED / "movies" / "movies.csv"
    if not path.exists():
        path = data_dir() / "movielens" / "ml-latest-small" / "movies.csv"
    return _first((str(int(r["movieId"])), (r["title"] or "").strip()) for r in _rows(path))


def load_books() -> dict[str, str]:
    # books.load_goodbooks: clean(title) or clean(original_title); id = str(int(book_id))
    path = BUNDLED / "books" / "books.csv"
    if not path.exists():
        path = data_dir() / "books" / "goodbooks-10k" / "books.csv"
    return _first((str(int(float(r["book_id"]))), clean(r["title"]) or clean(r.get("original_title")))
                  for r in _rows(path))


def load_games() -> dict[str, str]:
    # amazon.load_games: first column = id (stripped), second = title (cleaned)
    path = data_dir() / "amazon" / "video_games_llmrank" / "games.item.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        rd = csv.reader(f, delimiter="\t")
        next(rd)
        return _first((r[0].strip(), clean(r[1])) for r in rd if len(r) >= 2)


def load_anime() -> dict[str, str]:
    # anime.load_anime: id = clean(anime_id), title = clean(name); names of the user sample
    # (anime_info.tsv) missing from anime.csv become extra items "caserec-<id>"
    d = data_dir() / "anime"
    out: dict[str, str] = {}
    by_key: dict[tuple[str, str], str] = {}
    for r in _rows(d / "anime.csv"):
        title, kind, aid = clean(r["name"]), clean(r["type"]), clean(r["anime_id"])
        if not title:
            continue
        out.setdefault(aid, title)
        by_key.setdefault((title, kind), aid)
        by_key.setdefault((title, ""), aid)
    info = d / "anime_info.tsv"
    if info.exists():
        for r in _rows(info, "\t"):
            name, kind = clean(r["name"]), clean(r["type"])
            if not (by_key.get((name, kind)) or by_key.get((name, ""))):
                out.setdefault(f"caserec-{r['anime_ids']}", name)
    return out


LOADERS = {"movies": load_movies, "books": load_books, "games": load_games, "anime": load_anime}


def check(path: Path) -> int:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    reqs = doc.get("requests") or []
    catalogs = {c: LOADERS[c]() for c in sorted({r.get("catalog") for r in reqs} & set(LOADERS))}
    problems: list[str] = []
    seen_ids: set[str] = set()
    pairs: dict[str, list[dict]] = {}
    for i, r in enumerate(reqs):
        rid = r.get("id") or f"#{i}"
        if rid in seen_ids:
            problems.append(f"{rid}: duplicate request id")
        seen_ids.add(rid)
        cat = r.get("catalog")
        if cat not in LOADERS:
            problems.append(f"{rid}: unknown catalog {cat!r}")
            continue
        if r.get("language") not in ("en", "ko"):
            problems.append(f"{rid}: language must be en or ko, not {r.get('language')!r}")
        if not str(r.get("request") or "").strip():
            problems.append(f"{rid}: empty request")
        if r.get("pair"):
            pairs.setdefault(r["pair"], []).append(r)
        acc = r.get("acceptable") or []
        if len(acc) < MIN_ACCEPTABLE:
            problems.append(f"{rid}: only {len(acc)} acceptable items (need >= {MIN_ACCEPTABLE})")
        if len(acc) > MAX_ACCEPTABLE:
            problems.append(f"{rid}: {len(acc)} acceptable items (at most {MAX_ACCEPTABLE})")
        ids = [str(a.get("id")) for a in acc]
        for dup in sorted(k for k, n in Counter(ids).items() if n > 1):
            problems.append(f"{rid}: id {dup} listed twice")
        titles = catalogs[cat]
        for a in acc:
            iid, want = str(a.get("id")), a.get("title")
            got = titles.get(iid)
            if got is None:
                problems.append(f"{rid}: {cat} id {iid} ({want!r}) not in the catalog")
            elif got != want:
                problems.append(f"{rid}: {cat} id {iid} title is {got!r}, the file says {want!r}")
    for key, group in sorted(pairs.items()):
        langs = sorted(g.get("language") for g in group)
        cats = {g.get("catalog") for g in group}
        if langs != ["en", "ko"] or len(cats) != 1:
            problems.append(f"pair {key!r}: needs one en and one ko request of one catalog, "
                            f"has {[g.get('id') for g in group]}")
    if problems:
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    counts = Counter((r["catalog"], r["language"]) for r in reqs)
    n_acc = Counter()
    for r in reqs:
        n_acc[r["catalog"]] += len(r["acceptable"])
    print(f"{path}: {len(reqs)} requests, all acceptable ids found with matching titles")
    print(f"{'catalog':8} {'en':>4} {'ko':>4} {'total':>6} {'acceptable':>11}")
    for c in CATALOGS:
        en, ko = counts[(c, "en")], counts[(c, "ko")]
        print(f"{c:8} {en:4d} {ko:4d} {en + ko:6d} {n_acc[c]:11d}")
    en = sum(v for (c, l), v in counts.items() if l == "en")
    ko = sum(v for (c, l), v in counts.items() if l == "ko")
    print(f"{'all':8} {en:4d} {ko:4d} {en + ko:6d} {sum(n_acc.values()):11d}")
    print(f"pairs (en/ko twins): {len(pairs)}")
    return 0


if __name__ == "__main__":
    sys.exit(check(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_YAML))
