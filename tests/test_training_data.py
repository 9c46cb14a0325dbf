"""Training data: config parsing, grounded templates and their validation, the OpenAI-compatible
writer against a local stub, and a tiny real build (real catalogs, real llama.cpp writer, capped)."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from recchat.core.errors import BadInput, RecchatError
from recchat.prompts import system_prompt
from training.data import rationales as R
from training.data.config import DataConfig
from training.data.features import Qualities


def _parse(argv):
    from trl import TrlParser

    return TrlParser([DataConfig]).parse_args_and_config(argv)[0]


def test_config_yaml_and_cli_override(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("total_rows: 50\nmix:\n  movies: 1\n  news: 3\ncatalogs: [movies]\n")
    cfg = _parse(["--config", str(y), "--output_dir", "/tmp/x", "--ko_share", "0.5", "--task_mix", "search_direct=1"])
    assert cfg.total_rows == 50 and cfg.output_dir == "/tmp/x" and cfg.ko_share == 0.5
    assert cfg.mix == {"movies": 1.0, "news": 3.0} and cfg.task_mix == {"search_direct": 1.0}
    assert cfg.catalogs == ["movies"]
    with pytest.raises(BadInput):
        DataConfig(writer="gpt")
    with pytest.raises(BadInput):
        DataConfig(writer="openai")  # no endpoint
    with pytest.raises(BadInput):
        DataConfig(task_mix="dance=1")
    # the rows key ignores where things are written, not what is written
    assert DataConfig(output_dir="a").rows_key() == DataConfig(output_dir="b").rows_key()
    assert DataConfig(seed=1).rows_key() != DataConfig(seed=2).rows_key()


MOVIE = Qualities(domain="movies", noun_en="movie", noun_ko="영화", genres=["Sci-Fi", "Horror"],
                  themes=["aliens", "space"], era=1970)


def test_templates_are_grounded_and_vary():
    outs = {R.search_rationale(MOVIE, "en", random.Random(i)) for i in range(20)}
    assert len(outs) >= 3  # wording varies with the row's seed
    for text in outs:
        assert R.check_rationale(text, "en", ["Alien (1979)"], ["sci-fi", "horror", "aliens", "space"]) is None
    ko = R.search_rationale(MOVIE, "ko", random.Random(0))
    assert "SF" in ko and "공포" in ko and R.check_rationale(ko, "ko", [], ["SF", "공포"]) is None
    q = R.search_query(MOVIE, "en", random.Random(1))
    assert R.check_query(q, "en", "Alien (1979)", []) is None


def test_validation_rejects_bad_outputs():
    assert R.check_query("", "en", "Alien", []) == "empty"
    assert R.check_query("Alien (1979)", "en", "Alien (1979)", []) == "copies title"
    assert R.check_query("alien", "en", "Alien (1979)", []) == "copies title"
    assert R.check_query("우주 공포 영화", "en", "Alien", []) == "language"
    assert R.check_query("scary space movie like The Thing", "en", "Alien", ["The Thing"]) == "names an item"
    facts = ["sci-fi", "horror", "aliens"]
    assert R.check_rationale("A nice film that everyone will surely enjoy a lot.", "en", [], facts) == "ungrounded"
    assert R.check_rationale('Sci-fi horror like "The Dark Star Saga" with aliens.', "en", [], facts) == "names an item"
    assert R.check_rationale("Sci-fi horror with aliens, just like Alien.", "en", ["Alien"], facts) == "names an item"
    assert R.check_rationale("sci-fi aliens horror " * 12, "en", [], facts) == "repetitive"
    assert R.check_rationale("A sci-fi horror film about aliens in deep space.", "en", [], facts) is None
    assert R.clean_output(' Query: "dark space horror"\nmore') == "dark space horror"


class _Stub(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Stub.seen.append((self.path, body, self.headers.get("Authorization")))
        out = {"choices": [{"message": {"role": "assistant", "content": "dark space horror movie"}}]}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def test_openai_writer_against_local_stub(tmp_path):
    from recchat.llm.gencache import GenCache
    from training.data.writers import OpenAIWriter

    srv = HTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        w = OpenAIWriter(url, "tiny", GenCache(tmp_path / "g.sqlite"), api_key="k")
        assert w.complete("Item: Alien | Query:") == "dark space horror movie"
        assert w.complete("Item: Alien | Query:") == "dark space horror movie"  # cached: no second call
        assert w.calls == 1 and len(_Stub.seen) == 1
        path, body, auth = _Stub.seen[0]
        assert path == "/v1/chat/completions" and body["model"] == "tiny" and auth == "Bearer k"
        assert body["messages"][0]["content"].endswith("Query:") and body["temperature"] == 0
    finally:
        srv.shutdown()
    dead = OpenAIWriter("http://127.0.0.1:9/v1", "tiny", None, timeout=2)
    with pytest.raises(RecchatError, match="unreachable"):
        dead.complete("x")


# --------------------------------------------------------------------------- a tiny real build


def _no_data_dir() -> bool:
    import os

    from recchat.core.settings import get_settings

    d = get_settings().data_dir
    return d is None or not os.path.isdir(d)


def tiny_config(tmp_path, **kw) -> DataConfig:
    base = dict(
        output_dir=str(tmp_path / "ds"), card_dir=str(tmp_path / "card"), seed=3, total_rows=80,
        catalogs=["movies", "news-ko"], held_out=["games", "office"], ko_share=0.4,
        writer="llama", writer_model="base", llm_rows=3, n_threads=2,
    )
    base.update(kw)
    return DataConfig(**base)


@pytest.mark.timeout(300)
@pytest.mark.skipif(_no_data_dir(), reason="public data sets absent: set RECCHAT_DATA_DIR (histories need the logs)")
def test_tiny_build(home, tmp_path):
    from training.data.build import held_out_guard, main

    cfg = tiny_config(tmp_path)
    dd, stats = main(cfg)
    rows = [r for split in dd.values() for r in split]
    assert len(rows) == stats["rows_kept"] >= 60
    assert {r["task"] for r in rows} == {"recommend_direct", "recommend_listwise", "search_direct", "search_listwise"}
    assert {r["language"] for r in rows} == {"en", "ko"}
    assert all(r["score"] < 15 for r in rows)
    assert all(r["response"].strip() and r["instruction"].strip() for r in rows)
    assert all(r["system"] == system_prompt(r["language"]) for r in rows)
    assert {r["domain"] for r in rows} == {"movies", "news"}
    assert stats["llm"]["rows_tried"] == 3  # the writer is capped
    assert set(stats["by_writer"]) <= {"template", "llm:base"}
    # a share of the recommendation rows carry the app's CF line, and no rationale names those items
    cf = [r for r in rows if r["cf_ids"]]
    assert cf and stats["cf_context_rows"] == len(cf)
    assert all(r["task"].startswith("recommend") and "<collaborative>" in r["instruction"] for r in cf)
    assert not any("<collaborative>" in r["instruction"] for r in rows if not r["cf_ids"])
    # no title of a held-out catalog anywhere
    guard, info = held_out_guard(cfg)
    assert info == {"games": 16859, "office": 3459} or all(isinstance(v, int) for v in info.values())
    assert not any(guard.row_hit({**r}) for r in rows)
    # split by user (search rows: by target item): no group on both sides
    def groups(split):
        return {(r["catalog"], r["user"]) if r["user"] else (r["catalog"], "item", r["target_id"]) for r in dd[split]}
    assert not groups("train") & groups("validation")
    # the card
    card = json.loads((tmp_path / "card" / "stats.json").read_text())
    assert card["rows_kept"] == len(rows) and sum(card["by_task"].values()) == len(rows)
    assert (tmp_path / "card" / "score_hist.png").stat().st_size > 0
    assert (tmp_path / "card" / "domain_mix.png").stat().st_size > 0


@pytest.mark.timeout(400)
def test_killed_build_resumes_with_the_same_rows(home, tmp_path):
    """SIGKILL the build mid-way, run it again: every row once, identical to an uninterrupted build."""
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    from training.data.build import main

    cfg = tiny_config(tmp_path, total_rows=60, llm_rows=2, catalogs=["movies"], held_out=["office"])
    rows_glob = f"rows-{cfg.rows_key()}-*.jsonl"
    args = [sys.executable, "-m", "training.data.build", "--output_dir", cfg.output_dir, "--card_dir", cfg.card_dir,
            "--seed", "3", "--total_rows", "60", "--catalogs", "movies", "--held_out", "office",
            "--ko_share", "0.4", "--llm_rows", "2", "--n_threads", "2"]
    # a different string-hash seed in every process: rows must not depend on set iteration order
    proc = subprocess.Popen(args, env={**os.environ, "RECCHAT_HOME": str(home), "PYTHONHASHSEED": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 240 and proc.poll() is None:
        # template rows take milliseconds; the kill lands at the latest while the first LLM row waits
        found = list(cfg.cache_path.glob(rows_glob)) if cfg.cache_path.exists() else []
        if found and found[0].read_text().count("\n") >= 1:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    (rows_file,) = cfg.cache_path.glob(rows_glob)
    partial = rows_file.read_text().count("\n")
    assert 1 <= partial < 60

    dd, stats = main(cfg)  # resume
    ids = [json.loads(line)["row_id"] for line in rows_file.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == stats["rows_planned"]  # none twice, none lost

    # an uninterrupted build from the same LLM outputs gives the same rows
    fresh = tiny_config(tmp_path / "fresh", total_rows=60, llm_rows=2, catalogs=["movies"], held_out=["office"])
    fresh.cache_path.mkdir(parents=True)
    shutil.copy(cfg.cache_path / "generations.sqlite", fresh.cache_path / "generations.sqlite")
    fresh_args = [a if a != cfg.output_dir else fresh.output_dir for a in args]
    fresh_args = [a if a != cfg.card_dir else fresh.card_dir for a in fresh_args]
    subprocess.run(fresh_args, env={**os.environ, "RECCHAT_HOME": str(home), "PYTHONHASHSEED": "999"},
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    from datasets import load_from_disk

    dd2 = load_from_disk(fresh.output_dir)
    for split in ("train", "validation"):
        assert dd[split].to_list() == dd2[split].to_list()
    stats2 = json.loads((tmp_path / "fresh" / "card" / "stats.json").read_text())
    assert stats["by_writer"] == stats2["by_writer"]
