"""Load test: N simulated chat users against the real app, over HTTP with gradio_client.

Starts `python app.py` itself on a free 127.0.0.1 port (it never targets another host), then runs N
users for a bounded time. Each user sends `/recommend` requests picked from a fixed list in English
and Korean, waiting a small random think time between them. When the time is up no new request
starts, the ones in flight finish, and the app is stopped.

Reported: requests, failures (must be 0), throughput, latency p50/p95/max as the user sees it, the
queue wait (submit -> Gradio reports the event PROCESSING, polled every 50 ms) and the service time
(the pipeline's own `timings.total_s`). JSON to benchmarks/results/load.json, a table to stdout.

    nice -n 10 python benchmarks/load.py --users 32 --seconds 300
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # only ever the app this script starts
QUERIES = [
    ("en", "a funny animated movie about toys that come alive"),
    ("en", "a scary movie set in space"),
    ("en", "a romantic comedy in paris"),
    ("en", "a war drama about soldiers"),
    ("en", "a heist thriller with a clever twist"),
    ("en", "a mind-bending sci-fi thriller about dreams"),
    ("ko", "오스카 수상 영화 추천해줘"),
    ("ko", "비 오는 날 보기 좋은 잔잔한 로맨스 영화"),
    ("ko", "우주를 배경으로 한 무서운 영화"),
    ("ko", "가족과 함께 볼 만한 애니메이션"),
    ("ko", "반전이 있는 범죄 스릴러"),
    ("ko", "감동적인 스포츠 영화 추천"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_app(port: int, max_tokens: int, log_path: Path, home: str | None) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_SERVER_NAME": HOST, "GRADIO_SERVER_PORT": str(port),
           "RECCHAT_MAX_TOKENS": str(max_tokens), "RECCHAT_BUILD_BUNDLED": "false",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    for k in ("SPACE_ID", "RECCHAT_ADMIN_TOKEN"):
        env.pop(k, None)
    if home:
        env["RECCHAT_HOME"] = home
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}/"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the app exited: " + log_path.read_text()[-2000:])
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc
        except Exception:
            time.sleep(1)
    proc.kill()
    raise SystemExit("the app did not start within 600 s: " + log_path.read_text()[-2000:])


def one_request(client, catalog: str, lang: str, query: str) -> dict:
    from gradio_client.utils import Status

    t0 = time.perf_counter()
    job = client.submit(query, "", catalog, "base", api_name="/recommend")
    started = None
    while not job.done():
        if started is None and job.status().code in (Status.PROCESSING, Status.ITERATING, Status.PROGRESS):
            started = time.perf_counter()
        time.sleep(0.05)
    rec = {"lang": lang, "query": query}
    try:
        out = job.result()
    except Exception as e:  # a refused or broken request is a failure, with its reason
        return {**rec, "ok": False, "error": f"{type(e).__name__}: {e}"[:300],
                "latency_s": time.perf_counter() - t0}
    done = time.perf_counter()
    ok = isinstance(out, dict) and "error" not in out and len(out.get("items", [])) > 0
    timings = (out.get("timings") or {}) if isinstance(out, dict) else {}
    return {**rec, "ok": ok, "error": None if ok else str(out)[:300], "latency_s": done - t0,
            "queue_wait_s": (started - t0) if started else None,
            "service_s": timings.get("total_s"), "gen_tokens": timings.get("gen_tokens")}


def user_loop(uid: int, url: str, catalog: str, stop_at: float, think: tuple[float, float], seed: int,
              results: list, lock: threading.Lock) -> None:
    from gradio_client import Client

    rng = random.Random(seed * 1000 + uid)
    client = Client(url, verbose=False)
    time.sleep(rng.uniform(0, think[1]))  # users arrive spread out, not in one burst
    while time.time() < stop_at:
        lang, q = rng.choice(QUERIES)
        r = one_request(client, catalog, lang, q)
        r["user"] = uid
        with lock:
            results.append(r)
        time.sleep(rng.uniform(*think))


def pct(xs: list[float], p: float) -> float | None:
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summarise(results: list[dict], wall_s: float) -> dict:
    ok = [r for r in results if r["ok"]]

    def stats(key, rows):
        xs = [r.get(key) for r in rows]
        return {"p50": pct(xs, 50), "p95": pct(xs, 95), "max": pct(xs, 100)}

    by_lang = {lang: {"requests": len([r for r in results if r["lang"] == lang]),
                      "latency_s": stats("latency_s", [r for r in ok if r["lang"] == lang])}
               for lang in ("en", "ko")}
    return {"requests": len(results), "failed": len(results) - len(ok),
            "throughput_rps": len(ok) / wall_s if wall_s else None,
            "latency_s": stats("latency_s", ok), "queue_wait_s": stats("queue_wait_s", ok),
            "service_s": stats("service_s", ok), "by_language": by_lang,
            "errors": sorted({r["error"] for r in results if not r["ok"]})[:10]}


def table(cfg: dict, s: dict) -> str:
    f = lambda x: "–" if x is None else f"{x:.2f}"  # noqa: E731
    rows = [
        "| users | duration | requests | failed | throughput | latency p50 / p95 / max | queue wait p50 / p95 | service p50 / p95 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        f"| {cfg['users']} | {cfg['seconds']} s (+{cfg['drain_s']:.0f} s drain) | {s['requests']} | {s['failed']} | "
        f"{f(s['throughput_rps'])} req/s | {f(s['latency_s']['p50'])} / {f(s['latency_s']['p95'])} / "
        f"{f(s['latency_s']['max'])} s | {f(s['queue_wait_s']['p50'])} / {f(s['queue_wait_s']['p95'])} s | "
        f"{f(s['service_s']['p50'])} / {f(s['service_s']['p95'])} s |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=300, help="how long users keep starting requests")
    ap.add_argument("--think-min", type=float, default=0.5)
    ap.add_argument("--think-max", type=float, default=2.0)
    ap.add_argument("--max-tokens", type=int, default=32, help="RECCHAT_MAX_TOKENS for the app (rationale length)")
    ap.add_argument("--catalog", default="movies")
    ap.add_argument("--home", default=None, help="RECCHAT_HOME for the app (default: the usual one)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "load.json")
    a = ap.parse_args(argv)
    if a.users < 1 or a.seconds <= 0 or not 0 <= a.think_min <= a.think_max:
        ap.error("--users >= 1, --seconds > 0 and 0 <= --think-min <= --think-max")

    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"recchat-load-{port}.log"
    proc = start_app(port, a.max_tokens, log_path, a.home)
    url = f"http://{HOST}:{port}/"
    results: list[dict] = []
    lock = threading.Lock()
    try:
        from gradio_client import Client

        # one request first, not counted: it loads the model and the embedder, which users of a
        # running server never wait for
        warm = one_request(Client(url, verbose=False), a.catalog, *QUERIES[0])
        if not warm["ok"]:
            raise SystemExit(f"the warm-up request failed: {warm['error']}")
        t0 = time.time()
        stop_at = t0 + a.seconds
        with ThreadPoolExecutor(a.users) as ex:
            futs = [ex.submit(user_loop, u, url, a.catalog, stop_at, (a.think_min, a.think_max), a.seed, results, lock)
                    for u in range(a.users)]
            for fu in futs:
                fu.result()
        wall = time.time() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    cfg = {"users": a.users, "seconds": a.seconds, "drain_s": max(0.0, wall - a.seconds), "think_s": [a.think_min, a.think_max],
           "max_tokens": a.max_tokens, "catalog": a.catalog, "checkpoint": "base",
           "pool_size": int(os.environ.get("RECCHAT_LLM_POOL_SIZE", "1")), "cpus": os.cpu_count(),
           "python": platform.python_version(), "command": "python benchmarks/load.py " + " ".join(argv or sys.argv[1:])}
    summary = summarise(results, wall)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"config": cfg, "summary": summary, "requests": results}, ensure_ascii=False,
                                indent=1) + "\n", encoding="utf-8")
    print(table(cfg, summary))
    print(f"(RECCHAT_MAX_TOKENS={a.max_tokens}, checkpoint base, catalog {a.catalog}, "
          f"LLM pool {cfg['pool_size']}, {cfg['cpus']} CPUs; JSON: {a.out})")
    if summary["failed"]:
        print("failures:", *summary["errors"], sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
