"""Search requests and rationales: grounded templates, the LLM writers' few-shot prompts, validation.

A template states only metadata facts (features.Qualities), with varied wording chosen by the row's
own seeded RNG, so a row is the same whichever run writes it. LLM outputs go through `check_query`
/ `check_rationale`; a failed one falls back to the template and the row records which writer won.
Rationales name no item at all: they describe qualities, which is what the runtime retrieves with.
"""

from __future__ import annotations

import random
import re

from recchat.core.quality import repetition_score, word_tokens
from recchat.core.textnorm import detect_language, normalize_title

from training.data.features import AUDIENCE, Qualities, term_in

# --------------------------------------------------------------------------- helpers


def josa(word: str, pair: str) -> str:
    """Korean particle after `word`: pair is "이가", "을를", "은는" or "과와" (batchim first)."""
    last = word.strip()[-1:] if word.strip() else ""
    if "가" <= last <= "힣":
        has_batchim = (ord(last) - 0xAC00) % 28 != 0
    else:  # Latin letters/digits: treat as vowel-final unless a consonant sound is likely
        has_batchim = last.lower() in "lmnr" or last.isdigit() and last in "0136789"
    return word + (pair[0] if has_batchim else pair[1])


def _en_list(xs: list[str]) -> str:
    xs = [x for x in xs if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def terms_in_language(xs: list[str], lang: str, n: int, foreign: int = 0) -> list[str]:
    """Up to n terms as written in `lang`; Korean keeps at most `foreign` untranslated ones."""
    out = []
    for x in xs:
        t = term_in(x, lang)
        if t is None and lang == "ko" and foreign > 0 and not re.search(r"[가-힣]", x):
            t, foreign = x, foreign - 1
        if t and lang != "ko" and len(t) > 3 and not t.isupper():
            t = t.lower()  # "Action" -> "action"; keeps "IMAX", "TV"
        if t and t not in out:
            out.append(t)
        if len(out) >= n:
            break
    return out


def _article(np: str) -> str:
    return ("an " if np[:1].lower() in "aeiou" else "a ") + np


# --------------------------------------------------------------------------- noun phrases


def noun_phrase(q: Qualities, lang: str, rng: random.Random, *, genres_n: int = 3) -> str:
    """'a 1990s action and crime movie about heists, by X, for Y' / its Korean counterpart."""
    genres = terms_in_language(q.genres, lang, genres_n, foreign=1)
    themes = terms_in_language(q.themes, lang, 3, foreign=1)
    kws = terms_in_language(q.keywords, lang, 3, foreign=2)
    if lang == "ko":
        parts = []
        if q.place:
            parts.append(f"{q.place}에 있는")
        if q.creators and (rng.random() < 0.8 or not (genres or themes or kws)):
            parts.append(f"{q.creators[0]}의")
        if themes:
            parts.append(f"{'·'.join(themes)} 요소가 있는")
        elif kws:
            parts.append(f"{'·'.join(kws)} 관련")
        if genres:
            parts.append(f"{'·'.join(genres)} 장르의")
        if q.era:
            parts.append(f"{q.era}년대")
        parts.append(q.noun_ko)
        return " ".join(parts)
    if q.domain == "poi":
        np = q.noun_en + (f" in {q.place}" if q.place else "")
        if genres:
            np += " known for " + _en_list(genres)
        return _article(np)
    head = []
    if q.era and rng.random() < 0.7:
        head.append(f"{q.era}s")
    if genres:
        head.append(_en_list(genres))
    np = " ".join([*head, q.noun_en])
    tail = []
    if themes:
        tail.append(rng.choice(["about", "with", "featuring"]) + " " + _en_list(themes))
    elif kws:
        tail.append(rng.choice(["about", "on", "involving"]) + " " + _en_list(kws))
    if q.creators:
        tail.append("by " + q.creators[0])
    if q.place:
        tail.append("in " + q.place)
    if q.era and not head[:1] == [f"{q.era}s"]:
        tail.append(f"from the {q.era}s")
    return _article(" ".join([np, *tail]))


# --------------------------------------------------------------------------- rationales

_SEARCH_EN = [
    "This request calls for {np}.", "What fits is {np}.", "The best match is {np}.",
    "They are looking for {np}.", "A good answer is {np}.",
]
_SEARCH_KO = [
    "이 요청에는 {np_ga} 잘 맞습니다.", "요청에 맞는 것은 {np}입니다.", "찾는 것은 {np}입니다.",
    "{np_eul} 찾고 있습니다.", "이 요청에는 {np_ga} 어울립니다.",
]
_OVERLAP_EN = [
    "The history leans toward {shared} ({k} of {n} items).", "Most of what they chose is {shared} ({k} of {n}).",
    "Their history keeps returning to {shared}: {k} of {n} items.",
]
_OVERLAP_KO = [
    "이용 기록은 {shared} 쪽으로 기울어 있습니다({n}개 중 {k}개).", "이용한 항목 {n}개 중 {k}개가 {shared}입니다.",
    "기록에는 {shared} 항목이 많습니다({n}개 중 {k}개).",
]
_SPAN_EN = ["The history spans {top}.", "Their history mixes {top}."]
_SPAN_KO = ["이용 기록에는 {top} 항목이 섞여 있습니다.", "기록은 {top} 등 여러 갈래입니다."]
_NEXT_EN = ["Next they would enjoy {np}.", "A good next pick is {np}.", "So the next item should be {np}.",
            "What fits next is {np}."]
_NEXT_KO = ["다음으로는 {np_ga} 좋겠습니다.", "다음에 즐길 만한 것은 {np}입니다.", "그래서 다음에는 {np_ga} 어울립니다."]
_AUD_EN = ["It suits {aud}.", "It is aimed at {aud}."]
_AUD_KO = ["{aud}에게 잘 맞습니다.", "{aud}에게 어울립니다."]


def _fill_ko(t: str, np: str) -> str:
    return t.format(np=np, np_ga=josa(np, "이가"), np_eul=josa(np, "을를"))


def search_rationale(q: Qualities, lang: str, rng: random.Random) -> str:
    np = noun_phrase(q, lang, rng)
    if lang == "ko":
        out = [_fill_ko(rng.choice(_SEARCH_KO), np)]
    else:
        out = [rng.choice(_SEARCH_EN).format(np=np)]
    out += _audience_sentence(q, lang, rng)
    return " ".join(out)


def recommend_rationale(
    target: Qualities, shared: list[str], k: int, top_history: list[str], n_history: int, lang: str,
    rng: random.Random,
) -> str:
    """shared: the target's terms the history also has (as written in `lang`), k: how many history
    items carry the most common of them; top_history: the history's commonest terms otherwise."""
    out = []
    if shared:
        sh = shared[:2]
        if lang == "ko":
            out.append(rng.choice(_OVERLAP_KO).format(shared="·".join(sh), k=k, n=n_history))
        else:
            out.append(rng.choice(_OVERLAP_EN).format(shared=_en_list(sh), k=k, n=n_history))
    elif top_history:
        top = top_history[:3]
        out.append(rng.choice(_SPAN_KO if lang == "ko" else _SPAN_EN).format(
            top="·".join(top) if lang == "ko" else _en_list(top)))
    np = noun_phrase(target, lang, rng)
    out.append(_fill_ko(rng.choice(_NEXT_KO), np) if lang == "ko" else rng.choice(_NEXT_EN).format(np=np))
    out += _audience_sentence(target, lang, rng)
    return " ".join(out)


_CF_EN = [
    "People with the same taste also went for {shared} titles.",
    "Others who liked these moved on to {shared} picks.",
    "Similar fans also chose {shared} ones.",
]
_CF_KO = [
    "비슷한 취향의 사람들도 {shared} 쪽을 골랐습니다.",
    "같은 항목을 좋아한 사람들은 {shared} 작품으로 넘어갔습니다.",
]


def cf_sentence(shared: list[str], lang: str, rng: random.Random) -> str:
    """The collaborative hint put into words: qualities the CF neighbours share with the target."""
    if lang == "ko":
        return rng.choice(_CF_KO).format(shared="·".join(shared[:2]))
    return rng.choice(_CF_EN).format(shared=_en_list(shared[:2]))


def _audience_sentence(q: Qualities, lang: str, rng: random.Random) -> list[str]:
    if not q.audience or rng.random() < 0.4:
        return []
    en, ko = AUDIENCE[q.audience]
    return [rng.choice(_AUD_KO).format(aud=ko) if lang == "ko" else rng.choice(_AUD_EN).format(aud=en)]


# --------------------------------------------------------------------------- search requests (templates)


def search_query(q: Qualities, lang: str, rng: random.Random) -> str:
    """A short, vague request a person might type for this item; never its title."""
    g = terms_in_language(q.genres, lang, 2, foreign=1)
    th = terms_in_language(q.themes, lang, 2, foreign=1)
    kw = terms_in_language(q.keywords, lang, 2, foreign=2)
    noun = q.noun_ko if lang == "ko" else q.noun_en
    opts: list[str] = []
    if lang == "ko":
        if g:
            opts += [f"{'·'.join(g)} {noun}", f"{g[0]} {noun} 추천해줘", f"재미있는 {g[0]} {noun} 찾아줘"]
        if g and th:
            opts += [f"{th[0]} 나오는 {g[0]} {noun}", f"{'·'.join(th)} 요소가 있는 {noun}"]
        if g and q.era:
            opts += [f"{q.era}년대 {g[0]} {noun}"]
        if kw:
            opts += [f"{' '.join(kw)} 관련 {g[0] + ' ' if g else ''}{noun}", f"{kw[0]} 관련 {noun} 찾아줘"]
        if q.creators:
            opts += [f"{q.creators[0]}의 {noun}"]
        if q.place and g:
            opts += [f"{q.place} 근처 {g[0]} {noun}"]
        if q.audience and g:
            opts += [f"{AUDIENCE[q.audience][1]}에게 좋은 {g[0]} {noun}"]
    else:
        if g:
            opts += [f"{_en_list(g)} {noun}", f"a good {g[0]} {noun}", f"something {_en_list(g)}"]
        if g and th:
            opts += [f"{g[0]} {noun} about {th[0]}", f"{noun} with {_en_list(th)}"]
        if g and q.era:
            opts += [f"{q.era}s {g[0]} {noun}"]
        if kw:
            opts += [f"{' '.join(kw)} {noun}", f"{noun} about {_en_list(kw)}"]
        if q.creators:
            opts += [f"{noun} by {q.creators[0]}"]
        if q.place and g:
            opts += [f"{g[0]} {noun} in {q.place}"]
        if q.audience and g:
            opts += [f"{g[0]} {noun} for {AUDIENCE[q.audience][0]}"]
    if not opts:
        opts = [f"{noun} 추천해줘" if lang == "ko" else f"a {noun} worth trying"]
    # mostly requests that carry two or more qualities: a vague one leaves the rationale ungrounded
    rich = [o for o in opts if sum(t in o for t in (*g, *th, *kw, *q.creators[:1], q.place or "\0")) >= 2]
    return rng.choice(rich if rich and rng.random() < 0.8 else opts)


# --------------------------------------------------------------------------- LLM prompts (few-shot)

_QUERY_HEAD = {
    "en": "You can infer the search query a person typed before choosing an item. Write one short, vague "
          "query of a few words. Never write the item's name.\n\n",
    "ko": "사용자가 항목을 고르기 전에 입력한 검색어를 추론합니다. 몇 단어의 짧고 모호한 한국어 검색어를 한 문구로 쓰세요. "
          "항목 이름은 절대 쓰지 마세요.\n\n",
}
_QUERY_SHOTS = {
    "en": [
        ("Galaxy S23 Ultra 5G | product | smartphone, Samsung", "samsung flagship smartphone"),
        ("La La Land (2016) | movie | musical, romance", "oscar-nominated musical movie"),
        ("iPad Pro 12.9 inch LTE | product | tablet, Apple", "apple tablet for drawing"),
        ("Nike jogger pants (size XL) | product | clothing, men", "men's jogger pants"),
        ("Pride and Prejudice | book | classic, romance", "witty classic romance novel"),
        ("Squid Game | series | thriller, survival, Korean", "korean survival thriller series"),
        ("Blue Bottle Coffee | place | cafe, coffee, breakfast", "specialty coffee for breakfast"),
    ],
    "ko": [
        ("갤럭시 S23 울트라 5G | 상품 | 스마트폰, 삼성", "삼성 플래그십 스마트폰"),
        ("라라랜드 (2016) | 영화 | 뮤지컬, 로맨스", "오스카 후보 뮤지컬 영화"),
        ("아이패드 프로 12.9 | 상품 | 태블릿, 애플", "그림 그리기 좋은 애플 태블릿"),
        ("나이키 조거팬츠 (XL) | 상품 | 의류, 남성", "남자 조거팬츠"),
        ("오만과 편견 | 책 | 고전, 로맨스", "재치 있는 고전 로맨스 소설"),
        ("오징어 게임 | 시리즈 | 스릴러, 생존", "한국 생존 스릴러 시리즈"),
        ("블루보틀 커피 | 장소 | 카페, 커피, 아침", "아침 먹기 좋은 스페셜티 커피집"),
    ],
}
_RAT_HEAD = {
    "en": "Each line of facts about what a person wants is followed by one sentence that describes it, "
          "using only those facts and naming no title.\n\n",
    "ko": "사람이 원하는 것에 대한 사실 뒤에, 그 사실만 써서 제목 없이 설명하는 한국어 문장 하나가 이어집니다.\n\n",
}
_RAT_SHOTS = {
    "en": [
        ("movie | genres: Sci-Fi, Horror | themes: aliens, space | era: 1970s",
         "A dark science-fiction horror movie from the 1970s about aliens in space, tense and claustrophobic."),
        ("book | history shares: romance | by: Jane Austen | era: 1810s",
         "Their history leans toward romance, so a classic romance novel by Jane Austen from the 1810s fits."),
        ("place | genres: Coffee & Tea, Bakeries | in: Downtown, Boston",
         "A relaxed coffee and tea spot with fresh bakery goods in Downtown, Boston."),
    ],
    "ko": [
        ("영화 | 장르: SF, 공포 | 주제: 외계인, 우주 | 시대: 1970년대",
         "우주에서 외계인과 맞서는 1970년대 SF 공포 영화로, 어둡고 긴장감 넘치는 분위기입니다."),
        ("책 | 기록과 공통: 로맨스 | 작가: Jane Austen | 시대: 1810년대",
         "이용 기록이 로맨스 쪽이라 Jane Austen의 1810년대 고전 로맨스 소설이 어울립니다."),
        ("장소 | 장르: 커피와 차, 베이커리 | 위치: Downtown, Boston",
         "Downtown, Boston에 있는 갓 구운 빵과 커피를 즐길 수 있는 편안한 카페입니다."),
    ],
}


def item_line(title: str, q: Qualities, lang: str) -> str:
    facts = terms_in_language(q.genres + q.themes + q.keywords, lang, 4) or ([q.creators[0]] if q.creators else [])
    noun = q.noun_ko if lang == "ko" else q.noun_en
    return f"{title} | {noun} | {', '.join(facts)}"


def query_prompt(title: str, q: Qualities, lang: str) -> str:
    key = "ko" if lang == "ko" else "en"
    a, b = ("항목", "검색어") if key == "ko" else ("Item", "Query")
    out = _QUERY_HEAD[key] + "".join(f"{a}: {x} | {b}: {y}\n" for x, y in _QUERY_SHOTS[key])
    return out + f"{a}: {item_line(title, q, lang)} | {b}:"


def fact_line(q: Qualities, lang: str, shared: list[str] | None = None) -> str:
    ko = lang == "ko"
    parts = [q.noun_ko if ko else q.noun_en]
    if shared:
        parts.append(("기록과 공통: " if ko else "history shares: ") + ", ".join(shared))
    g = terms_in_language(q.genres, lang, 3)
    if g:
        parts.append(("장르: " if ko else "genres: ") + ", ".join(g))
    th = terms_in_language(q.themes, lang, 3) or terms_in_language(q.keywords, lang, 3)
    if th:
        parts.append(("주제: " if ko else "themes: ") + ", ".join(th))
    if q.creators:
        parts.append(("작가: " if ko else "by: ") + q.creators[0])
    if q.place:
        parts.append(("위치: " if ko else "in: ") + q.place)
    if q.era:
        parts.append(f"시대: {q.era}년대" if ko else f"era: {q.era}s")
    return " | ".join(parts)


def rationale_prompt(facts: str, lang: str) -> str:
    key = "ko" if lang == "ko" else "en"
    a, b = ("사실", "설명") if key == "ko" else ("Facts", "Description")
    out = _RAT_HEAD[key] + "".join(f"{a}: {x}\n{b}: {y}\n\n" for x, y in _RAT_SHOTS[key])
    return out + f"{a}: {facts}\n{b}:"


# --------------------------------------------------------------------------- validation

_QUOTED = re.compile(r"[\"“”«»「」『』]([^\"“”«»「」『』]{3,80})[\"“”«»「」『』]")
_PREFIX = re.compile(r"^\s*(query|검색어|description|설명)\s*[:：]\s*", re.I)


def clean_output(text: str) -> str:
    """First line, without a repeated label, quotes or list markers."""
    line = next((ln for ln in (text or "").splitlines() if ln.strip()), "")
    line = _PREFIX.sub("", line).strip().strip("\"'“”‘’`").strip()
    return re.sub(r"^[-*•\d.)\s]+", "", line).strip() if re.match(r"^[-*•]|\d+[.)]\s", line) else line


def _names_title(text: str, titles: list[str]) -> bool:
    nt = normalize_title(text)
    padded = f" {nt} "
    for t in titles:
        n = normalize_title(t)
        if len(n) >= 4 and f" {n} " in padded:
            return True
    return False


def check_query(query: str, lang: str, title: str, other_titles: list[str]) -> str | None:
    """Why an LLM-written request is unusable, or None when it is fine."""
    if not query.strip():
        return "empty"
    if not 3 <= len(query) <= 120 or len(query.split()) > 16:
        return "length"
    if detect_language(query) != lang:
        return "language"
    nq, nt = normalize_title(query), normalize_title(title)
    if not nq or nt == nq or (len(nt) >= 4 and nt in nq) or (len(nq) >= 8 and nq in nt):
        return "copies title"
    qt, tt = nq.split(), set(nt.split())
    if len(qt) >= 2 and sum(w in tt for w in qt) / len(qt) >= 0.8:
        return "copies title"
    if _names_title(query, other_titles):
        return "names an item"
    return None


def check_rationale(text: str, lang: str, titles: list[str], terms: list[str], threshold: float = 15.0) -> str | None:
    """Why an LLM-written rationale is unusable, or None. `terms`: its grounding facts (as written in `lang`)."""
    if not text.strip():
        return "empty"
    if not 20 <= len(text) <= 600:
        return "length"
    if detect_language(text) != lang:
        return "language"
    if _names_title(text, titles) or any(len(m.split()) >= 2 for m in _QUOTED.findall(text)):
        return "names an item"
    low = text.lower()
    hits = {t for t in terms if t and t.lower() in low}
    if len(hits) < min(2, len(set(terms))):
        return "ungrounded"
    if repetition_score(word_tokens(text)) >= threshold:
        return "repetitive"
    return None
