"""The app's API surface over HTTP (issue 18) and what a public server lets a visitor do (issue 19),
against `python app.py` on loopback, called with gradio_client and, for the page's private events,
through Gradio's queue by event index as the page (or a script imitating it) does."""

import csv

import pytest

from tests.app_server import event_names, fresh_home, raw_call, start_app, upload_file
from tests.test_app import server  # noqa: F401  (the developer's app: loopback, no token)

pytestmark = pytest.mark.slow

# The documented API, and nothing else by name. `owner_token` is optional (needed only with
# RECCHAT_ADMIN_TOKEN). Every page event is private and named ui_*, so none takes a documented name.
DOCUMENTED = {"/recommend": ["message", "history_text", "catalog", "checkpoint"],
              "/compare": ["message", "history_text", "catalog", "owner_token"]}
OWNER_EVENTS = {"ui_upload", "ui_label_load", "ui_label_save", "ui_compare", "ui_compare_vote"}
TOKEN = "correct horse battery staple"


def _api(url) -> dict:
    from gradio_client import Client

    info = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
    assert info["unnamed_endpoints"] == {}
    return {k: [p["parameter_name"] for p in v["parameters"]] for k, v in info["named_endpoints"].items()}


def _csv(path, rows) -> object:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "title", "description"])
        w.writerows(rows)
    return path


def _check_compare(out: dict) -> None:
    assert set(out) == {"base", "sft", "dpo"}
    for ck, a in out.items():
        assert "error" not in a, a
        assert a["checkpoint"] == ck and len(a["items"]) == 10


def test_named_endpoints_are_exactly_the_documented_ones(server):  # noqa: F811
    from gradio_client import Client

    assert _api(server) == DOCUMENTED  # was: 17 names, and the documented /compare on /compare_1
    names = event_names(server)
    assert all(n.startswith("ui_") for n in names - {"recommend", "compare"}), names
    c = Client(server, verbose=False)
    out = c.predict("a scary movie set in space", "", "movies", api_name="/compare")
    _check_compare(out)
    rec = c.predict("a scary movie set in space", "", "movies", "base", api_name="/recommend")
    assert rec["task"] == "search" and rec["checkpoint"] == "base" and len(rec["items"]) == 10
    assert {"rationale", "timings", "query", "language"} <= set(rec)


@pytest.fixture(scope="module")
def public_server(tmp_path_factory):
    """On Spaces (SPACE_ID set) with no token, visitors' uploads on; still bound to 127.0.0.1 here."""
    home = fresh_home(tmp_path_factory.mktemp("public_home"))
    with start_app(home, SPACE_ID="someone/recchat", RECCHAT_PUBLIC_UPLOADS="1") as url:
        yield url, home


def test_public_server_without_token_has_no_owner_tools(public_server):
    from gradio_client import Client

    url, _ = public_server
    assert _api(url) == {"/recommend": DOCUMENTED["/recommend"]}  # no /compare at all
    assert not (OWNER_EVENTS - {"ui_upload"}) & event_names(url)  # no Label or Compare events either
    out = Client(url, verbose=False).predict("a heist thriller", "", "movies", "base", api_name="/recommend")
    assert len(out["items"]) == 10  # chat stays public


def test_visitor_uploads_are_namespaced_per_session(public_server, tmp_path):
    from gradio_client import Client

    url, _ = public_server
    a_rows = [(str(i), f"Alpha gadget {i}", "a red kitchen gadget") for i in range(3)]
    b_rows = [(str(i), f"Beta widget {i}", "a blue garden widget") for i in range(4)]
    fa = upload_file(url, _csv(tmp_path / "a.csv", a_rows))
    fb = upload_file(url, _csv(tmp_path / "b.csv", b_rows))
    # the token slot is server-side state here: whatever a visitor sends there, they stay a visitor
    ok, out = raw_call(url, "ui_upload", ["shop", fa, "", "", "", "a guess"], session_hash="visitor-a")
    assert ok, out
    ok, out_b = raw_call(url, "ui_upload", ["shop", fb, "", "", "", None], session_hash="visitor-b")
    assert ok, out_b
    # a visitor's "movies" is theirs, not the bundled catalog
    ok, out_m = raw_call(url, "ui_upload", ["movies", fa, "", "", "", None], session_hash="visitor-a")
    assert ok, out_m
    table_a = {r[0]: r for r in out_m[0]["data"]}
    table_b = {r[0]: r for r in out_b[0]["data"]}
    a_shop = next(n for n in table_a if n.endswith("-shop"))
    b_shop = next(n for n in table_b if n.endswith("-shop"))
    assert a_shop != b_shop and a_shop.startswith("v-") and b_shop.startswith("v-")
    assert table_a[a_shop][3] == 3 and table_b[b_shop][3] == 4  # B's upload replaced nothing of A's
    assert table_a["movies"][3] == 9742 and any(n.endswith("-movies") for n in table_a)
    assert a_shop not in table_b and not any(n.endswith("-movies") for n in table_b)  # others' are hidden
    ok, mine = raw_call(url, "recommend", ["a kitchen gadget", "", a_shop, "base"], session_hash="visitor-a")
    assert ok and mine[0]["items"][0]["title"].startswith("Alpha gadget"), mine
    theirs = Client(url, verbose=False).predict("a kitchen gadget", "", a_shop, "base", api_name="/recommend")
    assert "unknown catalog" in theirs["error"]
    listed = Client(url, verbose=False).predict("x", "", "nope", "base", api_name="/recommend")["error"]
    assert a_shop not in listed and b_shop not in listed and "movies" in listed


@pytest.fixture(scope="module")
def owner_server(tmp_path_factory):
    """On Spaces with RECCHAT_ADMIN_TOKEN; models.yaml names a checkpoint whose file is missing."""
    home = fresh_home(tmp_path_factory.mktemp("owner_home"))
    (home / "models.yaml").write_text("- name: broken\n  path: /srv/secret-place/models/broken.gguf\n")
    with start_app(home, SPACE_ID="someone/recchat", RECCHAT_ADMIN_TOKEN=TOKEN) as url:
        yield url, home


def test_owner_tools_need_the_token(owner_server, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, _ = owner_server
    assert _api(url) == DOCUMENTED
    assert OWNER_EVENTS <= event_names(url)
    c = Client(url, verbose=False)
    for bad in ("", "wrong"):
        with pytest.raises(AppError, match="owner token"):
            c.predict("a scary movie", "", "movies", bad, api_name="/compare")
    # the page's private events check the token themselves: calling them directly does not skip it
    for name, data in [("ui_label_load", ["movies", "base", ""]),
                       ("ui_compare", ["a scary movie", "", "movies", "nope"]),
                       ("ui_compare_vote", [None, "base", ""]),
                       ("ui_upload", ["shop", None, "", "", "", ""])]:
        ok, err = raw_call(url, name, data)
        assert not ok and "owner token" in err, (name, err)
    _check_compare(c.predict("a scary movie set in space", "", "movies", TOKEN, api_name="/compare"))
    f = upload_file(url, _csv(tmp_path / "shop.csv", [("1", "Gamma lamp", "a desk lamp")]))
    ok, out = raw_call(url, "ui_upload", ["shop", f, "", "", "", TOKEN])
    assert ok, out
    assert "shop" in {r[0] for r in out[0]["data"]}  # the owner's upload keeps its name
    rec = c.predict("a lamp", "", "shop", "base", api_name="/recommend")  # chat needs no token
    assert rec["items"][0]["title"] == "Gamma lamp"


def test_errors_shown_to_visitors_have_no_server_paths(owner_server):
    from gradio_client import Client

    url, home = owner_server
    err = Client(url, verbose=False).predict("x", "", "movies", "broken", api_name="/recommend")["error"]
    assert "broken.gguf" in err and "/srv/secret-place" not in err, err
    assert "/srv/secret-place/models/broken.gguf" in (home / "app.log").read_text()  # kept for the owner


def test_history_and_upload_limits_hold_on_the_server(server):  # noqa: F811
    from gradio_client import Client

    c = Client(server, verbose=False)
    out = c.predict("", "Alien (1979)\n" * 2000, "movies", "base", api_name="/recommend")  # 26,000 characters
    assert "RECCHAT_MAX_HISTORY_CHARS" in out["error"]
    from tests.app_server import config

    assert config(server)["max_file_size"] == 50_000_000
