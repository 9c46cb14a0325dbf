"""Which CF models a catalog has, and loading them (cached per file version); the CF meta file.

Kept apart from base.py so that the models import the base class and this module imports the
models, with no circle between them.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from recchat.cf.base import MODELS, CFModel, NoCFModel, cf_dir
from recchat.cf.ease import EASE
from recchat.cf.itemknn import ItemKNN, Popularity


def available_cf(catalog: str) -> list[str]:
    """Names of the trained models for a catalog, in MODELS order."""
    d = cf_dir(catalog)
    return [m for m in MODELS if model_file(d, m).exists()]


def model_file(d: Path, model: str) -> Path:
    return d / (f"{model}.pt" if model == "sasrec" else f"{model}.npz")


_cache: dict[tuple[str, str, float], CFModel] = {}
_lock = threading.Lock()


def load_cf(catalog: str, model: str) -> CFModel:
    """A trained model, cached per file version (a retrain is picked up on the next call)."""
    if model not in MODELS:
        raise NoCFModel(f"unknown CF model {model!r}; choose one of {', '.join(MODELS)}")
    p = model_file(cf_dir(catalog), model)
    if not p.exists():
        have = available_cf(catalog)
        hint = f" (trained: {', '.join(have)})" if have else ""
        raise NoCFModel(
            f"catalog {catalog!r} has no trained {model} model{hint}; run `recchat cf train --catalog {catalog}`"
        )
    key = (str(p), model, p.stat().st_mtime)
    with _lock:
        if key not in _cache:
            _cache[key] = load_file(model, p)
        return _cache[key]


def load_file(model: str, p: Path) -> CFModel:
    """The model saved at `p`, uncached."""
    if model == "sasrec":
        from recchat.cf.sasrec import SASRec  # torch: imported only when a SASRec model is used

        return SASRec.load(p)
    return {"itemknn": ItemKNN, "ease": EASE}.get(model, Popularity).load(p)


def read_meta(catalog: str) -> dict:
    p = cf_dir(catalog) / "meta.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def write_meta(catalog: str, meta: dict) -> None:
    p = cf_dir(catalog) / "meta.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(p)
