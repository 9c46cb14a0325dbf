"""End-to-end `recchat eval` on a tiny hand-made catalog + log in a temp home (real LanceDB, real e5)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from recchat.core.schema import Item

GENRES = {
    "space": ("Star", "a space shooter: pilot a starfighter, dogfight alien fleets among the stars"),
    "farm": ("Harvest", "a cozy farming simulation: grow crops, raise cows and chickens, sell vegetables"),
    "race": ("Turbo", "a car racing game: drive fast sports cars on circuits, drift and win the grand prix"),
    "horror": ("Haunted", "a survival horror game: escape a haunted mansion full of zombies and ghosts"),
}


def _items() -> list[Item]:
    out = []
    for g, (word, desc) in GENRES.items():
        for k in range(8):
            title = f"{word} {g.title()} {k + 1}"
            out.append(Item(id=f"{g}{k}", title=title, text=f"{title} | {desc}", domain="games"))
    return out


def _log() -> pd.DataFrame:
    # each user stays in one genre: history of 2-7 items, the target another item of that genre
    rows = []
    for u in range(12):
        g = list(GENRES)[u % 4]
        n = 3 + u % 6
        seq = [(u + j) % 8 for j in range(n)]
        rows += [(f"user{u:02d}", f"{g}{k}", t, 4.0) for t, k in enumerate(seq)]
    return pd.DataFrame(rows, columns=["user", "item", "order", "rating"])


@pytest.fixture()
def tiny(empty_home):
    from recchat.catalog.build import interactions_path
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    get_store().build("tiny", _items(), get_embedder(), domain="games", has_interactions=True)
    p = interactions_path("tiny")
    p.parent.mkdir(parents=True, exist_ok=True)
    _log().to_parquet(p, index=False)
    return empty_home


def _cli():
    from recchat.cli.eval import eval_cmd

    app = typer.Typer()
    app.command("eval")(eval_cmd)
    app.command("noop")(lambda: None)  # two commands: typer keeps "eval" as a sub-command name
    return app


def _eval(tmp_path, *args):
    r = CliRunner().invoke(_cli(), ["eval", "--catalog", "tiny", "--out-dir", str(tmp_path / "res"),
                                    "--no-progress", *args])
    return r


def test_eval_full_baselines_end_to_end(tiny, tmp_path):
    plot = tmp_path / "bars.png"
    r = _eval(tmp_path, "--protocol", "full", "--users", "8", "--seed", "0",
              "--methods", "random,popularity,embedding,bm25", "--json", "--plot", str(plot))
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["catalog"] == "tiny" and res["protocol"] == "full" and res["n_users"] == 8 and res["seed"] == 0
    assert res["methods"] == ["random", "popularity", "embedding", "bm25"]
    for m in res["methods"]:
        for k in ("hit_rate@10", "hit_rate@20", "ndcg@10", "ndcg@20", "mrr@10"):
            assert 0.0 <= res["results"][m][k] <= 1.0
        assert res["results"][m]["ValidRatio"] == 1.0  # retrieval ranks real items only
        lo, hi = res["ci95"][m]["hit_rate@10"]
        assert lo <= res["results"][m]["hit_rate@10"] <= hi
    # genre-pure histories: the mean history vector finds the genre, random does not
    assert res["results"]["embedding"]["hit_rate@10"] >= 0.75
    assert res["results"]["embedding"]["hit_rate@10"] > res["results"]["random"]["hit_rate@10"]
    earlier = _log().groupby("user").size() - 1
    assert res["n_cold"] == sum(int(earlier[u] <= 5) for u in res["users"])
    assert set(res["results_cold"]) == set(res["methods"])
    assert res["n_warm"] == res["n_users"] - res["n_cold"]  # the two slices split the sample
    if res["n_warm"] and res["n_cold"]:
        for m in res["methods"]:  # the overall figure is the users-weighted mean of the slices
            both = (res["results_cold"][m]["mrr@10"] * res["n_cold"] + res["results_warm"][m]["mrr@10"] * res["n_warm"])
            assert abs(both / res["n_users"] - res["results"][m]["mrr@10"]) < 1e-9
    assert res["significance"]["correction"].startswith("holm")
    assert {p["metric"] for p in res["significance"]["pairs"]} == set(res["metrics"])
    assert len(res["significance"]["pairs"]) == 6 * 5  # 4 methods -> 6 pairs, 5 metrics
    saved = tmp_path / "res" / "tiny_full_n8_seed0.json"
    assert json.loads(saved.read_text())["results"] == res["results"]
    assert plot.exists() and plot.stat().st_size > 1000


def test_eval_candidates20_same_users_and_reproducible(tiny, tmp_path):
    args = ("--protocol", "candidates20", "--users", "6", "--seed", "3", "--methods", "random,popularity,embedding", "--json")
    a = json.loads(_eval(tmp_path, *args).stdout)
    b = json.loads(_eval(tmp_path, *args).stdout)
    assert a["results"] == b["results"]  # seeded users, negatives and random ranks
    assert a["metrics"] == ["hit_rate@1", "ndcg@5"]
    # the tiny catalog has 32 items: each user's 20 candidates = target + 19 never-seen items
    assert a["results"]["embedding"]["hit_rate@1"] >= a["results"]["random"]["hit_rate@1"]
    assert "by construction" in a["valid_ratio"]["note"]


def test_eval_table_output(tiny, tmp_path):
    r = _eval(tmp_path, "--users", "5", "--methods", "popularity,embedding")
    assert r.exit_code == 0, r.output
    assert "HR@10" in r.stdout and "cold slice" in r.stdout and "embedding" in r.stdout
    assert "saved" in r.stdout


def test_eval_bad_input_is_one_line(tiny, tmp_path):
    for args, msg in (
        (("--methods", "random,knn"), "unknown method"),
        (("--protocol", "top5"), "unknown protocol"),
        (("--catalog", "nope"), "unknown catalog"),
        (("--users", "0"), "--users"),
    ):
        r = _eval(tmp_path, *args)
        assert r.exit_code == 2, r.output
        assert msg in r.output and "Traceback" not in r.output


def test_eval_unavailable_checkpoint_is_skipped_with_a_reason(tiny, tmp_path):
    r = _eval(tmp_path, "--users", "4", "--methods", "popularity,hyde:nosuch", "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["methods"] == ["popularity"]
    assert "unknown checkpoint 'nosuch'" in res["skipped"]["hyde:nosuch"]
    r = _eval(tmp_path, "--users", "4", "--methods", "hyde:nosuch")
    assert r.exit_code == 2 and "no method could run" in r.output


def test_eval_catalog_without_log(empty_home, tmp_path):
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    get_store().build("nolog", _items()[:4], get_embedder())
    r = CliRunner().invoke(_cli(), ["eval", "--catalog", "nolog", "--out-dir", str(tmp_path)])
    assert r.exit_code == 2 and "no interaction log" in r.output


def _link_base_model(home) -> None:
    # the session's assembled base GGUF (tests/conftest.py keeps a copy): saves a 253 MB assembly
    import os
    import shutil
    from pathlib import Path

    cached = Path.home() / ".cache" / "recchat" / "test-models" / "gemma-3-270m-q4_k_m.gguf"
    if cached.exists():
        (home / "models").mkdir(parents=True, exist_ok=True)
        try:
            os.link(cached, home / "models" / cached.name)
        except OSError:
            shutil.copy(cached, home / "models" / cached.name)


@pytest.mark.slow
def test_eval_hyde_base_real_llm(tiny, tmp_path):
    _link_base_model(tiny)
    args = ("--protocol", "candidates20", "--users", "3", "--seed", "0", "--max-tokens", "16",
            "--methods", "embedding,hyde:base,hybrid:base", "--json")
    r = _eval(tmp_path, *args)
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["methods"] == ["embedding", "hyde:base", "hybrid:base"]
    for m in res["methods"]:
        assert 0.0 <= res["results"][m]["hit_rate@1"] <= 1.0
    # base is few-shot prompted: it writes a rationale, names no candidates
    assert res["valid_ratio"]["answers_with_picks"]["hyde:base"] == 0
    # generations are cached on disk: the rerun gives the same numbers without the model
    again = json.loads(_eval(tmp_path, *args).stdout)
    assert again["results"] == res["results"]
    assert again["seconds"]["hyde:base"] <= res["seconds"]["hyde:base"]
