"""Ask every built catalog one request in its own language and record what comes back.

    python benchmarks/ask_each.py                 # every built catalog, base checkpoint
    python benchmarks/ask_each.py --catalogs news-ko,games --checkpoint sft

The check behind "`recchat ask` works against each catalog": for each one, a request a user of that
catalog would type (Korean for the Korean catalogs), through the runtime's real path
(recchat.chat.pipeline.answer: llama.cpp rationale + HyDE retrieval). Reports the top titles, the
share of returned titles in the catalog's language (Hangul for `ko`), how many items came back, and
the timings. Writes benchmarks/results/ask_each.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"

# a request a user of each catalog might type; unknown catalogs (uploads) get a generic one
REQUESTS = {
    "movies": "a funny animated movie about toys that come alive",
    "movies-100k": "a tense thriller set on a submarine",
    "books": "an epic fantasy series with dragons and political intrigue",
    "book-crossing": "a courtroom legal thriller",
    "games": "an open-world RPG like Zelda",
    "steam": "a co-op survival game with crafting",
    "anime": "a mecha anime with space battles",
    "news": "news about the stock market and interest rates",
    "news-ko": "반도체 수출 관련 경제 뉴스",
    "ent-news-ko": "아이돌 그룹 컴백 소식",
    "poi": "a cozy coffee shop to work from",
    "office": "a stapler that doesn't jam",
    "industrial": "a digital caliper for measuring small parts",
}
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def in_language(title: str, language: str) -> bool:
    has_hangul = bool(HANGUL.search(title))
    return has_hangul if language == "ko" else not has_hangul


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalogs", default="", help="comma-separated (default: every built catalog)")
    ap.add_argument("--checkpoint", default="base")
    ap.add_argument("--top-k", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--out", default=str(RESULTS / "ask_each.json"))
    a = ap.parse_args(argv)

    from recchat.chat.pipeline import AskRequest, answer
    from recchat.retrieval.store import get_store

    built = {i.name: i for i in get_store().list()}
    names = [n for n in a.catalogs.split(",") if n] or sorted(built)
    rows = []
    for name in names:
        if name not in built:
            rows.append({"catalog": name, "error": "not built"})
            continue
        lang = built[name].language
        q = REQUESTS.get(name, "something popular" if lang != "ko" else "인기 있는 것")
        t0 = time.perf_counter()
        try:
            ans = answer(AskRequest(query=q, catalog=name, checkpoint=a.checkpoint, top_k=a.top_k,
                                    max_tokens=a.max_tokens, seed=0))
        except Exception as e:  # report and go on: one broken catalog must not hide the others
            rows.append({"catalog": name, "query": q, "error": f"{type(e).__name__}: {e}"})
            continue
        titles = [it.title for it in ans.items]
        rows.append({
            "catalog": name, "language": lang, "items_in_catalog": built[name].items, "query": q,
            "rationale": ans.rationale, "top": titles, "returned": len(titles),
            "in_language": round(sum(in_language(t, lang) for t in titles) / max(1, len(titles)), 2),
            "total_s": round(time.perf_counter() - t0, 2), "retrieval_ms": ans.timings.retrieval_ms,
        })
    res = {"checkpoint": a.checkpoint, "top_k": a.top_k, "results": rows}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1, ensure_ascii=False))
    _table(res, out)
    return res


def _table(res: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"recchat ask on each catalog ({res['checkpoint']})  ->  {out.name}")
    for c in ("catalog", "lang", "items", "query", "returned", "in lang", "s", "first titles"):
        t.add_column(c, overflow="fold")
    for r in res["results"]:
        if "error" in r:
            t.add_row(r["catalog"], "", "", r.get("query", ""), "0", "", "", f"[red]{r['error']}[/red]")
            continue
        t.add_row(r["catalog"], r["language"], f"{r['items_in_catalog']:,}", r["query"], str(r["returned"]),
                  f"{r['in_language']:.2f}", str(r["total_s"]), " | ".join(x[:40] for x in r["top"][:3]))
    Console(width=200).print(t)


if __name__ == "__main__":
    main()
