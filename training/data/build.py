"""Build recchat's instruction data: four tasks, two languages, eight domains, quality-filtered.

Usage:
    python -m training.data.build --config training/configs/data.yaml            # the full set (~24k rows)
    python -m training.data.build --config training/configs/data_smoke.yaml      # a small one, minutes on CPU
    python -m training.data.build --config training/configs/data.yaml --output_dir /tmp/x --ko_share 0.5
    python -m training.data.build --config training/configs/data.yaml \\
        --writer openai --writer_base_url http://127.0.0.1:8080/v1 --writer_model my-model

Every field of `training.data.config.DataConfig` can be set in the YAML and overridden on the
command line. The build is resumable: finished rows live in <cache_dir>/rows-<config hash>.jsonl
and LLM outputs in <cache_dir>/generations.sqlite, so a killed run started again continues where it
stopped and ends with the same rows, none twice. Output: a `datasets.DatasetDict` (train /
validation, split by user, or by target item for search rows) in `output_dir`, and the card
(stats.json, score_hist.png, domain_mix.png) in `card_dir`.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

from tqdm.auto import tqdm

from recchat.core.errors import RecchatError

from training.data.config import DataConfig
from training.data.filters import RULES, GemmaTokens, HeldOutGuard, apply_filters

COLUMNS = [
    "system", "instruction", "response", "task", "domain", "catalog", "language", "writer", "query_writer",
    "score", "row_id", "user", "target_id", "source_ids", "candidate_ids", "cf_ids", "query", "rationale",
]


def held_out_guard(cfg: DataConfig) -> tuple[HeldOutGuard, dict]:
    """Titles of every held-out catalog whose loader exists (the others are reported as missing)."""
    from recchat.catalog.build import load_items, manifests

    ms = manifests()
    titles: list[str] = []
    info = {}
    for name in cfg.held_out:
        if name not in ms:
            info[name] = "no manifest"
            continue
        try:
            _, res = load_items(name)
        except (RecchatError, FileNotFoundError) as e:
            info[name] = f"not loadable: {e}"
            continue
        titles += [it.title for it in res.items]
        info[name] = len(res.items)
    return HeldOutGuard(titles), info


def load_catalogs(cfg: DataConfig, guard: HeldOutGuard):
    from recchat.catalog.build import manifests

    from training.data.tasks import load_catalog

    ms = manifests()
    cats, missing = {}, {}
    names = [c for c in cfg.catalogs if c not in cfg.held_out]
    for name in tqdm(names, desc="catalogs", unit="catalog"):
        if name not in ms:
            missing[name] = "no manifest"
            continue
        dom = cfg.domain_of.get(name)
        if dom is None or cfg.mix.get(dom, 0) <= 0:
            missing[name] = f"domain {dom!r} not in the mix"
            continue
        try:
            cats[name] = load_catalog(name, dom, guard.exact, cfg)
        except (RecchatError, FileNotFoundError) as e:
            missing[name] = f"not loadable: {e}"
    if not cats:
        raise RecchatError("no training catalog could be loaded; check RECCHAT_DATA_DIR and the catalogs list")
    return cats, missing


def split_of(group: str, seed: int, share: float) -> str:
    h = int(hashlib.sha1(f"{seed}:{group}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "validation" if h < share else "train"


def rows_path(cfg: DataConfig, cats) -> Path:
    """Finished rows of this config over this data: a loader change (new titles, same ids) starts afresh."""
    data = hashlib.sha1("|".join(f"{n}:{cd.fingerprint}" for n, cd in sorted(cats.items())).encode()).hexdigest()
    return cfg.cache_path / f"rows-{cfg.rows_key()}-{data[:8]}.jsonl"


def generate(cfg: DataConfig, specs: list[dict], cats) -> list[dict]:
    from recchat.llm.gencache import GenCache

    from training.data.rowcache import RowCache
    from training.data.tasks import build_row
    from training.data.writers import make_writer

    cache_dir = cfg.cache_path
    rows = RowCache(rows_path(cfg, cats))
    writer = make_writer(cfg, GenCache(cache_dir / "generations.sqlite"))
    todo = [s for s in specs if s["row_id"] not in rows]
    bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc="rows", unit="row")
    try:
        for s in todo:
            row = build_row(s, cats, writer if s["llm"] else None, cfg.score_threshold)
            row["llm"] = bool(s["llm"])
            rows.add(row)
            bar.update(1)
            if writer is not None and s["llm"]:
                bar.set_postfix(llm_calls=writer.calls, refresh=False)
    finally:
        bar.close()
        rows.close()
    return [rows.rows[s["row_id"]] for s in specs]


def replace_dir(new: Path, out: Path) -> None:
    """Make directory `new` the directory `out`. The old `out` is renamed aside first and deleted only
    once `new` is in place, so a kill or an error at any point leaves a complete dataset on disk
    (as `out`, or as `out.old` between the two renames, which the next call puts back first)."""
    old = out.with_name(out.name + ".old")
    if old.exists() and not out.exists():  # a previous call died between the renames
        old.replace(out)
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.replace(old)
    try:
        new.replace(out)
    except BaseException:
        if old.exists() and not out.exists():
            old.replace(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def main(cfg: DataConfig):
    import datasets
    from datasets import Dataset, DatasetDict

    from training.data.card import build_stats, write_card
    from training.data.tasks import plan

    guard, held_info = held_out_guard(cfg)
    cats, missing = load_catalogs(cfg, guard)
    specs, plan_info = plan(cfg, cats)
    all_rows = generate(cfg, specs, cats)
    kept, report = apply_filters(all_rows, GemmaTokens(), cfg, guard)
    split = {"train": [], "validation": []}
    for r in kept:
        split[split_of(r["group"], cfg.seed, cfg.validation_share)].append({c: r[c] for c in COLUMNS})
    features = datasets.Features({
        **{c: datasets.Value("string") for c in COLUMNS if c not in ("score", "source_ids", "candidate_ids", "cf_ids")},
        "score": datasets.Value("float64"),
        "source_ids": datasets.Sequence(datasets.Value("string")),
        "candidate_ids": datasets.Sequence(datasets.Value("string")),
        "cf_ids": datasets.Sequence(datasets.Value("string")),
    })
    dd = DatasetDict({k: Dataset.from_list(v, features=features) for k, v in split.items()})
    out = Path(cfg.output_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    dd.save_to_disk(str(tmp))
    replace_dir(tmp, out)  # a reader never sees half a dataset
    cfg_d = asdict(cfg)
    for k in ("output_dir", "cache_dir", "card_dir", "n_threads"):
        cfg_d.pop(k)
    stats = build_stats(kept, all_rows, report, plan_info, cfg, {
        "rules": RULES,
        "by_split": {k: len(v) for k, v in split.items()},
        "held_out": held_info,
        "exclusions": {n: dict(sorted(cd.excluded.items())) for n, cd in sorted(cats.items())},
        "missing": missing,
        "config": cfg_d,
    })
    write_card(stats, report, cfg.card_path)
    return dd, stats


def cli(argv: list[str] | None = None) -> int:
    from trl import TrlParser

    try:
        (cfg,) = TrlParser([DataConfig]).parse_args_and_config(argv)
        dd, stats = main(cfg)
    except RecchatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished rows are kept; run the same command again to resume", file=sys.stderr)
        return 130
    print(f"kept {stats['rows_kept']} of {stats['rows_planned']} rows "
          f"(dropped {dict((k, v) for k, v in stats['dropped'].items() if v)}); "
          f"train {stats['by_split']['train']}, validation {stats['by_split']['validation']} -> {cfg.output_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
