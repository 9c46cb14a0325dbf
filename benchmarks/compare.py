"""The README's Compare section: three fixed requests per language (one history, two searches) on
`movies`, answered by base, sft and dpo through the app's own path (recchat.chat.pipeline, greedy),
side by side; with --screenshot, a real browser (Debian's chromium) on the app's Compare tab
answering the first Korean request.

    python benchmarks/compare.py
    python benchmarks/compare.py --screenshot benchmarks/results/compare_browser.png

Writes benchmarks/results/compare.json and prints a markdown table (what the README shows).
Nothing here tunes anything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHECKPOINTS = ("base", "sft", "dpo")
# (language, kind, request): a search is typed; a history is pasted, one title per line
REQUESTS = [
    ("en", "search", "a mind-bending sci-fi thriller about dreams"),
    ("en", "search", "a feel-good sports movie about an underdog team"),
    ("en", "history", "Toy Story (1995)\nFinding Nemo (2003)\nMonsters, Inc. (2001)"),
    ("ko", "search", "범죄 스릴러 영화 추천해줘"),
    ("ko", "search", "우주를 배경으로 한 무서운 영화"),
    ("ko", "history", "다음 영화들을 재밌게 봤어요:\nAlien (1979)\nAliens (1986)\nPredator (1987)"),
]


def answer_one(ckpt: str, kind: str, text: str) -> dict:
    from recchat.chat.pipeline import AskRequest, answer
    from recchat.prompts import parse_history

    if kind == "history":
        lines = text.split("\n")
        lead = lines[0] if lines[0].endswith(":") else ""  # the person's own words, in their language
        req = AskRequest(query=lead, history=parse_history("\n".join(lines[1:] if lead else lines)),
                         catalog="movies", checkpoint=ckpt, task="recommend", top_k=5, seed=0)
    else:
        req = AskRequest(query=text, catalog="movies", checkpoint=ckpt, task="search", top_k=5, seed=0)
    t0 = time.perf_counter()
    a = answer(req)
    return {"checkpoint": ckpt, "rationale": a.rationale, "why": a.why, "items": [i.title for i in a.items],
            "language": a.language, "seconds": round(time.perf_counter() - t0, 2)}


def table(rows: list[dict]) -> str:
    out = ["| request | checkpoint | the model's reading | why (first items) | top 3 |", "|---|---|---|---|---|"]
    for r in rows:
        req = r["request"].replace("\n", " · ")
        for a in r["answers"]:
            cell = lambda s: (s or "—").replace("|", "\\|").replace("\n", " ")  # noqa: E731
            out.append(f"| {cell(req)} | {a['checkpoint']} | {cell(a['rationale'])} | {cell(a['why'])} | "
                       f"{cell('; '.join(a['items'][:3]))} |")
            req = "″"
    return "\n".join(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def screenshot(path: Path, request: str, timeout_s: int = 300) -> None:
    """Start the app, open its Compare tab in chromium, ask `request`, wait for the three answers."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is not installed (scripts/install.sh dev installs it)")
    port = _free_port()
    env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port), RECCHAT_BUILD_BUNDLED="0")
    env.pop("RECCHAT_ADMIN_TOKEN", None)  # loopback without a token: the owner tools are there
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#query-box textarea").wait_for(timeout=60_000)
            page.get_by_role("tab", name="Compare").click()
            page.get_by_label("Request").fill(request)
            page.get_by_role("button", name="Compare", exact=True).click()
            # done when every column shows its items (cards come with each checkpoint's final answer)
            try:
                page.wait_for_function(  # three texts with their sentence on why, and the cards under them
                    "Array.from(document.querySelectorAll('.rc-compare-text')).filter(e => e.innerText.includes('—'))"
                    ".length >= 3 && document.querySelectorAll('.rc-card').length >= 15", timeout=timeout_s * 1000)
            finally:
                page.wait_for_timeout(500)
                page.screenshot(path=str(path), full_page=True)  # what the page shows, answered or not
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoints", default=",".join(CHECKPOINTS))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "compare.json"))
    ap.add_argument("--screenshot", default="", help="also save a browser screenshot of the Compare tab here")
    a = ap.parse_args()
    ckpts = [c for c in a.checkpoints.split(",") if c]
    rows = []
    for lang, kind, text in REQUESTS:
        answers = [answer_one(c, kind, text) for c in ckpts]
        rows.append({"language": lang, "kind": kind, "request": text, "answers": answers})
        print(f"[compare] {lang} {kind}: {text.splitlines()[0][:50]} ({sum(x['seconds'] for x in answers):.1f} s)",
              file=sys.stderr, flush=True)
    Path(a.out).write_text(json.dumps({"command": "python benchmarks/compare.py " + " ".join(sys.argv[1:]),
                                       "catalog": "movies", "rows": rows}, ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
    print(table(rows))
    print(f"wrote {a.out}")
    if a.screenshot:
        first_ko = next(t for lang, k, t in REQUESTS if lang == "ko" and k == "search")
        screenshot(Path(a.screenshot), first_ko)
        print(f"wrote {a.screenshot}")


if __name__ == "__main__":
    main()
