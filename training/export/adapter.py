"""Export a trained adapter to what llama.cpp loads, verify it, and register it as a checkpoint.

Usage:
    python -m training.export.adapter --config training/configs/export.yaml                       # runs/sft -> sft
    python -m training.export.adapter --config training/configs/export.yaml --adapter_dir runs/dpo --name dpo
    python -m training.export.adapter --config training/configs/export.yaml --mode merged --out runs/sft-merged.gguf

Modes:
- `lora` (default): a GGUF LoRA adapter (training/gguf_io.py, laid out like llama.cpp's
  convert_lora_to_gguf.py) that the runtime loads with `lora_path` over the packaged base GGUF.
  With `register: true` it goes to recchat/checkpoints/<name>/adapter.gguf (the registry maps
  `sft` and `dpo` there) with a model card README.md and the loss curve.
- `merged`: LoRA merged into the float32 weights, written as a whole GGUF (vocabulary copied from
  the packaged GGUF) and quantised by llama.cpp (`merged_quant`, default Q4_K_M); add it to
  RECCHAT_HOME/models.yaml to serve it.

Verification (`verify_prompts` > 0): greedy decoding of the same prompts by PyTorch (base + PEFT
adapter) and by llama.cpp (GGUF base + exported adapter). Reported: free-running agreement (tokens
equal before the first divergence) and teacher-forced agreement (llama.cpp's token is PyTorch's
argmax at each step). The runtime's base is Q4_K_M, PyTorch's its float32 dequantisation, so the
figures measure the export plus llama.cpp's quantised arithmetic.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from recchat.core.atomic import write_text_atomic
from recchat.core.errors import RecchatError
from recchat.llm.checkpoints import CHECKPOINTS_DIR as CHECKPOINTS

from training.export import gguf_io
from training.train import model as tm
from training.train.runs import run_main, run_styles



@dataclass
class ExportConfig:
    adapter_dir: str = field(default="runs/sft", metadata={"help": "PEFT adapter directory (training.train.sft / training.train.dpo output)"})
    name: str = field(default="sft", metadata={"help": "checkpoint name (sft, dpo, or your own)"})
    mode: str = field(default="lora", metadata={"help": "lora | merged"})
    base_model: str = field(default=tm.BASE_ALIAS, metadata={"help": "the adapter's base (transformers side)"})
    base_gguf: str | None = field(default=None, metadata={"help": "llama.cpp base; default: the packaged GGUF"})
    model_cache_dir: str | None = None
    out: str | None = field(default=None, metadata={"help": "output file; default recchat/checkpoints/<name>/adapter.gguf"})
    register: bool = field(default=True, metadata={"help": "write into recchat/checkpoints/<name>/ with a model card"})
    dtype: str = field(default="f16", metadata={"help": "adapter / merged tensors: f16 or f32"})
    merged_quant: str | None = field(default="q4_k_m", metadata={"help": "merged mode: llama.cpp quantisation, or none"})
    verify_prompts: int = 20
    verify_max_new_tokens: int = 32
    n_ctx: int = 1024


def base_gguf(cfg: ExportConfig) -> Path:
    from recchat.llm.checkpoints import base_gguf_path

    return Path(cfg.base_gguf) if cfg.base_gguf else base_gguf_path()


def export_lora(cfg: ExportConfig, out: Path) -> Path:
    from transformers import AutoConfig

    adir = Path(cfg.adapter_dir)
    state, peft_cfg = gguf_io.load_adapter_state(adir)
    base_cfg = AutoConfig.from_pretrained(tm.resolve(cfg.base_model, cfg.model_cache_dir))
    return gguf_io.write_lora_gguf(state, peft_cfg, base_cfg, out, cfg.dtype,
                                   meta={"name": f"recchat-{cfg.name}", "source": str(adir)})


def load_peft(cfg: ExportConfig):
    from peft import PeftModel

    base = tm.load_model(cfg.base_model, cache_dir=cfg.model_cache_dir)
    return PeftModel.from_pretrained(base, cfg.adapter_dir)


def export_merged(cfg: ExportConfig, out: Path) -> Path:
    merged = load_peft(cfg).merge_and_unload()
    f_out = out if not cfg.merged_quant else out.with_name(out.stem + f".{cfg.dtype}.gguf")
    gguf_io.write_model_gguf(merged, f_out, vocab_from=base_gguf(cfg), dtype=cfg.dtype, name=f"recchat-{cfg.name}")
    if cfg.merged_quant:
        quantize(f_out, out, cfg.merged_quant)
        f_out.unlink()
    return out


def quantize(src: Path, dst: Path, kind: str) -> Path:
    """llama.cpp's own quantiser (llama_model_quantize), as llama-quantize runs it."""
    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.upper()}", None)
    if ftype is None:
        raise RecchatError(f"unknown llama.cpp quantisation {kind!r} (e.g. q4_k_m, q5_k_m, q8_0)")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params)
    if rc != 0:
        raise RecchatError(f"llama.cpp could not quantise {src} ({kind}), code {rc}")
    return dst


def verify(cfg: ExportConfig, exported: Path, style: str) -> dict:
    """Greedy tokens: PyTorch (base + adapter) vs llama.cpp (exported), on cfg.verify_prompts prompts
    in the prompt style the adapter was trained for."""
    peft_model = load_peft(cfg)
    tok = tm.load_tokenizer(cfg.base_model, cfg.model_cache_dir)
    plist = tm.check_prompts(cfg.verify_prompts, style)
    if cfg.mode == "lora":
        lp_prompt, lp = tm.greedy_llamacpp(str(base_gguf(cfg)), plist, cfg.verify_max_new_tokens,
                                           lora_path=str(exported), n_ctx=cfg.n_ctx)
    else:
        lp_prompt, lp = tm.greedy_llamacpp(str(exported), plist, cfg.verify_max_new_tokens, n_ctx=cfg.n_ctx)
    pt = tm.greedy_torch(peft_model, tok, plist, cfg.verify_max_new_tokens, tm.stop_token_ids(tok))
    res = tm.token_agreement(pt, lp)
    res["teacher_forced"] = tm.teacher_forced_agreement(peft_model, lp_prompt, lp)
    res["examples"] = [{"torch": tok.decode(a), "llama.cpp": tok.decode(b)} for a, b in zip(pt[:3], lp[:3])]
    return res


def keep_peft(adapter_dir: Path, dst: Path) -> Path:
    """The PEFT adapter beside the GGUF, in bf16 (half the bytes; LoRA weights lose nothing that
    matters), with its run.json: the next SFT chunk continues from it (`--init_adapter`) on a new
    machine, where runs/ is gone."""
    import torch
    from safetensors.torch import load_file, save_file

    tmp = dst.with_name(dst.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    weights = load_file(str(adapter_dir / "adapter_model.safetensors"))
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in weights.items()}, str(tmp / "adapter_model.safetensors"))
    for name in ("adapter_config.json", "run.json"):
        if (adapter_dir / name).exists():
            shutil.copy(adapter_dir / name, tmp / name)
    shutil.rmtree(dst, ignore_errors=True)
    tmp.replace(dst)
    return dst


def model_card(cfg: ExportConfig, exported: Path, agreement: dict | None, styles: dict | None = None) -> str:
    """The adapter's README; `styles` is run_styles(adapter_dir), read here when not given."""
    run = {}
    rp = Path(cfg.adapter_dir) / "run.json"
    if rp.exists():
        run = json.loads(rp.read_text())
    c = run.get("config", {})
    style = (styles or run_styles(cfg.adapter_dir))["prompt_style"]
    info = gguf_io.describe(exported)
    lic = "Gemma Terms of Use (https://ai.google.dev/gemma/terms); the adapter is a derivative of Gemma 3 270M"
    lines = [
        f"# recchat `{cfg.name}` adapter",
        "",
        f"A LoRA adapter over Gemma 3 270M (Q4_K_M, the packaged base) for recchat's "
        f"{'request reader' if style == 'understand' else 'chat prompts'}; "
        f"{'DPO (best/worst of five) on top of the SFT adapter' if run.get('kind') == 'dpo' else 'supervised fine-tuning on recchat instruction data'}.",
        "Load: `recchat ask --checkpoint " + cfg.name + "` (llama.cpp `lora_path` over the base GGUF).",
        f"- prompt style: {style}"
        + (" (the request reader: titles and genres in the catalog's language, recchat.prompts.understanding_line)"
           if style == "understand" else " (rationale, then picks: recchat.prompts.build_instruction)"),
        "",
        "## Data",
    ]
    if run.get("kind") == "dpo":
        lines.append(f"- {run.get('pairs', '?')} preference pairs by source: {run.get('pairs_by_source', {})}; "
                     f"eval pairs {run.get('eval_pairs', 0)}; started from `{run.get('sft_adapter')}`")
    elif run:
        lines.append(f"- {run.get('train_rows', '?')} training rows from `{c.get('dataset_path')}` "
                     f"({run.get('dropped_long', 0)} longer than {c.get('max_length')} tokens dropped), "
                     f"{run.get('eval_rows', 0)} eval rows"
                     + (f"; this chunk started at row {run['start_row']} of the seeded order" if run.get("start_row") else ""))
    else:
        lines.append("- (no run.json found beside the adapter)")
    if run:  # lines of their own, for readers and scripts: what this adapter has really been trained on
        if run.get("kind") == "dpo":
            lines.append(f"- preference pairs: {run.get('pairs', '?')}")
        lines.append(f"- examples seen: {run.get('examples_seen', '?')}"
                     + (" (steps x batch x accumulation)" if run.get("examples_seen") is not None else ""))
        lines.append(f"- training time: {duration(run.get('training_time_s', run.get('wall_s')))}")
    lines += ["", "## Settings"]
    keys = ["lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "learning_rate", "num_train_epochs",
            "max_steps", "per_device_train_batch_size", "gradient_accumulation_steps", "max_length", "beta", "bf16",
            "lm_head", "seed"]
    lines += [f"- {k}: {c[k]}" for k in keys if k in c]
    lines += [f"- steps: {run.get('global_step')}, final train loss: {run.get('last_loss')}, wall time: {run.get('wall_s')} s"
              if run else "", "", "## Export"]
    lines.append(f"- `adapter.gguf`: {info.get('tensors')} tensors, {info.get('bytes', 0) / 1e6:.1f} MB, "
                 f"{cfg.dtype}, alpha {info.get('adapter.lora.alpha')}, exported {time.strftime('%Y-%m-%d')}")
    if agreement:
        tf = agreement.get("teacher_forced", {})
        lines.append(f"- greedy agreement with PyTorch on {agreement['prompts']} prompts: "
                     f"{agreement['agreement']:.1%} free-running ({agreement['exact']} identical), "
                     f"{tf.get('agreement', 0):.1%} teacher-forced")
    lines += ["", "## Figures", "", "![loss](loss.png)" if (Path(cfg.adapter_dir) / "loss.png").exists() else "(no loss plot)",
              "", "## Licence", "", lic, ""]
    return "\n".join(x for x in lines if x is not None)


def duration(seconds) -> str:
    if seconds is None:
        return "?"
    s = int(round(float(seconds)))
    return f"{s // 3600} h {s % 3600 // 60:02d} min ({s} s)" if s >= 3600 else f"{s // 60} min {s % 60:02d} s ({s} s)"


def main(cfg: ExportConfig) -> dict:
    if cfg.mode not in ("lora", "merged"):
        raise RecchatError(f"mode must be lora or merged, not {cfg.mode!r}")
    if cfg.dtype not in ("f16", "f32"):
        raise RecchatError(f"dtype must be f16 or f32, not {cfg.dtype!r}")
    if not (Path(cfg.adapter_dir) / "adapter_config.json").exists():
        raise RecchatError(f"no PEFT adapter at {cfg.adapter_dir}: train one with python -m training.train.sft")
    default = CHECKPOINTS / cfg.name / "adapter.gguf" if cfg.register and cfg.mode == "lora" else Path(f"runs/{cfg.name}.gguf")
    out = Path(cfg.out) if cfg.out else default
    t0 = time.time()
    exported = export_lora(cfg, out) if cfg.mode == "lora" else export_merged(cfg, out)
    print(f"wrote {exported} ({exported.stat().st_size / 1e6:.1f} MB) in {time.time() - t0:.0f} s", file=sys.stderr)
    styles = run_styles(cfg.adapter_dir)  # read once: the check, the card and export.json agree
    agreement = verify(cfg, exported, styles["prompt_style"]) if cfg.verify_prompts > 0 else None
    if agreement:
        print(json.dumps(agreement, ensure_ascii=False, indent=2))
    if cfg.register and cfg.mode == "lora":
        d = exported.parent
        write_text_atomic(d / "README.md", model_card(cfg, exported, agreement, styles))
        if (Path(cfg.adapter_dir) / "loss.png").exists():
            shutil.copy(Path(cfg.adapter_dir) / "loss.png", d / "loss.png")
        keep_peft(Path(cfg.adapter_dir), d / "peft")
        write_text_atomic(d / "export.json", json.dumps({"config": asdict(cfg), **styles,
                                                        "agreement": agreement,
                                                        "gguf": gguf_io.describe(exported)}, indent=2, ensure_ascii=False))
    return {"out": str(exported), "agreement": agreement}


if __name__ == "__main__":
    run_main(main, ExportConfig)
