"""The Gradio 6 app: chat that streams a rationale, item cards beside it, catalogs, feedback.

Public API endpoints (for gradio_client): `/recommend` (message, history_text, catalog, checkpoint)
returns the same object as `recchat ask --json`.
"""

from __future__ import annotations

import os
from typing import Any

import gradio as gr

from recchat.catalog import build as cat
from recchat.catalog.upload import add_catalog
from recchat.core.errors import RecchatError
from recchat.app.cards import CSS, cards_html
from recchat.app.tuning import add_tabs
from recchat.chat.feedback import append_feedback
from recchat.chat.followup import build_request, history_lines
from recchat.llm.checkpoints import available_names
from recchat.chat.pipeline import AskRequest, run
from recchat.core.schema import Answer, RecItem
from recchat.core.settings import get_settings

EXAMPLES = [
    "a funny animated movie about toys that come alive",
    "오스카 수상 영화 추천해줘",
    "Alien\nThe Thing\nEvent Horizon",
    "a mind-bending sci-fi thriller about dreams",
    "비 오는 날 보기 좋은 잔잔한 로맨스 영화",
    "I watched Toy Story, Finding Nemo and Up",
]



# ----------------------------------------------------------------------------- helpers


def _text_of(content: Any) -> str:
    """Gradio 6 gives message content as a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, (list, tuple)):
        return "".join(_text_of(c) for c in content)
    return "" if content is None else str(content)


def catalog_choices() -> list[tuple[str, str]]:
    out = []
    for c in cat.list_catalogs():
        if c["built"]:
            out.append((f"{c['name']} ({c['items']:,} items, {c['language']})", c["name"]))
    return out


def checkpoint_choices() -> list[str]:
    return available_names()


# ----------------------------------------------------------------------------- chat


def respond(message, chat, history_text, catalog, checkpoint, state, use_cf=False):
    """Stream one turn: quick items, then the rationale token by token, then refined items."""
    chat = list(chat or [])
    state = dict(state or {})
    message = _text_of(message).strip()
    if not message and not (history_text or "").strip():
        gr.Warning("Type what you want, or paste items you liked.")
        yield chat, gr.skip(), state, ""
        return
    shown = message or "(recommend from the pasted history)"
    chat.append({"role": "user", "content": shown})
    chat.append({"role": "assistant", "content": "…"})
    yield chat, cards_html([], "searching…"), state, ""
    try:
        req, info = build_request(message, history_text, catalog, checkpoint, state, use_cf=bool(use_cf))
        rationale = ""
        answer: Answer | None = None
        prelim: list[RecItem] = []
        for ev in run(req):
            if ev[0] == "items":
                prelim = ev[1]
                yield chat, cards_html(prelim, "from your words", pending=True), state, ""
            elif ev[0] == "token":
                rationale += ev[1]
                chat[-1] = {"role": "assistant", "content": rationale.strip() or "…"}
                yield chat, gr.skip(), state, ""
            elif ev[0] == "answer":
                answer = ev[1]
    except RecchatError as e:
        chat[-1] = {"role": "assistant", "content": f"⚠️ {e}"}
        yield chat, cards_html([], str(e)), state, ""
        return
    assert answer is not None
    text = answer.rationale or "(no rationale)"
    if answer.notices:
        text += "\n\n" + "\n".join(f"_{n}_" for n in answer.notices)
    chat[-1] = {"role": "assistant", "content": text}
    state["last"] = {
        "query": answer.query if answer.task == "search" else "",
        "history": answer.history if answer.task == "recommend" else [],
        "task": answer.task, "catalog": answer.catalog, "checkpoint": answer.checkpoint,
        "item_ids": [i.id for i in answer.items], "item_titles": [i.title for i in answer.items],
        "exclude_ids": list(req.exclude_ids), "drop_terms": list(req.drop_terms), "like_ids": list(req.like_ids),
        "answer": answer.model_dump(),
    }
    state.setdefault("turns", []).append(state["last"]["answer"])
    label = f"{answer.catalog} · {answer.task} · {answer.checkpoint}"
    yield chat, cards_html(answer.items, label), state, ""


def on_like(data: gr.LikeData, state):
    last = (state or {}).get("last")
    if not last:
        return
    a = last["answer"]
    append_feedback({"kind": "answer", "liked": bool(data.liked), "message_index": data.index,
                     "prompt": a["query"] or "\n".join(a["history"]), "task": a["task"], "catalog": a["catalog"],
                     "checkpoint": a["checkpoint"], "answer": a["rationale"], "items": a["items"]})
    gr.Info("Thanks, feedback saved.")


def item_feedback(choice, liked: bool, state):
    last = (state or {}).get("last")
    if not last or not choice:
        gr.Warning("Pick an item first.")
        return
    a = last["answer"]
    item = next((i for i in a["items"] if i["title"] == choice), None)
    append_feedback({"kind": "item", "liked": liked, "prompt": a["query"] or "\n".join(a["history"]),
                     "task": a["task"], "catalog": a["catalog"], "checkpoint": a["checkpoint"],
                     "answer": a["rationale"], "item": item, "items": a["items"]})
    gr.Info("Thanks, feedback saved.")


def recommend_api(message: str, history_text: str = "", catalog: str = "", checkpoint: str = "") -> dict:
    """The same object as `recchat ask --json`; errors come back as {"error": "..."}."""
    try:
        req = AskRequest(query=message or "", history=history_lines(history_text),
                         catalog=catalog or None, checkpoint=checkpoint or None)
        for ev in run(req):
            if ev[0] == "answer":
                return ev[1].model_dump()
    except RecchatError as e:
        return {"error": str(e)}
    return {"error": "no answer"}


# ----------------------------------------------------------------------------- catalogs tab


def catalogs_table() -> list[list]:
    return [[c["name"], c["domain"], c["language"], c["items"], "yes" if c["built"] else "no", c["source"]]
            for c in cat.list_catalogs()]


def upload_catalog(name, file, id_col, title_col, text_col, progress=gr.Progress()):
    if file is None:
        raise gr.Error("choose a file to upload")
    path = file if isinstance(file, str) else getattr(file, "name", None) or file.get("path")

    def cb(done, total, what):
        progress(done / max(total, 1), desc=what)

    try:
        info = add_catalog(name.strip(), path, id_col=id_col or None, title_col=title_col or None,
                           text_col=text_col or None, progress=cb)
    except RecchatError as e:
        raise gr.Error(str(e))
    gr.Info(f"catalog {info.name!r} built with {info.items} items")
    return catalogs_table(), gr.update(choices=catalog_choices(), value=info.name)


# ----------------------------------------------------------------------------- app


def build_app() -> gr.Blocks:
    s = get_settings()
    cats = catalog_choices()
    cks = checkpoint_choices()
    with gr.Blocks(title="recchat") as demo:
        gr.Markdown("# recchat\nTell me what you want, or paste what you watched, read or played. "
                    "A small LLM describes what fits; the description finds real items in the catalog you pick.")
        state = gr.State({})
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="recchat", height=460, feedback_options=("Like", "Dislike"),
                                         elem_id="chatbot")
                    msg = gr.Textbox(placeholder="e.g. a funny animated movie about toys that come alive",
                                     show_label=False, lines=2, max_lines=8, elem_id="query-box", submit_btn=True)
                    gr.Examples(EXAMPLES, inputs=[msg], label="Examples (English and 한국어)")
                with gr.Column(scale=2):
                    with gr.Row():
                        cat_dd = gr.Dropdown(cats, value=s.default_catalog if any(v == s.default_catalog for _, v in cats)
                                             else (cats[0][1] if cats else None), label="Catalog", elem_id="catalog")
                        ck_dd = gr.Dropdown(cks, value=s.default_checkpoint if s.default_checkpoint in cks
                                            else (cks[0] if cks else None), label="Checkpoint", elem_id="checkpoint")
                    hist = gr.Textbox(label="Paste a history (optional): one item per line", lines=4,
                                      elem_id="history-box")
                    use_cf = gr.Checkbox(False, label="Use collaborative filtering (catalogs with a trained CF model: "
                                         "`recchat cf train --catalog NAME`)")
                    cards = gr.HTML(cards_html([], "Items appear here."), elem_id="item-cards")
                    with gr.Row():
                        item_pick = gr.Dropdown([], label="Rate an item", scale=3)
                        up = gr.Button("👍", scale=1, min_width=40)
                        down = gr.Button("👎", scale=1, min_width=40)

            def _items_of(st):
                last = (st or {}).get("last") or {}
                return gr.update(choices=last.get("item_titles", []), value=None)

            ev = msg.submit(respond, [msg, chatbot, hist, cat_dd, ck_dd, state, use_cf], [chatbot, cards, state, msg])
            ev.then(_items_of, [state], [item_pick])

            def _retry(chat, hist_text, catalog, checkpoint, st, cf, data: gr.RetryData):
                chat = list(chat or [])
                last_user = ""
                while chat:
                    m = chat.pop()
                    if m["role"] == "user":
                        last_user = _text_of(m["content"])
                        break
                st = dict(st or {})
                st.pop("last", None)
                yield from respond(last_user, chat, hist_text, catalog, checkpoint, st, cf)

            chatbot.retry(_retry, [chatbot, hist, cat_dd, ck_dd, state, use_cf], [chatbot, cards, state, msg])

            def _undo(chat, st, data: gr.UndoData):
                chat = list(chat or [])
                while chat and chat[-1]["role"] != "user":
                    chat.pop()
                text = _text_of(chat.pop()["content"]) if chat else ""
                st = dict(st or {})
                turns = st.get("turns", [])[:-1]
                st["turns"] = turns
                st.pop("last", None)
                return chat, text, st

            chatbot.undo(_undo, [chatbot, state], [chatbot, msg, state])
            chatbot.clear(lambda: ({}, cards_html([], "Items appear here.")), None, [state, cards])
            chatbot.like(on_like, [state], None)
            up.click(lambda c, st: item_feedback(c, True, st), [item_pick, state], None)
            down.click(lambda c, st: item_feedback(c, False, st), [item_pick, state], None)

        with gr.Tab("Catalogs"):
            table = gr.Dataframe(catalogs_table(), headers=["name", "domain", "language", "items", "built", "source"],
                                 interactive=False, label="Catalogs")
            gr.Markdown("Add your own: CSV, TSV, JSON, JSONL or Parquet with a title column.")
            with gr.Row():
                up_name = gr.Textbox(label="Catalog name", placeholder="my-books")
                up_id = gr.Textbox(label="id column (optional)")
                up_title = gr.Textbox(label="title column (optional)")
                up_text = gr.Textbox(label="text column (optional)")
            up_file = gr.File(label="File", file_types=[".csv", ".tsv", ".json", ".jsonl", ".parquet"])
            up_btn = gr.Button("Build catalog", variant="primary")
            up_btn.click(upload_catalog, [up_name, up_file, up_id, up_title, up_text], [table, cat_dd])

        # catalogs built in the background (or uploaded in another session) show up on reload
        demo.load(lambda: gr.update(choices=catalog_choices()), None, cat_dd, api_visibility="private")
        gr.api(recommend_api, api_name="recommend")
        add_tabs(demo, state, cat_dd)
    return demo


def launch(**kw) -> None:
    from recchat.core.progress import tqdm_progress

    cat.ensure_default(progress=tqdm_progress("first start: "))
    if get_settings().build_bundled:
        cat.build_bundled_in_background()
    demo = build_app()
    demo.queue(default_concurrency_limit=8)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        css=CSS,
        **kw,
    )
