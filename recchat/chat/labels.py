"""What the Label and Compare tabs ask the model: the queue of prompts to label (users' histories
from the catalog's log, else fixed search requests), five sampled answers per prompt, the three
checkpoints side by side, and the label rows those votes become (chat/feedback.py appends them).
"""

from __future__ import annotations

import hashlib
import json
import random

from recchat import prompts
from recchat.catalog.build import load_interactions
from recchat.chat.feedback import labelled_ids
from recchat.chat.followup import history_lines
from recchat.chat.pipeline import AskRequest, answer
from recchat.core.errors import RecchatError
from recchat.core.schema import Answer

COMPARE = ("base", "sft", "dpo")
N_ANSWERS = 5
SEARCH_PROMPTS = [
    "a funny animated movie about toys that come alive", "a scary movie set in space", "a cozy mystery novel",
    "a mind-bending sci-fi thriller about dreams", "a feel-good sports movie", "an epic fantasy adventure",
    "오스카 수상 영화 추천해줘", "비 오는 날 보기 좋은 잔잔한 로맨스 영화", "a heist movie with a clever twist",
    "a documentary about the ocean",
]


def prompt_queue(catalog: str, seed: int = 0, limit: int = 500) -> list[dict]:
    """Deterministic prompts to label: users' histories from the catalog's log, else search requests."""
    out = []
    try:
        log = load_interactions(catalog)
        users = sorted(log["user"].astype(str).unique())
        random.Random(seed).shuffle(users)
        for u in users[:limit]:
            seq = log[log["user"].astype(str) == u].sort_values("order")["item"].astype(str).tolist()
            if len(seq) >= 2:
                out.append({"prompt_id": f"{catalog}:u{u}", "history_ids": seq[-11:-1]})
    except RecchatError:
        pass
    for i, q in enumerate(SEARCH_PROMPTS):
        out.append({"prompt_id": f"{catalog}:q{i}", "query": q})
    return out


def response_text(a) -> str:
    picks = [i.title for i in a.items[:1]] or ["-"]
    return prompts.format_response(a.rationale or "-", picks, a.language, listwise=False)


def chat_fields(a) -> dict:
    instr = prompts.build_instruction(a.task, a.language, query=a.query, history=a.history)
    return {"system": prompts.system_prompt(a.language), "instruction": instr}


def next_prompt(catalog: str, checkpoint: str):
    done = labelled_ids()
    todo = [p for p in prompt_queue(catalog) if p["prompt_id"] not in done]
    if not todo:
        return None, [], f"All prompts for {catalog!r} are labelled."
    p = todo[0]
    answers = []
    for seed in range(N_ANSWERS):
        a = answer(AskRequest(query=p.get("query", ""), history_ids=p.get("history_ids"), catalog=catalog,
                              checkpoint=checkpoint, temperature=0.9, seed=seed, cache=True, top_k=3,
                              explain=False))  # the pair is about the reading; five answers wait less
        answers.append(a)
    return p, answers, f"{len(done)} labelled · {len(todo)} to go"


def compare_api(message: str, history_text: str = "", catalog: str = "") -> dict:
    """{base: answer, sft: answer, dpo: answer}, each shaped like `ask --json` (or {"error": ...})."""
    out = {}
    for ck in COMPARE:
        try:
            out[ck] = answer(AskRequest(query=message or "", history=history_lines(history_text),
                                        catalog=catalog or None, checkpoint=ck)).model_dump()
        except RecchatError as e:
            out[ck] = {"error": str(e)}
    return out


def compare_vote_row(answers: dict[str, dict], choice: str) -> dict:
    """The labels.jsonl row for a Compare vote: the checkpoints' answers, best = the chosen one."""
    objs = {ck: Answer(**a) for ck, a in answers.items()}
    order = [ck for ck in COMPARE if ck in objs]
    first = objs[order[0]]
    pid = hashlib.sha1(json.dumps([first.query, first.history, first.catalog]).encode()).hexdigest()[:12]
    return {"prompt_id": f"compare:{pid}", "prompt": chat_fields(first),
            "answers": [response_text(objs[ck]) for ck in order],
            "checkpoints": order, "best": order.index(choice), "worst": None, "source": "compare"}
