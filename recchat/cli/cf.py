"""`recchat cf ...`: train and inspect collaborative-filtering models (mounted by recchat.cli.main)."""

from __future__ import annotations

import json

import typer

from recchat.core.errors import RecchatError

cf_app = typer.Typer(help="Collaborative-filtering models trained on a catalog's interaction log.", no_args_is_help=True)


def _fail(e: Exception) -> None:
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(2)


@cf_app.command("train")
def train_cmd(
    catalog: str = typer.Option(..., "--catalog", "-c", help="catalog name (needs an interaction log)"),
    model: str = typer.Option("all", "--model", "-m", help="itemknn, ease, sasrec or all (itemknn and sasrec)"),
    epochs: int = typer.Option(30, "--epochs", help="SASRec epochs (a rerun resumes from the last finished one)"),
    patience: int = typer.Option(5, "--patience", help="stop SASRec after this many epochs without a better validation NDCG@10; 0 = never"),
    dim: int = typer.Option(64, "--dim", help="SASRec embedding size"),
    max_len: int = typer.Option(50, "--max-len", help="SASRec history length"),
    knn_k: int = typer.Option(100, "--knn-k", help="item-kNN neighbours kept per item"),
    shrink: float = typer.Option(10.0, "--shrink", help="item-kNN cosine shrinkage"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="print the reports as JSON"),
) -> None:
    """Train item-kNN and/or SASRec on the catalog's log (leave-last-out: the last two items per user are held out)."""
    from recchat.cf.sasrec import SASRecConfig
    from recchat.cf.train import train

    models = {"all": ["itemknn", "sasrec"], "itemknn": ["itemknn"], "ease": ["ease"], "sasrec": ["sasrec"]}.get(model)
    if models is None:
        _fail(RecchatError(f"unknown --model {model!r}; choose itemknn, ease, sasrec or all"))
    if epochs < 1:
        _fail(RecchatError("--epochs must be at least 1"))
    try:
        reports = train(catalog, models, epochs=epochs, patience=patience or None, knn_k=knn_k, shrink=shrink,
                        seed=seed, sasrec_config=SASRecConfig(dim=dim, max_len=max_len),
                        log=lambda s: typer.echo(s, err=as_json))
    except RecchatError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "history"} for k, v in reports.items()}, indent=2))


@cf_app.command("show")
def show_cmd(
    catalog: str = typer.Option(..., "--catalog", "-c"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What is trained for a catalog: data, validation Hit@10 / NDCG@10, time and memory."""
    from recchat.cf.base import cf_dir
    from recchat.cf.registry import available_cf, read_meta

    meta = read_meta(catalog)
    have = available_cf(catalog)
    if not have:
        _fail(RecchatError(f"catalog {catalog!r} has no CF models; run `recchat cf train --catalog {catalog}`"))
    if as_json:
        typer.echo(json.dumps({"available": have, **meta}, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape  # a '[' in a path must print, not parse
    from rich.table import Table

    c = Console()
    c.print(f"[bold]{escape(catalog)}[/]: {meta.get('interactions', 0):,} interactions, {meta.get('users', 0):,} users "
            f"({meta.get('eval_users', 0):,} evaluable), {meta.get('items', 0):,} items  - {escape(str(cf_dir(catalog)))}")
    t = Table("model", "valid hit@10", "valid ndcg@10", "users", "train s", "peak RSS MB", "notes")
    for m in have:
        r = meta.get("models", {}).get(m, {})
        v = r.get("valid") or {}
        notes = ""
        if m == "sasrec" and r:
            notes = f"epochs {r.get('epochs_done')}, best {r.get('best_epoch')}"
            if r.get("resumed_from"):
                notes += f", resumed from {r['resumed_from']}"
        elif m == "itemknn" and r:
            notes = f"k {r.get('k')}, shrink {r.get('shrink')}, decay {r.get('decay')}"
        elif m == "ease" and r:
            notes = f"lambda {r.get('lambda')}, decay {r.get('decay')}"
        if m in ("itemknn", "ease") and "sequence_share" in r:  # trained before session 14: no rules
            notes += f", rules {r['sequence_share']}"
        t.add_row(m, f"{v.get('hit@10', float('nan')):.4f}", f"{v.get('ndcg@10', float('nan')):.4f}",
                  str(v.get("users", "")), str(r.get("seconds", "")), str(r.get("peak_rss_mb", "")), notes)
    c.print(t)


@cf_app.command("tune")
def tune_cmd(
    catalog: str = typer.Option(..., "--catalog", "-c"),
    checkpoint: str = typer.Option("base", "--checkpoint", help="the checkpoint whose HyDE answers are fused"),
    users: int = typer.Option(100, "--users", "-n", help="validation users (their second-to-last item is the target)"),
    protocol: str = typer.Option("candidates20", "--protocol", "-p", help="candidates20 | full"),
    seed: int = typer.Option(0, "--seed"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Choose the HyDE+CF fusion weight the app uses (Hit@1 on validation items, never test items)."""
    from recchat.evaluation.cf_methods import tune_fusion

    if protocol not in ("candidates20", "full"):
        _fail(RecchatError(f"unknown protocol {protocol!r}; use candidates20 or full"))
    try:
        chosen = tune_fusion(catalog, checkpoint, protocol, users, seed)
    except RecchatError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(chosen, indent=2))
        return
    typer.echo(f"{catalog}: fusion weight {chosen['weight']} (0 = HyDE alone, 1 = {chosen['cf_model']} alone), "
               f"chosen on {chosen['validation_users']} validation users with {checkpoint}; saved for the app")
    for w, r in chosen["table"].items():
        typer.echo(f"  w={w}: hit@1 {r['hit@1']:.3f}  ndcg@10 {r['ndcg@10']:.3f}")
