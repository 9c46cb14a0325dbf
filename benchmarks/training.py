"""SFT and DPO training speed on this machine: TRL's plain `bf16=False` setup vs ours, same run.

    python -m benchmarks.training                 # real Gemma 3 270M (recchat:base), a few steps each
    python -m benchmarks.training --steps 5 --model /path/to/hf_model

Each arm trains a fresh LoRA (r=16, all linear layers) on the same handful of short examples in the
runtime's prompt format; the first step is a warm-up and is not timed. Writes
benchmarks/results/training.json and prints a table (s/step, examples/s, speed-up).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "training.json"

WISHES = ["a scary movie set in space", "a cozy mystery for a rainy weekend", "a funny heist with a clever twist",
          "a sad war drama about brothers", "an epic fantasy with dragons", "a calm nature documentary",
          "a fast car chase thriller", "a coming-of-age comedy in high school"]
RATIONALES = ["science-fiction horror: a small crew trapped on a ship, hunted by something; dark, tense and claustrophobic.",
              "a gentle whodunit with an amateur sleuth in a small village; warm characters, light humour, clever clues.",
              "a light caper with a charming crew, a big score and a twist at the end; quick, witty and stylish.",
              "a moving war story of family and loss on the front line; serious, emotional, with strong performances."]


def examples(n: int) -> list[dict]:
    from recchat import prompts

    rows = []
    for i in range(n):
        w = WISHES[i % len(WISHES)]
        rows.append({"system": prompts.system_prompt("en"), "instruction": prompts.build_instruction("search", "en", query=w),
                     "response": prompts.format_response(RATIONALES[i % 4], [f"Title {i}"], "en", False),
                     "rejected": prompts.format_response(RATIONALES[(i + 1) % 4], [f"Other {i}"], "en", False)})
    return rows


class StepTimer:
    def __init__(self):
        self.times: list[float] = []

    def callback(self):
        from transformers import TrainerCallback

        timer = self

        class CB(TrainerCallback):
            def on_step_begin(self, args, state, control, **kw):
                timer._t = time.perf_counter()

            def on_step_end(self, args, state, control, **kw):
                timer.times.append(time.perf_counter() - timer._t)

        return CB()


def run_sft(model: str, arm: dict, rows: list[dict], steps: int, outdir: str) -> dict:
    import datasets

    from training.train import model as tm
    from training.train import sft
    from training.train.runs import compact_lm_head

    cfg = sft.SFTRunConfig(output_dir=outdir, model_name_or_path=model, max_steps=steps + 1, save_strategy="no",
                           logging_steps=1000, report_to="none", disable_tqdm=True, **arm["args"])
    tok = tm.load_tokenizer(model)
    ds = datasets.Dataset.from_list([sft.to_prompt_completion(r, tok) for r in rows])
    timer = StepTimer()
    tr = sft.build_trainer(cfg, ds, tok=tok, callbacks=[timer.callback()])
    with compact_lm_head(cfg.lm_head == "compact"):
        tr.train()
    return _result(arm, timer.times[1:], cfg.per_device_train_batch_size)


def run_dpo(model: str, arm: dict, rows: list[dict], steps: int, outdir: str) -> dict:
    import datasets

    from training.train import dpo
    from training.train import model as tm
    from training.data.pairs import make_pair
    from training.train.runs import compact_lm_head

    cfg = dpo.DPORunConfig(output_dir=outdir, model_name_or_path=model, sft_adapter=None, max_steps=steps + 1,
                           save_strategy="no", logging_steps=1000, report_to="none", disable_tqdm=True, **arm["args"])
    pairs = [make_pair(str(i), r["system"], r["instruction"], r["response"], r["rejected"], "judge") for i, r in enumerate(rows)]
    tok = tm.load_tokenizer(model)
    ds = datasets.Dataset.from_list(dpo.to_dpo_rows(pairs, tok))
    timer = StepTimer()
    tr = dpo.build_trainer(cfg, ds, callbacks=[timer.callback()], tok=tok)
    with compact_lm_head(cfg.compact_lm_head):
        tr.train()
    return _result(arm, timer.times[1:], cfg.per_device_train_batch_size)


def _result(arm: dict, times: list[float], batch: int) -> dict:
    s = sum(times) / len(times)
    return {"arm": arm["name"], "settings": arm["args"], "steps_timed": len(times), "batch": batch,
            "s_per_step": round(s, 3), "examples_per_s": round(batch / s, 4), "step_times": [round(t, 3) for t in times]}


SFT_ARMS = [
    # TRL 1.16 defaults with only bf16 off: gradient checkpointing on, fused head over every position on CPU
    {"name": "baseline (bf16=False)", "args": {"bf16": False, "gradient_checkpointing": True, "lm_head": "trl",
                                               "per_device_train_batch_size": 1}},
    {"name": "optimised", "args": {"bf16": False, "gradient_checkpointing": False, "lm_head": "logits_to_keep",
                                   "per_device_train_batch_size": 4}},
    {"name": "optimised, TRL compact head", "args": {"bf16": False, "gradient_checkpointing": False, "lm_head": "compact",
                                                     "per_device_train_batch_size": 4}},
]
DPO_ARMS = [
    {"name": "baseline (bf16=False)", "args": {"bf16": False, "gradient_checkpointing": True, "compact_lm_head": False,
                                               "per_device_train_batch_size": 1}},
    {"name": "optimised", "args": {"bf16": False, "gradient_checkpointing": False, "compact_lm_head": True,
                                   "per_device_train_batch_size": 2}},
]


def main(argv: list[str] | None = None) -> dict:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="recchat:base")
    ap.add_argument("--steps", type=int, default=3, help="timed steps per arm (plus one warm-up)")
    ap.add_argument("--examples", type=int, default=16)
    ap.add_argument("--only", choices=["sft", "dpo"], default=None)
    ap.add_argument("--out", default=str(RESULTS))
    a = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = examples(a.examples)
    res = {"model": a.model, "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                                         "cuda": torch.cuda.is_available()},
           "date": time.strftime("%Y-%m-%d %H:%M"), "sft": [], "dpo": []}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, arms, fn in (("sft", SFT_ARMS, run_sft), ("dpo", DPO_ARMS, run_dpo)):
            if a.only and a.only != kind:
                continue
            for arm in arms:
                r = fn(a.model, arm, rows, a.steps, f"{tmp}/{kind}")
                res[kind].append(r)
                print(f"{kind} {r['arm']:<30} {r['s_per_step']:>8.2f} s/step {r['examples_per_s']:>8.3f} ex/s", flush=True)
            if res[kind]:
                base = res[kind][0]["examples_per_s"]
                for r in res[kind]:
                    r["speedup_vs_baseline"] = round(r["examples_per_s"] / base, 2)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(f"\n{'':4}{'arm':<32}{'batch':>6}{'s/step':>9}{'ex/s':>9}{'x base':>8}")
    for kind in ("sft", "dpo"):
        for r in res[kind]:
            print(f"{kind:<4}{r['arm']:<32}{r['batch']:>6}{r['s_per_step']:>9.2f}{r['examples_per_s']:>9.3f}"
                  f"{r['speedup_vs_baseline']:>8.2f}")
    print(f"-> {out}")
    return res


if __name__ == "__main__":
    main()
