"""The app's tabs for tuning: "Label" (best/worst of five sampled answers) and "Compare" (base / SFT /
DPO side by side, with a vote). What they ask and the rows they save live in recchat/chat/labels.py
and recchat/chat/feedback.py; `/compare` is the public API of the Compare tab.
"""

from __future__ import annotations

import gradio as gr

from recchat.app.cards import cards_html
from recchat.chat.feedback import append_label
from recchat.chat.followup import history_lines
from recchat.chat.labels import (COMPARE, N_ANSWERS, chat_fields, compare_api, compare_vote_row, next_prompt,
                                 response_text)
from recchat.chat.pipeline import AskRequest, run
from recchat.core.errors import RecchatError
from recchat.llm.checkpoints import available_names


def _render_answers(answers) -> str:
    out = []
    for i, a in enumerate(answers, 1):
        items = "; ".join(it.title for it in a.items[:3])
        out.append(f"**{i}.** {a.rationale or '(empty)'}\n\n&nbsp;&nbsp;→ _{items}_")
    return "\n\n".join(out)


def add_tabs(demo, state, cat_dd) -> None:
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
            st = {"prompt_id": p["prompt_id"], "checkpoint": ck, "prompt": chat_fields(a0),
                  "answers": [response_text(a) for a in answers]}
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
                    req = AskRequest(query=msg or "", history=history_lines(hist_text), catalog=catalog, checkpoint=ck)
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
            append_label(compare_vote_row(answers, choice))
            gr.Info("vote saved")

        outs = [c for ck in COMPARE for c in cols[ck]] + [cmp_state]
        cmp_btn.click(compare, [cmp_msg, cmp_hist, cat_dd], outs)
        vote_btn.click(save_vote, [cmp_state, vote], None)
    gr.api(compare_api, api_name="compare")
