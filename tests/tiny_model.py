"""A tiny random-init Gemma 3 causal LM and tokenizer, built in code (no hub), for training tests.

The tokenizer is SentencePiece-shaped like Gemma's: printable ASCII characters as tokens, spaces
written as "▁", everything else through byte fallback (<0x..>), and Gemma's turn markers as special
tokens. With no merges, llama.cpp's SPM tokenizer splits text exactly like the HF one, so the same
model can be written to GGUF (training.export.adapter.write_model_gguf) and run by llama.cpp.
"""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
CHARS = [chr(c) for c in range(33, 127)] + ["▁"]


def vocab() -> dict[str, int]:
    toks = SPECIALS + [f"<0x{b:02X}>" for b in range(256)] + CHARS
    return {t: i for i, t in enumerate(toks)}


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast

    v = vocab()
    tk = Tokenizer(models.BPE(vocab=v, merges=[], unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tk.normalizer = normalizers.Replace(" ", "▁")
    tk.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tk.add_special_tokens(SPECIALS)
    tk.post_processor = TemplateProcessing(single="<bos> $A", pair="<bos> $A $B", special_tokens=[("<bos>", v["<bos>"])])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<bos>", eos_token="<eos>", unk_token="<unk>",
                                  pad_token="<pad>", additional_special_tokens=["<start_of_turn>", "<end_of_turn>"])
    tok.chat_template = (
        "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' else 'user' }}\n"
        "{{ m['content'] }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
    )
    return tok


def build_model(tok, seed: int = 0, hidden: int = 64, layers: int = 2, init_std: float = 1.0, tie: bool = False):
    """Gemma3ForCausalLM with a few thousand parameters per layer; weights large enough that greedy
    choices are not near-ties (so PyTorch and llama.cpp pick the same tokens)."""
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(seed)
    cfg = Gemma3TextConfig(
        vocab_size=len(tok), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=2, num_key_value_heads=1, head_dim=32, query_pre_attn_scalar=32,
        max_position_embeddings=2048, sliding_window=512, rms_norm_eps=1e-6, tie_word_embeddings=tie,
        initializer_range=init_std, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, use_cache=True,
    )
    model = Gemma3ForCausalLM(cfg).float()
    with torch.no_grad():  # non-trivial norms, so the "+1" of the GGUF conversion is exercised
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.normal_(0.0, 0.1)
    return model


def save_tiny(path: Path, seed: int = 0) -> Path:
    """Write tokenizer + model as a transformers checkpoint directory."""
    tok = build_tokenizer()
    model = build_model(tok, seed)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def rows(n: int = 8) -> list[dict]:
    """Instruction rows in training/data.py's column contract (short, so tests stay fast)."""
    from recchat.prompts import build_instruction, format_response

    wishes = ["a space horror film", "a cozy village mystery", "a funny heist movie", "a sad war drama",
              "an epic dragon fantasy", "a calm nature documentary", "a fast car chase film", "a teen comedy"]
    out = []
    for i in range(n):
        w = wishes[i % len(wishes)]
        out.append({
            "system": "You are recchat.",
            "instruction": build_instruction("search", "en", query=w),
            "response": format_response(f"{w.split(' ', 1)[1]}: tense and dark.", [f"Film {i}"], "en", False),
            "task": "search_direct", "domain": "movies", "language": "en",
        })
    return out
