"""Tuning pipeline on a tiny random Gemma 3 built in code: SFT -> resume -> DPO -> GGUF -> llama.cpp.

Offline and CPU-only; the whole module takes about a minute or two.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")
pytest.importorskip("gguf")
pytest.importorskip("llama_cpp")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_model  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny HF checkpoint, its GGUF, and instruction rows."""
    from training.export import gguf_io
    from training.train import model as tm

    d = tmp_path_factory.mktemp("tiny")
    model_dir = tiny_model.save_tiny(d / "hf")
    gguf = gguf_io.write_model_gguf(tm.load_model(str(model_dir)), d / "tiny.gguf", tokenizer=tm.load_tokenizer(str(model_dir)))
    rows = d / "rows.jsonl"
    rows.write_text("".join(json.dumps(r) + "\n" for r in tiny_model.rows(8)))
    return {"dir": d, "hf": model_dir, "gguf": gguf, "rows": rows}


def _sft_cfg(tiny, out, steps, **kw):
    from training.train import sft
    from training.train.runs import parse

    args = ["--model_name_or_path", str(tiny["hf"]), "--dataset_path", str(tiny["rows"]), "--output_dir", str(out),
            "--max_steps", str(steps), "--save_steps", "2", "--logging_steps", "1", "--learning_rate", "3e-2",
            "--per_device_train_batch_size", "4", "--lora_r", "4", "--lora_alpha", "8", "--warmup_steps", "0",
            "--lr_scheduler_type", "constant", "--disable_tqdm", "true"]
    for k, v in kw.items():
        args += [f"--{k}", str(v)]
    return parse(sft.SFTRunConfig, args)


@pytest.fixture(scope="module")
def sft_run(tiny):
    from training.train import sft

    out = tiny["dir"] / "sft"
    tr = sft.main(_sft_cfg(tiny, out, 4))
    return out, tr


def test_tiny_tokenizer_matches_llamacpp(tiny):
    """The GGUF writer's vocabulary tokenizes like the HF tokenizer (special tokens, spaces, bytes)."""
    from llama_cpp import Llama

    from training.train import model as tm

    tok = tm.load_tokenizer(str(tiny["hf"]))
    llm = Llama(model_path=str(tiny["gguf"]), n_ctx=256, verbose=False)
    for text in ["<start_of_turn>user\nhi there<end_of_turn>\n<start_of_turn>model\n", "a  b\n\nc é 한"]:
        assert llm.tokenize(text.encode(), add_bos=True, special=True) == tok(text).input_ids


def test_base_gguf_greedy_matches_torch(tiny):
    from training.train import model as tm

    tok = tm.load_tokenizer(str(tiny["hf"]))
    model = tm.load_model(str(tiny["hf"]))
    plist = ["<start_of_turn>user\nYou are recchat.\n\n<user>a film</user><end_of_turn>\n<start_of_turn>model\n",
             "<start_of_turn>user\nhello<end_of_turn>\n<start_of_turn>model\n"]
    _, lp = tm.greedy_llamacpp(str(tiny["gguf"]), plist, 12)
    pt = tm.greedy_torch(model, tok, plist, 12, tm.stop_token_ids(tok))
    assert all(len(x) > 0 for x in lp)
    assert tm.token_agreement(pt, lp)["agreement"] == 1.0


def test_completion_loss_equals_full_logits_loss(tiny):
    """The speed path (logits only at labelled positions) gives the same loss as the full logits."""
    import torch
    import torch.nn.functional as F

    from training.train import model as tm
    from training.train.sft import completion_loss

    tok = tm.load_tokenizer(str(tiny["hf"]))
    model = tm.load_model(str(tiny["hf"]))
    a = tok(["<bos>xyz abc", "<bos>hello there friend"], padding=True, return_tensors="pt")
    labels = a.input_ids.clone()
    labels[0, :5] = -100
    labels[1, :9] = -100
    labels[a.attention_mask == 0] = -100
    inputs = {"input_ids": a.input_ids, "attention_mask": a.attention_mask, "labels": labels}
    fast, _ = completion_loss(model, inputs)
    logits = model(input_ids=a.input_ids, attention_mask=a.attention_mask).logits[:, :-1]
    full = F.cross_entropy(logits.flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100)
    assert torch.allclose(fast, full, atol=1e-5)


def test_sft_trains_saves_plots_and_resumes(tiny, sft_run):
    from training.train import sft

    out, tr = sft_run
    losses = [h["loss"] for h in tr.state.log_history if "loss" in h]
    assert len(losses) == 4 and losses[-1] < losses[0]
    for f in ("adapter_model.safetensors", "adapter_config.json", "loss.png", "run.json", "checkpoint-4"):
        assert (out / f).exists(), f
    assert json.loads((out / "run.json").read_text())["train_rows"] == 8
    from training.train import model as tm

    # the SFT text is what llama.cpp sees (BOS + the runtime's chat prompt) + response + EOS (llama.cpp stops on it)
    row = tiny_model.rows(1)[0]
    tok = tm.load_tokenizer(str(tiny["hf"]))
    pc = sft.to_prompt_completion(row, tok)
    from recchat.prompts import chat_prompt

    assert pc["prompt"] == "<bos>" + chat_prompt(row["system"], row["instruction"])
    assert pc["completion"] == row["response"] + "<eos>"
    ids = tok(pc["prompt"] + pc["completion"], add_special_tokens=False).input_ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id and ids.count(tok.bos_token_id) == 1
    # a second run with more steps continues from checkpoint-4, not from zero
    tr2 = sft.main(_sft_cfg(tiny, out, 6))
    steps = [h["step"] for h in tr2.state.log_history if "loss" in h]
    assert steps[-1] == 6 and 1 not in steps[-2:]
    assert tr2.state.global_step == 6


def test_a_landed_chunk_continues_on_the_rows_it_has_not_reached(tiny, sft_run, tmp_path):
    """Chunk 1 lands (bf16 PEFT weights + run.json beside the GGUF); chunk 2 starts from those weights
    on the rows after the ones chunk 1 read, and its record counts both chunks."""
    import torch
    from safetensors.torch import load_file

    from training.export.adapter import keep_peft
    from training.train import sft

    out, _ = sft_run
    landed = keep_peft(out, tmp_path / "peft")
    w = load_file(str(landed / "adapter_model.safetensors"))
    assert w and all(v.dtype == torch.bfloat16 for v in w.values())
    first = json.loads((landed / "run.json").read_text())
    assert first["examples_seen"] % 8 == 0 and first["examples_seen"] > 0  # whole passes over the 8 rows
    tr = sft.main(_sft_cfg(tiny, tmp_path / "chunk2", 1, init_adapter=str(landed)))
    assert tr.state.global_step == 1  # a fresh optimiser over the landed weights, not a resume
    # whole passes seen: chunk 2 reads all 8 again, in the same seeded order
    rec = json.loads((tmp_path / "chunk2" / "run.json").read_text())
    assert rec["examples_seen"] == first["examples_seen"] + 4 and rec["chunks"] == 2
    assert rec["training_time_s"] >= first["training_time_s"]
    assert rec["train_rows"] == 8
    assert rec["order"] == first["order"] and rec["start_row"] == 0 and rec["rows_done"] == 4


def test_a_chunk_starts_where_the_last_stopped_only_on_the_same_rows():
    from training.train.sft import start_row

    before = {"order": "abc", "rows_done": 3200}
    assert start_row(before, "abc", 13446) == 3200
    assert start_row({"order": "abc", "rows_done": 14000}, "abc", 13446) == 554  # the next pass
    assert start_row(before, "xyz", 13446) == 0  # the data was rebuilt: a new order from its first row
    assert start_row({"order": None, "rows_done": 3200}, "abc", 13446) == 0  # recorded before orders were
    # rebuilt with the same row count and seed (the same order, another fingerprint): told where to go on
    assert start_row(before, "xyz", 13446, forced=1600) == 1600
    assert start_row(before, "abc", 13446, forced=14000) == 554


def test_sft_bad_dataset_path_is_one_line(tiny, capsys):
    from training.train import sft
    from training.train.runs import run_main

    with pytest.raises(SystemExit) as e:
        run_main(sft.main, sft.SFTRunConfig, ["--model_name_or_path", str(tiny["hf"]), "--dataset_path",
                                               str(tiny["dir"] / "missing"), "--output_dir", str(tiny["dir"] / "x")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "no instruction data" in err and "Traceback" not in err


def test_dpo_then_export_runs_in_llamacpp(tiny, sft_run):
    """DPO on the SFT adapter, export both to GGUF LoRA, run them in llama.cpp, compare with PyTorch."""
    from llama_cpp import Llama

    from training.train import dpo

    from training.export import adapter as export
    from training.data.pairs import make_pair, write_pairs
    from training.train.runs import parse

    sft_dir, _ = sft_run
    rows = tiny_model.rows(8)
    pairs = [make_pair(str(i), r["system"], r["instruction"], r["response"], rows[(i + 1) % 8]["response"], "judge")
             for i, r in enumerate(rows)]
    pf = write_pairs(pairs, tiny["dir"] / "pairs.jsonl")
    dpo_dir = tiny["dir"] / "dpo"
    cfg = parse(dpo.DPORunConfig, ["--model_name_or_path", str(tiny["hf"]), "--sft_adapter", str(sft_dir),
                                   "--pairs_path", str(pf), "--output_dir", str(dpo_dir), "--max_steps", "3",
                                   "--logging_steps", "1", "--learning_rate", "5e-2", "--per_device_train_batch_size", "2",
                                   "--save_steps", "3", "--disable_tqdm", "true", "--max_length", "1024"])
    tr = dpo.main(cfg)
    assert [h for h in tr.state.log_history if "loss" in h]
    assert (dpo_dir / "adapter_model.safetensors").exists()
    assert json.loads((dpo_dir / "run.json").read_text())["pairs_by_source"] == {"judge": 8}

    results = {}
    for name, adir in (("sft", sft_dir), ("dpo", dpo_dir)):
        ecfg = export.ExportConfig(adapter_dir=str(adir), name=name, base_model=str(tiny["hf"]), base_gguf=str(tiny["gguf"]),
                                   out=str(tiny["dir"] / f"{name}.gguf"), register=False, dtype="f32",
                                   verify_prompts=3, verify_max_new_tokens=12)
        results[name] = export.main(ecfg)
        agr = results[name]["agreement"]
        assert agr["teacher_forced"]["agreement"] >= 0.9, agr
        assert agr["tokens"] > 0
    # the adapters are really applied: llama.cpp's greedy text differs from the base model's
    from training.train import model as tm

    plist = tm.check_prompts(2)
    _, base_out = tm.greedy_llamacpp(str(tiny["gguf"]), plist, 12)
    _, sft_out = tm.greedy_llamacpp(str(tiny["gguf"]), plist, 12, lora_path=results["sft"]["out"])
    assert base_out != sft_out
    llm = Llama(model_path=str(tiny["gguf"]), lora_path=results["dpo"]["out"], n_ctx=1024, verbose=False)
    assert llm.create_completion(plist[0], max_tokens=8, temperature=0)["choices"][0]["text"] is not None


def test_merged_export_matches_adapter(tiny, sft_run):
    from training.export import adapter as export
    from training.train import model as tm

    sft_dir, _ = sft_run
    ecfg = export.ExportConfig(adapter_dir=str(sft_dir), name="m", mode="merged", base_model=str(tiny["hf"]),
                               base_gguf=str(tiny["gguf"]), out=str(tiny["dir"] / "merged.gguf"), register=False,
                               dtype="f32", merged_quant=None, verify_prompts=2, verify_max_new_tokens=10)
    res = export.main(ecfg)
    assert res["agreement"]["teacher_forced"]["agreement"] >= 0.9
    plist = tm.check_prompts(2)
    _, merged = tm.greedy_llamacpp(res["out"], plist, 10)
    lora = export.ExportConfig(adapter_dir=str(sft_dir), name="l", base_model=str(tiny["hf"]), out=str(tiny["dir"] / "l.gguf"),
                               register=False, dtype="f32", verify_prompts=0)
    lp = export.main(lora)["out"]
    _, adapted = tm.greedy_llamacpp(str(tiny["gguf"]), plist, 10, lora_path=lp)
    assert merged == adapted


def test_the_row_order_key_comes_from_the_rows_in_their_order():
    from datasets import Dataset

    from training.train.sft import order_key

    rows = [{"prompt": f"p{i}", "completion": f"c{i}"} for i in range(5)]
    a, b = Dataset.from_list(rows), Dataset.from_list(list(rows))  # loaded twice: two fingerprints
    assert order_key(a) == order_key(b) and len(order_key(a)) == 16
    assert order_key(a.shuffle(seed=1)) == order_key(b.shuffle(seed=1))  # a rebuild: the same seeded order
    assert order_key(a.shuffle(seed=1)) != order_key(a)  # another order
    assert order_key(Dataset.from_list(rows[:4] + [{"prompt": "p4", "completion": "other"}])) != order_key(a)
