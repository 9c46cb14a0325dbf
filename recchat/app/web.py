"""The Gradio 6 app: chat that streams a rationale, item cards beside it, catalogs, feedback.

API endpoints (for gradio_client), and nothing else by name; every other event is private (the page's own):
- `/recommend` (message, history_text, catalog, checkpoint): the same object as `recchat ask --json`.
- `/compare` (message, history_text, catalog, owner_token=""): {base, sft, dpo}; an owner tool, absent
  on a public server without RECCHAT_ADMIN_TOKEN (recchat/app/access.py).
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

import gradio as gr

from recchat.app.access import Access, current_access, hide_other_visitors, visible
from recchat.app.cards import CSS, cards_html
from recchat.app.events import llm_group, private
from recchat.app.catalogs_tab import add_tab as add_catalogs_tab
from recchat.app.catalogs_tab import catalog_choices, catalogs_table
from recchat.app.inputs import check_history
from recchat.app.messages import answer_text, shown
from recchat.app.tuning import add_tabs, compare_endpoint, owner_box
from recchat.catalog import build as cat
from recchat.chat.feedback import FeedbackRefused, record_feedback
from recchat.chat.followup import build_request, history_lines
from recchat.chat.pipeline import AskRequest, run
from recchat.core.errors import RecchatError, UnknownCatalog
from recchat.core.schema import Answer, RecItem
from recchat.core.settings import get_settings
from recchat.llm.checkpoints import available_names

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


def checkpoint_choices() -> list[str]:
    return available_names()


def _session(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


def _address(request: gr.Request | None) -> str:
    client = getattr(request, "client", None) if request is not None else None
    return getattr(client, "host", None) or ""


def _visitor_error(err: RecchatError, request: gr.Request | None, where: str) -> str:
    """What a visitor sees of an error: no server paths, no other visitors' catalog names."""
    return hide_other_visitors(shown(err, where), _session(request))


def _check_catalog(catalog: str | None, request: gr.Request | None) -> None:
    if not visible(catalog, _session(request)):
        raise UnknownCatalog(f"unknown catalog {catalog!r}")


# ----------------------------------------------------------------------------- chat


def respond(message, chat, history_text, catalog, checkpoint, state, use_cf=False, request: gr.Request = None):
    """Stream one turn: quick items, then the rationale token by token, then refined items."""
    chat = list(chat or [])
    state = dict(state or {})
    message = _text_of(message).strip()
    if not message and not (history_text or "").strip():
        gr.Warning("Type what you want, or paste items you liked.")
        yield chat, gr.skip(), state, ""
        return
    shown_msg = message or "(recommend from the pasted history)"
    chat.append({"role": "user", "content": shown_msg})
    chat.append({"role": "assistant", "content": "…"})
    yield chat, cards_html([], "searching…"), state, ""
    try:
        history_text = check_history(history_text)
        _check_catalog(catalog, request)
        req, info = build_request(message, history_text, catalog, checkpoint, state, use_cf=bool(use_cf))
        rationale, why = "", ""
        answer: Answer | None = None
        prelim: list[RecItem] = []
        for ev in run(req):
            if ev[0] == "items" and ev[2] == "final":  # the items stand; the sentence on why follows
                yield chat, cards_html(ev[1], f"{req.catalog or ''} · final"), state, ""
            elif ev[0] == "items":
                prelim = ev[1]
                yield chat, cards_html(prelim, "from your words", pending=True), state, ""
            elif ev[0] in ("token", "why"):
                if ev[0] == "why":
                    why += ev[1]
                else:
                    rationale += ev[1]
                chat[-1] = {"role": "assistant", "content": answer_text(rationale, why) or "…"}
                yield chat, gr.skip(), state, ""
            elif ev[0] == "answer":
                answer = ev[1]
    except RecchatError as e:
        text = _visitor_error(e, request, "chat")
        chat[-1] = {"role": "assistant", "content": f"⚠️ {text}"}
        yield chat, cards_html([], text), state, ""
        return
    assert answer is not None
    text = answer_text(answer.rationale, answer.why) or "(no rationale)"
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


def _digest(*parts) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


def _save_feedback(row: dict, target: str, request: gr.Request | None) -> None:
    try:
        record_feedback(row, visitor=_session(request) or _address(request), address=_address(request),
                        target=target)
    except FeedbackRefused as e:
        gr.Warning(str(e))
        return
    gr.Info("Thanks, feedback saved.")


def on_like(data: gr.LikeData, state, request: gr.Request = None):
    last = (state or {}).get("last")
    if not last:
        return
    a = last["answer"]
    prompt = a["query"] or "\n".join(a["history"])
    row = {"kind": "answer", "liked": bool(data.liked), "message_index": data.index, "prompt": prompt,
           "task": a["task"], "catalog": a["catalog"], "checkpoint": a["checkpoint"], "answer": a["rationale"],
           "items": a["items"]}
    _save_feedback(row, "answer:" + _digest(a["catalog"], a["checkpoint"], prompt, a["rationale"]), request)


def item_feedback(choice, liked: bool, state, request: gr.Request = None):
    last = (state or {}).get("last")
    if not last or not choice:
        gr.Warning("Pick an item first.")
        return
    a = last["answer"]
    item = next((i for i in a["items"] if i["title"] == choice), None)
    prompt = a["query"] or "\n".join(a["history"])
    row = {"kind": "item", "liked": liked, "prompt": prompt, "task": a["task"], "catalog": a["catalog"],
           "checkpoint": a["checkpoint"], "answer": a["rationale"], "item": item, "items": a["items"]}
    _save_feedback(row, "item:" + _digest(a["catalog"], prompt, (item or {}).get("id", choice)), request)


def recommend_api(message: str, history_text: str = "", catalog: str = "", checkpoint: str = "",
                  request: gr.Request = None) -> dict:
    """The same object as `recchat ask --json`; errors come back as {"error": "..."}."""
    try:
        history_text = check_history(history_text)
        _check_catalog(catalog, request)
        req = AskRequest(query=message or "", history=history_lines(history_text),
                         catalog=catalog or None, checkpoint=checkpoint or None)
        for ev in run(req):
            if ev[0] == "answer":
                return ev[1].model_dump()
    except RecchatError as e:
        return {"error": _visitor_error(e, request, "recommend")}
    return {"error": "no answer"}


# ----------------------------------------------------------------------------- app


def build_app(access: Access | None = None) -> gr.Blocks:
    access = access or current_access()
    s = get_settings()
    cats = catalog_choices()
    cks = checkpoint_choices()
    llm = llm_group()
    age = max(60, s.upload_cache_s)
    with gr.Blocks(title="recchat", delete_cache=(min(age, 600), age)) as demo:
        gr.Markdown("# recchat\nTell me what you want, or paste what you watched, read or played. "
                    "A small LLM describes what fits; the description finds real items in the catalog you pick.")
        state = gr.State({})
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label="recchat", height=460, feedback_options=("Like", "Dislike"),
                                             elem_id="chatbot")
                        msg = gr.Textbox(placeholder="e.g. a funny animated movie about toys that come alive",
                                         show_label=False, lines=2, max_lines=8, elem_id="query-box",
                                         submit_btn=True, max_length=s.max_query_chars)
                        gr.Examples(EXAMPLES, inputs=[msg], label="Examples (English and 한국어)",
                                    **private("example"))
                    with gr.Column(scale=2):
                        with gr.Row():
                            cat_dd = gr.Dropdown(cats, value=s.default_catalog
                                                 if any(v == s.default_catalog for _, v in cats)
                                                 else (cats[0][1] if cats else None), label="Catalog",
                                                 elem_id="catalog")
                            ck_dd = gr.Dropdown(cks, value=s.default_checkpoint if s.default_checkpoint in cks
                                                else (cks[0] if cks else None), label="Checkpoint",
                                                elem_id="checkpoint")
                        hist = gr.Textbox(label="Paste a history (optional): one item per line", lines=4,
                                          elem_id="history-box", max_length=s.max_history_chars)
                        use_cf = gr.Checkbox(False, label="Use collaborative filtering (catalogs with a trained CF "
                                             "model: `recchat cf train --catalog NAME`)")
                        cards = gr.HTML(cards_html([], "Items appear here."), elem_id="item-cards")
                        with gr.Row():
                            item_pick = gr.Dropdown([], label="Rate an item", scale=3)
                            up = gr.Button("👍", scale=1, min_width=40)
                            down = gr.Button("👎", scale=1, min_width=40)

                def _items_of(st):
                    last = (st or {}).get("last") or {}
                    return gr.update(choices=last.get("item_titles", []), value=None)

                ev = msg.submit(respond, [msg, chatbot, hist, cat_dd, ck_dd, state, use_cf],
                                [chatbot, cards, state, msg], **private("respond"), **llm)
                ev.then(_items_of, [state], [item_pick], **private("items_of"))

                def _retry(chat, hist_text, catalog, checkpoint, st, cf, data: gr.RetryData,
                           request: gr.Request = None):
                    chat = list(chat or [])
                    last_user = ""
                    while chat:
                        m = chat.pop()
                        if m["role"] == "user":
                            last_user = _text_of(m["content"])
                            break
                    st = dict(st or {})
                    st.pop("last", None)
                    yield from respond(last_user, chat, hist_text, catalog, checkpoint, st, cf, request)

                chatbot.retry(_retry, [chatbot, hist, cat_dd, ck_dd, state, use_cf], [chatbot, cards, state, msg],
                              **private("retry"), **llm)

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

                chatbot.undo(_undo, [chatbot, state], [chatbot, msg, state], **private("undo"))
                chatbot.clear(lambda: ({}, cards_html([], "Items appear here.")), None, [state, cards],
                              **private("clear"))
                chatbot.like(on_like, [state], None, **private("like"))

                def _up(c, st, request: gr.Request = None):
                    item_feedback(c, True, st, request)

                def _down(c, st, request: gr.Request = None):
                    item_feedback(c, False, st, request)

                up.click(_up, [item_pick, state], None, **private("item_up"))
                down.click(_down, [item_pick, state], None, **private("item_down"))

            with gr.Tab("Catalogs", id="catalogs"):
                table = add_catalogs_tab(access, cat_dd, owner_box)
            add_tabs(state, cat_dd, access, llm)

        def _on_load(request: gr.Request = None):
            # catalogs built in the background (or uploaded by this visitor before) show up on reload
            sh = _session(request)
            return gr.update(choices=catalog_choices(sh)), catalogs_table(sh)

        demo.load(_on_load, None, [cat_dd, table], **private("load"))
        # the documented API, registered after the tabs (gr.api adds components of its own)
        gr.api(recommend_api, api_name="recommend", **llm)
        if access.owner_tools:
            gr.api(compare_endpoint(access), api_name="compare", **llm)
    return demo


def _warm_catalogs() -> None:
    """Fit each built catalog's item-kNN and count its words now, so the first "more like X" request does
    not wait for the one, nor the first search (its words in the catalog's own forms) for the other
    (0.1-0.9 s a catalog here)."""
    from recchat.cf.train import item_neighbours
    from recchat.retrieval.store import get_store

    store = get_store()
    for info in store.list():
        try:
            store.word_stats(info.name)
        except Exception as e:  # best effort: a first search computes them itself
            print(f"[recchat] word statistics of {info.name} not ready: {e}", flush=True)
        try:
            item_neighbours(info.name, info.has_interactions)
        except RecchatError as e:  # a catalog without a usable log: "like" requests rank without it
            print(f"[recchat] no item-kNN for {info.name}: {e}", flush=True)


def launch(**kw) -> None:
    from recchat.core.progress import tqdm_progress

    s = get_settings()
    cat.ensure_default(progress=tqdm_progress("first start: "))
    if s.build_bundled:
        cat.build_bundled_in_background()
    threading.Thread(target=_warm_catalogs, daemon=True, name="warm-catalogs").start()
    demo = build_app()
    demo.queue(max_size=s.queue_max_size, default_concurrency_limit=8)
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        css=CSS,
        # Gradio refuses bigger files before writing them to disk; the same limit as the upload check
        max_file_size=int(s.max_upload_mb * 1_000_000),
        **kw,
    )
