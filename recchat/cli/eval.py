"""`recchat eval`: zero-shot ranking on a catalog's interaction log, every method on the same users.

    recchat eval --catalog games --protocol full --users 500 --seed 0 \\
        --methods random,popularity,bm25,embedding,hyde:base --plot games.png
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.markup import escape  # titles and errors are data: '[/]' must print, not parse
from rich.table import Table

from recchat.core.errors import RecchatError

__all__ = ["eval_cmd"]


def eval_cmd(
    catalog: str = typer.Option(..., "--catalog", "-c", help="a built catalog with an interaction log"),
    protocol: str = typer.Option("full", "--protocol", "-p", help="full | candidates20"),
    users: int = typer.Option(500, "--users", "-n", help="users to sample (all if fewer)"),
    seed: int = typer.Option(0, "--seed", help="sampling seed (users, negatives, generation)"),
    methods: str = typer.Option(
        "random,popularity,bm25,embedding", "--methods", "-m",
        help="comma list: random, popularity, bm25, embedding, itemknn, sasrec, hyde[:CKPT], hybrid[:CKPT], "
             "hyde+cfprompt[:CKPT], hybrid+cf[:CKPT]",
    ),
    checkpoint: Optional[List[str]] = typer.Option(
        None, "--checkpoint", help="checkpoint(s) for a bare hyde/hybrid/hyde+cfprompt/hybrid+cf (repeat or comma list)"),
    max_history: int = typer.Option(10, "--max-history", help="history items shown per user (the last ones)"),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="rationale length for hyde (default: settings)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="bar chart with 95% bootstrap CIs (PNG/SVG/PDF)"),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="result file folder (default benchmarks/results)"),
    no_progress: bool = typer.Option(False, "--no-progress", help="no progress bars"),
) -> None:
    """Rank held-out items on a catalog's log: baselines and HyDE, with significance tests."""
    from recchat.evaluation import report
    from recchat.evaluation.run import evaluate

    err = Console(stderr=True)
    ckpts = [c.strip() for raw in (checkpoint or []) for c in raw.split(",") if c.strip()] or None
    try:
        res = evaluate(catalog, protocol, users, seed, methods, ckpts, max_history, max_tokens,
                       progress=not no_progress, notify=lambda m: err.print(f"[yellow]{escape(m)}[/yellow]", highlight=False))
    except RecchatError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        sys.exit(2)  # not typer.Exit: `recchat` runs the app with standalone_mode=False, which returns it as 0
    res["command"] = "recchat eval " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if _is_eval_argv() else None
    path = report.save(res, out_dir)
    if plot is not None:
        report.plot(res, plot)
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False))
        return
    con = Console()
    for t in tables(res):
        con.print(t)
    for n in report.footnotes(res):
        con.print(f"[dim]{escape(n)}[/dim]", highlight=False)
    con.print(escape(f"saved {path}" + (f" · plot {plot}" if plot else "")), highlight=False)


def _is_eval_argv() -> bool:
    # the exact command goes into the result file (README figures cite it); only when run as `recchat eval`
    return len(sys.argv) > 1 and sys.argv[1] == "eval"


def tables(res: dict) -> list[Table]:
    """The main table and the cold- and warm-slice tables, with significance marks."""
    from recchat.evaluation import report  # the evaluation stack loads only when `eval` runs
    from recchat.evaluation.metrics import label
    from recchat.evaluation.significance import beaten

    out = []
    lt = report.letters(res["methods"])
    for suffix, title in (("", f"{res['catalog']} · {res['protocol']} · {res['n_users']} users · seed {res['seed']}"),
                          ("_cold", f"cold slice (≤5 history items): {res['n_cold']} users"),
                          ("_warm", f"warm slice (>5 history items): {res.get('n_warm', 0)} users")):
        results, sig = res.get("results" + suffix), res.get("significance" + suffix)
        if not results:
            continue
        t = Table(title=escape(title), title_justify="left")
        t.add_column("", style="dim")
        t.add_column("method")
        for m in res["metrics"]:
            t.add_column(label(m), justify="right")
        if not suffix:
            t.add_column("ValidRatio", justify="right")
        best = {m: max(results[n][m] for n in res["methods"]) for m in res["metrics"]}
        for n in res["methods"]:
            row = [lt[n], escape(n)]
            for m in res["metrics"]:
                v = results[n][m]
                marks = "".join(sorted(lt[b] for b in beaten(sig, n, m))).translate(report.SUPERSCRIPT)
                cell = f"{v:.3f}{marks}"
                row.append(f"[bold]{cell}[/bold]" if v == best[m] and v > 0 else cell)
            if not suffix:
                vr = results[n].get("ValidRatio", 1.0)
                row.append(f"{vr:.2f}" + ("" if n in res["valid_ratio"]["answers_with_picks"] else "*"))
            t.add_row(*row)
        out.append(t)
    return out
