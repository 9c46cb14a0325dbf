"""What SFT and DPO runs share: parsing, resuming, the LoRA config, loss plots, the run record."""

from __future__ import annotations

import json
from contextlib import contextmanager
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from recchat.core.atomic import write_text_atomic
from recchat.core.errors import RecchatError

DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class LoraFields:
    """The LoRA / QLoRA settings of SFTRunConfig and DPORunConfig (mixed into TRL's configs)."""

    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGETS))
    use_rslora: bool = False
    load_in_4bit: bool = False
    bnb_4bit_quant_type: str = "nf4"
    bnb_4bit_compute_dtype: str = "bfloat16"
    use_bnb_nested_quant: bool = True


def parse(config_cls, argv: list[str] | None = None):
    """TRL's parser: `--config run.yaml`, then any field overridden as `--field value`."""
    from trl import TrlParser

    (cfg,) = TrlParser(dataclass_types=[config_cls]).parse_args_and_config(argv)
    return cfg


def last_checkpoint(output_dir: str) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    p = Path(output_dir)
    return get_last_checkpoint(str(p)) if p.is_dir() else None


def lora_config(cfg):
    from peft import LoraConfig

    return LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.lora_target_modules), use_rslora=cfg.use_rslora,
                      bias="none", task_type="CAUSAL_LM")


def quantization_config(cfg):
    """4-bit bitsandbytes (QLoRA) when asked; None otherwise."""
    if not getattr(cfg, "load_in_4bit", False):
        return None
    import torch
    from transformers import BitsAndBytesConfig

    if not torch.cuda.is_available():
        raise RecchatError("load_in_4bit (QLoRA) needs a CUDA GPU and bitsandbytes; use sft.yaml on CPU")
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=cfg.bnb_4bit_quant_type,
                              bnb_4bit_use_double_quant=cfg.use_bnb_nested_quant,
                              bnb_4bit_compute_dtype=getattr(torch, cfg.bnb_4bit_compute_dtype),
                              bnb_4bit_quant_storage=getattr(torch, cfg.bnb_4bit_compute_dtype))


def device_map_for(cfg):
    if not getattr(cfg, "load_in_4bit", False):
        return None
    from accelerate import PartialState

    return {"": PartialState().local_process_index}  # each rank loads its own 4-bit copy


def plot_losses(log_history: list[dict], out: Path, title: str) -> Path | None:
    """Training (and eval) loss against step, plus the learning rate, as a PNG."""
    train = [(h["step"], h["loss"]) for h in log_history if "loss" in h]
    evals = [(h["step"], h["eval_loss"]) for h in log_history if "eval_loss" in h]
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if train:
        ax.plot(*zip(*train), label="train loss")
    if evals:
        ax.plot(*zip(*evals), "o-", label="eval loss")
    for key, style in (("rewards/accuracies", "g--"), ("mean_token_accuracy", "g--")):
        pts = [(h["step"], h[key]) for h in log_history if key in h]
        if pts:
            ax2 = ax.twinx()
            ax2.plot(*zip(*pts), style, label=key)
            ax2.set_ylabel(key)
            ax2.set_ylim(0, 1)
            break
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(loc="upper right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_callback(title: str):
    """Redraw loss.png at every log and save, so a killed run still leaves its curve."""
    from transformers import TrainerCallback

    class PlotCallback(TrainerCallback):
        def on_log(self, args, state, control, **kw):
            if state.is_world_process_zero and state.global_step % max(1, args.logging_steps * 5) == 0:
                plot_losses(state.log_history, Path(args.output_dir) / "loss.png", title)

        def on_save(self, args, state, control, **kw):
            if state.is_world_process_zero:
                plot_losses(state.log_history, Path(args.output_dir) / "loss.png", title)

        def on_train_end(self, args, state, control, **kw):
            if state.is_world_process_zero:
                plot_losses(state.log_history, Path(args.output_dir) / "loss.png", title)

    return PlotCallback()


def write_record(cfg, trainer, extra: dict) -> Path:
    """run.json beside the adapter: config, data counts, speed and final metrics (model cards read it)."""
    out = Path(cfg.output_dir) / "run.json"
    hist = trainer.state.log_history
    final = next((h for h in reversed(hist) if "train_runtime" in h), {})
    rec = {
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "global_step": trainer.state.global_step,
        "examples_seen": examples_seen(trainer),
        "training_time_s": training_time(out, extra),
        "final": final,
        "last_loss": next((h["loss"] for h in reversed(hist) if "loss" in h), None),
        "config": {k: v for k, v in asdict(cfg).items() if _jsonable(v)},
        **extra,
    }
    return write_text_atomic(out, json.dumps(rec, indent=2, default=str, ensure_ascii=False))


STYLE_DEFAULTS = {"prompt_style": "chat", "why_style": "fewshot"}


def run_styles(run_dir) -> dict[str, str]:
    """The prompt styles an adapter's rows taught, from its run.json (a DPO run inherits its SFT's;
    runs recorded before a style existed get its default): what the export and the registry need."""
    rp = Path(run_dir) / "run.json"
    run = json.loads(rp.read_text()) if rp.exists() else {}
    sft = Path(run.get("sft_adapter") or "") / "run.json"
    parent = json.loads(sft.read_text()) if run.get("sft_adapter") and sft.exists() else {}
    return {k: run.get(k) or parent.get(k) or d for k, d in STYLE_DEFAULTS.items()}


def examples_seen(trainer) -> int:
    """Examples the optimiser has seen: steps x batch x accumulation x processes (not the pool size)."""
    a = trainer.args
    return int(trainer.state.global_step * a.per_device_train_batch_size * a.gradient_accumulation_steps
               * max(1, a.world_size))


def training_time(out: Path, extra: dict, key: str = "training_time_s") -> float:
    """Seconds of training over all chunks: a run resumed from a checkpoint adds this chunk's wall
    time to what the previous chunk's run.json recorded under `key` (a chunk killed before its end is
    not counted)."""
    wall = float(extra.get("wall_s") or 0.0)
    if extra.get("resumed_from") and out.exists():
        try:
            return round(float(json.loads(out.read_text()).get(key) or 0.0) + wall, 1)
        except (ValueError, OSError):
            pass
    return round(wall, 1)


def _jsonable(v) -> bool:
    try:
        json.dumps(v)
        return True
    except TypeError:
        return False


def run_main(fn, config_cls, argv=None) -> None:
    """Parse, run, and turn RecchatError into one line and exit code 2."""
    try:
        fn(parse(config_cls, argv))
    except RecchatError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


@contextmanager
def compact_lm_head(enabled: bool = True):
    """Make TRL's fused LM head score only labelled positions on CPU too.

    TRL 1.16 projects only the positions with a label when Triton is available and every position
    elsewhere (to keep tile shapes fixed for compilers); on CPU that wastes most of the 262k-vocab
    matmul on prompt and padding tokens. In trl.trainer.utils the name `_use_triton` decides only
    that choice (the kernel module keeps its own), so rebinding it there switches the branch."""
    import trl.trainer.utils as tu

    orig = tu._use_triton
    if enabled:
        tu._use_triton = lambda device: True
    try:
        yield
    finally:
        tu._use_triton = orig
