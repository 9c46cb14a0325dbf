"""The `recchat` command line.

    recchat ask "a funny animated movie about toys that come alive"
    recchat ask --history watched.txt --json
    recchat models list --json
    recchat serve                      # same as `python app.py`
    recchat catalog list|build|show|remove|add ...
    recchat eval ...   recchat cf ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape  # titles and errors are data: '[/]' must print, not parse
from rich.table import Table

from recchat.cli.catalog import catalog_app
from recchat.cli.cf import cf_app
from recchat.cli.eval import eval_cmd
from recchat.core.errors import BadInput, RecchatError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="recchat: chat-style zero-shot recommender")
models_app = typer.Typer(no_args_is_help=True, help="checkpoints (base, sft, dpo, yours)")
app.add_typer(models_app, name="models")
err = Console(stderr=True)
out = Console()


def _progress_cb():
    """A tqdm bar on stderr for catalog builds (first start builds the default catalog)."""
    from recchat.core.progress import tqdm_progress

    return tqdm_progress(file=sys.stderr, leave=False)


def read_text_file(path: str, what: str, max_bytes: int = 5_000_000) -> str:
    """A history/candidates file as text, with one-line errors for the ways it can be wrong."""
    if path == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        p = Path(path)
        if not p.exists():
            raise BadInput(f"{what} file {path} does not exist")
        if p.is_dir():
            raise BadInput(f"{what} file {path} is a directory")
        try:
            with open(p, "rb") as f:
                data = f.read(max_bytes + 1)
        except OSError as e:
            raise BadInput(f"{what} file {path} cannot be read: {e.strerror}") from e
    if len(data) > max_bytes:
        raise BadInput(f"{what} file {path} is over {max_bytes // 1_000_000} MB")
    if b"\x00" in data[:8192]:
        raise BadInput(f"{what} file {path} is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadInput(f"{what} file {path} is not UTF-8 text") from e


@app.command()
def ask(
    query: Optional[str] = typer.Argument(None, help="what you want, or a pasted list of items you liked"),
    history: Optional[str] = typer.Option(None, "--history", help="file of consumed items, one per line ('-' = stdin)"),
    candidates: Optional[str] = typer.Option(None, "--candidates", help="file of catalog item ids to rank (listwise)"),
    catalog: Optional[str] = typer.Option(None, "--catalog", help="catalog name (recchat catalog list)"),
    checkpoint: Optional[str] = typer.Option(None, "--checkpoint", help="base, sft, dpo, ... (recchat models list)"),
    top_k: int = typer.Option(10, "--top-k", min=1, max=100),
    max_tokens: int = typer.Option(64, "--max-tokens", min=1, max=1024),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0, max=2.0),
    seed: Optional[int] = typer.Option(None, "--seed"),
    task: Optional[str] = typer.Option(None, "--task", help="search | recommend (default: detected)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    explain: Optional[bool] = typer.Option(None, "--explain/--no-explain",
                                           help="one sentence on why the shown items fit (default: RECCHAT_EXPLAIN, on)"),
):
    """Ask for recommendations: streams the rationale, then the items and why they fit."""
    from recchat.catalog import build as cat
    from recchat.prompts import parse_history
    from recchat.chat.pipeline import AskRequest, run

    if task not in (None, "search", "recommend"):
        raise BadInput("--task must be 'search' or 'recommend'")
    hist = parse_history(read_text_file(history, "history")) if history else None
    if history and not hist:
        raise BadInput(f"history file {history} lists no items")
    cands = None
    if candidates:
        cands = [x.strip() for x in read_text_file(candidates, "candidates").splitlines() if x.strip()]
    cat.ensure_default(progress=_progress_cb())
    req = AskRequest(query=query or "", history=hist, candidates=cands, catalog=catalog, checkpoint=checkpoint,
                     top_k=top_k, max_tokens=max_tokens, temperature=temperature, seed=seed, task=task,
                     explain=explain)
    answer = None
    streamed = ""
    for ev in run(req):
        if ev[0] in ("token", "why") and not as_json:
            if streamed != ev[0]:
                out.print(("\n" if streamed else "") + ("[bold]rationale:[/bold] " if ev[0] == "token" else "[bold]why:[/bold] "), end="")
                streamed = ev[0]
            out.print(ev[1].rstrip("\n") if ev[0] == "why" else ev[1], end="", markup=False, highlight=False, soft_wrap=True)
        elif ev[0] == "answer":
            answer = ev[1]
    if as_json:
        print(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2))
        return
    if streamed:
        out.print()
    for n in answer.notices:
        err.print(f"[yellow]note:[/yellow] {escape(n)}")
    t = Table(title=escape(f"{answer.catalog} · {answer.task} · {answer.checkpoint}"))
    t.add_column("#", justify="right")
    t.add_column("id")
    t.add_column("title")
    t.add_column("score", justify="right")
    t.add_column("why")
    for i, it in enumerate(answer.items, 1):
        t.add_row(str(i), escape(it.id), escape(it.title), f"{it.score:.4f}", escape(it.evidence or ""))
    out.print(t)
    tm = answer.timings
    err.print(f"ttft {tm.ttft_s or 0:.2f}s · {tm.decode_tok_s or 0:.1f} tok/s · retrieval {tm.retrieval_ms:.0f} ms "
              f"· total {tm.total_s:.2f}s")


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json")):
    """Registered checkpoints and whether they load."""
    from recchat.llm.checkpoints import list_models

    rows = list_models()
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    t = Table()
    for c in ("name", "available", "path", "adapter", "description"):
        t.add_column(c)
    for r in rows:
        t.add_row(escape(r["name"]), "yes" if r["available"] else "no", escape(r["path"]), escape(r["adapter"] or ""),
                  escape(r["description"]))
    out.print(t)


@app.command()
def serve():
    """Start the web app (same as `python app.py`)."""
    from recchat.app.web import launch

    launch()


app.add_typer(catalog_app, name="catalog")
app.command("eval")(eval_cmd)
app.add_typer(cf_app, name="cf")


def main() -> None:
    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:  # a command's typer.Exit(code) is returned here, not raised
            sys.exit(rc)
    except RecchatError as e:
        err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # click usage errors and friends: one line, not a traceback
        import click

        if isinstance(e, click.exceptions.ClickException):
            e.show()
            sys.exit(e.exit_code)
        if isinstance(e, click.exceptions.Abort):
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
