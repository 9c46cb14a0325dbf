"""Collaborative filtering: item-kNN and SASRec trained on a catalog's logs, fused with HyDE
retrieval or handed to the LLM as context. See README section "Collaborative knowledge"."""

from recchat.cf.base import MODELS, CFModel, NoCFModel, cf_dir
from recchat.cf.registry import available_cf, load_cf
from recchat.cf.context import best_model, cf_context, require_best_model
from recchat.cf.data import LogSplit, leave_last_out
from recchat.cf.fusion import ValCase, best_weight, choose_weight, fuse, weight_table

__all__ = [
    "MODELS", "CFModel", "NoCFModel", "available_cf", "cf_dir", "load_cf", "best_model", "cf_context", "require_best_model",
    "LogSplit", "leave_last_out", "ValCase", "best_weight", "choose_weight", "fuse", "weight_table",
    "train", "train_from_interactions", "heldout",
]


def train(catalog: str, models=None, **kw):
    from recchat.cf.train import train as _train

    return _train(catalog, models, **kw)


def train_from_interactions(df, catalog: str, models=None, **kw):
    from recchat.cf.train import train_from_interactions as _t

    return _t(df, catalog, models, **kw)


def heldout(catalog: str):
    """DataFrame (user, valid, test): the items the CF models never trained on; evaluate on these."""
    import pandas as pd

    p = cf_dir(catalog) / "split.parquet"
    if not p.exists():
        raise NoCFModel(f"catalog {catalog!r} has no CF split; run `recchat cf train --catalog {catalog}`")
    return pd.read_parquet(p)
