"""Does fusing LanceDB full-text search into the vector ranking help? Measured on `movies`, no LLM.

    python benchmarks/hybrid.py [--queries 300] [--users 300] [--seed 0]

Two query sets, each ranked by vector search alone, full-text search alone, and their fusion (the
runtime's reciprocal-rank fusion with the runtime's weights):
- keyword search: a movie's user tags as the query ("pixar, toys, funny"), the movie as the target.
  The tags are also in the item text, so this measures lexical vs semantic matching of the same words
  (the situation of a user typing keywords), not paraphrase.
- next item: a MovieLens user's last 10 items (vector = mean of their catalog vectors; text = their
  titles) -> the held-out next item, history excluded.
Metrics with ranx: HR@10, NDCG@10, MRR@10. Writes JSON, prints a table.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "hybrid_movies.json"))
    args = ap.parse_args()

    import pandas as pd
    from ranx import Qrels, Run, evaluate
    from rich.console import Console
    from rich.table import Table

    from recchat.catalog import build as catalog
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.rank import Exclusion, normalise, rank
    from recchat.retrieval.store import get_store

    catalog.ensure_default()
    store = get_store()
    emb = get_embedder()
    rng = random.Random(args.seed)
    k = 10

    def score_sets(cases):
        """cases: list of (qid, user_vec, fts_text, target_id, exclusion) -> {method: metrics}."""
        runs = {"vector": {}, "fts": {}, "hybrid": {}}
        qrels = {}
        for qid, vec, text, target, excl in cases:
            qrels[qid] = {target: 1}
            for m in runs:
                rows, scores = rank(store, "movies", user_vec=vec if m != "fts" else None, hyde_vec=None,
                                    fts_text=text if m != "vector" else "", k=k, exclusion=excl,
                                    hybrid=m != "vector")
                runs[m][qid] = {r["id"]: float(k - i) for i, r in enumerate(rows)} or {"__none__": 0.0}
        out = {}
        for m, r in runs.items():
            out[m] = evaluate(Qrels(qrels), Run(r), ["hit_rate@10", "ndcg@10", "mrr@10"])
        return out

    # keyword queries from user tags
    tags = pd.read_csv(ROOT / "catalogs" / "data" / "movies" / "tags.csv")
    by_movie: dict[str, Counter] = defaultdict(Counter)
    for r in tags.itertuples():
        by_movie[str(r.movieId)][str(r.tag).strip().lower()] += 1
    movies = sorted(m for m, c in by_movie.items() if len(c) >= 3)
    rng.shuffle(movies)
    movies = movies[: args.queries]
    qtexts = [", ".join(t for t, _ in by_movie[m].most_common(3)) for m in movies]
    qvecs = emb.embed_queries(qtexts)
    kw_cases = [(f"q{i}", qvecs[i], qtexts[i], m, Exclusion()) for i, m in enumerate(movies)]
    kw = score_sets(kw_cases)

    # next item from the log (needs the data dir)
    nxt = None
    try:
        log = catalog.load_interactions("movies")
    except Exception:
        log = None
    if log is not None:
        users = sorted(log["user"].unique())
        rng.shuffle(users)
        cases = []
        for u in users[: args.users]:
            seq = log[log.user == u].sort_values("order")["item"].tolist()
            if len(seq) < 3:
                continue
            hist, target = seq[-11:-1], seq[-1]
            rows = store.get("movies", hist)
            if not rows:
                continue
            vec = normalise(np.mean([normalise(np.asarray(r["vector"])) for r in rows], axis=0))
            text = " ".join(r["title"] for r in rows[-5:])
            cases.append((f"u{u}", vec, text, target, Exclusion(ids=set(seq[:-1]))))
        nxt = score_sets(cases)

    res = {"catalog": "movies", "seed": args.seed, "keyword_search": kw, "next_item": nxt,
           "n_keyword_queries": len(kw_cases), "n_users": args.users if nxt else 0}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2))
    t = Table(title="hybrid vs vector vs full-text (movies, no LLM)")
    t.add_column("query set")
    t.add_column("method")
    for m in ("HR@10", "NDCG@10", "MRR@10"):
        t.add_column(m, justify="right")
    for name, r in (("keyword search", kw), ("next item", nxt)):
        if not r:
            continue
        for m, v in r.items():
            t.add_row(name, m, f"{v['hit_rate@10']:.3f}", f"{v['ndcg@10']:.3f}", f"{v['mrr@10']:.3f}")
    Console().print(t)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
