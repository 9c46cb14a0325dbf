"""DPO on top of the SFT adapter, from (best, worst) pairs out of five sampled answers.

Usage:
    python -m training.data.pairs judge --catalog movies --users 300 --checkpoint sft   # pairs.jsonl (see pairs.py)
    python -m training.train.dpo --config training/configs/dpo.yaml
    python -m training.train.dpo --config training/configs/dpo_smoke.yaml
    python -m training.train.dpo --config training/configs/dpo.yaml --pairs_path a.jsonl b.jsonl --beta 0.2

Every field of `DPORunConfig` (ours + TRL's `DPOConfig`) can be set in the YAML or on the command
line; a killed run resumes from the last checkpoint in `output_dir`.

The policy is the SFT adapter itself, loaded trainable; TRL copies it into a frozen "ref" adapter,
so the reference model is the SFT model (not the base) and the result is one LoRA adapter of the
same shape, exported like SFT's. Prompts and answers are built as in SFT (`training.train.model.train_prompt`:
BOS + `chat_prompt(system, instruction)`; `train_answer`: the answer + EOS). CPU speed: `bf16: false`, no gradient checkpointing, and the fused
LM head scores only the answer tokens (`compact_lm_head`).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from trl import DPOConfig, DPOTrainer

from recchat.core.errors import RecchatError

from training.train import model as tm
from training.data.pairs import read_pairs
from training.train.runs import (LoraFields, compact_lm_head, device_map_for, last_checkpoint, lora_config, plot_callback,
                   quantization_config, run_main, write_record)


@dataclass
class DPORunConfig(DPOConfig, LoraFields):
    model_name_or_path: str = field(default=tm.BASE_ALIAS, metadata={"help": "the SFT adapter's base model"})
    model_cache_dir: str | None = None
    model_dtype: str = "float32"
    attn_implementation: str = "sdpa"
    sft_adapter: str | None = field(default="runs/sft", metadata={"help": "PEFT adapter dir from training.train.sft; empty: a fresh LoRA"})
    pairs_path: list[str] = field(default_factory=lambda: ["runs/pairs/judge.jsonl"], metadata={"help": "pairs JSONL file(s)"})
    sources: list[str] = field(default_factory=list, metadata={"help": "keep only these sources (judge, label, feedback, compare)"})
    eval_share: float = 0.05
    max_pairs: int | None = None
    # a fresh LoRA (no sft_adapter) or QLoRA: runs.LoraFields
    compact_lm_head: bool = field(default=True, metadata={"help": "score only answer tokens in the LM head (CPU speed)"})
    # Trainer / TRL defaults for CPU
    output_dir: str = "runs/dpo"
    bf16: bool | None = False
    gradient_checkpointing: bool = False
    max_length: int | None = 448
    learning_rate: float = 5e-6
    beta: float = 0.1
    lr_scheduler_type: str = "cosine"
    warmup_steps: float = 0.05
    per_device_train_batch_size: int = 2
    logging_steps: int = 5
    save_steps: int = 50
    save_total_limit: int | None = 2
    seed: int = 42


def to_dpo_rows(pairs: list[dict], tok) -> list[dict]:
    return [{"prompt": tm.train_prompt(tok, p["system"], p["instruction"]), "chosen": tm.train_answer(tok, p["chosen"]),
             "rejected": tm.train_answer(tok, p["rejected"])} for p in pairs]


def load_pairs(cfg: DPORunConfig, tok):
    import datasets

    pairs = []
    for path in cfg.pairs_path:
        pairs += read_pairs(Path(path))
    if cfg.sources:
        pairs = [p for p in pairs if p["source"] in set(cfg.sources)]
    if not pairs:
        raise RecchatError(f"no preference pairs in {', '.join(cfg.pairs_path)}"
                           + (f" from sources {cfg.sources}" if cfg.sources else "")
                           + "; make some with python -m training.data.pairs")
    ds = datasets.Dataset.from_list(to_dpo_rows(pairs, tok)).shuffle(seed=cfg.seed)
    if cfg.max_pairs:
        ds = ds.select(range(min(cfg.max_pairs, len(ds))))
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p["source"]] = counts.get(p["source"], 0) + 1
    n_eval = int(len(ds) * cfg.eval_share) if len(ds) >= 40 else 0
    if n_eval:
        sp = ds.train_test_split(test_size=n_eval, seed=cfg.seed)
        return sp["train"], sp["test"], counts
    return ds, None, counts


def build_trainer(cfg: DPORunConfig, train_ds, eval_ds=None, callbacks=None, tok=None):
    tok = tok or tm.load_tokenizer(cfg.model_name_or_path, cfg.model_cache_dir)
    model = tm.load_model(cfg.model_name_or_path, cache_dir=cfg.model_cache_dir, dtype=cfg.model_dtype,
                          attn_implementation=cfg.attn_implementation, quantization_config=quantization_config(cfg),
                          device_map=device_map_for(cfg))
    peft_config = None
    if cfg.sft_adapter:
        from peft import PeftModel

        if not (Path(cfg.sft_adapter) / "adapter_config.json").exists():
            raise RecchatError(f"no SFT adapter at {cfg.sft_adapter}: run python -m training.train.sft first, "
                               "or pass --sft_adapter '' for a fresh LoRA")
        model = PeftModel.from_pretrained(model, cfg.sft_adapter, is_trainable=True)
    else:
        peft_config = lora_config(cfg)
    return DPOTrainer(model=model, args=cfg, train_dataset=train_ds, eval_dataset=eval_ds, processing_class=tok,
                      peft_config=peft_config, callbacks=callbacks or [])


def main(cfg: DPORunConfig):
    tok = tm.load_tokenizer(cfg.model_name_or_path, cfg.model_cache_dir)
    train, ev, counts = load_pairs(cfg, tok)
    if ev is not None and cfg.eval_strategy == "no":
        cfg.eval_strategy, cfg.eval_steps = "steps", cfg.eval_steps or cfg.save_steps
    print(f"DPO on {len(train)} pairs {counts}" + (f", eval on {len(ev)}" if ev is not None else ""), file=sys.stderr)
    trainer = build_trainer(cfg, train, ev, [plot_callback(f"DPO {Path(cfg.output_dir).name}")], tok)
    ckpt = last_checkpoint(cfg.output_dir)
    if ckpt:
        print(f"resuming from {ckpt}", file=sys.stderr)
    t0 = time.time()
    with compact_lm_head(cfg.compact_lm_head):
        trainer.train(resume_from_checkpoint=True if ckpt else None)
    trainer.save_model(cfg.output_dir)
    write_record(cfg, trainer, {"kind": "dpo", "pairs": len(train), "pairs_by_source": counts,
                                "eval_pairs": len(ev) if ev is not None else 0, "sft_adapter": cfg.sft_adapter,
                                "base": cfg.model_name_or_path, "wall_s": round(time.time() - t0, 1),
                                "resumed_from": ckpt})
    print(f"adapter saved to {cfg.output_dir}", file=sys.stderr)
    return trainer


if __name__ == "__main__":
    run_main(main, DPORunConfig)
