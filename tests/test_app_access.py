"""Who may use what (issue 19), in process: the modes, which events each mode builds, the feedback
limits, and what a visitor is shown. The same rules over HTTP against `python app.py` are in
tests/test_app_api.py."""

import json

import gradio as gr
import pytest

from recchat.app.access import Access, current_access, hide_other_visitors, visible, visitor_catalog
from recchat.app.cards import answers_html, text_html
from recchat.app.inputs import check_history
from recchat.app.messages import strip_paths
from recchat.chat import feedback
from recchat.core.errors import BadInput
from recchat.core.schema import Answer, RecItem
from recchat.core.settings import get_settings, reset_settings

OWNER_EVENTS = {"ui_upload", "ui_label_load", "ui_label_save", "ui_compare", "ui_compare_vote", "compare"}
LLM_EVENTS = {"ui_respond", "ui_retry", "recommend", "compare", "ui_label_load", "ui_label_save", "ui_compare"}


@pytest.fixture()
def env(monkeypatch):
    for k in ("SPACE_ID", "GRADIO_SERVER_NAME", "RECCHAT_ADMIN_TOKEN", "RECCHAT_PUBLIC_UPLOADS"):
        monkeypatch.delenv(k, raising=False)
    reset_settings()
    yield monkeypatch
    reset_settings()


def test_mode_comes_from_bind_space_and_token(env):
    assert current_access().mode == "local"
    env.setenv("GRADIO_SERVER_NAME", "localhost")
    assert current_access().mode == "local"
    env.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    assert current_access().mode == "public"
    env.setenv("GRADIO_SERVER_NAME", "127.0.0.1")
    env.setenv("SPACE_ID", "someone/recchat")
    assert current_access().mode == "public"
    env.setenv("RECCHAT_ADMIN_TOKEN", "")  # an empty secret is no secret
    reset_settings()
    assert current_access().mode == "public"
    env.setenv("RECCHAT_ADMIN_TOKEN", "s3cret")
    reset_settings()
    a = current_access()
    assert a.mode == "owner" and a.is_owner("s3cret") and not a.is_owner("s3cre") and not a.is_owner("")
    assert not a.is_owner("s3cret\u00e9")  # non-ASCII input is compared as bytes, not a TypeError
    assert "s3cret" not in repr(get_settings())  # the token is a SecretStr: never printed


def _events(access: Access) -> dict:
    from recchat.app.web import build_app

    demo = build_app(access)
    return {f.api_name: f for f in demo.fns.values()}, demo


@pytest.mark.parametrize("access,owner_tools,upload", [
    (Access(token=None, public=False, public_uploads=False), True, True),  # a developer's machine
    (Access(token=None, public=True, public_uploads=False), False, False),  # a Space with no token
    (Access(token=None, public=True, public_uploads=True), False, True),  # visitors may upload, namespaced
    (Access(token="t", public=True, public_uploads=False), True, True),  # the owner's Space
])
def test_each_mode_builds_only_its_events(home, access, owner_tools, upload):
    events, demo = _events(access)
    names = set(events)
    assert "recommend" in names and "ui_respond" in names  # chat is public in every mode
    owner_only = OWNER_EVENTS - {"ui_upload"}
    assert owner_only <= names if owner_tools else not owner_only & names
    assert ("ui_upload" in names) == upload
    # named API = the documented endpoints; every other event is private and named ui_*
    public = {n for n, f in events.items() if f.api_visibility != "private"}
    assert public == ({"recommend", "compare"} if owner_tools else {"recommend"})
    assert all(n.startswith("ui_") for n in names - public)
    tabs = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == (["Chat", "Catalogs", "Label", "Compare"] if owner_tools else ["Chat", "Catalogs"])
    tokens = [b for b in demo.blocks.values() if isinstance(b, gr.Textbox) and b.label == "Owner token"]
    assert len(tokens) == (3 if access.mode == "owner" else 0)  # Catalogs, Label, Compare


def test_llm_events_share_one_group_and_uploads_run_alone(home, env):
    env.setenv("RECCHAT_LLM_POOL_SIZE", "3")
    reset_settings()
    events, demo = _events(Access(token=None, public=False, public_uploads=False))
    for n in LLM_EVENTS:
        assert (events[n].concurrency_id, events[n].concurrency_limit) == ("llm", 3), n
    assert events["ui_upload"].concurrency_limit == 1
    boxes = {b.elem_id: b for b in demo.blocks.values() if isinstance(b, gr.Textbox) and b.elem_id}
    assert boxes["query-box"].max_length == 2000 and boxes["history-box"].max_length == 20000
    assert demo.delete_cache == (600, 3600)


def test_visitor_namespace_and_visibility():
    a, b = visitor_catalog("sessA", "shop"), visitor_catalog("sessB", "shop")
    assert a != b and a.endswith("-shop") and a.startswith("v-") and len(a) == len("v-0123456789-shop")
    assert visible(a, "sessA") and not visible(a, "sessB") and visible("movies", "sessB") and visible("", "x")
    msg = f"unknown catalog 'x'; available: books, {a}, {b}, movies"
    assert hide_other_visitors(msg, "sessA") == f"unknown catalog 'x'; available: books, {a}, (hidden), movies"


def test_paths_are_stripped_from_shown_errors():
    assert strip_paths("model file /srv/secret/models/x.gguf is missing") == "model file …/x.gguf is missing"
    assert strip_paths("see ~/.cache/recchat/w.whl") == "see …/w.whl"
    kept = "LanceDB at s3://bucket/path/db, https://example.org/a/b and 1/2"
    assert strip_paths(kept) == kept


def test_label_and_compare_text_is_inert_html():
    evil = "![](https://tracker.example/x.png) <img src=x onerror=alert(1)>"
    a = Answer(task="search", language="en", query="q", catalog="movies", checkpoint="base", rationale=evil,
               items=[RecItem(id="1", title=evil, score=1.0)])
    out = answers_html([a]) + text_html(evil)
    assert "<img" not in out and "&lt;img" in out
    # gr.HTML shows it as text; only gr.Markdown would turn ![](...) into an image
    assert "![](https://tracker.example/x.png)" in out


def test_history_over_the_limit_is_refused_with_the_setting_named(env):
    env.setenv("RECCHAT_MAX_HISTORY_CHARS", "100")
    reset_settings()
    assert check_history("a\n" * 50) == "a\n" * 50
    with pytest.raises(BadInput, match="RECCHAT_MAX_HISTORY_CHARS"):
        check_history("a" * 101)


def test_feedback_gate_limits_rate_and_repeats():
    g = feedback.FeedbackGate(per_minute=3, per_minute_ip=5, window_s=60)
    for i in range(3):
        g.admit("s1", "ip", f"t{i}", now=100.0 + i)
    with pytest.raises(feedback.FeedbackRefused, match="too many"):
        g.admit("s1", "ip", "t9", now=103.0)
    g.admit("s1", "ip", "t9", now=161.0)  # a minute later the oldest have left the window
    with pytest.raises(feedback.FeedbackRefused, match="already rated"):
        g.admit("s1", "ip", "t0", now=500.0)
    g.admit("s2", "ip", "t0", now=500.0)  # another visitor may rate the same thing
    for i in range(4):  # ...but one address minting sessions hits the per-address limit
        g.admit(f"n{i}", "ip2", "x", now=600.0)
    g.admit("n9", "ip2", "x", now=600.0)
    with pytest.raises(feedback.FeedbackRefused, match="too many"):
        g.admit("n10", "ip2", "x", now=600.0)


def test_thumbs_in_the_app_are_limited_per_visitor(empty_home, env):
    """The chat's 👍 handler: one row per item per visitor, at most RECCHAT_FEEDBACK_PER_MINUTE a minute."""
    from recchat.app.web import item_feedback

    env.setenv("RECCHAT_FEEDBACK_PER_MINUTE", "4")
    reset_settings()
    feedback.reset_feedback_gate()
    items = [{"id": str(i), "title": f"T{i}"} for i in range(6)]
    state = {"last": {"answer": {"query": "q", "history": [], "task": "search", "catalog": "movies",
                                 "checkpoint": "base", "rationale": "r", "items": items}}}
    alice = gr.Request(session_hash="alice", client={"host": "10.0.0.1"})
    bob = gr.Request(session_hash="bob", client={"host": "10.0.0.2"})
    with pytest.warns(UserWarning):  # outside a queue, gr.Warning is a Python warning
        item_feedback("T0", True, state, alice)
        item_feedback("T0", False, state, alice)  # the same item again: refused
        for i in range(1, 6):
            item_feedback(f"T{i}", True, state, alice)  # 4 a minute: T1..T3 saved, T4, T5 refused
    item_feedback("T0", True, state, bob)
    rows = [json.loads(x) for x in get_settings().feedback_path.read_text().splitlines()]
    assert [r["item"]["id"] for r in rows] == ["0", "1", "2", "3", "0"]
    feedback.reset_feedback_gate()
