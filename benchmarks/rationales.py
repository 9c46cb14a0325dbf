"""Rationale benchmark: what each checkpoint says beside the items it shows, on held-out domains.

    python benchmarks/rationales.py                                   # base, sft, dpo on games, steam, office
    python benchmarks/rationales.py --checkpoints base --catalogs games --histories 4

What is measured is the sentence the app adds after the final items (Answer.why, recchat.prompts.why_prompt;
the model's reading of the request where there is none). Requests go through the app's real path (recchat.chat.pipeline.answer, llama.cpp, the one ranking):
searches in English and Korean (games: the hand-written requests of benchmarks/search_requests.yaml;
steam and office: REQUESTS below) and histories (the last five items of users drawn from the
catalog's log, seed 0). Per checkpoint:

  names_shown  the rationale names >= 1 of the items shown beside it (its title, normalised, without
               edition or series suffix)
  grounded     it names one AND states >= 1 attribute that item's catalog text really has (genres, tags,
               categories, author; Korean through the glossary); over answers whose shown items have any
               attribute (games items are titles only, so games counts only names_shown)
  language     the rationale, with the shown items' names taken out (a title is in the catalog's language
               whatever the sentence's), is in the request's language
  repetition   share of word 3-grams that repeat an earlier one (0 = none)
  copies       the base model's few-shot answers repeated (recchat.prompts.copies_example)
  words, tok/s length and decode speed

Writes benchmarks/results/rationales.json and prints a table. Held-out domains only: nothing here
tunes anything.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REQUESTS = {
    "steam": [("en", "a co-op survival game with crafting"), ("ko", "친구랑 같이 하는 제작 요소 있는 생존 게임"),
              ("en", "a relaxing farming simulator"), ("ko", "느긋하게 할 수 있는 농장 시뮬레이션 게임"),
              ("en", "a competitive online shooter"), ("ko", "경쟁하는 온라인 슈팅 게임 추천해줘")],
    "office": [("en", "a stapler that doesn't jam"), ("ko", "걸리지 않는 튼튼한 스테이플러"),
               ("en", "gel pens that write smoothly"), ("ko", "부드럽게 써지는 젤 펜"),
               ("en", "a label maker for organizing files"), ("ko", "서류 정리용 라벨 프린터")],
}
WORD = re.compile(r"\w+", re.UNICODE)


def named_items(rationale: str, items: list[dict]) -> list[dict]:
    """The shown items whose title (without edition or series: recchat.ranking.anchors.core_title, or
    the shorter name the app's sentence uses: short_name) the rationale names."""
    from recchat.core.textnorm import normalize_title

    text = f" {normalize_title(rationale)} "
    keys = [(it, {normalize_title(n) for n in _names(it["title"])[1:]}) for it in items]
    return [it for it, ks in keys if any(len(k) >= 3 and f" {k} " in text for k in ks)]


def _names(title: str) -> tuple[str, str, str]:
    """What a sentence may call an item: its whole title, its core title, the app's short name."""
    from recchat.ranking.anchors import core_title, short_name

    return title, core_title(title), short_name(title)


def without_names(text: str, items: list[dict]) -> str:
    """`text` with the items' titles (whole, core and short) taken out."""
    for it in items:
        for name in sorted(set(_names(it["title"])), key=len, reverse=True):
            text = text.replace(name, " ")
    return text


def attributes(item_text: str) -> list[str]:
    """Values of an item's catalog fields after its title: "Toy Story | genres: Animation, Comedy" ->
    ["animation", "comedy"]."""
    out = []
    for field in str(item_text).split(" | ")[1:]:
        _, _, vals = field.partition(":")
        out += [v.strip().lower() for v in vals.split(",") if 2 < len(v.strip()) <= 40]
    return out


def states_attribute(rationale: str, attrs: list[str], language: str) -> bool:
    from recchat.core.domains import GLOSSARY

    low = rationale.lower()
    for a in attrs:
        if re.search(rf"\b{re.escape(a)}\b", low):
            return True
        ko = GLOSSARY.get(a)
        if language == "ko" and ko and ko in rationale:
            return True
    return False


def repetition(text: str) -> float:
    w = [x.lower() for x in WORD.findall(text)]
    grams = [tuple(w[i:i + 3]) for i in range(len(w) - 2)]
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def requests_for(catalog: str, histories: int, seed: int) -> list[dict]:
    out = []
    if catalog == "games":
        data = yaml.safe_load((ROOT / "benchmarks" / "search_requests.yaml").read_text(encoding="utf-8"))
        out += [{"kind": "search", "language": r["language"], "query": r["request"]}
                for r in data["requests"] if r["catalog"] == "games"]
    out += [{"kind": "search", "language": lang, "query": q} for lang, q in REQUESTS.get(catalog, [])]
    from training.rank.cases import catalog_data

    _, log = catalog_data(catalog)
    if log is not None and histories:
        d = log.dropna(subset=["user", "item", "order"]).sort_values(["user", "order"], kind="mergesort")
        seqs = {u: [str(i) for i in g] for u, g in d.groupby("user", sort=True)["item"]}
        users = sorted(u for u, s in seqs.items() if len(s) >= 6)
        for u in random.Random(seed).sample(users, min(histories, len(users))):
            out.append({"kind": "history", "language": "en", "history_ids": seqs[u][-6:-1]})
    return out


def run_one(catalog: str, ckpt: str, req: dict) -> dict:
    from recchat import prompts
    from recchat.chat.pipeline import AskRequest, answer
    from recchat.core.textnorm import detect_language
    from recchat.retrieval.store import get_store

    a = answer(AskRequest(query=req.get("query", ""), history_ids=req.get("history_ids"), catalog=catalog,
                          checkpoint=ckpt, task=req["kind"] if req["kind"] == "search" else "recommend",
                          top_k=5, seed=0, cache=True))
    shown = get_store().get(catalog, [it.id for it in a.items])
    said = a.why or a.rationale  # the sentence on why the shown items fit; the reading where there is none
    named = named_items(said, shown)
    checkable = any(attributes(r["text"]) for r in shown)
    grounded = any(states_attribute(said, attributes(r["text"]), req["language"]) for r in named)
    return {
        "catalog": catalog, "checkpoint": ckpt, "kind": req["kind"], "language": req["language"],
        "request": req.get("query") or " ; ".join(r["title"] for r in get_store().get(catalog, req["history_ids"])),
        "rationale": a.rationale, "why": a.why, "shown": [r["title"] for r in shown],
        "names_shown": bool(named), "checkable": checkable, "grounded": bool(named) and grounded,
        "language_ok": bool(said.strip()) and detect_language(without_names(said, shown)) == req["language"],
        "repetition": round(repetition(said), 3), "copies": prompts.copies_example(said),
        "words": len(WORD.findall(said)), "tok_s": a.timings.decode_tok_s,
    }


def summarize(rows: list[dict]) -> dict:
    def share(xs):
        return round(sum(xs) / len(xs), 3) if xs else None

    chk = [r for r in rows if r["checkable"]]
    speeds = [r["tok_s"] for r in rows if r["tok_s"]]
    return {
        "n": len(rows), "names_shown": share([r["names_shown"] for r in rows]),
        "grounded": share([r["grounded"] for r in chk]), "grounded_n": len(chk),
        "language": share([r["language_ok"] for r in rows]),
        "repetition": round(statistics.mean(r["repetition"] for r in rows), 3) if rows else None,
        "copies": sum(r["copies"] for r in rows), "words": round(statistics.mean(r["words"] for r in rows), 1) if rows else None,
        "tok_s": round(statistics.median(speeds), 1) if speeds else None,
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", default="base,sft,dpo")
    ap.add_argument("--catalogs", default="games,steam,office")
    ap.add_argument("--histories", type=int, default=6, help="history requests per catalog")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rationales.json"))
    a = ap.parse_args(argv)

    from recchat.retrieval.store import get_store

    t0 = time.perf_counter()
    cats = [c for c in a.catalogs.split(",") if c]
    missing = [c for c in cats if not get_store().exists(c)]
    if missing:
        print(f"[rationales] not built (recchat catalog build NAME): {', '.join(missing)}", file=sys.stderr)
        cats = [c for c in cats if c not in missing]
    if not cats:
        raise SystemExit("no catalog to run on")
    reqs = {c: requests_for(c, a.histories, a.seed) for c in cats}
    rows = []
    for ck in [c for c in a.checkpoints.split(",") if c]:
        for c in cats:
            for i, r in enumerate(reqs[c]):
                rows.append(run_one(c, ck, r))
                print(f"[rationales] {ck} {c}: {i + 1}/{len(reqs[c])}", file=sys.stderr, flush=True)
    table = {}
    for ck in dict.fromkeys(r["checkpoint"] for r in rows):
        mine = [r for r in rows if r["checkpoint"] == ck]
        table[ck] = summarize(mine)
        for lang in ("en", "ko"):
            table[f"{ck}|{lang}"] = summarize([r for r in mine if r["language"] == lang])
    out = {"command": "python benchmarks/rationales.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "catalogs": cats, "table": table, "rows": rows, "seconds": round(time.perf_counter() - t0, 1)}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    cols = ("n", "names_shown", "grounded", "language", "repetition", "copies", "words", "tok_s")
    print(f"{'checkpoint':14s}" + "".join(f"{c:>13s}" for c in cols))
    for k, v in table.items():
        print(f"{k:14s}" + "".join(f"{str(v[c]):>13s}" for c in cols))
    return out


if __name__ == "__main__":
    main()
