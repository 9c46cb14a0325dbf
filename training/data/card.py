"""The data card: stats.json (counts by domain, task, language, writer; drops per rule; mix target
against actual) and two plots beside it. Deterministic: no timestamps, sorted keys.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def _count(rows, key) -> dict:
    return dict(sorted(Counter(r[key] for r in rows).items()))


def build_stats(kept: list[dict], all_rows: list[dict], report, plan_info: dict, cfg, extra: dict) -> dict:
    n = len(kept)
    by_domain = _count(kept, "domain")
    target = plan_info["target_mix"]
    llm_rows = [r for r in all_rows if r.get("llm")]
    rej_q = Counter(r["llm_query_reject"] for r in llm_rows if r["llm_query_reject"])
    rej_r = Counter(r["llm_rationale_reject"] for r in llm_rows if r["llm_rationale_reject"])
    scores = sorted(report.scores)
    return {
        "rows_planned": len(all_rows),
        "rows_kept": n,
        "rows_dropped": sum(report.dropped.values()),
        "dropped": {rule: int(report.dropped.get(rule, 0)) for rule in extra["rules"]},
        "by_split": extra["by_split"],
        "by_domain": by_domain,
        "by_catalog": _count(kept, "catalog"),
        "by_task": _count(kept, "task"),
        "by_language": _count(kept, "language"),
        "by_writer": _count(kept, "writer"),
        "cf_context_rows": sum(1 for r in kept if r.get("cf_ids")),
        "by_query_writer": _count([r for r in kept if r["query_writer"]], "query_writer"),
        "mix": {d: {"target": round(target.get(d, 0.0), 4), "actual": round(by_domain.get(d, 0) / max(n, 1), 4)}
                for d in sorted(set(target) | set(by_domain))},
        "llm": {
            "rows_tried": len(llm_rows),
            "queries_accepted": sum(1 for r in llm_rows if r["query_writer"].startswith("llm:")),
            "rationales_accepted": sum(1 for r in llm_rows if r["writer"].startswith("llm:")),
            "query_rejects": dict(sorted(rej_q.items())),
            "rationale_rejects": dict(sorted(rej_r.items())),
        },
        "score": {
            "threshold": cfg.score_threshold,
            "max_kept": round(max((r["score"] for r in kept), default=0.0), 3),
            "median_all": round(scores[len(scores) // 2], 3) if scores else None,
        },
        "held_out": extra["held_out"],
        "held_out_hits": dict(report.held_out_hits.most_common(20)),
        "catalog_exclusions": extra["exclusions"],
        "missing_catalogs": extra["missing"],
        "config": extra["config"],
    }


def write_card(stats: dict, report, card_dir: Path) -> list[Path]:
    card_dir = Path(card_dir)
    card_dir.mkdir(parents=True, exist_ok=True)
    p = card_dir / "stats.json"
    p.write_text(json.dumps(stats, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")
    return [p, *_plots(stats, report, card_dir)]


def _plots(stats: dict, report, card_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    thr = stats["score"]["threshold"]
    fig, ax = plt.subplots(figsize=(7, 4))
    hi = max([thr * 1.3, *report.scores]) if report.scores else thr * 1.3
    ax.hist(report.scores, bins=60, range=(0, hi), color="#4c72b0")
    ax.axvline(thr, color="#c44e52", linestyle="--", label=f"threshold {thr:g} (drop at or above)")
    ax.set_xlabel("response score = ln(L)·L/C  (Gemma 3 tokens)")
    ax.set_ylabel("responses")
    ax.set_title(f"Response scores ({len(report.scores)} scored, {stats['dropped'].get('score', 0)} dropped)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(card_dir / "score_hist.png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    out.append(card_dir / "score_hist.png")

    mix = stats["mix"]
    doms = list(mix)
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = range(len(doms))
    ax.bar([x - 0.2 for x in xs], [mix[d]["target"] * 100 for d in doms], width=0.4, label="target", color="#8172b2")
    ax.bar([x + 0.2 for x in xs], [mix[d]["actual"] * 100 for d in doms], width=0.4, label="actual (kept)", color="#55a868")
    ax.set_xticks(list(xs), doms)
    ax.set_ylabel("% of rows")
    ax.set_title(f"Domain mix: target vs actual ({stats['rows_kept']} rows kept)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(card_dir / "domain_mix.png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    out.append(card_dir / "domain_mix.png")
    return out
