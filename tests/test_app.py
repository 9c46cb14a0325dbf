"""The real Gradio app, started as `python app.py` and called through gradio_client."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.app_server import start_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(session_home):
    """The app as a developer runs it: loopback, no token, every tool on."""
    with start_app(session_home) as url:
        yield url


def test_recommend_endpoint_returns_ask_json(server):
    from gradio_client import Client

    c = Client(server, verbose=False)
    out = c.predict("a funny animated movie about toys that come alive", "", "movies", "base", api_name="/recommend")
    assert out["task"] == "search" and out["catalog"] == "movies"
    assert any(i["title"].startswith("Toy Story") for i in out["items"])
    hist = c.predict("", "Alien (1979)\nAliens (1986)\nPredator (1987)\nThing, The (1982)", "movies", "base",
                     api_name="/recommend")
    assert hist["task"] == "recommend" and len(hist["items"]) == 10
    bad = c.predict("x", "", "nope", "base", api_name="/recommend")
    assert "unknown catalog" in bad["error"]


def test_eight_concurrent_users_all_get_answers(server):
    from gradio_client import Client

    queries = ["a scary movie set in space", "a romantic comedy in paris", "a war drama about soldiers",
               "a heist thriller", "a musical", "a documentary about nature", "a superhero movie", "a western"]

    def call(q):
        return Client(server, verbose=False).predict(q, "", "movies", "base", api_name="/recommend")

    with ThreadPoolExecutor(8) as ex:
        res = list(ex.map(call, queries))
    assert all("error" not in r and len(r["items"]) == 10 for r in res)
    assert [r["query"] for r in res] == queries  # nobody got someone else's answer
