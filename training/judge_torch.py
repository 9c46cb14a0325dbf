"""The automatic judge with PyTorch sampling: five answers per user from the SFT model, in batches.

Same prompts, same scoring and the same pair format as `training.data.pairs` (whose judge samples
through the app's llama.cpp path one answer at a time): the prompt is the runtime's chat prompt for
the user's history (BOS + `chat_prompt(system, build_instruction("recommend", ...))`, as in SFT),
each answer's HyDE rank of the true next item comes from `pairs.hyde_rank`, and (best, worst) from
`pairs.choose`. On a GPU one `generate` call samples hundreds of answers at once, which is what
makes ~1,000 pairs fit in minutes; the answers are also exactly on-policy for DPO, which trains
this PyTorch model. Resumable like `pairs.run_judge`: users already paired or tied are skipped.
"""

from __future__ import annotations

from pathlib import Path


def load_policy(model_name: str, adapter_dir: Path, on_gpu: bool):
    import torch
    from peft import PeftModel

    from training.train import model as tm

    base = tm.load_model(model_name, dtype="bfloat16" if on_gpu else "float32")
    model = PeftModel.from_pretrained(base, str(adapter_dir)).eval()
    if on_gpu:
        model = model.to("cuda")
    model.config.use_cache = True
    tok = tm.load_tokenizer(model_name)
    tok.padding_side = "left"  # generation continues every row from its own last prompt token
    torch.manual_seed(0)
    return model, tok


def sample(model, tok, prompts: list[str], n: int, temperature: float, max_new_tokens: int) -> list[list[str]]:
    """n sampled answers per prompt (text up to the first EOS / end of turn)."""
    import torch

    from training.train import model as tm

    enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
    with torch.no_grad():
        out = model.generate(**enc, do_sample=True, temperature=temperature, top_p=0.95, top_k=40,
                             max_new_tokens=max_new_tokens, num_return_sequences=n,
                             eos_token_id=sorted(tm.stop_token_ids(tok)), pad_token_id=tok.pad_token_id)
    gen = out[:, enc["input_ids"].shape[1]:].tolist()
    stops = tm.stop_token_ids(tok)
    texts = []
    for ids in gen:
        cut = next((i for i, t in enumerate(ids) if t in stops), len(ids))
        texts.append(tok.decode(ids[:cut], skip_special_tokens=True))
    return [texts[i * n:(i + 1) * n] for i in range(len(prompts))]


def run_judge_torch(a, catalog: str, out: Path) -> dict:
    """Judge `a.users` users of `catalog` with the SFT adapter in `a.work / "sft"`; append pairs to `out`."""
    from recchat import prompts as rp
    from recchat.core.textnorm import detect_language
    from recchat.retrieval.store import get_store
    from training.data import pairs
    from training.train import model as tm

    out.parent.mkdir(parents=True, exist_ok=True)
    ties_path = out.with_suffix(".ties.txt")
    done = {p["prompt_id"] for p in pairs.read_pairs(out)} if out.exists() else set()
    done |= set(ties_path.read_text().split()) if ties_path.exists() else set()
    todo = [u for u in pairs.judge_users(catalog, a.users, seed=a.seed) if f"{catalog}:{u[0]}" not in done]
    if not todo:
        return {"users_new": 0, "pairs_new": 0, "ties_new": 0}
    model_name = a.model or tm.BASE_ALIAS
    model, tok = load_policy(model_name, a.work / "sft", a.on_gpu)
    store = get_store()
    per_call = max(1, a.judge_batch // a.samples)
    made = ties = 0
    for start in range(0, len(todo), per_call):
        chunk = todo[start:start + per_call]
        built = []
        for user, hist, target in chunk:
            by_id = {r["id"]: r["title"] for r in store.get(catalog, hist)}
            titles = [by_id[i] for i in hist if i in by_id]
            lang = detect_language(" ".join(titles))
            system, instr = rp.system_prompt(lang), rp.build_instruction("recommend", lang, history=titles)
            built.append((user, hist, target, system, instr))
        answers = sample(model, tok, [tm.train_prompt(tok, s, i) for *_, s, i in built], a.samples,
                         a.temperature, a.max_tokens)
        for (user, hist, target, system, instr), texts in zip(built, answers):
            pid = f"{catalog}:{user}"
            ranks = [pairs.hyde_rank(t, hist, target, catalog) for t in texts]
            pick = pairs.choose(ranks)
            if pick is None or not all(texts[i].strip() for i in pick) or texts[pick[0]].strip() == texts[pick[1]].strip():
                with open(ties_path, "a") as f:
                    f.write(pid + "\n")  # a resumed run does not sample a tie again
                ties += 1
                continue
            b, w = pick
            pairs.write_pairs([pairs.make_pair(pid, system, instr, texts[b], texts[w], "judge", catalog=catalog,
                                               user=user, target=target, ranks=ranks, engine="torch")],
                              out, append=True)
            made += 1
    return {"users_new": len(todo), "pairs_new": made, "ties_new": ties}
