"""The one-command tuning path (`python -m training.gpu`, `make train-gpu`) on CPU with a tiny Gemma 3:
SFT -> export -> judge pairs through the app's llama.cpp path (+ Label-tab pairs) -> DPO -> export,
with --max-steps 2; the exported adapter loads in llama.cpp and answers through the pipeline, the
model cards carry their own lines, and a second run skips every finished step."""

from __future__ import annotations

import json
import sys
from argparse import Namespace
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")
pytest.importorskip("gguf")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_model  # noqa: E402

from training import gpu  # noqa: E402

CONFIGS = Path(gpu.__file__).resolve().parent / "configs"


def test_configs_are_chosen_by_the_device_and_parse():
    from training.train import dpo, sft
    from training.train.runs import parse

    assert gpu.default_config("sft", True).name == "sft_gpu.yaml"
    assert gpu.default_config("sft", False).name == "sft.yaml"
    assert gpu.default_config("dpo", True).name == "dpo_gpu.yaml"
    # bf16 needs a GPU to be accepted by transformers; everything else must parse here
    c = parse(sft.SFTRunConfig, ["--config", str(CONFIGS / "sft_gpu.yaml"), "--bf16", "false"])
    assert c.max_steps == -1 and c.num_train_epochs == 1 and c.per_device_train_batch_size >= 32
    d = parse(dpo.DPORunConfig, ["--config", str(CONFIGS / "dpo_gpu.yaml"), "--bf16", "false"])
    assert d.sft_adapter == "runs/sft" and d.max_steps == -1


def test_bad_step_is_one_line(capsys, tmp_path):
    assert gpu.main(["--steps", "sft,nope"]) == 2
    assert "unknown step(s) nope" in capsys.readouterr().err
    assert gpu.main(["--steps", "dpo", "--work-dir", str(tmp_path)]) == 2  # DPO before any pairs
    assert "no preference pairs" in capsys.readouterr().err


def _yaml(path: Path, **kw) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(kw))
    return path


@pytest.fixture()
def setup(empty_home, tmp_path):
    """A tiny HF model and its GGUF, instruction rows, tiny configs, and `movies` with a small log."""
    import pandas as pd

    from recchat import prompts
    from recchat.catalog import build as catalog
    from training.export import gguf_io
    from training.train import model as tm

    hf = tiny_model.save_tiny(tmp_path / "hf")
    gguf = gguf_io.write_model_gguf(tm.load_model(str(hf)), tmp_path / "tiny.gguf", tokenizer=tm.load_tokenizer(str(hf)))
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in tiny_model.rows(8)))
    common = dict(logging_steps=1, save_steps=1, lora_r=4, lora_alpha=8, warmup_steps=0, lr_scheduler_type="constant",
                  disable_tqdm=True, report_to="none", bf16=False)
    sft_cfg = _yaml(tmp_path / "sft.yaml", per_device_train_batch_size=4, learning_rate=3e-2, max_length=384, **common)
    dpo_cfg = _yaml(tmp_path / "dpo.yaml", per_device_train_batch_size=2, learning_rate=5e-2, max_length=1024, **common)
    exp_cfg = _yaml(tmp_path / "export.yaml", dtype="f32", verify_prompts=2, verify_max_new_tokens=8)
    catalog.ensure_default()
    ids = ["1", "2571", "858", "318", "2355", "260", "1196", "1210", "480", "589", "296", "356"]
    log = [{"user": f"u{u}", "item": ids[(u + k) % len(ids)], "order": k} for u in range(3) for k in range(5)]
    p = catalog.interactions_path("movies")
    p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(log).to_parquet(p, index=False)
    # the Label tab's decisions join the judge's pairs
    system, instr = prompts.system_prompt("en"), prompts.build_instruction("search", "en", query="a space horror film")
    labels = [{"prompt_id": f"l{i}", "prompt": {"system": system, "instruction": instr},
               "answers": [f"dark and tense {i}.\n\nRecommendation: Alien", f"sunny {i}", "x", "y", "z"],
               "best": 0, "worst": 1, "checkpoint": "tiny-sft", "ts": 0} for i in range(4)]
    (empty_home / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in labels))
    work = tmp_path / "work"
    argv = ["--work-dir", str(work), "--dataset", str(rows), "--sft-config", str(sft_cfg), "--dpo-config", str(dpo_cfg),
            "--export-config", str(exp_cfg), "--model", str(hf), "--base-gguf", str(gguf), "--max-steps", "2",
            "--sft-name", "tiny-sft", "--dpo-name", "tiny-dpo", "--judge-catalogs", "movies", "--users", "3",
            "--max-tokens", "12", "--judge-engine", "llamacpp"]
    return Namespace(home=empty_home, hf=hf, gguf=gguf, work=work, argv=argv, exp_cfg=exp_cfg)


@pytest.mark.slow
def test_one_command_trains_exports_and_serves(setup):
    from recchat.chat.pipeline import AskRequest, answer
    from recchat.llm.checkpoints import get_checkpoint
    from training.export import adapter as export

    assert gpu.main(setup.argv) == 0
    report = json.loads((setup.work / "train_gpu.json").read_text())
    ran = report["steps"]
    assert report["device"] == "cpu"
    assert ran["data"]["skipped"].endswith("exists")  # the given rows are the dataset
    for step in ("sft", "export-sft", "pairs", "dpo", "export-dpo"):
        assert "seconds" in ran[step], (step, ran[step])
    assert ran["sft"]["global_step"] == 2 and ran["sft"]["examples_seen"] == 8  # 2 steps x batch 4 x accumulation 1
    assert ran["pairs"]["movies"]["users"] == 3  # judged through the app's path with the exported tiny-sft
    assert ran["pairs"]["human"] == {"label.jsonl": 4}
    assert ran["dpo"]["global_step"] == 2 and ran["dpo"]["pairs"] >= 4

    # the exported adapters are served by name (RECCHAT_HOME/models.yaml) and llama.cpp generates with them
    for name in ("tiny-sft", "tiny-dpo"):
        ck = get_checkpoint(name)
        assert ck.adapter_path() == (setup.work / f"{name}.gguf").resolve() and ck.available
    a = answer(AskRequest(query="a space horror film", checkpoint="tiny-dpo", max_tokens=8, top_k=3))
    assert a.checkpoint == "tiny-dpo" and a.timings.gen_tokens > 0 and len(a.items) == 3

    # model cards: lines of their own
    for kind, name in (("sft", "tiny-sft"), ("dpo", "tiny-dpo")):
        cfg = export.ExportConfig(adapter_dir=str(setup.work / kind), name=name, base_model=str(setup.hf),
                                  base_gguf=str(setup.gguf), register=False)
        card = export.model_card(cfg, setup.work / f"{name}.gguf", None).splitlines()
        assert any(line.startswith("- training time: ") for line in card), card
        assert ("- examples seen: 8 (steps x batch x accumulation)" if kind == "sft" else
                f"- preference pairs: {ran['dpo']['pairs']}") in card, card

    # run again: every step is complete and skipped
    assert gpu.main(setup.argv) == 0
    again = json.loads((setup.work / "train_gpu.json").read_text())["steps"]
    assert all("skipped" in again[s] for s in gpu.STEPS), again

    # a higher --max-steps resumes SFT from its checkpoint (not from zero), and what follows re-runs
    argv = [x if x != "2" else "3" for x in setup.argv]
    assert gpu.main(argv + ["--steps", "sft"]) == 0
    sft = json.loads((setup.work / "sft" / "run.json").read_text())
    assert sft["global_step"] == 3 and sft["examples_seen"] == 12 and sft["resumed_from"].endswith("checkpoint-2")

    # the GPU judge engine (batched PyTorch sampling) runs on the same adapter and resumes
    from training.judge_torch import run_judge_torch

    ns = Namespace(users=3, seed=0, model=str(setup.hf), work=setup.work, judge_batch=10, samples=5, temperature=0.9,
                   max_tokens=8, on_gpu=False)
    out = setup.work / "pairs" / "torch.jsonl"
    first = run_judge_torch(ns, "movies", out)
    assert first["users_new"] == 3 and first["pairs_new"] + first["ties_new"] == 3
    assert run_judge_torch(ns, "movies", out)["users_new"] == 0


def test_a_reader_is_judged_on_histories_and_requests_through_the_apps_ranking(tmp_path, monkeypatch):
    """The SFT run's rows decide how its model is judged: a reader (prompt style understand) gets
    history and request pairs through the app's llama.cpp path even when torch sampling was asked
    for; the defaults train on the reader's rows; the served entry keeps the run's styles."""
    from training.data import pairs

    a = gpu.parse_args(["--work-dir", str(tmp_path), "--judge-catalogs", "movies", "--users", "2"])
    assert a.dataset.name == "recchat-understand" and Path(a.data_config).name == "data_understand.yaml"
    (tmp_path / "sft").mkdir()
    (tmp_path / "sft" / "run.json").write_text(json.dumps({"prompt_style": "understand", "why_style": "tuned"}))
    assert gpu.sft_styles(a) == {"prompt_style": "understand", "why_style": "tuned"}
    calls = []
    monkeypatch.setattr(pairs, "run_judge", lambda cat, *x, **k: calls.append(("history", cat)) or {})
    monkeypatch.setattr(pairs, "run_search_judge", lambda cat, *x, **k: calls.append(("search", cat)) or {})
    monkeypatch.setattr(gpu, "human_pairs", lambda d: {"label.jsonl": 1})
    a.engine = "torch"
    gpu.step_pairs(a)
    assert calls == [("history", "movies"), ("search", "movies")]
    monkeypatch.setenv("RECCHAT_HOME", str(tmp_path / "home"))
    from recchat.core.settings import reset_settings

    reset_settings()
    try:
        import yaml

        p = gpu.serve("tiny-sft", tmp_path / "a.gguf", None, gpu.sft_styles(a))
        entry = yaml.safe_load(p.read_text())[0]
        assert entry["prompt_style"] == "understand" and entry["why_style"] == "tuned"
    finally:
        reset_settings()
