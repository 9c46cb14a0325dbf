"""The one leave-last-out rule, shared by the CF models, the evaluation and the item prior.

For every user with >= MIN_EVAL_LEN interactions, the last item (by `order`, ties kept in log row
order) is the TEST target and the one before it the VALIDATION target; everything that learns from
the log (CF models, the popularity/rating prior) sees only what comes before. Users with fewer
interactions cannot be evaluated, so their whole sequence is training data.
"""

from __future__ import annotations

import pandas as pd

MIN_EVAL_LEN = 3


def training_rows(df: pd.DataFrame, min_len: int = MIN_EVAL_LEN) -> pd.DataFrame:
    """The log's rows without each evaluable user's last two interactions (valid and test)."""
    d = df.dropna(subset=["user", "item", "order"])
    d = d.assign(user=d["user"].astype(str), item=d["item"].astype(str))
    d = d.sort_values(["user", "order"], kind="mergesort")
    pos_from_end = d.groupby("user", sort=False).cumcount(ascending=False)
    length = d.groupby("user", sort=False)["item"].transform("size")
    return d[(length < min_len) | (pos_from_end >= 2)]
