"""The data build's configuration: one dataclass, read from YAML and overridable on the command line.

Every field that changes a row is part of `rows_key()`, so the finished-rows cache of one config is
never reused by another; paths and thread counts are not (moving the output doesn't regenerate).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from recchat.core.domains import CATALOG_DOMAIN as DEFAULT_DOMAIN_OF
from recchat.core.errors import BadInput

# The method's table (NC VARCO generative recommender), in percent. Music has no data here and games
# are held out, so `target_mix()` renormalises over the domains that have catalogs.
METHOD_MIX = {
    "news": 17.97,
    "music": 11.85,
    "poi": 11.95,
    "anime": 9.93,
    "books": 5.78,
    "movies": 4.64,
    "games": 0.72,
    "e-commerce": 37.17,
}

# Bump when the code that builds a row changes, so old finished rows are not reused.
ROWS_VERSION = 3

TASKS = ("recommend_direct", "recommend_listwise", "search_direct", "search_listwise",
         # the reader's role (recchat.prompts.understanding_line): titles and genres in the catalog's language
         "recommend_understand", "search_understand",
         # the sentence on why the shown items fit (recchat.prompts.why_prompt, tuned form: training/data/why.py)
         "recommend_why", "search_why")



def parse_weights(value, what: str) -> dict[str, float]:
    """A mapping from YAML, JSON text, or "a=1,b=2" from the command line."""
    if isinstance(value, dict):
        out = value
    else:
        text = str(value).strip()
        if text.startswith("{"):
            out = json.loads(text)
        else:
            out = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                if "=" not in part:
                    raise BadInput(f"{what}: expected name=weight pairs, got {part!r}")
                k, v = part.split("=", 1)
                out[k.strip()] = v
    try:
        return {str(k): float(v) for k, v in out.items()}
    except (TypeError, ValueError) as e:
        raise BadInput(f"{what}: weights must be numbers ({e})") from e


@dataclass
class DataConfig:
    output_dir: str = field(default="runs/data/recchat-instruct", metadata={"help": "where the DatasetDict is saved"})
    cache_dir: str | None = field(default=None, metadata={"help": "finished rows + LLM outputs (default: <output_dir>-cache)"})
    card_dir: str | None = field(default=None, metadata={"help": "stats.json and plots (default: output_dir)"})
    seed: int = 42
    total_rows: int = field(default=24000, metadata={"help": "rows planned before the quality filters"})
    catalogs: list[str] = field(default_factory=lambda: list(DEFAULT_DOMAIN_OF))
    held_out: list[str] = field(default_factory=lambda: ["games", "steam", "office"],
                                metadata={"help": "catalogs whose titles may appear in no row"})
    domain_of: str = field(default_factory=lambda: dict(DEFAULT_DOMAIN_OF),
                           metadata={"help": "catalog -> mix domain (YAML mapping or a=b,c=d)"})
    mix: str = field(default_factory=lambda: dict(METHOD_MIX), metadata={"help": "domain -> weight"})
    task_mix: str = field(default_factory=lambda: {t: 1.0 for t in TASKS if not t.endswith(("_understand", "_why"))},
                          metadata={"help": "task -> weight (the reader's *_understand tasks: data_understand.yaml)"})
    ko_share: float = field(default=0.3, metadata={"help": "share of Korean rows for English catalogs"})
    max_items_per_catalog: int = field(default=0, metadata={"help": "0 = all; small for smoke builds"})
    history_min: int = 3
    history_max: int = 12
    candidates_min: int = 5
    candidates_max: int = 10
    validation_share: float = 0.05
    cf_share: float = field(default=0.25, metadata={"help": "share of recommendation rows whose prompt carries the CF line "
                                                             "(item-kNN neighbours from the other half of the users)"})
    cf_k: int = field(default=5, metadata={"help": "CF neighbours in that line, as in the app"})
    # writers
    writer: str = field(default="llama", metadata={"help": "llama | openai | template"})
    writer_model: str = field(default="base", metadata={"help": "checkpoint name, a GGUF path, or the endpoint's model"})
    writer_base_url: str | None = field(default=None, metadata={"help": "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1"})
    writer_api_key_env: str = "OPENAI_API_KEY"
    llm_rows: int = field(default=300, metadata={"help": "rows that try the LLM writer (chosen up front, seeded)"})
    llm_max_tokens: int = 64
    llm_timeout_s: float = 120.0
    n_threads: int | None = None
    # quality filter
    score_threshold: float = 15.0
    min_response_tokens: int = 12
    max_response_tokens: int = 400

    def __post_init__(self):
        self.mix = parse_weights(self.mix, "mix")
        self.task_mix = parse_weights(self.task_mix, "task_mix")
        dom = self.domain_of
        self.domain_of = dict(dom) if isinstance(dom, dict) else {
            k: str(v) for k, v in _pairs(str(dom)).items()
        }
        bad = set(self.task_mix) - set(TASKS)
        if bad:
            raise BadInput(f"task_mix: unknown task(s) {sorted(bad)}; known: {', '.join(TASKS)}")
        if self.writer not in ("llama", "openai", "template"):
            raise BadInput(f"writer must be llama, openai or template, not {self.writer!r}")
        if self.writer == "openai" and not self.writer_base_url:
            raise BadInput("--writer openai needs --writer_base_url (an OpenAI-compatible /v1 endpoint)")
        if not 0.0 <= self.ko_share <= 1.0 or not 0.0 <= self.validation_share < 1.0:
            raise BadInput("ko_share must be in [0, 1] and validation_share in [0, 1)")
        if not (1 <= self.history_min <= self.history_max and 2 <= self.candidates_min <= self.candidates_max):
            raise BadInput("need 1 <= history_min <= history_max and 2 <= candidates_min <= candidates_max")
        if not 0.0 <= self.cf_share <= 1.0 or self.cf_k < 1:
            raise BadInput("cf_share must be in [0, 1] and cf_k at least 1")
        if self.total_rows < 1:
            raise BadInput("total_rows must be positive")

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else Path(str(self.output_dir).rstrip("/") + "-cache")

    @property
    def card_path(self) -> Path:
        return Path(self.card_dir) if self.card_dir else Path(self.output_dir)

    def rows_key(self) -> str:
        """A hash of the fields that decide the rows (not where they are written)."""
        d = asdict(self)
        for k in ("output_dir", "cache_dir", "card_dir", "n_threads", "llm_timeout_s", "writer_api_key_env",
                  "validation_share", "score_threshold", "min_response_tokens", "max_response_tokens"):
            d.pop(k)
        if self.writer == "template":
            d["llm_rows"] = 0
        d["rows_version"] = ROWS_VERSION
        from recchat import prompts  # a changed prompt text must not reuse rows written with the old one

        d["prompts"] = prompts.texts_fingerprint()
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def _pairs(text: str) -> dict[str, str]:
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise BadInput(f"domain_of: expected catalog=domain pairs, got {part!r}")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out
