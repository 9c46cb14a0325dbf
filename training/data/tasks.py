"""The four tasks: a seeded plan of row specs from the catalogs, and the row built from each spec.

Planning decides everything random up front (which users, cut points, candidates, languages, which
rows try the LLM), seeded per catalog and task, so the plan is a function of the config alone.
`build_row` is then a pure function of one spec (its RNG is seeded by the row id) plus the cached
LLM outputs: whichever run writes a row, it is the same row.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from recchat import prompts
from recchat.prompts import build_instruction, cf_line, format_response, system_prompt
from recchat.core.schema import Item
from recchat.core.textnorm import normalize_title

from training.data import cf_rows
from training.data import rationales as R
from training.data.config import TASKS, DataConfig
from training.data.features import Qualities, ko, qualities, term_in

MAX_TITLE_CHARS = 150
_NOT_TRAINING = {"hentai"}  # adult anime: not what a general recommender should learn from


def seeded_rng(*parts) -> random.Random:
    """The same random stream for the same parts (a row id, a seed and a catalog): rows rebuild identically."""
    return random.Random(int(hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:16], 16))


# --------------------------------------------------------------------------- catalogs


@dataclass
class CatalogData:
    name: str
    domain: str  # mix domain
    language: str
    kind: str  # the manifest's own domain words, e.g. "entertainment news"
    items: dict[str, Item]
    pool: list[str]  # eligible item ids, loader order
    seqs: dict[str, list[str]] = field(default_factory=dict)  # user -> positive items, oldest first
    by_feature: dict[str, list[str]] = field(default_factory=dict)
    by_creator: dict[str, list[str]] = field(default_factory=dict)  # lower-cased author/director -> items
    excluded: Counter = field(default_factory=Counter)
    fingerprint: str = ""  # hash of the items and logs the rows are built from
    _quals: dict[str, Qualities] = field(default_factory=dict)
    _famous: dict[str, list[str]] = field(default_factory=dict)

    fame: dict[str, float] = field(default_factory=dict)  # id -> how well known and liked, in [0, 1.25]
    common: set[str] = field(default_factory=set)  # terms most of the catalog shares: they tell nothing
    _cf: dict | None = None  # half -> item-kNN (training/cf_rows.py), fitted on first use

    def cf_models(self) -> dict:
        if self._cf is None:
            self._cf = cf_rows.fit_halves(self.seqs)
        return self._cf

    def idf(self, term: str) -> float:
        import math

        return math.log((1 + len(self.pool)) / (1 + len(self.by_feature.get(term) or self.by_creator.get(term, []))))

    def famous_with(self, term: str, n: int = 300) -> list[str]:
        """The n best-known items carrying a genre/theme term."""
        if term not in self._famous:
            ids = self.by_feature.get(term) or self.by_creator.get(term, [])
            self._famous[term] = sorted(ids, key=lambda i: -self.fame.get(i, 0.0))[:n]
        return self._famous[term]

    def q(self, item_id: str) -> Qualities:
        if item_id not in self._quals:
            q = qualities(self.items[item_id], self.domain)
            if self.common:
                q.genres = [g for g in q.genres if g.lower() not in self.common] or q.genres[:0]
                q.themes = [t for t in q.themes if t.lower() not in self.common]
            kind = self.kind.split()[0].lower() if self.kind.split() else ""
            if not q.genres and kind != self.domain and ko(kind):
                q.genres = [kind]  # "entertainment news" -> entertainment (a genre it shares with all)
            self._quals[item_id] = q
        return self._quals[item_id]


def _positives(inter: pd.DataFrame) -> pd.DataFrame:
    """Interactions that say 'liked': at or above the median rating where most rows are rated."""
    r = inter["rating"] if "rating" in inter else None
    if r is None or r.notna().mean() < 0.5 or r.nunique() < 3:
        return inter
    return inter[(r >= r.median()) | r.isna()]


def load_catalog(name: str, domain: str, held_out_titles: set[str], cfg: DataConfig) -> CatalogData:
    from recchat.catalog.build import load_items

    m, res = load_items(name)
    items = {it.id: it for it in res.items}
    excluded: Counter = Counter()
    seen: set[str] = set()
    pool = []
    for it in res.items:
        nt = normalize_title(it.title)
        genres = {str(g).lower() for g in (it.metadata or {}).get("genres") or []}
        if not nt or len(it.title) > MAX_TITLE_CHARS:
            excluded["title empty or too long"] += 1
        elif nt in held_out_titles:
            excluded["title of a held-out item"] += 1
        elif genres & _NOT_TRAINING:
            excluded["adult genre"] += 1
        elif nt in seen:
            excluded["duplicate title"] += 1
        else:
            seen.add(nt)
            pool.append(it.id)
    cd = CatalogData(name=name, domain=domain, language=m.language, kind=m.domain, items=items, pool=pool,
                     excluded=excluded)
    ok = set(pool)
    if res.interactions is not None and len(res.interactions):
        inter = _positives(res.interactions)
        inter = inter[inter["item"].astype(str).isin(ok)]
        inter = inter.sort_values(["user", "order"], kind="stable")
        for user, grp in inter.groupby("user", sort=True):
            seq = []
            for i in grp["item"].astype(str):
                if i not in seq:  # a re-read or re-buy is not new information
                    seq.append(i)
            if len(seq) >= cfg.history_min + 1:
                cd.seqs[str(user)] = seq
    h = hashlib.sha1()
    for iid in pool:
        it = items[iid]
        h.update(json.dumps([iid, it.title, it.text, it.metadata], sort_keys=True, default=str).encode())
    h.update(json.dumps(cd.seqs, sort_keys=True).encode())
    cd.fingerprint = h.hexdigest()[:12]
    df: Counter = Counter()
    for iid in pool:
        df.update(qualities(items[iid], domain).feature_set())
    cd.common = {t for t, c in df.items() if c > 0.5 * len(pool) and len(pool) >= 20}
    cd.fame = _fame(m, res, pool)
    for iid in pool:
        for f in cd.q(iid).feature_set():
            cd.by_feature.setdefault(f, []).append(iid)
        for c in cd.q(iid).creators:
            cd.by_creator.setdefault(c.lower(), []).append(iid)
    return cd


def _fame(m, res, pool: list[str]) -> dict[str, float]:
    """The app's prior (recchat.catalog.prior: log counts without each user's last item, else the
    manifest's metadata), as popularity + a quarter of quality; 0 where unknown."""
    from recchat.catalog import prior

    if res.interactions is not None and len(res.interactions):
        raw = prior.from_log(res.interactions)
    elif m.prior:
        raw = prior.from_metadata(res.items, m.prior.get("count"), m.prior.get("rating"))
    else:
        return {}
    t = prior.scores(pool, raw).fillna({"pop": 0.0, "quality": 0.0})
    return dict(zip(t["id"], t["pop"] + 0.25 * t["quality"]))


# --------------------------------------------------------------------------- the mix


def target_mix(cfg: DataConfig, domains: set[str]) -> dict[str, float]:
    """The configured mix renormalised over the domains that have catalogs in this build."""
    w = {d: v for d, v in cfg.mix.items() if d in domains and v > 0}
    s = sum(w.values())
    return {d: v / s for d, v in sorted(w.items())} if s else {}


def _apportion(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder rounding: the parts sum to `total` exactly."""
    s = sum(weights.values())
    if not s:
        return {k: 0 for k in weights}
    raw = {k: total * v / s for k, v in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[: total - sum(out.values())]:
        out[k] += 1
    return out


# --------------------------------------------------------------------------- planning


def row_id(spec: dict) -> str:
    core = {k: spec[k] for k in ("catalog", "task", "language", "user", "history", "target", "candidates")}
    if spec.get("cf"):
        core["cf"] = spec["cf"]  # only when present: rows without the CF line keep their ids
    return hashlib.sha1(json.dumps(core, sort_keys=True).encode()).hexdigest()[:16]


def _language(cd: CatalogData, cfg: DataConfig, rng: random.Random) -> str:
    if cd.language == "ko":
        return "ko"  # Korean catalogs are asked about in Korean
    return "ko" if rng.random() < cfg.ko_share else "en"


def _candidates(cd: CatalogData, target: str, avoid: set[str], cfg: DataConfig, rng: random.Random) -> list[str]:
    k = rng.randint(cfg.candidates_min, cfg.candidates_max)
    chosen, titles = [target], {normalize_title(cd.items[target].title)}
    feats = sorted(cd.q(target).feature_set())
    tries = 0
    while len(chosen) < k and tries < 50 * k:
        tries += 1
        hard = feats and len(chosen) <= k // 2
        src = cd.by_feature.get(rng.choice(feats), cd.pool) if hard else cd.pool
        c = src[rng.randrange(len(src))]
        nt = normalize_title(cd.items[c].title)
        if c in avoid or c in chosen or nt in titles:
            continue
        chosen.append(c)
        titles.add(nt)
    rng.shuffle(chosen)
    return chosen


def _plan_recommend(cd: CatalogData, task: str, n: int, cfg: DataConfig) -> list[dict]:
    rng = seeded_rng(cfg.seed, cd.name, task)
    users = sorted(cd.seqs)
    rng.shuffle(users)
    out, seen = [], set()
    for _ in range(20):  # passes over the users, each a fresh cut point
        if len(out) >= n:
            break
        for u in users:
            if len(out) >= n:
                break
            seq = cd.seqs[u]
            t = rng.randint(cfg.history_min, len(seq) - 1)
            if (u, t) in seen:
                continue
            seen.add((u, t))
            h = rng.randint(cfg.history_min, cfg.history_max)
            hist, target = seq[max(0, t - h):t], seq[t]
            spec = {"catalog": cd.name, "task": task, "language": _language(cd, cfg, rng), "user": u,
                    "history": hist, "target": target, "candidates": []}
            if task.endswith("listwise"):
                spec["candidates"] = _candidates(cd, target, set(hist), cfg, rng)
            out.append(spec)
    return out


def _plan_search(cd: CatalogData, task: str, n: int, cfg: DataConfig) -> list[dict]:
    rng = seeded_rng(cfg.seed, cd.name, task)
    ids = list(cd.pool)
    rng.shuffle(ids)
    out, seen = [], set()
    for p in range(4):  # an item can be asked about in both languages
        for iid in ids:
            if len(out) >= n:
                return out
            lang = _language(cd, cfg, rng)
            if (iid, lang) in seen:
                continue
            seen.add((iid, lang))
            spec = {"catalog": cd.name, "task": task, "language": lang, "user": "", "history": [],
                    "target": iid, "candidates": []}
            if task.endswith("listwise"):
                spec["candidates"] = _candidates(cd, iid, set(), cfg, rng)
            out.append(spec)
    return out


def _plan_catalog(cd: CatalogData, n: int, cfg: DataConfig) -> list[dict]:
    possible = [t for t in TASKS if cfg.task_mix.get(t, 0) > 0 and (t.startswith("search") or cd.seqs)]
    quota = _apportion(n, {t: cfg.task_mix[t] for t in possible})
    specs: list[dict] = []
    carry = 0
    # recommendation first: its supply is bounded by the logs, search takes up any shortfall
    for t in sorted(possible, key=lambda t: (t.startswith("search"), t)):
        want = quota[t] + carry
        got = (_plan_recommend if t.startswith("recommend") else _plan_search)(cd, t, want, cfg)
        carry = want - len(got)
        specs += got
    return specs


def plan(cfg: DataConfig, cats: dict[str, CatalogData]) -> tuple[list[dict], dict]:
    domains = {cd.domain for cd in cats.values()}
    mix = target_mix(cfg, domains)
    per_domain = _apportion(cfg.total_rows, mix)
    specs: list[dict] = []
    for dom, n in per_domain.items():
        names = sorted(c for c, cd in cats.items() if cd.domain == dom)
        for name, k in _apportion(n, {c: 1.0 for c in names}).items():
            specs += _plan_catalog(cats[name], k, cfg)
    uniq: dict[str, dict] = {}
    for s in specs:
        s["row_id"] = row_id(s)
        uniq.setdefault(s["row_id"], s)
    specs = list(uniq.values())
    # which rows try the LLM writer: a seeded sample, fixed before any generation
    n_llm = min(cfg.llm_rows if cfg.writer != "template" else 0, len(specs))
    llm_ids = set(random.Random(cfg.seed).sample(sorted(uniq), n_llm)) if n_llm else set()
    for s in specs:
        s["llm"] = s["row_id"] in llm_ids
    n_cf = _add_cf_context(specs, cats, cfg)
    return specs, {"target_mix": mix, "planned_by_domain": per_domain, "cf_context_rows": n_cf}


def _add_cf_context(specs: list[dict], cats: dict[str, CatalogData], cfg: DataConfig) -> int:
    """Give a seeded `cf_share` of the recommendation rows the CF line (after the LLM sample is drawn,
    so adding it changes no other row). Rows whose history has no co-consumed neighbour stay plain."""
    n = 0
    for s in specs:
        if not s["task"].startswith("recommend") or seeded_rng(cfg.seed, "cf", s["row_id"]).random() >= cfg.cf_share:
            continue
        ids = cf_rows.cf_neighbours(cats[s["catalog"]].cf_models(), s["user"], s["history"], cfg.cf_k)
        if ids:
            s["cf"] = ids
            s["row_id"] = row_id(s)
            n += 1
    return n


# --------------------------------------------------------------------------- building a row


def _overlap_terms(q: Qualities) -> list[str]:
    return list(dict.fromkeys(t.lower() for t in (*q.genres, *q.themes, *q.creators, *q.keywords)))


def _display(q: Qualities) -> dict[str, str]:
    return {t.lower(): t for t in (*q.genres, *q.themes, *q.creators, *q.keywords)}


def _scrub(q: Qualities, titles: list[str]) -> Qualities:
    """Drop any term that is (or contains) an involved title: a rationale names no item."""
    nts = [n for n in (normalize_title(t) for t in titles) if len(n) >= 4]

    def ok(term: str) -> bool:
        n = f" {normalize_title(term)} "
        return not any(f" {t} " in n for t in nts)

    return Qualities(**{**q.__dict__, "genres": [t for t in q.genres if ok(t)],
                        "themes": [t for t in q.themes if ok(t)], "keywords": [t for t in q.keywords if ok(t)]})


def _localize(term: str, lang: str, display: dict[str, str]) -> str | None:
    """A lower-cased overlap term as written in a `lang` row: names keep their case, genre words
    are translated for Korean (None when the glossary lacks them)."""
    orig = display.get(term, term)
    if orig[:1].isupper() and ko(orig) is None:
        return orig  # a name (author, brand, place): the same in both languages
    t = term_in(orig, lang)
    if t and lang == "en" and len(t) > 3 and not t.isupper():
        t = t.lower()
    return t


def _grounding_terms(q: Qualities, lang: str, shared: list[str]) -> list[str]:
    out = [*shared]
    for t in (*q.genres, *q.themes, *q.keywords):
        lt = _localize(t.lower(), lang, {t.lower(): t})
        if lt:
            out.append(lt)
    out += q.creators
    if q.place:
        out.append(q.place)
    if q.era:
        out.append(f"{q.era}년대" if lang == "ko" else f"{q.era}s")
    return list(dict.fromkeys(out))


def famous_fits(cd: CatalogData, terms: list[str], exclude: set[str], k: int, era: int | None = None) -> list[str]:
    """The k best-known items that carry most of `terms` (genres/themes): what a knowledgeable reader
    would name for them (of the decade `era` when the request names one). Score: the idf-weighted share
    of the terms an item has + its fame, so a famous item with two of three terms beats an obscure one
    with all three only when it is much better known."""
    terms = list(dict.fromkeys(t.lower() for t in terms))
    if not terms:
        return []
    w = {t: cd.idf(t) for t in terms}  # a rare term ("mecha") says more than a common one ("drama")
    hits: Counter = Counter()
    for t in terms:
        for iid in cd.famous_with(t):
            if iid not in exclude and (era is None or cd.q(iid).era == era):
                hits[iid] += w[t]
    total = sum(w.values())
    return sorted(hits, key=lambda i: (-(hits[i] / total + cd.fame.get(i, 0.0)), i))[:k]


def search_request(cd: CatalogData, target: str, lang: str, rng: random.Random) -> tuple[str, list[str], int | None]:
    """(request written from the target's qualities, the terms it asks for as the data writes them,
    the decade it names or None): what the reader's and the why rows answer."""
    q = cd.q(target)
    query = R.search_query(_scrub(q, [cd.items[target].title]), lang, rng)
    # what the request asks for: the target's terms it names (as written in its language)
    asked = [t for t in (*q.genres, *q.themes, *q.creators) if (w := term_in(t, lang)) and w.lower() in query.lower()]
    asked = list(dict.fromkeys(asked)) or q.genres[:2]
    era = q.era if q.era and str(q.era) in query else None
    return query, asked, era


def build_understand_row(spec: dict, cats: dict[str, CatalogData]) -> dict:
    """The reader's row: a request (any language) or a history -> the best-known fitting titles and the
    genres, in the catalog's language. Search: the request is written from the target's qualities and
    the titles are the best-known items with them (the target among them only when it is one: an
    obscure item cannot be learnt from a genre). History: the true next item first, then the
    best-known items sharing what the history and the next item have in common."""
    cd = cats[spec["catalog"]]
    rng = seeded_rng(spec["row_id"])
    lang, cat_lang = spec["language"], cd.language
    task = spec["task"].split("_")[0]
    title = lambda i: cd.items[i].title  # noqa: E731
    target = spec["target"]
    q = cd.q(target)
    if task == "search":
        query, asked, era = search_request(cd, target, lang, rng)
        titles = [title(i) for i in famous_fits(cd, [t.lower() for t in asked], set(), 3, era=era)]
        genres = R.terms_in_language(asked, cat_lang, 5)  # no title keywords: on thin data they are the title's own words
        hist_titles: list[str] = []
    else:
        query = ""
        hist = spec["history"]
        profile: Counter = Counter()
        for h in hist:
            profile.update(sorted(cd.q(h).feature_set()))  # set order varies by PYTHONHASHSEED; most_common breaks ties by it
        order = [x.lower() for x in (*q.genres, *q.themes)]
        shared = sorted((t for t in q.feature_set() if profile[t]),
                        key=lambda t: (-profile[t] * cd.idf(t), order.index(t)))
        fits = famous_fits(cd, shared[:4] or [t for t, _ in profile.most_common(3)], set(hist) | {target}, 2)
        titles = [title(target)] + [title(i) for i in fits]
        display = {t.lower(): t for t in (*q.genres, *q.themes)}
        genres = R.terms_in_language([display[t] for t in shared], cat_lang, 5) or R.terms_in_language([*q.genres, *q.themes], cat_lang, 3)
        genres += [c for c in q.creators[:1] if any(c in cd.q(h).creators for h in hist)]  # an author they keep reading
        hist_titles = [title(h) for h in hist]
    response = prompts.understanding_answer(titles, genres) if titles and genres else ""
    return template_row(spec, cd, prompts.UNDERSTAND_SYSTEM,
                        prompts.understanding_line(task, cd.kind, query=query, history=hist_titles),
                        response, response, cat_lang, query)


def template_row(spec: dict, cd: CatalogData, system: str, instruction: str, response: str, rationale: str,
                 answer_language: str, query: str) -> dict:
    """A row written by templates alone (the reader's and the sentence on why): the fields every row has."""
    task, target = spec["task"].split("_")[0], spec["target"]
    return {
        "row_id": spec["row_id"], "query_writer": "template" if query else "", "llm_query_reject": "",
        "llm_rationale_reject": "",
        "system": system, "instruction": instruction, "response": response, "rationale": rationale,
        "answer_language": answer_language,
        "query": query, "task": spec["task"], "domain": cd.domain, "catalog": cd.name, "language": spec["language"],
        "writer": "template", "user": spec["user"], "target_id": target,
        "source_ids": list(spec["history"]), "candidate_ids": [], "cf_ids": [],
        "group": f"{cd.name}/user/{spec['user']}" if task == "recommend" else f"{cd.name}/item/{target}",
    }


def build_row(spec: dict, cats: dict[str, CatalogData], writer=None, score_threshold: float = 15.0) -> dict:
    if spec["task"].endswith("_understand"):
        return build_understand_row(spec, cats)
    if spec["task"].endswith("_why"):
        from training.data.why import build_why_row

        return build_why_row(spec, cats)
    cd = cats[spec["catalog"]]
    rng = seeded_rng(spec["row_id"])
    lang = spec["language"]
    task, mode = spec["task"].split("_")
    title = lambda i: cd.items[i].title  # noqa: E731
    target = spec["target"]
    cf_ids = list(spec.get("cf") or [])
    involved = [title(i) for i in (target, *spec["history"], *spec["candidates"], *cf_ids)]
    q = _scrub(cd.q(target), involved)
    use_llm = bool(spec.get("llm")) and writer is not None
    row = {"query_writer": "", "llm_query_reject": "", "llm_rationale_reject": ""}

    # the request (search) -------------------------------------------------------------------
    query = ""
    if task == "search":
        query, row["query_writer"] = R.search_query(q, lang, rng), "template"
        if use_llm:
            cand = R.clean_output(writer.complete(R.query_prompt(title(target), q, lang)))
            why = R.check_query(cand, lang, title(target), involved[1:])
            if why is None:
                query, row["query_writer"] = cand, writer.name
            else:
                row["llm_query_reject"] = why

    # the rationale ----------------------------------------------------------------------------
    shared: list[str] = []
    if task == "search":
        rationale = R.search_rationale(q, lang, rng)
    else:
        hist_counts: Counter = Counter()
        display: dict[str, str] = {}
        for h in spec["history"]:
            hq = _scrub(cd.q(h), involved)
            hist_counts.update(_overlap_terms(hq))  # distinct, in order: most_common breaks ties by it
            display.update(_display(hq))
        display.update(_display(q))
        tgt_terms = _overlap_terms(q)
        common = sorted((t for t in tgt_terms if hist_counts[t] > 0), key=lambda t: (-hist_counts[t], tgt_terms.index(t)))
        loc = [(t, _localize(t, lang, display)) for t in common]
        loc = [(t, x) for t, x in loc if x][:2]
        shared = [x for _, x in loc]
        k = hist_counts[loc[0][0]] if loc else 0
        top = [x for x in (_localize(t, lang, display) for t, _ in hist_counts.most_common(6)) if x][:3]
        rationale = R.recommend_rationale(q, shared, k, top, len(spec["history"]), lang, rng)
        if cf_ids:  # what people with this taste went on to like, as qualities the target has too
            cf_counts: Counter = Counter()
            for c in cf_ids:
                hq = _scrub(cd.q(c), involved)
                cf_counts.update(_overlap_terms(hq))
                display.update(_display(hq))
            cf_terms = [t for t in sorted((t for t in tgt_terms if cf_counts[t] > 0), key=lambda t: -cf_counts[t])]
            cf_shared = [x for x in (_localize(t, lang, display) for t in cf_terms) if x and x not in shared][:2]
            if cf_shared:
                rationale += " " + R.cf_sentence(cf_shared, lang, rng)
                shared = shared + cf_shared
    writer_name = "template"
    if use_llm:
        cand = R.clean_output(writer.complete(R.rationale_prompt(R.fact_line(q, lang, shared), lang)))
        why = R.check_rationale(cand, lang, involved, _grounding_terms(q, lang, shared), score_threshold)
        if why is None:
            rationale, writer_name = cand, writer.name
        else:
            row["llm_rationale_reject"] = why

    # rank: the real item first, then the rest by how much they share with the wish
    picks = [title(target)]
    if mode == "listwise":
        profile: Counter = Counter(_overlap_terms(q))
        for h in spec["history"]:
            profile.update(_overlap_terms(cd.q(h)))
        others = [c for c in spec["candidates"] if c != target]
        others.sort(key=lambda c: (-sum(profile[t] for t in _overlap_terms(cd.q(c))),
                                   hashlib.sha1(f"{spec['row_id']}:{c}".encode()).hexdigest()))
        picks += [title(c) for c in others]
    hist_titles = [title(h) for h in spec["history"]]
    cand_titles = [title(c) for c in spec["candidates"]] or None
    row.update({
        "row_id": spec["row_id"],
        "system": system_prompt(lang),
        "instruction": build_instruction(task, lang, query=query, history=hist_titles or None, candidates=cand_titles,
                                         cf_context=cf_line([title(i) for i in cf_ids], lang, cd.kind)),
        "response": format_response(rationale, picks, lang, listwise=mode == "listwise"),
        "rationale": rationale,
        "query": query,
        "task": spec["task"],
        "domain": cd.domain,
        "catalog": cd.name,
        "language": lang,
        "writer": writer_name,
        "user": spec["user"],
        "target_id": target,
        "source_ids": list(spec["history"]),
        "candidate_ids": list(spec["candidates"]),
        "cf_ids": cf_ids,
        "group": f"{cd.name}/user/{spec['user']}" if task == "recommend" else f"{cd.name}/item/{target}",
    })
    return row
