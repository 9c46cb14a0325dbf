"""Start the real app (`python app.py`) on a free loopback port, and call it the way a browser does.

`raw_call` posts to Gradio's queue by event index, as the page (or any script imitating it) does, so
tests can show that a private, browser-only event refuses a visitor by itself, not only by being hidden.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_ENV = {"GRADIO_SERVER_NAME": "127.0.0.1", "RECCHAT_MAX_TOKENS": "24",
            "RECCHAT_BUILD_BUNDLED": "false"}  # keep the CPU for the tests: no background catalog builds
# the variables that change what the app exposes: cleared so the caller's shell cannot change a test
ACCESS_VARS = ("SPACE_ID", "RECCHAT_ADMIN_TOKEN", "RECCHAT_PUBLIC_UPLOADS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_home(path: Path) -> Path:
    """An empty RECCHAT_HOME with the assembled base model linked in (the app builds `movies` itself)."""
    cached = Path.home() / ".cache" / "recchat" / "test-models" / "gemma-3-270m-q4_k_m.gguf"
    if cached.exists():  # the session_home fixture leaves it there
        (path / "models").mkdir(parents=True, exist_ok=True)
        try:
            os.link(cached, path / "models" / cached.name)
        except OSError:
            shutil.copy(cached, path / "models")
    return path


@contextmanager
def start_app(home: Path, log_name: str = "app.log", timeout_s: float = 240, **env):
    """Yields the URL of `python app.py` serving `home`; `env` adds or overrides variables."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if k not in ACCESS_VARS}
    full.update({"RECCHAT_HOME": str(home), "GRADIO_SERVER_PORT": str(port), **BASE_ENV, **env})
    log_path = home / log_name
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=full, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError("app exited: " + log_path.read_text()[-2000:])
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except Exception:
                if time.time() > deadline:
                    raise RuntimeError("app did not start: " + log_path.read_text()[-2000:])
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def config(url: str) -> dict:
    with urllib.request.urlopen(url + "config", timeout=30) as r:
        return json.loads(r.read())


def event_names(url: str) -> set[str]:
    """The names of every event the page has, private ones included."""
    return {d.get("api_name") for d in config(url)["dependencies"]}


def upload_file(url: str, path: Path) -> dict:
    """POST a file to Gradio's upload route, as the page does; returns the FileData to pass on."""
    import httpx

    with open(path, "rb") as f:
        r = httpx.post(url + "gradio_api/upload", files={"files": (path.name, f)}, timeout=60)
    r.raise_for_status()
    return {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def raw_call(url: str, api_name: str, data: list, session_hash: str | None = None,
             timeout_s: float = 300) -> tuple[bool, object]:
    """Run the event named `api_name` through the queue by its index, like the page does.
    Returns (True, output data) or (False, the error message shown to the visitor)."""
    import httpx

    deps = config(url)["dependencies"]
    fn_index = next(i for i, d in enumerate(deps) if d.get("api_name") == api_name)
    fn_index = deps[fn_index].get("id", fn_index)
    session_hash = session_hash or uuid.uuid4().hex[:11]
    body = {"data": data, "fn_index": fn_index, "session_hash": session_hash, "event_data": None,
            "trigger_id": None}
    with httpx.Client(timeout=timeout_s) as c:
        r = c.post(url + "gradio_api/queue/join", json=body)
        r.raise_for_status()
        with c.stream("GET", url + "gradio_api/queue/data", params={"session_hash": session_hash}) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    out = msg.get("output") or {}
                    if msg.get("success"):
                        return True, out.get("data")
                    return False, str(out.get("error") or out)
    raise RuntimeError(f"no result from {api_name}")
