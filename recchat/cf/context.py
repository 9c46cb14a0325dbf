"""Collaborative knowledge as prompt text: "people who watched these also watched ...".

The LLM cannot see interaction logs; this hands it the CF model's nearest items for the history
as one short line, so the rationale can lean on collaborative signal (A-LLMRec's idea, in text form
that runs under llama.cpp). Empty string when there is nothing to say (no model, unknown history).
"""

from __future__ import annotations

from recchat.cf.base import MODELS, NoCFModel
from recchat.prompts import cf_line
from recchat.cf.registry import available_cf, load_cf, read_meta

def best_model(catalog: str) -> str | None:
    """The trained model with the best validation NDCG@10 (sasrec, then ease, then itemknn, when unmeasured)."""
    have = [m for m in available_cf(catalog) if m != "popularity"]
    if not have:
        return None
    reports = read_meta(catalog).get("models", {})

    def key(m: str) -> tuple[float, int]:
        v = (reports.get(m) or {}).get("valid") or {}
        return (v.get("ndcg@10", -1.0), MODELS.index(m))

    return max(have, key=key)


def require_best_model(catalog: str) -> str:
    """best_model, or NoCFModel saying how to train one."""
    name = best_model(catalog)
    if name is None:
        raise NoCFModel(f"catalog {catalog!r} has no CF model; run `recchat cf train --catalog {catalog}`")
    return name


def cf_neighbours(catalog: str, history_ids: list[str], k: int = 5, model: str | None = None) -> list[str]:
    model = model or best_model(catalog)
    if model is None:
        return []
    return load_cf(catalog, model).neighbours(history_ids, k)


def cf_context(catalog: str, history_ids: list[str], k: int = 5, language: str = "en",
               model: str | None = None, domain: str | None = None) -> str:
    ids = cf_neighbours(catalog, history_ids, k, model)
    if not ids:
        return ""
    from recchat.retrieval.store import get_store

    store = get_store()
    rows = store.get(catalog, ids)
    titles = [r["title"] for r in rows if r.get("title")]
    if titles and language != "ko" and domain is None:
        try:
            domain = store.info(catalog).domain
        except Exception:
            domain = None
    return cf_line(titles, language, domain)


def drivers(model, history_ids: list[str], item_ids: list[str]) -> dict[str, str]:
    """item id -> the history item that scores it highest on its own ("people who liked X also liked
    this"). Items the model cannot score from any single history item (no signal, or item-kNN's 0:
    never co-consumed) get no driver rather than a made-up one."""
    floor = 0.0 if model.name in ("itemknn", "ease") else float("-inf")  # 0: no weight from any history item
    best: dict[str, tuple[float, str]] = {}
    for h in dict.fromkeys(h for h in history_ids if h in model.index):
        for i, s in model.score([h], item_ids).items():
            if s > floor and (i not in best or s > best[i][0]):
                best[i] = (s, h)
    return {i: h for i, (s, h) in best.items()}
