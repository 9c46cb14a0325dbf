"""The chat recommender's one path: parse -> quick items -> stream rationale -> HyDE items.

`run(request)` yields events, so the CLI and the UI both stream:
    ("items", [RecItem], "preliminary")   items from the user's words alone, before the model speaks
    ("token", str)                        rationale text as llama.cpp decodes it
    ("items", [RecItem], "final")         the final items, before the model says why they fit
    ("why", str)                          one sentence on why shown items fit, as it decodes
    ("answer", Answer)                    the final answer, items refined with the rationale
`answer(request)` runs it to the end and returns the Answer (`ask --json`, `/recommend`, eval).
"""

from __future__ import annotations

import time
from typing import Iterator, Literal

import numpy as np
from pydantic import BaseModel, Field

from recchat import prompts
from recchat.catalog import prior
from recchat.cf import NoCFModel, cf_context, fuse, load_cf, require_best_model
from recchat.cf.registry import read_meta
from recchat.cf.train import item_neighbours
from recchat.cf.context import drivers
from recchat.retrieval.embedder import get_embedder
from recchat.core.errors import BadInput, RecchatError
from recchat.llm.generate import GenStats, stream_completion
from recchat.llm.checkpoints import get_checkpoint
from recchat.llm.grammar import picks_grammar, shown_title, whole_picks, why_grammar
from recchat.ranking import anchors as A
from recchat.ranking.candidates import RequestSearches
from recchat.ranking.grounding import ground
from recchat.ranking.like import score_like
from recchat.ranking.history import HistoryInput, score_history
from recchat.ranking.query import full_text_words, in_catalog_language
from recchat.ranking.search import ModelText, SearchInput, score_search
from recchat.retrieval.rank import RRF_K, Exclusion, normalise, rationale_usable, resolve_history, select, to_rec_items
from recchat.core.schema import Answer, Timings
from recchat.core.settings import get_settings
from recchat.retrieval.store import get_store
from recchat.retrieval.words import in_vocabulary
from recchat.core.textnorm import detect_language, normalize_title

Event = tuple


# a history's answer shows at most this many entries of one series before other items (recchat/retrieval/
# rank.py select); next-item accuracy, which rewards the logs' habit of the next special, moved by 1 user in
# 300 on the training domains (full-catalog HR@10 anime 0.153 -> 0.157, movies 0.057 -> 0.053; 1: 0.137 on
# anime; counting the history's own series too, so each consumed series got one more entry: 0.107)
PER_SERIES = 2


class AskRequest(BaseModel):
    query: str = ""
    history: list[str] | None = None  # pasted items (titles or catalog ids), oldest first
    history_ids: list[str] | None = None  # exact catalog ids, oldest first (evaluation, the UI)
    candidates: list[str] | None = None  # catalog ids: rank only these (listwise)
    catalog: str | None = None
    checkpoint: str | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    task: Literal["search", "recommend"] | None = None
    # follow-up state carried by the chat UI
    exclude_ids: list[str] = Field(default_factory=list)
    drop_terms: list[str] = Field(default_factory=list)
    like_ids: list[str] = Field(default_factory=list)
    use_llm: bool = True
    use_cf: bool = False  # fuse CF scores and put CF neighbours in the prompt (catalogs with a CF model)
    cf_weight: float | None = None  # 0: CF only in the prompt, not a ranking feature (hyde+cfprompt)
    ranker: Literal["learned", "rrf"] | None = None  # default: RECCHAT_RANKER
    rank_off: str | None = None  # signals switched off (prior, ground, llm, translate, bm25, cf); default RECCHAT_RANK_OFF
    cache: bool = False  # reuse/stored generations on disk (evaluation, data generation)
    explain: bool | None = None  # say why the shown items fit (default RECCHAT_EXPLAIN; eval turns it off)


def _validate(req: AskRequest) -> tuple[str, list[str]]:
    s = get_settings()
    notices: list[str] = []
    q = (req.query or "").strip()
    if "\x00" in q:
        raise BadInput("the query contains binary data; type or paste plain text")
    if len(q) > s.max_query_chars:
        notices.append(f"your text was {len(q):,} characters; only the first {s.max_query_chars:,} were used")
        q = q[: s.max_query_chars]
    hist = [h.strip() for h in (req.history or []) if h and h.strip()]
    if not q and not hist and not req.history_ids:
        raise BadInput("empty query: type what you want, or paste items you liked (one per line)")
    if len(hist) > s.max_history_items:
        notices.append(f"the history had {len(hist)} items; the last {s.max_history_items} were used")
        hist = hist[-s.max_history_items :]
    long_items = sum(len(h) > s.max_history_item_chars for h in hist)
    if long_items:
        notices.append(f"{long_items} history item(s) were over {s.max_history_item_chars} characters; "
                       "only their start was used")
        hist = [h[: s.max_history_item_chars].strip() for h in hist]
    if sum(map(len, hist)) > s.max_history_chars:  # keep the newest items that fit
        kept, total = [], 0
        for h in reversed(hist):
            if total + len(h) > s.max_history_chars:
                break
            kept.append(h)
            total += len(h)
        notices.append(f"the history was over {s.max_history_chars:,} characters; "
                       f"the last {len(kept)} of its {len(hist)} items were used")
        hist = kept[::-1]
    req.query = q
    req.history = hist
    return q, notices


def run(req: AskRequest) -> Iterator[Event]:
    t_start = time.perf_counter()
    s = get_settings()
    store = get_store()
    catalog = req.catalog or s.default_catalog
    info = store.info(catalog)  # raises UnknownCatalog with the list; read once (a registry read)
    ckpt_name = req.checkpoint or s.default_checkpoint
    ckpt = get_checkpoint(ckpt_name) if req.use_llm else None  # raises UnknownCheckpoint with the list
    embedder = get_embedder()
    store.check_embedder(catalog, embedder)
    k = req.top_k or s.top_k
    if not 1 <= k <= 100:
        raise BadInput("top-k must be between 1 and 100")
    query, notices = _validate(req)

    # ---- task and history
    tindex = store.title_index(catalog)
    history = list(req.history or [])
    id_rows = store.get(catalog, list(req.history_ids or []))
    if req.history_ids and len(id_rows) < len(set(req.history_ids)):
        missing = sorted(set(req.history_ids) - {r["id"] for r in id_rows})[:5]
        raise BadInput(f"unknown history id(s) in catalog {catalog!r}: {', '.join(missing)}")
    language = detect_language(query or " ".join(history) or " ".join(r["title"] for r in id_rows))
    if history or id_rows:
        task = req.task or "recommend"
    else:
        parsed = prompts.detect_task(query, title_matcher=lambda t: normalize_title(t) in tindex)
        task = req.task or parsed.task
        language = parsed.language
        if parsed.task == "recommend" and task == "recommend":
            history = parsed.history
    if task == "recommend" and not history and not id_rows:
        history = [query]  # --task recommend on a single title
    search_text = query if task == "search" else ""

    # ---- the user's words alone
    t_r = time.perf_counter()
    hist_rows, unresolved = resolve_history(store, catalog, history) if history else ([], [])
    hist_rows = id_rows + hist_rows
    exclusion = Exclusion(ids={r["id"] for r in hist_rows} | set(req.exclude_ids),
                          title_norms={normalize_title(h) for h in history} - {""})
    cat_lang = info.language
    off = {x.strip() for x in (req.rank_off if req.rank_off is not None else s.rank_off).split(",") if x.strip()}
    if not s.hybrid:
        off.add("bm25")
    learned = (req.ranker or s.ranker) == "learned"
    candidates = _check_candidates(store, catalog, req.candidates)
    item_prior = prior.load(catalog) if "prior" not in off else {}
    liked = store.get(catalog, req.like_ids) if req.like_ids else []
    # items the request is "like": left out of the answer, ranked as a history beside the search
    refs = A.phrases(query) if task == "search" and "anchors" not in off else []
    anchor_rows: list[dict] = []

    def add_anchors(names: list[str]) -> list[str]:
        """Ground the names; returns those that matched an item."""
        matched = []
        for name in names:
            ids = [i for i in A.ground_phrases([name], tindex, item_prior) if i not in {r["id"] for r in anchor_rows}]
            if ids:
                matched.append(name)
                anchor_rows.extend(store.get(catalog, ids))
                exclusion.ids.update(ids)
        # the series the person named ("Harry Potter") and the anchors' own titles
        exclusion.franchise |= A.franchise_keys(matched + [r["title"] for r in anchor_rows])
        return matched

    # the referred titles' own words would find the anchors' namesakes ("Games People Play"), not their kind
    words = A.without(query, add_anchors(refs)) if refs else query
    if task == "search":
        user_vec = embedder.embed_queries([query])[0]
        if liked:
            user_vec = normalise(user_vec + np.mean([normalise(np.asarray(r["vector"])) for r in liked], axis=0))
        cat_text = in_catalog_language(words, language, cat_lang)
        cat_vec = embedder.embed_queries([cat_text])[0] if cat_text.strip() and cat_text != query else None
        # full text in the catalog's own word forms ("dystopia" finds the items tagged "dystopian")
        fts_words = in_vocabulary(cat_text, store.word_stats(catalog))
        base_input = SearchInput(query=query, query_vec=user_vec,
                                 catalog_text=full_text_words(fts_words, info.domain) if cat_text.strip() else "",
                                 catalog_vec=cat_vec, candidates=candidates)
    else:
        vecs = [np.asarray(r["vector"], np.float32) for r in hist_rows + liked]
        if unresolved:
            vecs.append(embedder.embed_queries(["; ".join(unresolved)])[0])
            if not hist_rows:
                notices.append("none of the pasted items is in this catalog; matching on their names")
        user_vec = normalise(np.mean([normalise(v) for v in vecs], axis=0))
        base_input = HistoryInput(history_vecs=np.asarray(vecs, np.float32), history_ids=[r["id"] for r in hist_rows],
                                  titles_text=" ".join(r["title"] for r in hist_rows[-5:]) + " " + " ".join(unresolved),
                                  titles=[r["title"] for r in hist_rows] + unresolved, candidates=candidates)
    fts_text = query if task == "search" else base_input.titles_text

    searches = RequestSearches(store)  # the final pass reuses the first pass's searches

    def ranked(inp) -> tuple[list[dict], dict[str, float]]:
        kw = dict(depth=s.rank_depth, off=off, fts_weight=s.fts_weight, learned=learned)
        if task == "search":
            kw["named_weight"] = s.named_weight
        if task == "search" and anchor_rows:
            cf = item_neighbours(catalog, info.has_interactions) if "cf" not in off else None
            pool, scores = score_like(searches, catalog, inp, anchor_rows, item_prior, cf=cf, exclusion=exclusion, **kw)
        else:
            score = score_search if task == "search" else score_history
            pool, scores = score(searches, catalog, inp, item_prior, **kw)
        order = sorted(scores, key=lambda i: -scores[i])
        return select(order, pool.rows, exclusion, req.drop_terms, k, one_version=task == "search",
                      per_series=0 if task == "search" else PER_SERIES), scores

    rows, scores = ranked(base_input)
    retrieval_ms = (time.perf_counter() - t_r) * 1000
    hist_titles = [r["title"] for r in hist_rows] + unresolved
    yield ("items", to_rec_items(rows, scores, fts_text, k), "preliminary")

    # ---- collaborative knowledge (opt-in; only where a CF model was trained on the catalog's logs)
    cf_model, cf_ctx = None, ""
    if req.use_cf:
        cf_model, cf_ctx, cf_note = _cf_setup(catalog, task, [r["id"] for r in hist_rows], language)
        if cf_note:
            notices.append(cf_note)

    # ---- the model's text
    stats = GenStats()
    rationale_raw = ""
    if ckpt is not None:
        cand_titles = None
        if req.candidates:
            cand_titles = [r["title"] for r in store.get(catalog, req.candidates)]
        prompt, stop = prompts.build_prompt(ckpt.prompt_style, task, language, query=search_text or query,
                                            history=hist_titles, candidates=cand_titles, cf_context=cf_ctx,
                                            domain=info.domain)
        gen_kw = dict(max_tokens=req.max_tokens or s.max_tokens,
                      temperature=s.temperature if req.temperature is None else req.temperature,
                      seed=req.seed, stop=stop)
        picks_of = None
        if cand_titles and ckpt.prompt_style == "chat":  # the prompt lists them: every pick is one of them
            picks_of = ([prompts.sanitize(t) for t in cand_titles], prompts.RANK_LABEL[language])
            gen_kw["grammar"] = picks_grammar(*picks_of)
        cached = None
        if req.cache:
            from recchat.llm.gencache import get_cache

            ckey = get_cache().key(prompt=prompt, checkpoint=ckpt.name, adapter=ckpt.cache_tag(),
                                   repeat_penalty=s.repeat_penalty, **gen_kw)
            cached = get_cache().get(ckey)
        if cached is not None:
            rationale_raw = cached
            yield ("token", cached)
        else:
            pieces = stream_completion(ckpt.name, prompt, stats=stats, **gen_kw)
            for piece in (whole_picks(pieces, *picks_of) if picks_of else pieces):
                rationale_raw += piece
                yield ("token", piece)
            if req.cache:
                get_cache().put(ckey, rationale_raw)
    rationale, picks = prompts.split_response(rationale_raw)
    rationale = rationale.strip()
    new_anchors = False
    if ckpt is not None and prompts.reads_request(ckpt.prompt_style):
        u = prompts.split_understanding(rationale_raw)
        rationale, picks = u.text, u.names
        foreign = [r for r in refs if detect_language(r) != cat_lang]
        if foreign and picks:  # "헝거게임 같은" on an English catalog: the model wrote it in English
            before = len(anchor_rows)
            add_anchors(A.translations(foreign, picks, embedder))
            new_anchors = len(anchor_rows) > before

    # ---- the final ranking, with what the model said as features
    t_r = time.perf_counter()
    used = False
    llm_text = None
    if rationale:
        r_vec = embedder.embed_queries([rationale])[0]
        cat_vec = getattr(base_input, "catalog_vec", None)  # the request in the catalog's language
        used, why = rationale_usable(rationale, r_vec, [user_vec] + ([cat_vec] if cat_vec is not None else []),
                                     s.min_rationale_similarity)
        if used:
            llm_text = ModelText(text=rationale, vec=r_vec, names=picks)
        else:
            notices.append(f"모델의 해석이 요청과 맞지 않아 요청의 단어로만 찾았어요 ({why})" if language == "ko"
                           else f"the model's reading did not fit the request, so the items come from your words alone ({why})")
    use_cf_rank = cf_model is not None and task == "recommend" and req.cf_weight != 0.0
    if llm_text is not None or use_cf_rank or new_anchors:
        base_input.llm = llm_text
        if use_cf_rank:
            base_input.cf = cf_model
        rows, scores = ranked(base_input)
        if use_cf_rank:
            weight = req.cf_weight if req.cf_weight is not None else read_meta(catalog).get("fusion_weight")
            if weight:  # a weight chosen on validation users (`recchat cf tune`) or asked for
                rows, scores = _cf_fuse(store, catalog, cf_model, base_input, rows, scores, exclusion,
                                        req.drop_terms, k, float(weight))
            rows = _cf_because(store, catalog, cf_model, rows, [r["id"] for r in hist_rows])
    retrieval_ms += (time.perf_counter() - t_r) * 1000
    if anchor_rows:
        names = ", ".join(r["title"] for r in anchor_rows[:3])
        notices.append(f"{names}: 비슷한 항목을 찾았고, 원작과 같은 시리즈는 뺐어요" if language == "ko"
                       else f"more like {names}: it and its series are left out")
    if ckpt is not None and prompts.reads_request(ckpt.prompt_style) and rationale:
        named = ground(picks, store.title_index(catalog), prior=item_prior) if picks else {}  # as the ranking grounded them
        rationale = prompts.display_understanding(u.genres, [r["title"] for r in rows if r["id"] in named], language)

    items = to_rec_items(rows, scores, f"{fts_text} {rationale if used else ''}", k)
    why = ""
    if ckpt is not None and rows and (s.explain if req.explain is None else req.explain):
        yield ("items", items, "final")  # on screen now; the sentence about them follows
        why = yield from _why(ckpt.name, task, language, query, hist_titles, rows, req.seed)

    ans = Answer(
        task=task, language=language, query=query, history=hist_titles, catalog=catalog,
        checkpoint=ckpt_name if ckpt else "none", rationale=rationale, rationale_used=used, why=why,
        items=items,
        timings=Timings(ttft_s=stats.ttft_s, decode_tok_s=stats.decode_tok_s, gen_tokens=stats.gen_tokens,
                        retrieval_ms=round(retrieval_ms, 2), total_s=round(time.perf_counter() - t_start, 3)),
        notices=notices,
    )
    yield ("answer", ans)


def why_shown(rows: list[dict], language: str) -> list[tuple[str, list[str]]]:
    """(name, attributes in the person's language) of the first three rows, as the sentence on why
    sees them; the role's training rows (training/data/why.py) are built with this same function."""
    return [(shown_title(prompts.sanitize(A.short_name(r["title"]))),
             prompts.attributes_in(prompts.item_attributes(r.get("text", "")), language)) for r in rows[:3]]


def _why(ckpt_name: str, task: str, language: str, query: str, history: list[str], rows: list[dict],
         seed: int | None) -> Iterator[Event]:
    """Stream one sentence on why the first shown items fit (recchat.prompts.why_prompt), opening with
    one of their titles under a grammar; returns it. Greedy: the same items get the same sentence."""
    s = get_settings()
    shown = why_shown(rows, language)
    tuned = get_checkpoint(ckpt_name).why_style == "tuned"
    prompt = prompts.why_prompt(task, language, shown, query=query, history=[A.short_name(h) for h in history], tuned=tuned)
    text = ""
    # no stop string: the grammar ends the sentence with its newline, so a text without one was cut by max_tokens
    for piece in stream_completion(ckpt_name, prompt, max_tokens=s.why_max_tokens, temperature=0.0, seed=seed,
                                   grammar=why_grammar(shown, prompts.WHY_SEP, language), role="why"):
        text += piece
        yield ("why", piece)
    if text and not text.endswith("\n"):
        text = text.rsplit(" ", 1)[0].rstrip(",;:—- ") + "…"
    return text.strip()


def _cf_setup(catalog: str, task: str, hist_ids: list[str], language: str):
    """(model, prompt context, notice) for a request that asked for collaborative filtering."""
    if task != "recommend" or not hist_ids:
        return None, "", "collaborative filtering works from a history of catalog items; not used"
    try:
        name = require_best_model(catalog)
    except NoCFModel as e:
        return None, "", str(e)
    model = load_cf(catalog, name)
    ctx = cf_context(catalog, hist_ids, k=5, language=language)
    return model, ctx, ""


def _cf_fuse(store, catalog, model, inp, rows, scores, exclusion, drop_terms, k, weight):
    """The learned ranking fused with the CF model's own ranking at `weight` (recchat.cf.fuse), over
    a deeper list of the learned ranking so CF can lift items from below the first k."""
    deep = sorted(scores, key=lambda i: -scores[i])[: max(50, 5 * k)]
    order = fuse(deep, model.score(inp.history_ids, inp.candidates), weight)
    by_id = {r["id"]: r for r in store.get(catalog, [i for i in order[: 3 * k]])}
    out = select(order, by_id, exclusion, drop_terms, k, per_series=PER_SERIES)
    return out, {r["id"]: 1.0 / (RRF_K + n + 1) for n, r in enumerate(out)}


def _cf_because(store, catalog, model, rows, hist_ids):
    """Say which history item drove each CF-backed pick ("people who liked X also liked this")."""
    drv = drivers(model, hist_ids, [r["id"] for r in rows])
    titles = {r["id"]: r["title"] for r in store.get(catalog, list(set(drv.values())))}
    return [dict(r, because=titles[drv[r["id"]]]) if drv.get(r["id"]) in titles else r for r in rows]


def _check_candidates(store, catalog: str, candidates: list[str] | None) -> list[str] | None:
    if candidates is None:
        return None
    cands = list(dict.fromkeys(c.strip() for c in candidates if c and c.strip()))
    if not cands:
        raise BadInput("the candidates file lists no ids")
    found = {r["id"] for r in store.get(catalog, cands)}
    missing = [c for c in cands if c not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise BadInput(f"unknown candidate id(s) in catalog {catalog!r}: {shown}")
    return cands


def answer(req: AskRequest) -> Answer:
    for ev in run(req):
        if ev[0] == "answer":
            return ev[1]
    raise RecchatError("no answer was produced")  # pragma: no cover
