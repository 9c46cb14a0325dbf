"""Catalog operations: list, build from a manifest, ensure the default exists, interaction logs."""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from recchat.retrieval.embedder import get_embedder
from recchat.core.errors import UnknownCatalog
from recchat.core.settings import get_settings
from recchat.catalog import model_genres, neighbour_genres, prior
from recchat.core.progress import ProgressFn
from recchat.retrieval.registry import CatalogInfo
from recchat.retrieval.store import get_store


def manifests():
    from catalogs.manifest import load_manifests

    return load_manifests()


def interactions_path(name: str) -> Path:
    return get_settings().home / "catalogs" / name / "interactions.parquet"


def load_interactions(name: str) -> pd.DataFrame:
    p = interactions_path(name)
    if not p.exists():
        raise UnknownCatalog(f"catalog {name!r} has no interaction log; build it with the data dir set")
    return pd.read_parquet(p)


def load_items(name: str, data_dir: Path | None = None):
    """Run a manifest's loader: a catalogs.loaders.LoadResult."""
    ms = manifests()
    if name not in ms:
        raise UnknownCatalog(f"no manifest for catalog {name!r}; known: {', '.join(sorted(ms))}")
    m = ms[name]
    mod_name, fn_name = m.loader.split(":")
    fn = getattr(importlib.import_module(f"catalogs.loaders.{mod_name}"), fn_name)
    res = fn(m, data_dir if data_dir is not None else get_settings().data_dir)
    n = model_genres.join(res.items, model_genres.read(name))
    if n:
        res.notes.append(f"model-written genres joined for {n:,} items ({model_genres.genres_path(name).name})")
    n = neighbour_genres.join_into(res.items, neighbour_genres.read(name))
    if n:
        res.notes.append(f"genres of co-consumed items joined for {n:,} items ({neighbour_genres.path(name).name})")
    return m, res


def seed_path(name: str, embedder_name: str) -> Path:
    from catalogs.manifest import BUNDLED

    return BUNDLED / name / f"vectors.{embedder_name}.npz"


def read_seed(path: Path) -> tuple[list[str], "np.ndarray"]:
    """(text keys, float32 vectors) of a seed file: fp16 vectors, or int8 with one scale per row."""
    import numpy as np

    z = np.load(path)
    v = z["vectors"].astype(np.float32)
    if "scale" in z.files:
        v *= z["scale"].astype(np.float32)[:, None]
    return z["keys"].tolist(), v


def load_seed(name: str, embedder_name: str) -> dict | None:
    """Vectors shipped with a bundled catalog, so the first start embeds nothing (by text hash)."""
    p = seed_path(name, embedder_name)
    if not p.exists():
        return None
    keys, vecs = read_seed(p)
    return dict(zip(keys, vecs))


def save_seed(name: str, int8: bool = False) -> Path:
    """Write the seed file for a built bundled catalog (maintainers run this after a loader change).

    fp16 by default; int8 with a per-row scale halves the file (45k Korean headlines: 18 MB) and keeps
    cosine similarities within ~1e-4 of the float32 vectors, far below the gaps that order results."""
    import numpy as np

    store = get_store()
    emb = get_embedder()
    tbl = store.table(name).to_arrow().select(["id", "text", "vector"])
    from recchat.retrieval.build import arrow_vectors, text_key

    # keyed by what the embedder read (Item.embed_text where the loader set one), as the build looks them up
    try:
        embedded = {it.id: it.embed_text for it in load_items(name)[1].items if it.embed_text}
    except UnknownCatalog:  # a catalog built without a manifest: the embedder read its text
        embedded = {}
    keys = np.array([text_key(embedded.get(i) or t) for i, t in zip(tbl.column("id").to_pylist(),
                                                                      tbl.column("text").to_pylist())])
    vecs = arrow_vectors(tbl)
    p = seed_path(name, emb.name)
    if int8:
        scale = np.maximum(np.abs(vecs).max(axis=1), 1e-12) / 127.0
        q = np.clip(np.rint(vecs / scale[:, None]), -127, 127).astype(np.int8)
        np.savez_compressed(p, keys=keys, vectors=q, scale=scale.astype(np.float32))
    else:
        np.savez_compressed(p, keys=keys, vectors=vecs.astype(np.float16))
    return p


def build(name: str, progress: ProgressFn | None = None, data_dir: Path | None = None) -> CatalogInfo:
    m, res = load_items(name, data_dir)
    has_inter = res.interactions is not None and len(res.interactions) > 0
    info = get_store().build(
        name,
        res.items,
        get_embedder(),
        language=m.language,
        domain=m.domain,
        source=m.source,
        licence=m.licence,
        has_interactions=has_inter,
        stats=res.stats(),
        progress=progress,
        seed=load_seed(name, get_embedder().name) if m.bundled else None,
    )
    if has_inter:  # only after the items switched: a failed build leaves log and items matching
        p = interactions_path(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp.parquet")
        res.interactions.to_parquet(tmp, index=False)
        tmp.replace(p)  # atomic: a reader never sees half a log
    _save_prior(name, m, res, has_inter)
    return info


def _save_prior(name: str, m, res, has_inter: bool) -> None:
    """The well-known/well-liked prior: from the log when there is one, else the manifest's metadata fields."""
    ids = [it.id for it in res.items]
    if has_inter:
        raw = prior.from_log(res.interactions)
    elif m.prior:
        raw = prior.from_metadata(res.items, m.prior.get("count"), m.prior.get("rating"))
    else:
        prior.prior_path(name).unlink(missing_ok=True)  # a rebuild without one must not keep a stale one
        return
    prior.save(name, prior.scores(ids, raw))


def list_catalogs() -> list[dict[str, Any]]:
    """Every known catalog (manifests and uploads), built or not."""
    store = get_store()
    built = {i.name: i for i in store.list()}
    out = []
    for name, m in manifests().items():
        i = built.pop(name, None)
        out.append(
            {"name": name, "domain": m.domain, "language": m.language, "items": i.items if i else 0,
             "built": i is not None, "source": m.source, "licence": m.licence,
             "has_interactions": bool(i and i.has_interactions) or m.interactions is not None}
        )
    for name, i in built.items():  # uploads
        out.append(
            {"name": name, "domain": i.domain, "language": i.language, "items": i.items, "built": True,
             "source": i.source or "upload", "licence": i.licence, "has_interactions": i.has_interactions}
        )
    return sorted(out, key=lambda r: r["name"])


def build_bundled_in_background() -> threading.Thread | None:
    """Build the bundled catalogs that aren't built yet, one after another, off the request path.

    Both ship their vectors, so this takes seconds (a loader change without a refreshed seed would
    embed instead: minutes); the app serves `movies` meanwhile and each catalog appears in the
    dropdown once it is built.
    """
    todo = [n for n, m in manifests().items() if m.bundled and not get_store().exists(n)]
    if not todo:
        return None

    def work():
        log = logging.getLogger("recchat")
        for name in todo:
            try:
                info = build(name)
                log.warning("built bundled catalog %s (%d items)", name, info.items)
            except Exception as e:  # a failed background build must not take the app down
                log.warning("could not build bundled catalog %s: %s", name, e)

    t = threading.Thread(target=work, name="recchat-bundled-catalogs", daemon=True)
    t.start()
    return t


def ensure_default(progress: ProgressFn | None = None) -> None:
    """Build the bundled default catalog on first start (no data dir needed)."""
    name = get_settings().default_catalog
    if not get_store().exists(name):
        build(name, progress=progress)
