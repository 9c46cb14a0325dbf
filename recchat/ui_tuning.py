"""The app's tabs for tuning: "Label" (best/worst of five sampled answers) and "Compare" (base / SFT /
DPO side by side, with a vote). Both append to RECCHAT_HOME/labels.jsonl in the format
training/pairs.py turns into DPO pairs; `/compare` is the public API of the Compare tab.
"""

from __future__ import annotations

import json
import random
import threading
import time

import gradio as gr

from . import prompts
from .errors import RecchatError
from .recommender import AskRequest, answer, run
from .settings import get_settings

COMPARE = ("base", "sft", "dpo")
N_ANSWERS = 5
_lock = threading.Lock()
SEARCH_PROMPTS = [
    "a funny animated movie about toys that come alive", "a scary movie set in space", "a cozy mystery novel",
    "a mind-bending sci-fi thriller about dreams", "a feel-good sports movie", "an epic fantasy adventure",
    "오스카 수상 영화 추천해줘", "비 오는 날 보기 좋은 잔잔한 로맨스 영화", "a heist movie with a clever twist",
    "a documentary about the ocean",
]


def labels_path():
    return get_settings().home / "labels.jsonl"


def append_label(row: dict) -> None:
    p = labels_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    with _lock, open(p, "a", encoding="utf-8") as f:
        f.write(json.dumps({**row, "ts": time.time()}, ensure_ascii=False) + "\n")


def labelled_ids() -> set[str]:
    p = labels_path()
    if not p.exists():
        return set()
    out = set()
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            out.add(json.loads(line)["prompt_id"])
        except (ValueError, KeyError):
            continue  # a torn last line from a crash is skipped, not fatal
    return out


def prompt_queue(catalog: str, seed: int = 0, limit: int = 500) -> list[dict]:
    """Deterministic prompts to label: users' histories from the catalog's log, else search requests."""
    from .catalog import load_interactions

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


def _response_text(a) -> str:
    picks = [i.title for i in a.items[:1]] or ["-"]
    return prompts.format_response(a.rationale or "-", picks, a.language, listwise=False)


def _chat_fields(a) -> dict:
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
                              checkpoint=checkpoint, temperature=0.9, seed=seed, cache=True, top_k=3))
        answers.append(a)
    return p, answers, f"{len(done)} labelled · {len(todo)} to go"


def _render_answers(answers) -> str:
    out = []
    for i, a in enumerate(answers, 1):
        items = "; ".join(it.title for it in a.items[:3])
        out.append(f"**{i}.** {a.rationale or '(empty)'}\n\n&nbsp;&nbsp;→ _{items}_")
    return "\n\n".join(out)


def compare_api(message: str, history_text: str = "", catalog: str = "") -> dict:
    """{base: answer, sft: answer, dpo: answer}, each shaped like `ask --json` (or {"error": ...})."""
    from .ui import _history_lines

    out = {}
    for ck in COMPARE:
        try:
            out[ck] = answer(AskRequest(query=message or "", history=_history_lines(history_text),
                                        catalog=catalog or None, checkpoint=ck)).model_dump()
        except RecchatError as e:
            out[ck] = {"error": str(e)}
    return out


def add_tabs(demo, state, cat_dd) -> None:
    from .models import available_names
    from .ui import _history_lines, cards_html

    with gr.Tab("Label"):
        gr.Markdown("Five sampled answers for one prompt: mark the best and the worst. Labels are saved as "
                    "you go (`RECCHAT_HOME/labels.jsonl`) and a session resumes where it stopped.")
        with gr.Row():
            lab_ck = gr.Dropdown(available_names(), value="base", label="Checkpoint that answers")
            lab_load = gr.Button("Next prompt", variant="primary")
        lab_status = gr.Markdown("")
        lab_prompt = gr.Markdown("")
        lab_answers = gr.Markdown("")
        with gr.Row():
            best = gr.Radio([str(i) for i in range(1, N_ANSWERS + 1)], label="Best")
            worst = gr.Radio([str(i) for i in range(1, N_ANSWERS + 1)], label="Worst")
            lab_save = gr.Button("Save and next")
        lab_state = gr.State({})

        def load(catalog, ck):
            try:
                p, answers, status = next_prompt(catalog, ck)
            except RecchatError as e:
                raise gr.Error(str(e))
            if p is None:
                return status, "", "", {}, None, None
            a0 = answers[0]
            shown = a0.query if a0.task == "search" else "History: " + "; ".join(a0.history)
            st = {"prompt_id": p["prompt_id"], "checkpoint": ck, "prompt": _chat_fields(a0),
                  "answers": [_response_text(a) for a in answers]}
            return status, f"**Prompt** ({p['prompt_id']}): {shown}", _render_answers(answers), st, None, None

        def save(st, b, w, catalog, ck):
            if not st:
                raise gr.Error("load a prompt first")
            if not b or not w:
                raise gr.Error("mark both the best and the worst answer")
            if b == w:
                raise gr.Error("best and worst must be different answers")
            append_label({**st, "best": int(b) - 1, "worst": int(w) - 1, "source": "label"})
            gr.Info("label saved")
            return load(catalog, ck)

        outs = [lab_status, lab_prompt, lab_answers, lab_state, best, worst]
        lab_load.click(load, [cat_dd, lab_ck], outs)
        lab_save.click(save, [lab_state, best, worst, cat_dd, lab_ck], outs)

    with gr.Tab("Compare"):
        gr.Markdown("One request, three checkpoints side by side. Vote for the best: votes become preference pairs.")
        cmp_msg = gr.Textbox(label="Request", placeholder="a funny animated movie about toys that come alive")
        cmp_hist = gr.Textbox(label="…or a history, one item per line", lines=3)
        cmp_btn = gr.Button("Compare", variant="primary")
        cols = {}
        with gr.Row():
            for ck in COMPARE:
                with gr.Column():
                    gr.Markdown(f"### {ck}")
                    cols[ck] = (gr.Markdown(""), gr.HTML(""))
        with gr.Row():
            vote = gr.Radio(list(COMPARE), label="Best answer")
            vote_btn = gr.Button("Save vote")
        cmp_state = gr.State({})

        def compare(msg, hist_text, catalog):
            texts = {ck: "" for ck in COMPARE}
            html = {ck: "" for ck in COMPARE}
            answers = {}

            def frame():
                return [v for ck in COMPARE for v in (texts[ck], html[ck])] + [answers]

            for ck in COMPARE:
                try:
                    req = AskRequest(query=msg or "", history=_history_lines(hist_text), catalog=catalog, checkpoint=ck)
                    for ev in run(req):
                        if ev[0] == "token":
                            texts[ck] += ev[1]
                            yield frame()
                        elif ev[0] == "answer":
                            a = ev[1]
                            answers[ck] = a.model_dump()
                            texts[ck] = a.rationale or "(no rationale)"
                            html[ck] = cards_html(a.items[:5])
                            yield frame()
                except RecchatError as e:
                    texts[ck] = f"⚠️ {e}"
                    yield frame()

        def save_vote(answers, choice):
            if not answers or not choice:
                raise gr.Error("compare first, then pick the best answer")
            if choice not in answers:
                raise gr.Error(f"{choice} gave no answer to vote for")
            from .schema import Answer

            objs = {ck: Answer(**a) for ck, a in answers.items()}
            order = [ck for ck in COMPARE if ck in objs]
            first = objs[order[0]]
            import hashlib

            pid = hashlib.sha1(json.dumps([first.query, first.history, first.catalog]).encode()).hexdigest()[:12]
            append_label({"prompt_id": f"compare:{pid}",
                          "prompt": _chat_fields(first), "answers": [_response_text(objs[ck]) for ck in order],
                          "checkpoints": order, "best": order.index(choice), "worst": None, "source": "compare"})
            gr.Info("vote saved")

        outs = [c for ck in COMPARE for c in cols[ck]] + [cmp_state]
        cmp_btn.click(compare, [cmp_msg, cmp_hist, cat_dd], outs)
        vote_btn.click(save_vote, [cmp_state, vote], None)
    gr.api(compare_api, api_name="compare")
