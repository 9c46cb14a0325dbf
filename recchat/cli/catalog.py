"""`recchat catalog ...`: list, build, show, remove and add catalogs.

Mounted by recchat/cli.py as `app.add_typer(catalog_app, name="catalog")`. Every command turns a
RecchatError into one line on stderr and exit status 2, also when this sub-app runs on its own.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape  # titles and errors are data: '[/]' must print, not parse
from rich.table import Table

from recchat.core.atomic import write_text_atomic
from recchat.core.errors import BadInput, RecchatError
from recchat.core.progress import tqdm_progress

catalog_app = typer.Typer(no_args_is_help=True, help="catalogs: list, build, show, remove, add")
err = Console(stderr=True)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140)  # whole lines in logs


def _one_line_errors(fn):
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except RecchatError as e:
            typer.echo(f"error: {e}", err=True)  # one line, never wrapped
            sys.exit(2)  # not typer.Exit: a parent app run with standalone_mode=False would return 0
        except FileNotFoundError as e:  # a loader whose data file is absent
            typer.echo(f"error: {e}", err=True)  # one line, never wrapped
            sys.exit(2)  # not typer.Exit: a parent app run with standalone_mode=False would return 0

    return wrapper


def _progress():
    """tqdm bars on stderr, one per phase (embedding, writing table)."""
    return tqdm_progress(file=sys.stderr, leave=False, unit="item")


@catalog_app.command("list")
@_one_line_errors
def list_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """Every catalog: bundled, from the data dir, and uploaded."""
    from recchat.catalog.build import list_catalogs

    rows = list_catalogs()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    t = Table(title="catalogs")
    for c in ("name", "domain", "language", "items", "built", "logs", "licence"):
        t.add_column(c, no_wrap=True, overflow="ellipsis", max_width=32 if c == "licence" else None)
    for r in rows:
        t.add_row(escape(r["name"]), escape(r["domain"]), escape(r["language"]), f"{r['items']:,}",
                  "yes" if r["built"] else "-", "yes" if r["has_interactions"] else "-",
                  escape((r["licence"] or "").split(" - ")[0][:32]))
    out.print(t)


def _data_dir_from_hub(dataset_id: str) -> Path:
    """A Hub dataset repo laid out like the data dir (online users only)."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(dataset_id, repo_type="dataset"))
    except Exception as e:
        raise RecchatError(f"could not download Hub dataset {dataset_id!r}: {e}") from e


def _build_one(name: str, data_dir: Path | None) -> dict:
    from recchat.catalog.build import build

    t0 = time.perf_counter()
    info = build(name, progress=_progress(), data_dir=data_dir)
    secs = time.perf_counter() - t0
    st = info.stats
    dropped = ", ".join(f"{k}: {v:,}" for k, v in (st.get("dropped") or {}).items()) or "none"
    line = (f"[bold]{escape(name)}[/bold]: read {st.get('read', 0):,}, kept {st.get('kept', info.items):,}, "
            f"dropped {escape(dropped)}")
    if "interactions" in st:
        line += f"; {st['interactions']:,} interactions by {st['users']:,} users"
    out.print(line + f" ({secs:.1f} s)", highlight=False)
    for n in st.get("notes") or []:
        out.print(f"  note: {escape(str(n))}", highlight=False)
    return {"name": name, "seconds": round(secs, 1), **{k: st.get(k) for k in ("read", "kept", "dropped",
                                                                               "interactions", "users")}}


def _size_hint(m) -> int:
    # small catalogs first, so a long --all run has most catalogs serving early
    try:
        from recchat.core.settings import get_settings

        return m.path(next(iter(m.files)), get_settings().data_dir).stat().st_size
    except (OSError, StopIteration):
        return 0


@catalog_app.command("build")
@_one_line_errors
def build_cmd(
    name: Optional[str] = typer.Argument(None, help="catalog name (see `recchat catalog list`)"),
    all_: bool = typer.Option(False, "--all", help="build every catalog that has a manifest"),
    hf_dataset: Optional[str] = typer.Option(None, "--hf-dataset", help="Hub dataset laid out like the data dir"),
    report: Optional[Path] = typer.Option(None, "--report", help="write per-catalog counts and times as JSON"),
):
    """Build (or rebuild) catalogs from their manifests; resumes a killed build."""
    from recchat.catalog.build import manifests

    ms = manifests()
    if all_ == bool(name):
        raise BadInput("give a catalog NAME or --all")
    names = sorted(ms, key=lambda n: _size_hint(ms[n])) if all_ else [name]
    if name and name not in ms:
        raise BadInput(f"no manifest for catalog {name!r}; known: {', '.join(sorted(ms))} "
                       "(uploads are rebuilt with `recchat catalog add`)")
    data_dir = _data_dir_from_hub(hf_dataset) if hf_dataset else None
    results, failed = [], []
    for n in names:
        try:
            results.append(_build_one(n, data_dir))
        except (RecchatError, FileNotFoundError, ValueError) as e:
            if not all_:
                raise RecchatError(str(e)) from e
            failed.append(n)
            typer.echo(f"error: {n}: {e}", err=True)
    if report:
        write_text_atomic(report, json.dumps({"built": results, "failed": failed}, indent=1, ensure_ascii=False))
    if failed:
        raise RecchatError(f"{len(failed)} catalog(s) failed: {', '.join(failed)}")


@catalog_app.command("show")
@_one_line_errors
def show_cmd(name: str, n: int = typer.Option(5, "--n", help="sample items to show"),
             as_json: bool = typer.Option(False, "--json", help="print JSON")):
    """A catalog's info, build stats and a few sample items."""
    from recchat.retrieval.store import get_store

    store = get_store()
    info = store.info(name)
    rows = store.table(name).search().select(["id", "title", "text"]).limit(n).to_list()
    data = {**info.__dict__, "samples": [{k: r[k] for k in ("id", "title", "text")} for r in rows]}
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return
    out.print(f"[bold]{escape(name)}[/bold] · {escape(info.domain)} · {escape(info.language)} · {info.items:,} items · "
              f"embedder {escape(info.embedder)} ({info.dim}-d) · built {time.strftime('%Y-%m-%d %H:%M', time.localtime(info.built_at))}",
              highlight=False)
    out.print(escape(f"source: {info.source or '-'}\nlicence: {info.licence or '-'}"), highlight=False)
    out.print(escape(f"stats: {json.dumps(info.stats, ensure_ascii=False)}"), highlight=False)
    t = Table(title="sample items")
    for c in ("id", "title", "text"):
        t.add_column(c)
    for r in data["samples"]:
        t.add_row(escape(r["id"]), escape(r["title"][:60]), escape(r["text"][:90]))
    out.print(t)


@catalog_app.command("genres")
@_one_line_errors
def genres_cmd(name: str, limit: Optional[int] = typer.Option(None, "--limit", help="label only the first N items"),
               from_neighbours: bool = typer.Option(False, "--from-neighbours",
                                                    help="label items from the genres of co-consumed items "
                                                         "(needs `recchat cf train --catalog NAME`)"),
               share: float = typer.Option(0.5, "--share", min=0.05, max=1.0,
                                           help="--from-neighbours: least share of the neighbours with a genre")):
    """Write the genres the base model knows for a catalog's items (catalogs/data/NAME/model_genres.csv),
    or with --from-neighbours those of the items the same people consumed (neighbour_genres.csv).

    For catalogs whose data has no genres (games, books); the next build joins them into item text."""
    from recchat.catalog.build import load_items
    from recchat.catalog.model_genres import write
    from recchat.llm.genres import RULE, VOCAB, Labeller, label_items

    m, res = load_items(name)
    if from_neighbours:
        return _neighbour_genres(name, res.items, share)
    if m.domain not in VOCAB:
        raise BadInput(f"no genre list for domain {m.domain!r}; known: {', '.join(sorted(VOCAB))}")
    todo = [it for it in res.items if not it.metadata.get("genres")][:limit]
    lab = Labeller(m.domain)
    t0 = time.time()
    err.print(f"labelling {len(todo):,} items of {name} ({m.domain})")
    got = label_items(lab, ((it.id, it.title, ", ".join(it.metadata.get("authors", [])[:1])) for it in todo), RULE,
                      progress=lambda k: err.print(f"  {k:,}/{len(todo):,} ({time.time() - t0:.0f} s)"))
    lab.close()
    p = write(name, [(i, g.genres, g.confidence) for i, g in got if g.genres])
    n = sum(1 for _, g in got if g.genres)
    out.print(f"{n:,} of {len(todo):,} items got genres ({time.time() - t0:.0f} s): {escape(str(p))}; "
              f"rebuild with `recchat catalog build {escape(name)}`", highlight=False)


def _neighbour_genres(name: str, items: list, share: float) -> None:
    from recchat.catalog import neighbour_genres as NG
    from recchat.cf.registry import load_cf

    knn = load_cf(name, "itemknn")  # a clear message names `recchat cf train` when there is none
    labels = {it.id: it.metadata.get("genres") or it.metadata.get("model_genres") for it in items}
    labels = {i: g for i, g in labels.items() if g}
    if not labels:
        raise BadInput(f"no item of {name!r} has genres to spread; run `recchat catalog genres {name}` first")
    c = NG.check(knn.sim, NG.by_row(knn.index, labels), share)
    rows = NG.propagate(knn.item_ids, knn.sim, labels, share)
    p = NG.write(name, rows)
    out.print(f"checked on the {c.labelled:,} items with genres (each from its neighbours alone): precision "
              f"{c.precision:.2f}, recall {c.recall:.2f}, {c.covered:.0%} labelled; {len(rows):,} of "
              f"{len(items) - len(labels):,} items without genres got some: {escape(str(p))}; "
              f"rebuild with `recchat catalog build {escape(name)}`", highlight=False)


@catalog_app.command("remove")
@_one_line_errors
def remove_cmd(name: str):
    """Remove a built catalog (its table and interaction log); a manifest can rebuild it later."""
    from recchat.catalog.build import interactions_path
    from recchat.retrieval.store import get_store

    get_store().remove(name)
    p = interactions_path(name)
    if p.exists():
        p.unlink()
    out.print(f"removed {escape(name)}", highlight=False)


@catalog_app.command("add")
@_one_line_errors
def add_cmd(
    name: str,
    file: Optional[Path] = typer.Option(None, "--file", help="CSV, TSV, JSON, JSONL or Parquet"),
    hf_dataset: Optional[str] = typer.Option(None, "--hf-dataset", help="a Hub dataset id instead of a file"),
    id_col: Optional[str] = typer.Option(None, "--id-col", help="id column (default: generated, stable)"),
    title_col: Optional[str] = typer.Option(None, "--title-col", help="title column (default: 'title' or 'name')"),
    text_col: Optional[str] = typer.Option(None, "--text-col", help="extra text to embed (description...)"),
):
    """Add (or replace) a catalog from your own file."""
    from recchat.catalog import upload

    if bool(file) == bool(hf_dataset):
        raise BadInput("give --file F or --hf-dataset ID")
    kw = dict(id_col=id_col, title_col=title_col, text_col=text_col, progress=_progress())
    info = (upload.add_catalog(name, file, **kw) if file
            else upload.add_hf_dataset(name, hf_dataset, **kw))
    st = info.stats
    out.print(f"added [bold]{escape(name)}[/bold]: {info.items:,} items (read {st.get('read', info.items):,}, "
              f"ids {'from ' + repr(st.get('id_col')) if st.get('id_col') else 'generated'})", highlight=False)
