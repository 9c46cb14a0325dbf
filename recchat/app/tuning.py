"""The app's tabs for tuning: "Label" (best/worst of five sampled answers) and "Compare" (base / SFT /
DPO side by side, with a vote). What they ask and the rows they save live in recchat/chat/labels.py
and recchat/chat/feedback.py; `/compare` is the public API of the Compare tab.

Both are owner tools (recchat/app/access.py): their votes become DPO pairs, and each click runs three
to five generations, so on a public server they need the owner token or are not built at all.
"""

from __future__ import annotations

import gradio as gr

from recchat.app.access import Access, OwnerOnly
from recchat.app.cards import answers_html, cards_html, text_html
from recchat.app.events import private
from recchat.app.inputs import check_history
from recchat.app.messages import answer_text, shown, strip_paths
from recchat.chat.feedback import append_label
from recchat.chat.followup import history_lines
from recchat.chat.labels import (COMPARE, N_ANSWERS, chat_fields, compare_api, compare_vote_row, next_prompt,
                                 response_text)
from recchat.chat.pipeline import AskRequest, run
from recchat.core.errors import RecchatError
from recchat.core.settings import get_settings
from recchat.llm.checkpoints import available_names


def owner_box(access: Access):
    """The tab's token box in owner mode; elsewhere an empty value in its place."""
    if access.mode == "owner":
        return gr.Textbox(label="Owner token", type="password", placeholder="RECCHAT_ADMIN_TOKEN",
                          elem_classes=["rc-owner-token"])
    return gr.State("")


def require_owner(access: Access, token: str | None) -> None:
    try:
        access.require_owner(token)
    except OwnerOnly as e:
        raise gr.Error(str(e)) from None


def add_tabs(state, cat_dd, access: Access, llm: dict) -> None:
    """The Label and Compare tabs (called inside the page's gr.Tabs); nothing at all in public mode.
    `llm` holds the concurrency settings shared by every event that runs the model."""
    if not access.owner_tools:
        return
    s = get_settings()
    with gr.Tab("Label", id="label"):
        gr.Markdown("Five sampled answers for one prompt: mark the best and the worst. Labels are saved as "
                    "you go (`RECCHAT_HOME/labels.jsonl`) and a session resumes where it stopped.")
        lab_token = owner_box(access)
        with gr.Row():
            lab_ck = gr.Dropdown(available_names(), value="base", label="Checkpoint that answers")
            lab_load = gr.Button("Next prompt", variant="primary")
        lab_status = gr.Markdown("")
        lab_prompt = gr.HTML("", elem_id="label-prompt")
        lab_answers = gr.HTML("", elem_id="label-answers")
        with gr.Row():
            best = gr.Radio([str(i) for i in range(1, N_ANSWERS + 1)], label="Best")
            worst = gr.Radio([str(i) for i in range(1, N_ANSWERS + 1)], label="Worst")
            lab_save = gr.Button("Save and next")
        lab_state = gr.State({})

        def load(catalog, ck, token):
            require_owner(access, token)
            try:
                p, answers, status = next_prompt(catalog, ck)
            except RecchatError as e:
                raise gr.Error(shown(e, "label")) from None
            if p is None:
                return status, "", "", {}, None, None
            a0 = answers[0]
            shown_prompt = a0.query if a0.task == "search" else "History: " + "; ".join(a0.history)
            st = {"prompt_id": p["prompt_id"], "checkpoint": ck, "prompt": chat_fields(a0),
                  "answers": [response_text(a) for a in answers]}
            return (status, text_html(f"Prompt ({p['prompt_id']}): {shown_prompt}"), answers_html(answers), st,
                    None, None)

        def save(st, b, w, catalog, ck, token):
            require_owner(access, token)
            if not st:
                raise gr.Error("load a prompt first")
            if not b or not w:
                raise gr.Error("mark both the best and the worst answer")
            if b == w:
                raise gr.Error("best and worst must be different answers")
            append_label({**st, "best": int(b) - 1, "worst": int(w) - 1, "source": "label"})
            gr.Info("label saved")
            return load(catalog, ck, token)

        outs = [lab_status, lab_prompt, lab_answers, lab_state, best, worst]
        lab_load.click(load, [cat_dd, lab_ck, lab_token], outs, **private("label_load"), **llm)
        lab_save.click(save, [lab_state, best, worst, cat_dd, lab_ck, lab_token], outs, **private("label_save"),
                       **llm)

    with gr.Tab("Compare", id="compare"):
        gr.Markdown("One request, three checkpoints side by side. Vote for the best: votes become preference pairs.")
        cmp_token = owner_box(access)
        cmp_msg = gr.Textbox(label="Request", placeholder="a funny animated movie about toys that come alive",
                             max_length=s.max_query_chars)
        cmp_hist = gr.Textbox(label="…or a history, one item per line", lines=3,
                              max_length=s.max_history_chars)
        cmp_btn = gr.Button("Compare", variant="primary")
        cols = {}
        with gr.Row():
            for ck in COMPARE:
                with gr.Column():
                    gr.Markdown(f"### {ck}")
                    cols[ck] = (gr.HTML("", elem_classes=["rc-compare-text"]), gr.HTML(""))
        with gr.Row():
            vote = gr.Radio(list(COMPARE), label="Best answer")
            vote_btn = gr.Button("Save vote")
        cmp_state = gr.State({})

        def compare(msg, hist_text, catalog, token):
            require_owner(access, token)
            try:
                hist_text = check_history(hist_text)
            except RecchatError as e:
                raise gr.Error(str(e)) from None
            texts = {ck: "" for ck in COMPARE}
            html = {ck: "" for ck in COMPARE}
            answers = {}

            def frame():
                return [v for ck in COMPARE for v in (text_html(texts[ck]), html[ck])] + [answers]

            for ck in COMPARE:
                try:
                    req = AskRequest(query=msg or "", history=history_lines(hist_text), catalog=catalog, checkpoint=ck)
                    said = {"token": "", "why": ""}  # the reading and the sentence on why, as they stream
                    for ev in run(req):
                        if ev[0] in said:
                            said[ev[0]] += ev[1]
                            texts[ck] = answer_text(said["token"], said["why"])
                            yield frame()
                        elif ev[0] == "answer":
                            a = ev[1]
                            answers[ck] = a.model_dump()
                            texts[ck] = answer_text(a.rationale, a.why) or "(no rationale)"
                            html[ck] = cards_html(a.items[:5])
                            yield frame()
                except RecchatError as e:
                    texts[ck] = f"⚠️ {shown(e, 'compare')}"
                    yield frame()

        def save_vote(answers, choice, token):
            require_owner(access, token)
            if not answers or not choice:
                raise gr.Error("compare first, then pick the best answer")
            if choice not in answers:
                raise gr.Error(f"{choice} gave no answer to vote for")
            append_label(compare_vote_row(answers, choice))
            gr.Info("vote saved")

        outs = [c for ck in COMPARE for c in cols[ck]] + [cmp_state]
        cmp_btn.click(compare, [cmp_msg, cmp_hist, cat_dd, cmp_token], outs, **private("compare"), **llm)
        vote_btn.click(save_vote, [cmp_state, vote, cmp_token], None, **private("compare_vote"))


def compare_endpoint(access: Access):
    """The function behind `/compare` (registered by the page only when owner tools exist)."""

    def compare(message: str, history_text: str = "", catalog: str = "", owner_token: str = "") -> dict:
        """{base, sft, dpo}: each checkpoint's answer shaped like `recchat ask --json` (or {"error": ...}).
        `owner_token` is needed only when the server has RECCHAT_ADMIN_TOKEN."""
        require_owner(access, owner_token)
        try:
            history_text = check_history(history_text)
        except RecchatError as e:
            return {ck: {"error": str(e)} for ck in COMPARE}
        out = compare_api(message, history_text, catalog)
        for v in out.values():
            if "error" in v:
                v["error"] = strip_paths(v["error"])
        return out

    return compare
