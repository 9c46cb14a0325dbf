"""The real Gradio app, started as `python app.py` and called through gradio_client."""

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(session_home):
    port = _free_port()
    env = {**os.environ, "RECCHAT_HOME": str(session_home), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_SERVER_NAME": "127.0.0.1", "RECCHAT_MAX_TOKENS": "24",
           "RECCHAT_BUILD_BUNDLED": "false"}  # keep the CPU for the tests: no background catalog builds
    log = open(session_home / "app.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    import urllib.request

    deadline = time.time() + 240
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("app exited: " + (session_home / "app.log").read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except Exception:
            time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("app did not start: " + (session_home / "app.log").read_text()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=30)


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
