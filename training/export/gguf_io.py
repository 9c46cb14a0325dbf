"""Writing what llama.cpp loads, with the `gguf` package: a LoRA adapter, or a whole (merged) model.

The layout follows llama.cpp's own converters (convert_lora_to_gguf.py, convert_hf_to_gguf.py):
- tensor names come from gguf's TensorNameMap (model.layers.3.self_attn.q_proj -> blk.3.attn_q);
- an adapter is `general.type = adapter`, `adapter.type = lora`, `adapter.lora.alpha`, and for each
  adapted weight `<name>.weight.lora_a` (shape [r, in]) and `<name>.weight.lora_b` ([out, r]);
  llama.cpp scales by alpha / r, where r is read from lora_a;
- Gemma's RMSNorm multiplies by (1 + w); llama.cpp's by w, so norm weights are written as w + 1.
Only Gemma 3 and Llama-style decoders are handled (what recchat trains); others raise a clear error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from recchat.core.errors import RecchatError

_ARCH = {"gemma3_text": "GEMMA3", "gemma3": "GEMMA3", "llama": "LLAMA"}


def gguf_arch(config) -> tuple[str, object]:
    import gguf

    mt = getattr(config, "model_type", "")
    if mt not in _ARCH:
        raise RecchatError(f"GGUF export supports Gemma 3 and Llama models, not {mt!r}")
    arch = getattr(gguf.MODEL_ARCH, _ARCH[mt])
    return gguf.MODEL_ARCH_NAMES[arch], arch


def name_map(config):
    import gguf

    _, arch = gguf_arch(config)
    return gguf.get_tensor_name_map(arch, config.num_hidden_layers)


def gguf_name(tmap, hf_module: str) -> str:
    """'model.layers.0.self_attn.q_proj' -> 'blk.0.attn_q'."""
    name = tmap.get_name(hf_module)
    if name is None:
        raise RecchatError(f"no llama.cpp tensor for {hf_module!r}")
    return name


# ------------------------------------------------------------------------------ LoRA adapter

_LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+)\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$")


def lora_tensors(state: dict, tmap) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """PEFT adapter state dict -> {gguf weight name: (A [r, in], B [out, r])}."""
    parts: dict[str, dict[str, np.ndarray]] = {}
    for key, t in state.items():
        m = _LORA_KEY.match(key)
        if not m:
            if "lora_embedding" in key or "modules_to_save" in key:
                raise RecchatError(f"llama.cpp adapters carry LoRA matrices only; {key!r} cannot be exported "
                                   "(train without modules_to_save / embedding adapters)")
            continue
        module = m.group("module")
        if module.endswith("lm_head"):
            raise RecchatError("the adapter targets lm_head, which Gemma ties to the embeddings; llama.cpp ignores it")
        parts.setdefault(gguf_name(tmap, module) + ".weight", {})[m.group("ab")] = t.detach().float().cpu().numpy()
    out = {}
    for name, ab in sorted(parts.items()):
        if set(ab) != {"A", "B"}:
            raise RecchatError(f"adapter tensor {name} lacks lora_{'B' if 'A' in ab else 'A'}")
        out[name] = (ab["A"], ab["B"])
    return out


def llama_alpha(peft_cfg) -> float:
    """The alpha llama.cpp needs so that alpha / r equals PEFT's scaling (rsLoRA: alpha / sqrt(r))."""
    if getattr(peft_cfg, "alpha_pattern", None) or getattr(peft_cfg, "rank_pattern", None):
        raise RecchatError("per-module LoRA ranks/alphas cannot be written to one llama.cpp adapter")
    r, alpha = peft_cfg.r, peft_cfg.lora_alpha
    scaling = alpha / (r ** 0.5) if getattr(peft_cfg, "use_rslora", False) else alpha / r
    return float(scaling * r)


def write_lora_gguf(state: dict, peft_cfg, base_config, out: Path, dtype: str = "f32", meta: dict | None = None) -> Path:
    import gguf

    arch_name, _ = gguf_arch(base_config)
    tensors = lora_tensors(state, name_map(base_config))
    if not tensors:
        raise RecchatError("the adapter has no LoRA tensors")
    np_dtype = {"f32": np.float32, "f16": np.float16}[dtype]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    w = gguf.GGUFWriter(str(tmp), arch_name)
    w.add_type(gguf.GGUFType.ADAPTER)
    w.add_string(gguf.Keys.Adapter.TYPE, "lora")
    w.add_float32(gguf.Keys.Adapter.LORA_ALPHA, llama_alpha(peft_cfg))
    for k, v in (meta or {}).items():
        w.add_string(f"general.{k}", str(v))
    for name, (a, b) in tensors.items():
        w.add_tensor(name + ".lora_a", np.ascontiguousarray(a.astype(np_dtype)))
        w.add_tensor(name + ".lora_b", np.ascontiguousarray(b.astype(np_dtype)))
    _finish(w)
    tmp.replace(out)
    return out


def load_adapter_state(adapter_dir: Path) -> tuple[dict, object]:
    """(state dict, LoraConfig) from a PEFT adapter directory."""
    from peft import LoraConfig
    from safetensors.torch import load_file

    st = adapter_dir / "adapter_model.safetensors"
    if not st.exists():
        raise RecchatError(f"{adapter_dir} has no adapter_model.safetensors (is it a PEFT LoRA adapter directory?)")
    cfg = LoraConfig.from_pretrained(str(adapter_dir))
    return load_file(str(st)), cfg


# ------------------------------------------------------------------------------ whole model

def write_model_gguf(model, out: Path, vocab_from: Path | None = None, tokenizer=None, dtype: str = "f32",
                     name: str = "recchat") -> Path:
    """A transformers decoder (e.g. merged SFT) as a GGUF llama.cpp can run.

    The vocabulary is copied from an existing GGUF (`vocab_from`: the packaged base model, whose
    tokenizer the tuned model shares) or, for the tiny test models, built from `tokenizer`.
    """
    import gguf

    cfg = model.config
    arch_name, _ = gguf_arch(cfg)
    tmap = name_map(cfg)
    is_gemma = cfg.model_type.startswith("gemma")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    w = gguf.GGUFWriter(str(tmp), arch_name)
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name(name)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    rope = getattr(cfg, "rope_parameters", None) or {}
    if is_gemma:
        if getattr(cfg, "query_pre_attn_scalar", head_dim) != head_dim:
            raise RecchatError("llama.cpp's gemma3 scales attention by 1/sqrt(head_dim); this model does not")
        w.add_rope_freq_base(float(rope.get("full_attention", {}).get("rope_theta", 1_000_000.0)))
        w.add_rope_freq_base_swa(float(rope.get("sliding_attention", {}).get("rope_theta", 10_000.0)))
        if cfg.sliding_window:
            w.add_sliding_window(cfg.sliding_window)
        if getattr(cfg, "final_logit_softcapping", None):
            w.add_final_logit_softcapping(cfg.final_logit_softcapping)
    else:
        w.add_rope_freq_base(float(rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))))
        w.add_rope_dimension_count(head_dim)
    _add_vocab(w, vocab_from, tokenizer, cfg.vocab_size)
    np_dtype = {"f32": np.float32, "f16": np.float16}[dtype]
    for hf_name, t in model.state_dict().items():
        if hf_name == "lm_head.weight" and cfg.tie_word_embeddings:
            continue
        module, _, suffix = hf_name.rpartition(".")
        arr = t.detach().float().cpu().numpy()
        if is_gemma and hf_name.endswith("norm.weight"):
            arr = arr + 1.0
        if not is_gemma and re.search(r"self_attn\.[qk]_proj\.weight$", hf_name):
            arr = _permute_llama(arr, cfg.num_attention_heads if ".q_" in hf_name else cfg.num_key_value_heads)
        name = gguf_name(tmap, module) + "." + suffix
        # 1-D tensors (norms) stay float32, as llama.cpp's converter writes them
        w.add_tensor(name, np.ascontiguousarray(arr if arr.ndim == 1 else arr.astype(np_dtype)))
    _finish(w)
    tmp.replace(out)
    return out


def _permute_llama(w: np.ndarray, n_head: int) -> np.ndarray:
    # HF Llama rotates halves; llama.cpp's LLAMA rope is interleaved (convert_hf_to_gguf's permute)
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _add_vocab(w, vocab_from: Path | None, tokenizer, vocab_size: int) -> None:
    import gguf

    if vocab_from is not None:
        r = gguf.GGUFReader(str(vocab_from))
        for key, field in r.fields.items():
            if not key.startswith("tokenizer."):
                continue
            vt = field.types[0]
            sub = field.types[-1] if vt == gguf.GGUFValueType.ARRAY else None
            w.add_key_value(key, field.contents(), vt, sub)
        return
    if tokenizer is None:
        raise RecchatError("write_model_gguf needs vocab_from (a GGUF) or a tokenizer")
    vocab = tokenizer.get_vocab()
    toks = sorted(vocab, key=vocab.get)
    if len(toks) != vocab_size:
        raise RecchatError(f"tokenizer has {len(toks)} tokens, the model {vocab_size}")
    special = set(tokenizer.all_special_tokens)
    TT = gguf.TokenType
    types = [TT.CONTROL if t in special else TT.UNKNOWN if t == tokenizer.unk_token
             else TT.BYTE if re.fullmatch(r"<0x[0-9A-F]{2}>", t) else TT.NORMAL for t in toks]
    w.add_tokenizer_model("llama")  # SentencePiece-style: "▁" for spaces, byte fallback
    w.add_tokenizer_pre("default")
    w.add_token_list(toks)
    w.add_token_scores([0.0] * len(toks))
    w.add_token_types([int(t) for t in types])
    w.add_bos_token_id(tokenizer.bos_token_id)
    w.add_eos_token_id(tokenizer.eos_token_id)
    w.add_unk_token_id(tokenizer.unk_token_id)
    w.add_pad_token_id(tokenizer.pad_token_id)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(False)


def _finish(w) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()


def describe(path: Path) -> dict:
    """Key facts of a GGUF file (for model cards and checks)."""
    import gguf

    r = gguf.GGUFReader(str(path))
    kv = {}
    for k in ("general.architecture", "general.type", "adapter.type", "adapter.lora.alpha"):
        if k in r.fields:
            kv[k] = r.fields[k].contents()
    kv["tensors"] = len(r.tensors)
    kv["bytes"] = path.stat().st_size
    return json.loads(json.dumps(kv, default=str))
