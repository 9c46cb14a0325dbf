"""Present an evaluation: significance letters, the result file, footnotes, a bar chart, README tables
(the terminal table is drawn by recchat/cli/eval.py)."""

from __future__ import annotations

import json
import string
from pathlib import Path

from recchat.core.settings import REPO_ROOT
from recchat.evaluation.metrics import label
from recchat.evaluation.significance import beaten

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
SUPERSCRIPT = str.maketrans(string.ascii_lowercase, "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖqʳˢᵗᵘᵛʷˣʸᶻ")


def letters(methods: list[str]) -> dict[str, str]:
    return {m: string.ascii_lowercase[i % 26] for i, m in enumerate(methods)}


def result_path(res: dict, directory: Path | None = None) -> Path:
    d = directory or RESULTS_DIR
    return d / f"{res['catalog']}_{res['protocol']}_n{res['n_users']}_seed{res['seed']}.json"


def save(res: dict, directory: Path | None = None) -> Path:
    p = result_path(res, directory)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(p)  # atomic: a reader never sees half a file
    return p


def footnotes(res: dict) -> list[str]:
    sig = res["significance"]
    notes = [
        f"superscripts: the row beats that method's letter significantly ({sig['test']}, "
        f"{sig['correction']}, p < {sig['alpha']})",
        "* " + res["valid_ratio"]["note"],
    ]
    picks = res["valid_ratio"]["answers_with_picks"]
    if picks:
        notes.append("answers that named items: " + ", ".join(f"{n} {k}/{res['n_users']}" for n, k in picks.items()))
    for n, info in res.get("method_info", {}).items():
        if "weight" in info:
            notes.append(f"{n}: CF model {info['cf_model']}, fusion weight {info['weight']} chosen on "
                         f"{info['validation_users']} validation users (not the test users)")
    for n, why in res.get("skipped", {}).items():
        notes.append(f"skipped {n}: {why}")
    if not res["n_cold"]:
        notes.append("cold slice: no sampled user has <= 5 history items")
    if res.get("dropped"):
        notes.append("not eligible: " + ", ".join(f"{k}: {v}" for k, v in res["dropped"].items()))
    return notes


def markdown(res: dict) -> str:
    """The main table as Markdown, for the README (marks as in the terminal table)."""
    lt = letters(res["methods"])
    first = res["metrics"][0]
    head = ["", "method"] + [label(m) for m in res["metrics"]] + ["cold " + label(first), "warm " + label(first)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in res["methods"]:
        cells = [lt[n], n]
        for m in res["metrics"]:
            marks = "".join(sorted(lt[b] for b in beaten(res["significance"], n, m)))
            cells.append(f"{res['results'][n][m]:.3f}" + (f"<sup>{marks}</sup>" if marks else ""))
        for sl in ("results_cold", "results_warm"):
            r = (res.get(sl) or {}).get(n)
            cells.append(f"{r[first]:.3f}" if r else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(res: dict, path: Path) -> Path:
    """Grouped bars (metric x method) with 95% bootstrap confidence intervals."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    import numpy as np

    methods, metrics = res["methods"], res["metrics"]
    x = np.arange(len(metrics))
    w = 0.8 / max(1, len(methods))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(metrics) + 0.4 * len(methods)), 4.6))
    for i, n in enumerate(methods):
        vals = np.array([res["results"][n][m] for m in metrics])
        ci = np.array([res["ci95"][n][m] for m in metrics])
        err = np.clip(np.stack([vals - ci[:, 0], ci[:, 1] - vals]), 0, None)
        ax.bar(x + (i - (len(methods) - 1) / 2) * w, vals, w, yerr=err, capsize=3, label=n)
    ax.set_xticks(x, [label(m) for m in metrics])
    ax.set_ylabel("score (95% bootstrap CI)")
    ax.set_title(f"{res['catalog']} · {res['protocol']} · {res['n_users']} users · seed {res['seed']}")
    # below the axes: inside, the legend hides the tallest bars
    ax.legend(fontsize=8, ncols=min(4, len(methods)), loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":  # python -m recchat.evaluation.report benchmarks/results/*.json -> README tables
    import sys

    for f in sys.argv[1:]:
        r = json.loads(Path(f).read_text(encoding="utf-8"))
        print(f"**{r['catalog']} · {r['protocol']} · {r['n_users']} users · seed {r['seed']}**"
              + (f" — `{r['command']}`" if r.get("command") else "") + "\n")
        print(markdown(r) + "\n")
