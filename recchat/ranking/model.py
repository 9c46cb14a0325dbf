"""The learned scorer: a LightGBM lambdarank model per task (search, history), trained on the
training domains only (training/rank/train.py) and shipped as text in recchat/ranking/models/.

Without a model file (or with RECCHAT_RANKER=rrf) the ranking falls back to reciprocal-rank fusion
of the candidate lists, which is what recchat did before the learned ranker (kept for ablations).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parent / "models"
_cache: dict[str, object] = {}
_lock = threading.Lock()


def model_path(task: str) -> Path:
    return MODELS_DIR / f"{task}.lgb.txt"


def card(task: str) -> dict:
    p = MODELS_DIR / f"{task}.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


def load(task: str):
    """The booster for 'search' or 'history', or None when none is shipped."""
    with _lock:
        if task not in _cache:
            p = model_path(task)
            if p.exists():
                import lightgbm as lgb

                _cache[task] = lgb.Booster(model_file=str(p))
            else:
                _cache[task] = None
        return _cache[task]


def reset() -> None:
    with _lock:
        _cache.clear()


def features(task: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """The features the shipped model for `task` was trained on, in order (`default` without one)."""
    booster = load(task)
    return tuple(booster.feature_name()) if booster is not None else default


def score(task: str, x: np.ndarray, names: tuple[str, ...]) -> np.ndarray | None:
    """Scores (higher is better), or None when there is no model for this task."""
    booster = load(task)
    if booster is None or not len(x):
        return None
    want = booster.feature_name()
    if list(want) != list(names):
        raise ValueError(f"ranker {task} was trained on features {want}, not {list(names)}: retrain it")
    return np.asarray(booster.predict(x, num_threads=1), np.float64)
