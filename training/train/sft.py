"""SFT: a LoRA adapter over the served model, trained on recchat's instruction data with TRL.

Usage:
    python -m training.train.sft --config training/configs/sft.yaml                 # CPU, the shipped adapter
    python -m training.train.sft --config training/configs/sft_smoke.yaml           # a few steps, minutes
    python -m training.train.sft --config training/configs/sft.yaml --max_steps 400 --learning_rate 1e-4
    python -m training.train.sft --config training/configs/sft_qlora.yaml           # GPU, 4-bit, Hub model
    accelerate launch --config_file training/configs/deepspeed_zero2.yaml \\
        -m training.train.sft --config training/configs/sft_qlora.yaml --load_in_4bit false --bf16 true

Every field of `SFTRunConfig` (ours + all of TRL's `SFTConfig`) can be set in the YAML and overridden
on the command line. A killed run started again resumes from the last checkpoint in `output_dir`.

What the model sees is exactly what the runtime feeds it: the prompt is BOS +
`recchat.prompts.chat_prompt(system, instruction)`, the completion the row's `response` (the
`format_response` shape) followed by the tokenizer's EOS, which llama.cpp stops on
(`training.train.model.train_prompt` / `train_answer`); the loss is on the completion only.

Speed on CPU (see benchmarks/training.py): bf16 is emulated here (~15x slower), so `bf16: false`;
gradient checkpointing is off (it recomputes the forward pass); and `lm_head: logits_to_keep`
projects through the 262k-token output layer only the positions that have a label (TRL's fused
head on CPU scores every position), which is most of the compute of a 270M model.
Rows longer than `max_length` are dropped, not truncated, so no response loses its end.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from trl import SFTConfig, SFTTrainer

from recchat.core.errors import RecchatError

from training.train import model as tm
from training.train.runs import (LoraFields, compact_lm_head, device_map_for, last_checkpoint, lora_config, plot_callback,
                   quantization_config, run_main, training_time, write_record)
from training.train.runs import examples_seen as tm_examples

@dataclass
class SFTRunConfig(SFTConfig, LoraFields):
    # ---- model
    model_name_or_path: str = field(default=tm.BASE_ALIAS, metadata={"help": "recchat:base (the packaged GGUF), a path, or a Hub id"})
    model_cache_dir: str | None = field(default=None, metadata={"help": "where recchat:base is converted (default RECCHAT_HOME/models/hf)"})
    model_dtype: str = field(default="float32", metadata={"help": "float32 on CPU; bfloat16 on GPUs"})
    attn_implementation: str = "sdpa"
    # ---- data (training/data.py's DatasetDict, or a .jsonl/.parquet file with the same columns)
    dataset_path: str = field(default="runs/data/recchat-instruct", metadata={"help": "DatasetDict dir or a jsonl/parquet file"})
    train_split: str = "train"
    eval_split: str | None = "validation"
    max_train_samples: int | None = None
    max_eval_samples: int | None = 200
    init_adapter: str | None = field(default=None, metadata={
        "help": "a PEFT adapter to continue from when output_dir has no checkpoint of its own: the last landed "
                "chunk (recchat/checkpoints/sft/peft); its run.json's examples and time are added to this run's"})
    start_row: int = field(default=-1, metadata={
        "help": "with init_adapter: the row of the seeded order this chunk starts at; -1: where the continued "
                "adapter stopped when the rows are the same ones, else 0. Set it to go on from an adapter "
                "whose recorded order is not a row hash (landed before session 11)"})
    killed_wall_s: float = field(default=0.0, metadata={
        "help": "when a chunk was stopped by a kill and this run only finishes it from its last checkpoint: the "
                "killed run's wall seconds up to that checkpoint (its progress bar's elapsed time), so the "
                "training time counts them"})
    # ---- LoRA / QLoRA: runs.LoraFields
    # ---- speed
    lm_head: str = field(default="logits_to_keep", metadata={
        "help": "how the loss meets the 262k-vocab head: logits_to_keep (only labelled positions, our loss), "
                "compact (TRL's fused head, labelled positions only), trl (TRL as is: every position on CPU)"})
    # ---- TRL / Trainer defaults that suit this project (CPU first)
    output_dir: str = "runs/sft"
    bf16: bool | None = False
    gradient_checkpointing: bool = False
    max_length: int | None = 384
    learning_rate: float = 2e-4
    lr_scheduler_type: str = "cosine"
    warmup_steps: float = 0.03
    per_device_train_batch_size: int = 4
    logging_steps: int = 5
    save_steps: int = 50
    save_total_limit: int | None = 2
    eos_token: str | None = field(default=None, metadata={"help": "the token answers end with (default: the tokenizer's EOS)"})
    completion_only_loss: bool | None = True
    dataloader_num_workers: int = 0
    seed: int = 42


def to_prompt_completion(row: dict, tok) -> dict:
    return {"prompt": tm.train_prompt(tok, row["system"], row["instruction"]),
            "completion": tm.train_answer(tok, row["response"])}


def load_rows(path: str, split: str | None, limit: int | None, seed: int, tok):
    """A split of the instruction data as prompt/completion rows."""
    import datasets

    p = Path(path)
    if not p.exists():
        raise RecchatError(f"no instruction data at {p}: build it first (python -m training.data.build --config "
                           "training/configs/data.yaml) or pass --dataset_path")
    if p.is_dir():
        dd = datasets.load_from_disk(str(p))
        if isinstance(dd, datasets.DatasetDict):
            if split not in dd:
                return None
            ds = dd[split]
        else:
            ds = dd
    else:
        kind = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}.get(p.suffix)
        if kind is None:
            raise RecchatError(f"{p}: expected a DatasetDict directory, .jsonl or .parquet")
        if split not in (None, "train"):
            return None
        ds = datasets.load_dataset(kind, data_files=str(p), split="train")
    missing = {"system", "instruction", "response"} - set(ds.column_names)
    if missing:
        raise RecchatError(f"{p} lacks column(s) {sorted(missing)}; expected training/data.py's rows")
    if limit:
        ds = ds.shuffle(seed=seed).select(range(min(limit, len(ds))))
    out = ds.map(to_prompt_completion, fn_kwargs={"tok": tok}, remove_columns=ds.column_names)
    out.prompt_style = tm.rows_style(ds["system"])
    out.why_style = tm.rows_why_style(ds["system"])
    return out


def drop_long(ds, tok, max_length: int | None):
    """Drop rows whose prompt + completion exceed max_length tokens (truncation would cut the response)."""
    if ds is None or not max_length:
        return ds, 0
    lens = ds.map(lambda b: {"_n": [len(x) for x in tok([p + c for p, c in zip(b["prompt"], b["completion"])],
                                                         add_special_tokens=False).input_ids]},
                  batched=True, remove_columns=ds.column_names)["_n"]
    keep = [i for i, n in enumerate(lens) if n <= max_length]
    return ds.select(keep), len(lens) - len(keep)


class RecchatSFTTrainer(SFTTrainer):
    """SFTTrainer whose loss projects only the labelled (response) positions through the LM head, and
    which reads the (pre-shuffled) rows in order, so chunks continue one another."""

    def _get_train_sampler(self, *args, **kwargs):
        from torch.utils.data import SequentialSampler

        return SequentialSampler(args[0] if args and args[0] is not None else self.train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.args.lm_head != "logits_to_keep" or return_outputs or not model.training:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        loss, _ = completion_loss(model, inputs, num_items_in_batch)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes
        return loss


def completion_loss(model, inputs: dict, num_items_in_batch=None):
    """(mean token NLL over labelled positions, per-row (sum NLL, count)).

    `logits_to_keep` takes the positions (shared across the batch) whose next token has a label,
    so the [batch, seq, 262k] logits of prompt and padding positions are never computed. Going
    through the model's own forward keeps DDP/DeepSpeed hooks intact."""
    labels = inputs["labels"]
    shift = labels[:, 1:]
    valid = shift != -100
    cols = valid.any(0).nonzero().squeeze(-1)
    kw = {k: v for k, v in inputs.items() if k not in ("labels", "completion_mask")}
    kw["use_cache"] = False
    out = model(**kw, logits_to_keep=cols)
    tgt = shift[:, cols]
    nll = F.cross_entropy(out.logits.float().flatten(0, 1), tgt.flatten(), ignore_index=-100, reduction="none")
    nll = nll.view(tgt.shape)
    n = num_items_in_batch if num_items_in_batch is not None else valid.sum()
    return nll.sum() / torch.as_tensor(n).clamp(min=1), nll


def build_trainer(cfg: SFTRunConfig, train_ds, eval_ds=None, tok=None, callbacks=None):
    tok = tok or tm.load_tokenizer(cfg.model_name_or_path, cfg.model_cache_dir)
    model = tm.load_model(cfg.model_name_or_path, cache_dir=cfg.model_cache_dir, dtype=cfg.model_dtype,
                          attn_implementation=cfg.attn_implementation, quantization_config=quantization_config(cfg),
                          device_map=device_map_for(cfg))
    peft_config = lora_config(cfg)
    if cfg.init_adapter:  # the next chunk: the landed adapter's weights, trained further
        from peft import PeftModel

        if not (Path(cfg.init_adapter) / "adapter_config.json").exists():
            raise RecchatError(f"no PEFT adapter at {cfg.init_adapter} to continue from")
        model, peft_config = PeftModel.from_pretrained(model, cfg.init_adapter, is_trainable=True), None
    return RecchatSFTTrainer(model=model, args=cfg, train_dataset=train_ds, eval_dataset=eval_ds,
                             processing_class=tok, peft_config=peft_config, callbacks=callbacks or [])


def earlier_chunks(init_adapter: str | None) -> dict:
    """What the adapter being continued had seen (its run.json): examples, training time, chunks."""
    rp = Path(init_adapter or "") / "run.json"
    if not init_adapter or not rp.exists():
        return {"examples_seen": 0, "training_time_s": 0.0, "chunks": 0}
    import json

    rec = json.loads(rp.read_text())
    seen = int(rec.get("examples_seen") or 0)
    return {"examples_seen": seen,
            "training_time_s": float(rec.get("training_time_s") or 0.0), "chunks": int(rec.get("chunks") or 1),
            # where in which row order it stopped (adapters from before orders were recorded: unknown)
            "order": rec.get("order"), "rows_done": int(rec.get("rows_done", seen) or 0)}


def order_key(rows) -> str:
    """A key for these rows in this order, from their content: a rebuild that gives the same rows in
    the same seeded order gets the same key on any machine, so a later chunk knows where to go on
    (`datasets`' own fingerprint is private and changes with how the rows were loaded)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:16]


def start_row(before: dict, order: str, n_rows: int, forced: int = -1) -> int:
    """Where a chunk starts in the seeded row order: `forced` when given (>= 0, the config's start_row),
    else where the continued adapter stopped when it was trained on these same rows in this same order,
    else at the first row (the data was rebuilt)."""
    if forced >= 0 and n_rows:
        return forced % n_rows
    if before.get("order") != order or not n_rows:
        return 0
    return before["rows_done"] % n_rows


def main(cfg: SFTRunConfig):
    if cfg.lm_head not in ("logits_to_keep", "compact", "trl"):
        raise RecchatError(f"lm_head must be logits_to_keep, compact or trl, not {cfg.lm_head!r}")
    if cfg.bf16 and not torch.cuda.is_available():
        print("note: bf16 on this CPU is emulated and ~15x slower; set --bf16 false", file=sys.stderr)
    tok = tm.load_tokenizer(cfg.model_name_or_path, cfg.model_cache_dir)
    if cfg.eos_token and cfg.eos_token not in tok.get_vocab():
        raise RecchatError(f"the tokenizer has no {cfg.eos_token!r} token; set --eos_token to its end-of-turn token")
    if cfg.eos_token:
        tok.eos_token = cfg.eos_token  # what answers end with (TRL sets the same on its copy)
    train = load_rows(cfg.dataset_path, cfg.train_split, cfg.max_train_samples, cfg.seed, tok)
    if train is None or len(train) == 0:
        raise RecchatError(f"{cfg.dataset_path} has no {cfg.train_split!r} rows")
    ev = load_rows(cfg.dataset_path, cfg.eval_split, cfg.max_eval_samples, cfg.seed, tok) if cfg.eval_split else None
    style, why_style = getattr(train, "prompt_style", "chat"), getattr(train, "why_style", "fewshot")
    train, dropped = drop_long(train, tok, cfg.max_length)
    # one fixed order over all chunks (the trainer reads it in sequence): a later chunk starts where the
    # earlier ones stopped
    train = train.shuffle(seed=cfg.seed)
    pool, seen, order = len(train), 0, order_key(train)  # the card reports the pool, not what this chunk had left of it
    before = earlier_chunks(cfg.init_adapter)  # what the continued adapter had done (zeros without one)
    if cfg.init_adapter:
        seen = start_row(before, order, pool, cfg.start_row)
        if before["examples_seen"] and before.get("order") != order and cfg.start_row < 0:
            print(f"the rows differ from those {cfg.init_adapter} was trained on: this pass starts at row 0",
                  file=sys.stderr)
        train = train.select(range(seen, len(train)))
        print(f"continuing {cfg.init_adapter}: starting at row {seen}, {len(train)} to go", file=sys.stderr)
    ev, _ = drop_long(ev, tok, cfg.max_length)
    if ev is not None and len(ev) and cfg.eval_strategy == "no":
        cfg.eval_strategy, cfg.eval_steps = "steps", cfg.eval_steps or cfg.save_steps
    print(f"SFT on {len(train)} rows ({dropped} longer than {cfg.max_length} tokens dropped)"
          + (f", eval on {len(ev)}" if ev is not None else ""), file=sys.stderr)
    trainer = build_trainer(cfg, train, ev if ev is not None and len(ev) else None, tok,
                            [plot_callback(f"SFT {Path(cfg.output_dir).name}")])
    ckpt = last_checkpoint(cfg.output_dir)
    if ckpt:
        print(f"resuming from {ckpt}", file=sys.stderr)
    t0 = time.time()
    with compact_lm_head(cfg.lm_head == "compact"):
        trainer.train(resume_from_checkpoint=True if ckpt else None)
    trainer.save_model(cfg.output_dir)
    totals = {}
    if cfg.init_adapter:  # this chunk's own figures, plus the landed chunks' it continues
        own = training_time(Path(cfg.output_dir) / "run.json",
                            {"wall_s": time.time() - t0 + cfg.killed_wall_s, "resumed_from": ckpt}, key="chunk_time_s")
        totals = {"chunk_time_s": own, "examples_seen": before["examples_seen"] + tm_examples(trainer),
                  "training_time_s": round(before["training_time_s"] + own, 1), "chunks": before["chunks"] + 1}
    rec = write_record(cfg, trainer, {"kind": "sft", "train_rows": pool, "start_row": seen, "order": order,
                                      "rows_done": seen + tm_examples(trainer), "dropped_long": dropped,
                                      "eval_rows": len(ev) if ev is not None else 0,
                                      "base": cfg.model_name_or_path, "prompt_style": style, "why_style": why_style,
                                      "wall_s": round(time.time() - t0, 1),
                                      "resumed_from": ckpt, **totals})
    print(f"adapter saved to {cfg.output_dir} ({rec.name}, loss.png)", file=sys.stderr)
    return trainer


if __name__ == "__main__":
    run_main(main, SFTRunConfig)
