"""Search benchmark: does a free-text request find what a knowledgeable person would name?

Two request sets, every method through the real path (recchat.chat.pipeline, the one ranking):
  (a) generated: requests written from items' own metadata the way the instruction-data builder
      writes them (training/rank/cases.py, another seed than the ranker's training), target = that
      item, on the training domains;
  (b) hand-written: benchmarks/search_requests.yaml (movies, books, games, anime; half Korean), each
      with its set of acceptable items (checked by benchmarks/check_search_requests.py);
  (c) `dev`, only when asked for: benchmarks/search_dev.yaml, 30 more hand-written requests of the
      same kind on the training domains (movies, books, anime; half Korean), on which settings are
      chosen, so that (b) stays a report, never a target.
Metrics: success@5 (an acceptable item in the top 5), precision@10, NDCG@10, latency p50.

Methods: `embedding` (vector search on the request alone), `rrf:none` (the candidates fused by
reciprocal rank, no learned model), `app:none` (the learned ranker, no LLM), `app:CKPT` (what the app
serves), and `app:CKPT-SIGNAL` (one signal switched off: prior, translate, bm25, ground, llm, anchors).

    python benchmarks/search.py                                  # both sets, default methods
    python benchmarks/search.py --sets hand --methods app:none,app:base,app:sft,app:dpo
    python benchmarks/search.py --sets dev --methods app:none,app:base --out runs/search_dev.json
    python benchmarks/search.py --per-catalog 100 --llm-limit 20 --plot benchmarks/results/search.png

Writes benchmarks/results/search.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_METHODS = ("embedding,rrf:none,app:none,app:none-prior,app:none-translate,app:none-bm25,app:base,"
                   "app:base-ground,app:sft,app:dpo")
TRAINING_CATALOGS = ("movies", "books", "anime", "poi", "news", "industrial")


def hand_requests(path: Path, name: str = "hand") -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [{"set": name, "catalog": r["catalog"], "language": r["language"], "query": r["request"],
             "acceptable": [a["id"] for a in r["acceptable"]], "id": r["id"]} for r in data["requests"]]


def generated_requests(per_catalog: int, seed: int) -> list[dict]:
    from recchat.retrieval.store import get_store
    from training.rank.cases import catalog_data, search_cases

    out = []
    for name in TRAINING_CATALOGS:
        if not get_store().exists(name):
            print(f"[search] {name} not built: skipped", file=sys.stderr)
            continue
        items, log = catalog_data(name)
        lang = get_store().info(name).language
        for i, c in enumerate(search_cases(name, items, log, per_catalog, 0.5 if lang == "en" else 0.0, seed)):
            out.append({"set": "generated", "catalog": name, "language": c.language, "query": c.query,
                        "acceptable": [c.target], "id": f"{name}-g{i}"})
    return out


def run_method(method: str, req: dict, k: int = 10) -> tuple[list[str], float]:
    from recchat.chat.pipeline import AskRequest, answer
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    t = time.perf_counter()
    if method == "embedding":
        v = get_embedder().embed_queries([req["query"]])[0]
        ids = [h["id"] for h in get_store().vector_search(req["catalog"], v, k)]
        return ids, time.perf_counter() - t
    kind, _, arg = method.partition(":")
    ckpt, _, off = arg.partition("-")
    a = answer(AskRequest(query=req["query"], catalog=req["catalog"], task="search", top_k=k, explain=False,
                          checkpoint=None if ckpt == "none" else ckpt, use_llm=ckpt != "none",
                          ranker="rrf" if kind == "rrf" else "learned", rank_off=off, cache=True, seed=0))
    return [it.id for it in a.items], time.perf_counter() - t


def metrics(ranked: list[str], acceptable: set[str]) -> dict[str, float]:
    rel = [1.0 if i in acceptable else 0.0 for i in ranked[:10]]
    dcg = sum(r / math.log2(n + 2) for n, r in enumerate(rel))
    ideal = sum(1.0 / math.log2(n + 2) for n in range(min(len(acceptable), 10)))
    return {"success@5": float(any(rel[:5])), "precision@10": sum(rel) / 10.0, "ndcg@10": dcg / ideal if ideal else 0.0}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for key in ("success@5", "precision@10", "ndcg@10"):
        out[key] = round(statistics.fmean(r[key] for r in rows), 4) if rows else None
    out["latency_p50_s"] = round(statistics.median(r["latency_s"] for r in rows), 3) if rows else None
    out["n"] = len(rows)
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="generated,hand")
    ap.add_argument("--methods", default=DEFAULT_METHODS)
    ap.add_argument("--per-catalog", type=int, default=100, help="generated requests per training catalog")
    ap.add_argument("--llm-limit", type=int, default=0, help="LLM methods on the generated set: first N per catalog (0 = all)")
    ap.add_argument("--seed", type=int, default=1, help="generated requests (the ranker trained on seed 0)")
    ap.add_argument("--hand", default=str(ROOT / "benchmarks" / "search_requests.yaml"))
    ap.add_argument("--dev", default=str(ROOT / "benchmarks" / "search_dev.yaml"),
                    help="the development set (`--sets dev`): training domains only, for choosing settings")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "search.json"))
    ap.add_argument("--plot", default="")
    args = ap.parse_args(argv)

    from recchat.retrieval.store import get_store

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    reqs: list[dict] = []
    if "generated" in sets:
        reqs += generated_requests(args.per_catalog, args.seed)
    built = {i.name for i in get_store().list()}
    for name, path in (("hand", args.hand), ("dev", args.dev)):
        if name not in sets:
            continue
        written = hand_requests(Path(path), name)
        missing = sorted({r["catalog"] for r in written} - built)
        if missing:
            print(f"[search] {name} requests skipped for unbuilt catalogs: {', '.join(missing)}", file=sys.stderr)
        reqs += [r for r in written if r["catalog"] in built]
    per_row: list[dict] = []
    seen_llm: dict[tuple[str, str], int] = {}
    t0 = time.time()
    for mi, m in enumerate(methods):
        uses_llm = m.startswith("app:") and not m.startswith("app:none")
        for ri, r in enumerate(reqs):
            if uses_llm and r["set"] == "generated" and args.llm_limit:
                key = (m, r["catalog"])
                if seen_llm.get(key, 0) >= args.llm_limit:
                    continue
                seen_llm[key] = seen_llm.get(key, 0) + 1
            ids, dt = run_method(m, r)
            per_row.append({"method": m, "set": r["set"], "catalog": r["catalog"], "language": r["language"],
                            "id": r["id"], "latency_s": round(dt, 4), "top10": ids,
                            **metrics(ids, set(r["acceptable"]))})
            if ri % 25 == 0:
                print(f"[search] {m} ({mi + 1}/{len(methods)}): {ri + 1}/{len(reqs)} requests, {time.time() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    table: dict = {}
    for m in methods:
        for s in sets:
            rows = [r for r in per_row if r["method"] == m and r["set"] == s]
            table[f"{m}|{s}|all"] = summarise(rows)
            for lang in ("en", "ko"):
                table[f"{m}|{s}|{lang}"] = summarise([r for r in rows if r["language"] == lang])
            for c in sorted({r["catalog"] for r in rows}):
                table[f"{m}|{s}|{c}"] = summarise([r for r in rows if r["catalog"] == c])
    result = {"command": "python " + " ".join(sys.argv), "methods": methods, "sets": sets, "table": table,
              "rows": per_row, "seconds": round(time.time() - t0, 1)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(out)
    print_table(result)
    if args.plot:
        plot(result, args.plot)
    return result


def print_table(result: dict) -> None:
    for s in result["sets"]:
        print(f"\n{s}: success@5 / precision@10 / NDCG@10 (en | ko), latency p50")
        print(f"{'method':28} {'all':>22} {'en':>22} {'ko':>22} {'p50 s':>7}")
        for m in result["methods"]:
            cells = []
            for part in ("all", "en", "ko"):
                t = result["table"].get(f"{m}|{s}|{part}") or {}
                cells.append("-" if not t.get("n") else f"{t['success@5']:.2f}/{t['precision@10']:.2f}/{t['ndcg@10']:.2f}")
            lat = (result["table"].get(f"{m}|{s}|all") or {}).get("latency_p50_s")
            print(f"{m:28} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22} {lat if lat is not None else '-':>7}")


def plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(result["sets"]), figsize=(6 * len(result["sets"]), 4), squeeze=False)
    for ax, s in zip(axes[0], result["sets"]):
        ms = result["methods"]
        vals = [(result["table"].get(f"{m}|{s}|all") or {}).get("success@5") or 0 for m in ms]
        ax.barh(ms, vals)
        ax.set_xlim(0, 1)
        ax.set_title(f"{s}: success@5")
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
