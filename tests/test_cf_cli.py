"""`recchat cf train/show` end to end on a tiny log; bad input gives one line and exit code 2."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from recchat.catalog.build import interactions_path
from recchat.cli.cf import cf_app

runner = CliRunner()


def _write_log() -> None:
    rows = []
    fill = ["C", "D", "E"]
    for u in range(15):
        seq = [fill[u % 3], "A", "B", fill[(u + 1) % 3], fill[(u + 2) % 3]]
        rows += [(f"u{u}", it, t, 1.0) for t, it in enumerate(seq)]
    p = interactions_path("tinylog")
    p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["user", "item", "order", "rating"]).to_parquet(p)


def test_train_then_show(empty_home):
    _write_log()
    r = runner.invoke(cf_app, ["train", "--catalog", "tinylog", "--model", "all", "--epochs", "2", "--dim", "8",
                               "--max-len", "4", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert set(rep) == {"popularity", "itemknn", "sasrec"} and rep["sasrec"]["epochs_done"] == 2
    # a second run with more epochs continues from the checkpoint
    r = runner.invoke(cf_app, ["train", "-c", "tinylog", "-m", "sasrec", "--epochs", "3", "--dim", "8",
                               "--max-len", "4", "--patience", "0", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["sasrec"]["resumed_from"] == 2
    r = runner.invoke(cf_app, ["show", "--catalog", "tinylog", "--json"])
    shown = json.loads(r.stdout)
    assert shown["available"] == ["popularity", "itemknn", "sasrec"] and shown["eval_users"] == 15
    r = runner.invoke(cf_app, ["show", "--catalog", "tinylog"])
    assert r.exit_code == 0 and "itemknn" in r.stdout and "sasrec" in r.stdout


def test_bad_input_is_one_line(empty_home):
    r = runner.invoke(cf_app, ["train", "--catalog", "tinylog", "--model", "bpr"])
    assert r.exit_code == 2 and "unknown --model 'bpr'" in r.output and "Traceback" not in r.output
    r = runner.invoke(cf_app, ["train", "--catalog", "no-such-catalog"])
    assert r.exit_code == 2 and "no-such-catalog" in r.output and len(r.output.strip().splitlines()) == 1
    r = runner.invoke(cf_app, ["show", "--catalog", "no-such-catalog"])
    assert r.exit_code == 2 and "recchat cf train" in r.output
