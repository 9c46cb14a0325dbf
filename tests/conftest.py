"""Shared fixtures: a temporary RECCHAT_HOME per session with the bundled `movies` catalog built.

The bundled catalog ships its e5 vectors (catalogs/data/movies/vectors.e5.npz), so building it
here embeds nothing and takes seconds; the real loader, LanceDB and FTS index still run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _set_home(path: Path) -> None:
    from recchat.core.settings import reset_settings

    os.environ["RECCHAT_HOME"] = str(path)
    reset_settings()
    import recchat.retrieval.store as store

    store._stores.clear()


@pytest.fixture(scope="session")
def session_home(tmp_path_factory) -> Path:
    """A RECCHAT_HOME shared by the session, with `movies` built (and the base GGUF assembled)."""
    home = tmp_path_factory.mktemp("recchat_home")
    # reuse the assembled base model across test sessions: it is 253 MB of copying otherwise
    cached = Path.home() / ".cache" / "recchat" / "test-models" / "gemma-3-270m-q4_k_m.gguf"
    if cached.exists():
        (home / "models").mkdir(parents=True, exist_ok=True)
        os.link(cached, home / "models" / cached.name) if _same_fs(cached, home) else shutil.copy(cached, home / "models")
    _set_home(home)
    from recchat.catalog import build as catalog
    from recchat.llm.checkpoints import base_gguf_path

    catalog.ensure_default()
    p = base_gguf_path()
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, cached)
    return home


def _same_fs(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_dev == b.stat().st_dev
    except OSError:
        return False


@pytest.fixture()
def home(session_home) -> Path:
    """The session home, re-selected (a test that switched homes gets it back)."""
    _set_home(session_home)
    return session_home


@pytest.fixture()
def empty_home(tmp_path) -> Path:
    """A fresh, empty RECCHAT_HOME for tests that build or break things."""
    _set_home(tmp_path)
    yield tmp_path


def build_tiny_catalog(name: str, rows: list[tuple[str, str, str, int]], domain: str) -> str:
    """A small catalog built with the real embedder and LanceDB, and a prior from the given counts:
    rows are (id, title, description, times consumed)."""
    import numpy as np
    import pandas as pd

    from recchat.catalog import prior
    from recchat.core.schema import Item
    from recchat.retrieval.embedder import get_embedder
    from recchat.retrieval.store import get_store

    items = [Item(id=i, title=t, text=f"{t} | {d}", domain=domain) for i, t, d, _ in rows]
    get_store().build(name, items, get_embedder(), language="en", domain=domain)
    raw = pd.DataFrame({"id": [r[0] for r in rows], "count": [float(r[3]) for r in rows], "rating": np.nan})
    prior.save(name, prior.scores([r[0] for r in rows], raw))
    return name
