"""The gate for model-written genres (recchat/llm/genres.py): how often a genre the base model gives an
item from its title alone is one the item's data has, on the training domains whose data has genres
(movies, anime), for each keep-rule; the rule shipped is the one with the most items labelled at
precision >= --min-precision. Never run on games, Steam or office.

    python benchmarks/genres.py --items 600
Writes benchmarks/results/genres.json and prints a table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from recchat.catalog.build import load_items
from recchat.catalog.prior import load as load_prior
from recchat.llm.genres import Labeller, decide, item_line

GATE = ("movies", "anime")


def true_genres(it) -> set[str]:
    return {g.strip().lower() for g in it.metadata.get("genres", [])}


def item_shares(catalog: str, n: int) -> tuple[Labeller, list[tuple[set[str], np.ndarray, float]]]:
    """The n best-known items (by the catalog's prior) with genres: (true genres, shares, mass)."""
    _, res = load_items(catalog)
    prior = load_prior(catalog) or {}
    items = [it for it in res.items if true_genres(it) - {"(no genres listed)"}]
    items.sort(key=lambda it: -(prior.get(it.id, (0.0, 0.0))[0] or 0.0))
    lab = Labeller(catalog)
    out = []
    for it in items[:n]:
        s, mass = lab.shares(item_line(catalog, it.title))
        out.append((true_genres(it), s, mass))
    return lab, out


def score(lab: Labeller, rows, rule: dict) -> dict:
    kept = right = labelled = 0
    for truth, s, mass in rows:
        g = decide(s, mass, lab.words, lab.labels, **rule)
        if g.genres:
            labelled += 1
        for x in g.genres:
            kept += 1
            right += x.lower() in truth
    return {"precision": right / kept if kept else None, "coverage": labelled / len(rows), "genres": kept}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=600, help="best-known items per gate catalog")
    ap.add_argument("--min-precision", type=float, default=0.65)
    ap.add_argument("--out", default="benchmarks/results/genres.json")
    a = ap.parse_args()
    t0 = time.time()
    data = {c: item_shares(c, a.items) for c in GATE}
    for lab, _ in data.values():
        lab.close()  # only its word list is needed from here on
    grid = [dict(threshold=t, min_mass=m, second=sec)
            for t, m, sec in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.0, 0.2, 0.4), (0.25, 0.35, 1.01))]
    rows = []
    for rule in grid:
        per = {c: score(lab, r, rule) for c, (lab, r) in data.items()}
        ps = [p["precision"] for p in per.values() if p["precision"] is not None]
        rows.append({"rule": rule, "per_catalog": per, "precision": float(np.mean(ps)) if ps else 0.0,
                     "coverage": float(np.mean([p["coverage"] for p in per.values()]))})
    ok = [r for r in rows if r["precision"] >= a.min_precision and
          all((p["precision"] or 0) >= a.min_precision - 0.05 for p in r["per_catalog"].values())]
    best = max(ok, key=lambda r: (r["coverage"], r["precision"])) if ok else None
    out = {"command": "python benchmarks/genres.py " + f"--items {a.items} --min-precision {a.min_precision}",
           "items_per_catalog": a.items, "rows": rows, "chosen": best, "seconds": round(time.time() - t0, 1)}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f"{'threshold':>9} {'min_mass':>8} {'second':>6} | {'precision':>9} {'coverage':>8} | "
          + " | ".join(f"{c} p/cov" for c in GATE))
    for r in sorted(rows, key=lambda r: -r["coverage"]):
        ru = r["rule"]
        mark = " <- chosen" if best is r else ""
        print(f"{ru['threshold']:>9} {ru['min_mass']:>8} {ru['second']:>6} | {r['precision']:>9.3f} {r['coverage']:>8.3f} | "
              + " | ".join(f"{(p['precision'] or 0):.2f}/{p['coverage']:.2f}" for p in r["per_catalog"].values()) + mark)
    print(f"wrote {a.out} ({out['seconds']} s)")


if __name__ == "__main__":
    main()
