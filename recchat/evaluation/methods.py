"""The ranking methods under test. Each turns one Case into a ranked list of catalog ids.

Baselines work on the catalog's own data (vectors, full-text index, the interaction log); `hyde:*`
goes through the runtime's real path (recchat.chat.pipeline.run), so what is measured is what users get.
Other modules add method families to `REGISTRY` (prefix -> factory(ctx, arg); e.g. cf_methods.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from recchat.core.errors import BadInput, RecchatError
from recchat.retrieval.rank import rrf
from recchat.retrieval.search import fts_safe
from recchat.retrieval.store import CatalogStore
from recchat.core.textnorm import normalize_title
from recchat.evaluation.protocols import Case, user_rng

FULL_DEPTH = 100  # ranked list length for the full protocol (metrics need 20; fusion wants more)


@dataclass
class Context:
    catalog: str
    protocol: str  # "full" | "candidates20"
    store: CatalogStore
    ids: list[str]
    vectors: np.ndarray  # unit rows, aligned with ids
    titles: list[str]
    popularity: Counter
    seed: int
    max_tokens: int | None = None
    memo: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (method, user) -> (ranking, picks valid)
    # for methods that choose a setting on validation users (hybrid+cf): the log, and who is under test
    log: pd.DataFrame | None = None
    test_users: set[str] = field(default_factory=set)
    max_history: int = 10
    progress: bool = False

    def __post_init__(self) -> None:
        self.row = {i: n for n, i in enumerate(self.ids)}

    @property
    def depth(self) -> int:
        return FULL_DEPTH


@dataclass
class Method:
    name: str
    rank: Callable[[Case], list[str]]
    generates_names: bool = False
    # for methods that generate names: answers that named picks / whose picks were all real items
    answers_with_picks: int = 0
    valid_answers: int = 0
    info: dict = field(default_factory=dict)  # what a method chose (e.g. a fusion weight), saved with the result

    def valid_ratio(self) -> float:
        if not self.generates_names or not self.answers_with_picks:
            return 1.0
        return self.valid_answers / self.answers_with_picks


def popularity_counts(log: pd.DataFrame, cases: list[Case]) -> Counter:
    """Interaction counts over the log minus each test user's held-out row: no test target leaks in."""
    counts = Counter(log["item"].astype(str).tolist())
    for c in cases:
        counts[c.target] -= 1  # the held-out row (targets never repeat an earlier item)
    return counts


def top_ranked(scores: np.ndarray, ctx: Context, case: Case) -> list[str]:
    """Full protocol: best `depth` ids by score, the user's earlier items excluded, ties by catalog order."""
    s = scores.astype(np.float64, copy=True)
    excl = [ctx.row[i] for i in case.earlier if i in ctx.row]
    s[excl] = -np.inf
    k = min(ctx.depth, len(s) - len(excl))
    if k <= 0:
        return []
    top = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
    top = top[np.lexsort((top, -s[top]))]
    return [ctx.ids[i] for i in top]


def order_candidates(scores: dict[str, float], case: Case) -> list[str]:
    """candidates20: by score, ties (and unscored candidates) in the shuffled candidate order."""
    cands = case.candidates or []
    return sorted(cands, key=lambda c: (-scores.get(c, -np.inf), cands.index(c)))


def _complete(ranking: list[str], case: Case) -> list[str]:
    """candidates20: candidates a method did not return go last, in candidate order."""
    got = [i for i in dict.fromkeys(ranking) if i in set(case.candidates or [])]
    return got + [c for c in case.candidates or [] if c not in set(got)]


# ---------------------------------------------------------------------------- baselines


def make_random(ctx: Context, arg: str | None) -> Method:
    def rank(case: Case) -> list[str]:
        rng = user_rng(ctx.seed, case.user, salt=1)  # its own stream, not the candidates' one
        if case.candidates is not None:
            return [case.candidates[i] for i in rng.permutation(len(case.candidates))]
        return top_ranked(rng.random(len(ctx.ids)), ctx, case)

    return Method("random", rank)


def make_popularity(ctx: Context, arg: str | None) -> Method:
    pop = np.array([ctx.popularity.get(i, 0) for i in ctx.ids], np.float64)

    def rank(case: Case) -> list[str]:
        if case.candidates is not None:
            return order_candidates({c: ctx.popularity.get(c, 0) for c in case.candidates}, case)
        return top_ranked(pop, ctx, case)

    return Method("popularity", rank)


def make_embedding(ctx: Context, arg: str | None) -> Method:
    def rank(case: Case) -> list[str]:
        rows = [ctx.row[i] for i in case.history if i in ctx.row]
        u = ctx.vectors[rows].mean(axis=0)
        u = u / max(float(np.linalg.norm(u)), 1e-12)
        if case.candidates is not None:
            return order_candidates({c: float(ctx.vectors[ctx.row[c]] @ u) for c in case.candidates}, case)
        return top_ranked(ctx.vectors @ u, ctx, case)

    return Method("embedding", rank)


def bm25_query(ctx: Context, case: Case) -> str:
    # newest first: the store keeps the first 64 words, so the oldest titles are the ones cut
    return " ".join(ctx.titles[ctx.row[i]] for i in reversed(case.history) if i in ctx.row)


def make_bm25(ctx: Context, arg: str | None) -> Method:
    def rank(case: Case) -> list[str]:
        q = bm25_query(ctx, case)
        if case.candidates is not None:
            return _complete(_fts_within(ctx, q, case.candidates), case)
        earlier = set(case.earlier)
        hits = ctx.store.text_search(ctx.catalog, q, ctx.depth + len(earlier))
        return [h["id"] for h in hits if h["id"] not in earlier][: ctx.depth]

    return Method("bm25", rank)


def _fts_within(ctx: Context, text: str, ids: list[str]) -> list[str]:
    """LanceDB full-text search restricted (pre-filtered) to the given ids, best first."""
    text = fts_safe(text)
    if not text:
        return []
    quoted = ", ".join("'" + i.replace("'", "''") + "'" for i in ids)
    try:
        q = ctx.store.table(ctx.catalog).search(text, query_type="fts").where(f"id IN ({quoted})", prefilter=True)
        return [r["id"] for r in q.limit(len(ids)).select(["id", "_score"]).to_list()]
    except Exception:
        return []  # a query the FTS parser rejects ranks nothing, like store.text_search


# ---------------------------------------------------------------------------- the runtime path


def make_hyde(ctx: Context, arg: str | None, cf_prompt: bool = False, variant: str = "hyde") -> Method:
    """`hyde:CKPT`: the pipeline's candidates fused by reciprocal rank (the ranking before the learned
    one); `app:CKPT`: the learned ranking (RECCHAT_RANKER=learned, not yet the app default); `app:none`: the same ranking
    with every LLM-derived feature off; `app+cf:CKPT`: with the catalog's CF model as a feature.
    With cf_prompt (`hyde+cfprompt:CKPT`) the CF model's neighbours of the history go into the prompt
    ("people who played these also played ...") and the ranking stays HyDE's."""
    from recchat.llm.checkpoints import get_checkpoint
    from recchat.core.settings import get_settings

    ckpt = arg or get_settings().default_checkpoint
    if ckpt != "none" or variant == "hyde":
        get_checkpoint(ckpt)  # raises UnknownCheckpoint with the reason and the available list
    if cf_prompt or variant == "app+cf":
        from recchat.cf import require_best_model

        require_best_model(ctx.catalog)
    name = f"{'hyde+cfprompt' if cf_prompt else variant}:{ckpt}"
    m = Method(name, lambda c: [], generates_names=True)

    def rank(case: Case) -> list[str]:
        key = (name, case.user)
        if key not in ctx.memo:  # hybrid:<ckpt> reuses hyde:<ckpt>'s answer for the same user
            ranking, picks = hyde_answer(ctx, case, ckpt, cf_prompt, variant)
            ctx.memo[key] = (ranking, _picks_valid(ctx, case, picks) if picks else None)
        ranking, valid = ctx.memo[key]
        if valid is not None:
            m.answers_with_picks += 1
            m.valid_answers += valid
        return ranking

    m.rank = rank
    return m


def _picks_valid(ctx: Context, case: Case, picks: list[str]) -> bool:
    """Every generated name is a real candidate (candidates20) or a real catalog title (full)."""
    if case.candidates is not None:
        allowed = {normalize_title(ctx.titles[ctx.row[c]]) for c in case.candidates}
    else:
        allowed = ctx.store.title_index(ctx.catalog)
    return all(normalize_title(p) in allowed for p in picks)


def hyde_answer(ctx: Context, case: Case, ckpt: str, cf_prompt: bool = False,
                variant: str = "hyde") -> tuple[list[str], list[str]]:
    """The runtime's answer for one case: (ranking, the names the model picked)."""
    from recchat import prompts
    from recchat.chat.pipeline import AskRequest, run

    cands = case.candidates
    hist = set(case.history)
    req = AskRequest(
        explain=False,  # the ranking is measured; the sentence on why comes after it
        history_ids=case.history, candidates=cands, catalog=ctx.catalog,
        top_k=len(cands) if cands is not None else ctx.depth, cache=True, seed=ctx.seed,
        max_tokens=ctx.max_tokens, exclude_ids=[i for i in case.earlier if i not in hist],
        use_cf=cf_prompt or variant == "app+cf",
        cf_weight=0.0 if cf_prompt else None,  # weight 0: CF in the prompt only, HyDE's order
        ranker="rrf" if variant == "hyde" else "learned", use_llm=ckpt != "none",
        checkpoint=None if ckpt == "none" else ckpt,
    )
    raw, ans = "", None
    for ev in run(req):  # the tokens are the raw generation: its picks give ValidRatio
        if ev[0] == "token":
            raw += ev[1]
        elif ev[0] == "answer":
            ans = ev[1]
    if ans is None:  # pragma: no cover - run always ends with an answer
        raise RecchatError("the recommender produced no answer")
    ranking = [it.id for it in ans.items]
    _, picks = prompts.split_response(raw)
    return (_complete(ranking, case) if cands is not None else ranking), picks


def fused_with_hyde(name: str, hyde: Method, ctx: Context, fuse: Callable[[list[str], Case], list[str]]) -> Method:
    """A method that reorders `hyde`'s answer with `fuse(hyde_ranking, case)`; it counts the same
    answers for ValidRatio (the answer is HyDE's, shared through ctx.memo)."""
    m = Method(name, lambda c: [], generates_names=True)

    def rank(case: Case) -> list[str]:
        before = hyde.answers_with_picks, hyde.valid_answers
        ranked = fuse(hyde.rank(case), case)
        m.answers_with_picks += hyde.answers_with_picks - before[0]
        m.valid_answers += hyde.valid_answers - before[1]
        return _complete(ranked, case) if case.candidates is not None else ranked[: ctx.depth]

    m.rank = rank
    return m


def make_hybrid(ctx: Context, arg: str | None) -> Method:
    hyde = make_hyde(ctx, arg)
    bm25 = make_bm25(ctx, None)

    def fuse(hyde_ranking: list[str], case: Case) -> list[str]:
        fused = rrf([hyde_ranking, bm25.rank(case)])
        return sorted(fused, key=lambda i: -fused[i])

    return fused_with_hyde(f"hybrid:{hyde.name.split(':', 1)[1]}", hyde, ctx, fuse)


Factory = Callable[[Context, "str | None"], Method]
REGISTRY: dict[str, Factory] = {
    "random": make_random,
    "popularity": make_popularity,
    "bm25": make_bm25,
    "embedding": make_embedding,
    "hyde": make_hyde,
    "hybrid": make_hybrid,
    "hyde+cfprompt": lambda ctx, arg: make_hyde(ctx, arg, cf_prompt=True),
    "app": lambda ctx, arg: make_hyde(ctx, arg, variant="app"),
    "app+cf": lambda ctx, arg: make_hyde(ctx, arg, variant="app+cf"),
}
BASELINES = ["random", "popularity", "bm25", "embedding"]
LLM_METHODS = ("hyde", "hybrid", "hyde+cfprompt", "hybrid+cf", "app", "app+cf")  # take :<checkpoint> (app: also none)


def parse_methods(spec: str, checkpoints: list[str] | None = None) -> list[str]:
    """'random,hyde,hybrid' + checkpoints [sft, dpo] -> random, hyde:sft, hyde:dpo, hybrid:sft, ..."""
    out: list[str] = []
    for raw in [s.strip() for s in spec.split(",") if s.strip()]:
        prefix, _, arg = raw.partition(":")
        if prefix not in REGISTRY:
            raise BadInput(f"unknown method {raw!r}; known: {', '.join(REGISTRY)} ({', '.join(LLM_METHODS)} take :<checkpoint>)")
        if prefix in LLM_METHODS and not arg and checkpoints:
            out += [f"{prefix}:{c}" for c in checkpoints]
        else:
            out.append(raw)
    if not out:
        raise BadInput("--methods lists no method")
    return list(dict.fromkeys(out))


def make(name: str, ctx: Context) -> Method:
    prefix, _, arg = name.partition(":")
    return REGISTRY[prefix](ctx, arg or None)
