"""Preference pairs for DPO, from three sources, all written in ONE JSONL format.

PAIRS (what training.train.dpo reads), one object per line:
    {"prompt_id": "movies:u42", "system": "...", "instruction": "...",
     "chosen": "<response text>", "rejected": "<response text>",
     "source": "judge" | "label" | "feedback" | "compare", "meta": {...}}
  The model's prompt is recchat.prompts.chat_prompt(system, instruction); chosen/rejected are
  responses in the format_response shape, without the trailing <end_of_turn>.

LABELS (written by the app's "Label" tab, one line per decision; the last line per prompt_id wins,
so relabelling is an append and a session resumes by skipping prompt_ids already present):
    {"prompt_id": "...", "prompt": {"system": "...", "instruction": "..."} or the chat_prompt text,
     "answers": ["a0", "a1", "a2", "a3", "a4"], "best": 2, "worst": 4,
     "checkpoint": "sft", "ts": 1710000000.0}
  `best` and `worst` are indices into `answers` and must differ. The "Compare" tab's votes use the
  same format with `"source": "compare"` (answers = base / sft / dpo, worst may be omitted:
  then every other answer becomes a rejected one).

FEEDBACK (RECCHAT_HOME/feedback.jsonl, thumbs in the chat): rows with `kind: "answer"`, `prompt`
(the user's text), `task`, `catalog`, `checkpoint`, `answer` (the rationale), `items`, and `liked`
(bool) or `rating` ("up"/"down", 1/-1). The same prompt with an up and a down answer -> a pair;
the instruction is rebuilt with recchat.prompts, the response is the rationale plus the top item.

Usage:
    python -m training.data.pairs judge --catalog movies --users 300 --checkpoint sft --out runs/pairs/judge.jsonl
    python -m training.data.pairs judge --task search --catalog anime --users 200 --checkpoint sft --out runs/pairs/search.jsonl
    python -m training.data.pairs labels  --src RECCHAT_HOME/labels.jsonl --out runs/pairs/label.jsonl
    python -m training.data.pairs feedback --out runs/pairs/feedback.jsonl     # reads RECCHAT_HOME/feedback.jsonl

The judge (grounded in retrieval): for a user whose true next item is known, sample five answers
(temperature > 0, five seeds) with the checkpoint, run each through the runtime (recchat.chat.pipeline),
and rank the true item: for a reader checkpoint (prompt style `understand`, titles and genres) by its
place in the app's own answer, the learned ranking with that text as features; for a `chat`
checkpoint over the whole catalog under each answer's HyDE query vector (exact, so ties are rare);
best = highest rank, worst = lowest, ties (all equal ranks) skipped. Generations are cached (RECCHAT_HOME/cache), so a rerun or resume
is instant and users already in the output file are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from recchat.core.atomic import write_text_atomic
from recchat.core.errors import BadInput, RecchatError

SOURCES = ("judge", "label", "feedback", "compare")
_REQUIRED = ("system", "instruction", "chosen", "rejected", "source")


# ------------------------------------------------------------------------------ the pairs format

def make_pair(prompt_id: str, system: str, instruction: str, chosen: str, rejected: str, source: str,
              **meta) -> dict:
    if source not in SOURCES:
        raise BadInput(f"unknown pair source {source!r}; one of {', '.join(SOURCES)}")
    return {"prompt_id": prompt_id, "system": system, "instruction": instruction, "chosen": chosen.strip(),
            "rejected": rejected.strip(), "source": source, "meta": meta}


def read_pairs(path: Path) -> list[dict]:
    """Valid pairs of a file; a bad line is reported with its number and skipped, never fatal."""
    if not path.exists():
        raise RecchatError(f"no pairs file at {path}")
    out, bad = [], []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if any(not isinstance(row.get(k), str) or not row[k].strip() for k in _REQUIRED):
                raise ValueError("missing " + ", ".join(k for k in _REQUIRED if not row.get(k)))
            if row["chosen"].strip() == row["rejected"].strip():
                raise ValueError("chosen == rejected")
            out.append(row)
        except (ValueError, TypeError, AttributeError) as e:
            bad.append(f"line {i}: {e}")
    if bad:
        print(f"{path}: skipped {len(bad)} bad line(s): {'; '.join(bad[:3])}", file=sys.stderr)
    return out


def write_pairs(pairs: list[dict], out: Path, append: bool = False) -> Path:
    """The pairs as JSONL, replacing `out` whole (or extending it with `append`): a failure or kill
    mid-write leaves the previous file as it was."""
    lines = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pairs)  # may raise: nothing written yet
    head = out.read_text(encoding="utf-8") if append and out.exists() else ""
    if head and not head.endswith("\n"):
        head += "\n"  # a torn last line stays on its own
    return write_text_atomic(out, head + lines)


def split_chat_prompt(text: str) -> tuple[str, str]:
    """chat_prompt(system, instruction) -> (system, instruction)."""
    head, tail = "<start_of_turn>user\n", "<end_of_turn>\n<start_of_turn>model\n"
    if not (text.startswith(head) and text.endswith(tail)) or "\n\n" not in text:
        raise ValueError("not a recchat chat prompt")
    body = text[len(head):-len(tail)]
    system, instruction = body.split("\n\n", 1)
    return system, instruction


def _jsonl(path: Path) -> list[dict]:
    rows = []
    if not path.exists():
        return rows
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"{path}: line {i} is not JSON; skipped", file=sys.stderr)
    return rows


# ------------------------------------------------------------------------------ (b) labels

def pairs_from_labels(rows: list[dict]) -> list[dict]:
    last: dict[str, dict] = {}
    for r in rows:
        if r.get("prompt_id") is not None:
            last[str(r["prompt_id"])] = r  # the last decision per prompt wins
    out = []
    for pid, r in last.items():
        try:
            prompt = r["prompt"]
            system, instruction = ((prompt["system"], prompt["instruction"]) if isinstance(prompt, dict)
                                   else split_chat_prompt(prompt))
            answers = list(r["answers"])
            best = int(r["best"])
            source = r.get("source", "label")
            worsts = [int(r["worst"])] if r.get("worst") is not None else [i for i in range(len(answers)) if i != best]
        except (KeyError, TypeError, ValueError) as e:
            print(f"label {pid}: skipped ({e})", file=sys.stderr)
            continue
        for w in worsts:
            if w == best or not (0 <= best < len(answers) and 0 <= w < len(answers)):
                continue
            if answers[best].strip() and answers[w].strip() and answers[best].strip() != answers[w].strip():
                out.append(make_pair(pid, system, instruction, answers[best], answers[w], source,
                                     checkpoint=r.get("checkpoint"), best=best, worst=w))
    return out


# ------------------------------------------------------------------------------ (c) feedback

def _rating(r: dict) -> int:
    if "liked" in r and r["liked"] is not None:
        return 1 if r["liked"] else -1
    v = r.get("rating")
    if isinstance(v, str):
        return {"up": 1, "down": -1, "+1": 1, "-1": -1, "like": 1, "dislike": -1}.get(v.strip().lower(), 0)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return 1 if v > 0 else -1 if v < 0 else 0
    return 1 if v is True else -1 if v is False else 0


def feedback_response(r: dict, language: str) -> str:
    from recchat import prompts

    items = r.get("items") or []
    top = items[0].get("title") if items and isinstance(items[0], dict) else None
    return prompts.format_response(r["answer"], [top], language, False) if top else r["answer"].strip()


def feedback_prompt(r: dict) -> tuple[str, str, str]:
    """(system, instruction, language) rebuilt from the user's text the way the runtime builds it."""
    from recchat import prompts
    from recchat.core.textnorm import detect_language

    text = str(r["prompt"])
    lang = detect_language(text)
    if r.get("task") == "recommend":
        hist = [h.strip() for h in text.splitlines() if h.strip()]
        instr = prompts.build_instruction("recommend", lang, history=hist)
    else:
        instr = prompts.build_instruction("search", lang, query=text)
    return prompts.system_prompt(lang), instr, lang


def pairs_from_feedback(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, dict[int, list[dict]]] = defaultdict(lambda: {1: [], -1: []})
    for r in rows:
        if r.get("kind", "answer") != "answer" or not str(r.get("prompt", "")).strip() or not str(r.get("answer", "")).strip():
            continue
        s = _rating(r)
        if s:
            key = (" ".join(str(r["prompt"]).split()).lower(), r.get("task"), r.get("catalog"))
            groups[key][s].append(r)
    out = []
    for (_, task, catalog), g in groups.items():
        for up, down in zip(g[1], g[-1]):
            system, instr, lang = feedback_prompt(up)
            chosen, rejected = feedback_response(up, lang), feedback_response(down, lang)
            if chosen != rejected:
                out.append(make_pair(f"feedback:{catalog}:{abs(hash(instr)) % 10**10}", system, instr, chosen, rejected,
                                     "feedback", catalog=catalog, task=task,
                                     checkpoints=[up.get("checkpoint"), down.get("checkpoint")]))
    return out


# ------------------------------------------------------------------------------ (a) the judge

_catalog_vectors: dict[str, tuple[dict[str, int], "object"]] = {}


def hyde_rank(raw: str, history_ids: list[str], target_id: str, catalog: str) -> int:
    """1-based rank of the true item over the WHOLE catalog under the answer's HyDE query vector, built
    as the runtime builds it (history mean + rationale, or the history alone when the rationale is
    unusable). Exact, so answers rarely tie, unlike a top-k list the true item is seldom in."""
    import numpy as np

    from recchat import prompts
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.rank import hyde_vector, normalise, rationale_usable
    from recchat.core.settings import get_settings
    from recchat.retrieval.build import arrow_vectors
    from recchat.retrieval.store import get_store

    if catalog not in _catalog_vectors:
        tbl = get_store().table(catalog).to_arrow().select(["id", "vector"])
        ids = tbl.column("id").to_pylist()
        _catalog_vectors[catalog] = ({i: n for n, i in enumerate(ids)}, normalise(arrow_vectors(tbl)))
    row, mat = _catalog_vectors[catalog]
    if target_id not in row:
        return len(row) + 1  # not in the catalog: every answer ties, the user is skipped
    hist = [row[i] for i in history_ids if i in row]
    user_vec = normalise(mat[hist].mean(axis=0))
    rationale = prompts.split_response(raw)[0].strip()
    r_vec = get_embedder().embed_queries([rationale])[0] if rationale else None
    s = get_settings()
    used, _ = rationale_usable(rationale, r_vec, user_vec, s.min_rationale_similarity)
    q = hyde_vector(user_vec, r_vec if used else None, s.query_weight)
    sims = mat @ q
    sims[hist] = -np.inf  # consumed items are never recommended
    return int((sims > sims[row[target_id]]).sum()) + 1


def choose(ranks: list[int]) -> tuple[int, int] | None:
    """(best, worst) indices: the highest-ranked (smallest rank) and lowest; None when all tie."""
    if len(set(ranks)) < 2:
        return None
    best = min(range(len(ranks)), key=lambda i: (ranks[i], i))
    worst = max(range(len(ranks)), key=lambda i: (ranks[i], -i))
    return best, worst


def sample_answers(history_ids: list[str], catalog: str, checkpoint: str, n: int, temperature: float,
                   max_tokens: int, top_k: int, seed0: int = 0) -> list[tuple[str, object]]:
    """n (raw response text, Answer) from the runtime path, one seed each."""
    from recchat.chat.pipeline import AskRequest, run

    out = []
    for s in range(n):
        req = AskRequest(history_ids=history_ids, catalog=catalog, checkpoint=checkpoint, temperature=temperature, explain=False,
                         seed=seed0 + s, max_tokens=max_tokens, top_k=top_k, task="recommend", cache=True)
        raw, ans = "", None
        for ev in run(req):
            if ev[0] == "token":
                raw += ev[1]
            elif ev[0] == "answer":
                ans = ev[1]
        out.append((raw, ans))
    return out


def app_rank(ans, target_id: str, top_k: int) -> int:
    """1-based rank of the true item in the app's own answer (its learned ranking with the model's
    text as features); top_k + 1 when the answer does not hold it."""
    ids = [it.id for it in ans.items] if ans is not None else []
    return ids.index(target_id) + 1 if target_id in ids else top_k + 1


def judge_user(user: str, history_ids: list[str], target_id: str, catalog: str, checkpoint: str, n: int = 5,
               temperature: float = 0.9, max_tokens: int = 96, top_k: int = 100) -> dict | None:
    """A pair for one user. A reader checkpoint (prompt style `understand`) is judged by the app's real
    ranking of the true item under each sampled answer; a `chat` checkpoint by the HyDE rank."""
    from recchat import prompts
    from recchat.llm.checkpoints import get_checkpoint
    from recchat.retrieval.store import get_store

    reader = prompts.reads_request(get_checkpoint(checkpoint).prompt_style)
    samples = sample_answers(history_ids, catalog, checkpoint, n, temperature, max_tokens, top_k)
    ranks = [app_rank(ans, target_id, top_k) if reader else hyde_rank(raw, history_ids, target_id, catalog)
             for raw, ans in samples]
    pick = choose(ranks)
    if pick is None:
        return None
    b, w = pick
    if samples[b][0].strip() == samples[w][0].strip():
        return None
    ans = samples[b][1]
    titles = [r["title"] for r in get_store().get(catalog, history_ids)]
    by_id = {r["id"]: r["title"] for r in get_store().get(catalog, history_ids)}
    titles = [by_id[i] for i in history_ids if i in by_id] or titles
    if reader:
        system = prompts.UNDERSTAND_SYSTEM
        instr = prompts.understanding_line("recommend", get_store().info(catalog).domain, history=titles)
    else:
        system = prompts.system_prompt(ans.language)
        instr = prompts.build_instruction("recommend", ans.language, history=titles)
    return make_pair(f"{catalog}:{user}", system, instr, samples[b][0], samples[w][0],
                     "judge", catalog=catalog, user=user, target=target_id, ranks=ranks, checkpoint=checkpoint)


def judge_users(catalog: str, n_users: int, history_max: int = 10, seed: int = 0) -> list[tuple[str, list[str], str]]:
    """(user, history ids oldest first, true next item) from a catalog's interaction log."""
    from recchat.catalog.build import load_interactions

    df = load_interactions(catalog)
    order = "order" if "order" in df.columns else None
    users = []
    for user, g in df.groupby("user", sort=True):
        g = g.sort_values(order) if order else g
        ids = [str(i) for i in g["item"].tolist()]
        if len(ids) >= 4:
            users.append((str(user), ids[:-1][-history_max:], ids[-1]))
    import random

    random.Random(seed).shuffle(users)
    return users[:n_users]


def run_judge(catalog: str, n_users: int, checkpoint: str, out: Path, n: int = 5, temperature: float = 0.9,
              max_tokens: int = 96, seed: int = 0) -> dict:
    from tqdm.auto import tqdm

    out.parent.mkdir(parents=True, exist_ok=True)  # a tie may come before the first pair is written
    done = {p["prompt_id"] for p in _jsonl(out)}
    skipped_path = out.with_suffix(".ties.txt")
    done |= set(skipped_path.read_text().split()) if skipped_path.exists() else set()
    users = judge_users(catalog, n_users, seed=seed)
    made = ties = 0
    for user, hist, target in tqdm(users, desc=f"judge {catalog}"):
        pid = f"{catalog}:{user}"
        if pid in done:
            continue
        pair = judge_user(user, hist, target, catalog, checkpoint, n, temperature, max_tokens)
        if pair is None:
            ties += 1
            with open(skipped_path, "a") as f:
                f.write(pid + "\n")  # a resumed run does not sample a tie again
        else:
            write_pairs([pair], out, append=True)
            made += 1
    return {"users": len(users), "pairs_new": made, "ties_new": ties, "pairs_total": len(_jsonl(out)), "out": str(out)}


def judge_request(case_id: str, query: str, language: str, target_id: str, catalog: str, checkpoint: str,
                  n: int = 5, temperature: float = 0.9, max_tokens: int = 96, top_k: int = 100) -> dict | None:
    """A pair for one search request whose wanted item is known: five sampled readings from a reader
    checkpoint, each ranked by where the app's own answer puts that item."""
    from recchat import prompts
    from recchat.chat.pipeline import AskRequest, run
    from recchat.retrieval.store import get_store

    samples, ranks = [], []
    for s in range(n):
        req = AskRequest(query=query, catalog=catalog, checkpoint=checkpoint, temperature=temperature, seed=s, explain=False,
                         max_tokens=max_tokens, top_k=top_k, task="search", cache=True)
        raw, ans = "", None
        for ev in run(req):
            if ev[0] == "token":
                raw += ev[1]
            elif ev[0] == "answer":
                ans = ev[1]
        samples.append(raw)
        ranks.append(app_rank(ans, target_id, top_k))
    pick = choose(ranks)
    if pick is None or samples[pick[0]].strip() == samples[pick[1]].strip():
        return None
    b, w = pick
    instr = prompts.understanding_line("search", get_store().info(catalog).domain, query=query)
    return make_pair(case_id, prompts.UNDERSTAND_SYSTEM, instr, samples[b], samples[w], "judge", catalog=catalog,
                     query=query, language=language, target=target_id, ranks=ranks, checkpoint=checkpoint)


def run_search_judge(catalog: str, n_cases: int, checkpoint: str, out: Path, n: int = 5, temperature: float = 0.9,
                     max_tokens: int = 96, seed: int = 7) -> dict:
    """Pairs from generated search requests (training/rank/cases.py, half in Korean on an English
    catalog; seed 7: neither the ranker's training seed nor the search benchmark's). Resumable."""
    from tqdm.auto import tqdm

    from recchat.llm.checkpoints import get_checkpoint
    from recchat.prompts import reads_request
    from training.rank.cases import catalog_data, search_cases

    if not reads_request(get_checkpoint(checkpoint).prompt_style):
        raise BadInput(f"search pairs are judged for a reader checkpoint (prompt style understand); {checkpoint!r} is not")
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {p["prompt_id"] for p in _jsonl(out)}
    skipped_path = out.with_suffix(".ties.txt")
    done |= set(skipped_path.read_text().split()) if skipped_path.exists() else set()
    items, log = catalog_data(catalog)
    cases = search_cases(catalog, items, log, n_cases, 0.5, seed)
    made = ties = 0
    for k, c in enumerate(tqdm(cases, desc=f"judge search {catalog}")):
        pid = f"{catalog}:search:{seed}:{k}"
        if pid in done:
            continue
        pair = judge_request(pid, c.query, c.language, c.target, catalog, checkpoint, n, temperature, max_tokens)
        if pair is None:
            ties += 1
            with open(skipped_path, "a") as f:
                f.write(pid + "\n")
        else:
            write_pairs([pair], out, append=True)
            made += 1
    return {"cases": len(cases), "pairs_new": made, "ties_new": ties, "pairs_total": len(_jsonl(out)), "out": str(out)}


def main(argv: list[str] | None = None) -> int:
    from recchat.core.settings import get_settings

    ap = argparse.ArgumentParser(description="Preference pairs for DPO (see the module docstring for formats)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("judge", help="best/worst of five by the true next item's HyDE rank")
    j.add_argument("--catalog", default="movies")
    j.add_argument("--task", choices=("recommend", "search"), default="recommend",
                   help="search: generated requests (a reader checkpoint only)")
    j.add_argument("--users", type=int, default=300)
    j.add_argument("--checkpoint", default="sft")
    j.add_argument("--samples", type=int, default=5)
    j.add_argument("--temperature", type=float, default=0.9)
    j.add_argument("--max_tokens", type=int, default=96)
    j.add_argument("--seed", type=int, default=0)
    j.add_argument("--out", default="runs/pairs/judge.jsonl")
    lb = sub.add_parser("labels", help="pairs from the Label/Compare tabs' JSONL")
    lb.add_argument("--src", default=None, help="default RECCHAT_HOME/labels.jsonl")
    lb.add_argument("--out", default="runs/pairs/label.jsonl")
    fb = sub.add_parser("feedback", help="pairs from thumbs up/down in RECCHAT_HOME/feedback.jsonl")
    fb.add_argument("--src", default=None)
    fb.add_argument("--out", default="runs/pairs/feedback.jsonl")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "judge":
            if a.temperature <= 0:
                raise BadInput("the judge needs --temperature > 0, or the five answers are the same")
            if a.task == "search":
                res = run_search_judge(a.catalog, a.users, a.checkpoint, Path(a.out), a.samples, a.temperature,
                                       a.max_tokens, a.seed or 7)
            else:
                res = run_judge(a.catalog, a.users, a.checkpoint, Path(a.out), a.samples, a.temperature, a.max_tokens,
                                a.seed)
        else:
            home = get_settings().home
            src = Path(a.src) if a.src else home / ("labels.jsonl" if a.cmd == "labels" else "feedback.jsonl")
            if not src.exists():
                raise RecchatError(f"no {a.cmd} file at {src}")
            rows = _jsonl(src)
            pairs = pairs_from_labels(rows) if a.cmd == "labels" else pairs_from_feedback(rows)
            write_pairs(pairs, Path(a.out))
            res = {"rows": len(rows), "pairs": len(pairs), "out": a.out}
    except RecchatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
