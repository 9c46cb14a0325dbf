"""An item's describable qualities, read from its catalog metadata (nothing invented).

Rationales and search requests are built from these, so whatever a row says about an item is a
fact of its metadata: genres/categories, tags/themes, era, creator/brand, place, audience, and for
thin metadata (news, products) a few keywords of its own text. Korean rows use a small glossary
for the common genre and category words; untranslated words stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from recchat.core.domains import GLOSSARY, KO_TOPIC_EN, NOUN
from recchat.core.schema import Item

_STOP = set(
    "a an the and or of for to in on at by with from into over under about as is are was were be been this that "
    "these those it its their his her our your my we you they he she them than then also more most very just not "
    "no can will would could should may might new inch inches pack count set pcs piece pieces size x per each one "
    "two three four five all any but if so up out what when where who how why after before says said series model "
    "type style ounce ounces value vol volume edition book books novel during first second third fourth fifth last "
    "year years week weeks day days time times people man woman men women get gets got make makes made like back "
    "still even much many here there now only some such other while since through being have has had did does "
    "done which because every according among across again against almost along already although always another "
    "around away became become becomes before behind below beside besides between beyond both came come comes "
    "down either else enough ever few further going gone however into itself keep least less let lot might mine "
    "must near need never next nothing often once others ought ours over perhaps please put rather really said "
    "same seem seemed seems several shall show side since some something sometimes somewhere soon take taken "
    "than thing things think this those though thus together took toward towards until upon used using want "
    "wants well went whatever whether whole whom whose within without yet yours".split()
)
_KO_PARTICLE = re.compile(r"(은|는|이|가|을|를|에|에서|의|도|로|으로|과|와|만|까지|부터|께|한테)$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{2,}")
_HANGUL_WORD = re.compile(r"[가-힣]{2,}")
_MIND_SUB = re.compile(r"^(news|lifestyle|finance-?|autos|travel|health-?|tv|music-?|movies-?|football_|basketball_|baseball_|icehockey_)")


def ko(term: str) -> str | None:
    """The Korean for a genre/category word, or None when the glossary lacks it."""
    if re.search(r"[가-힣]", term):
        return term
    return GLOSSARY.get(term.strip().lower())


def _as_list(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (list, tuple)):
        return [str(x).strip() for x in v if str(x).strip() and str(x) != "nan"]
    s = str(v).strip()
    if not s or s == "nan":
        return []
    return [p.strip() for p in re.split(r"[|,]", s) if p.strip()]


def _mind_subcategory(sub: str) -> str | None:
    s = sub.lower()
    s = {"newsus": "U.S.", "football_nfl": "football", "baseball_mlb": "baseball", "basketball_nba": "basketball",
         "football_ncaa": "football", "basketball_ncaa": "basketball", "icehockey_nhl": "ice hockey",
         "newsscienceandtechnology": "science and technology", "weathertopstories": "", "more_sports": "",
         "newsoffbeat": "offbeat", "newsgoodnews": "good news", "lifestylehomeandgarden": "home and garden",
         "finance-real-estate": "real estate", "elections-2020-us": "elections", "weightloss": "weight loss",
         "finance-career-education": "career"}.get(s, s)
    s = _MIND_SUB.sub("", s).replace("_", " ").replace("-", " ").strip()
    return s or None


@dataclass
class Qualities:
    domain: str
    noun_en: str
    noun_ko: str
    genres: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    era: int | None = None  # decade, e.g. 1990
    place: str | None = None
    audience: str | None = None  # key into AUDIENCE
    keywords: list[str] = field(default_factory=list)

    def terms(self) -> list[str]:
        """Every describable term, lower-cased (the grounding vocabulary of an LLM output)."""
        out = [*self.genres, *self.themes, *self.creators, *self.keywords]
        if self.place:
            out.append(self.place)
        return [t.lower() for t in out if t]

    def feature_set(self) -> set[str]:
        """What overlap between items is measured on (genres and themes)."""
        return {t.lower() for t in (*self.genres, *self.themes)}


AUDIENCE = {
    "family": ("families and children", "가족과 어린이"),
    "teens": ("teenagers", "십대"),
    "adults": ("adult viewers", "성인"),
    "night_out": ("a night out", "저녁 모임"),
    "pros": ("professionals and hobbyists", "전문가와 취미 제작자"),
}


def _audience(genres: list[str], themes: list[str], domain: str) -> str | None:
    g = {x.lower() for x in genres + themes}
    if g & {"children", "kids", "family", "children's", "juvenile fiction"}:
        return "family"
    if g & {"shounen", "shoujo", "young adult", "young-adult", "school"}:
        return "teens"
    if g & {"seinen", "josei", "psychological", "film-noir"}:
        return "adults"
    if domain == "poi" and g & {"bars", "nightlife", "pubs", "lounges", "dance clubs", "wine bars"}:
        return "night_out"
    if domain == "e-commerce":
        return "pros"
    return None


def _keywords(text: str, exclude: set[str], n: int) -> list[str]:
    out: list[str] = []
    for w in _WORD.findall(text or ""):
        lw = w.lower().strip("'-")
        if lw in _STOP or lw in exclude or any(c.isdigit() for c in lw) or len(lw) < 4:
            continue
        if lw not in out:
            out.append(lw)
        if len(out) >= n:
            break
    return out


def _ko_keywords(text: str, n: int) -> list[str]:
    out: list[str] = []
    for w in _HANGUL_WORD.findall(text or ""):
        w = _KO_PARTICLE.sub("", w) if len(w) > 2 else w
        if len(w) >= 2 and w not in out and w not in ("단독", "종합", "속보", "인터뷰", "포토", "영상"):
            out.append(w)
        if len(out) >= n:
            break
    return out


def _year(meta: dict) -> int | None:
    for k in ("year", "release_date", "date", "published"):
        v = meta.get(k)
        if v is None:
            continue
        m = re.search(r"(1[89]\d\d|20[0-2]\d)", str(v))
        if m:
            return int(m.group(1))
    return None


def qualities(item: Item, domain: str) -> Qualities:
    m = item.metadata or {}
    noun_en, noun_ko = NOUN.get(domain, ("item", "항목"))
    genres: list[str] = []
    themes: list[str] = []
    creators: list[str] = []
    keywords: list[str] = []
    place = None
    for k in ("genres", "genre", "categories", "model_genres"):  # model_genres: the base model's guess where data has none
        genres += _as_list(m.get(k))
    if m.get("category"):  # MIND: category + subcategory
        genres.append(str(m["category"]))
        sub = _mind_subcategory(str(m.get("subcategory") or ""))
        if sub and sub != str(m["category"]).lower():
            genres.append(sub)
    if m.get("topic"):  # KLUE-YNAT
        genres.append(str(m["topic"]))
    for k in ("tags", "keywords", "themes"):
        themes += [t for t in _as_list(m.get(k)) if len(t) <= 40]
    for k in ("authors", "author", "director", "brand", "studio"):
        creators += [c for c in _as_list(m.get(k)) if len(c) <= 60]
    if m.get("city"):
        hoods = _as_list(m.get("neighborhoods"))
        place = f"{hoods[0]}, {m['city']}" if hoods else str(m["city"])
    t = str(m.get("type") or "")
    if domain == "anime" and t and t.lower() != "music":
        if t == "Movie":
            noun_en, noun_ko = "anime film", "애니메이션 영화"
        elif t == "TV":
            noun_en, noun_ko = "anime series", "TV 애니메이션"
    if domain == "poi" and any(g.lower() in ("restaurants", "food") for g in genres):
        noun_en, noun_ko = "restaurant", "식당"
    # drop generic umbrella categories once more specific ones exist
    if len(genres) > 1:
        genres = [g for g in genres if g.lower() not in ("restaurants", "food", "news")] or genres
    genres = list(dict.fromkeys(genres))[:4]
    themes = [x for x in dict.fromkeys(themes) if x.lower() not in {g.lower() for g in genres}][:4]
    if item.language == "ko":
        keywords = _ko_keywords(item.title, 3)
    elif domain in ("news", "e-commerce", "books"):
        # thin metadata: a few content words of the item's own text stand in for its genre
        excl = {w.lower() for c in creators for w in c.split()}
        src = str(m.get("abstract") or m.get("description") or "")
        keywords = _keywords(f"{src} {item.title}" if domain == "news" else f"{item.title} {src}", excl, 3)
    yr = _year(m)
    return Qualities(
        domain=domain, noun_en=noun_en, noun_ko=noun_ko, genres=genres, themes=themes,
        creators=list(dict.fromkeys(creators))[:2], era=(yr // 10) * 10 if yr else None, place=place,
        audience=_audience(genres, themes, domain), keywords=keywords,
    )


def term_in(term: str, lang: str) -> str | None:
    """A term as written in a row of `lang` (None: no Korean for it, so Korean rows skip it)."""
    if lang == "ko":
        return ko(term)
    if re.search(r"[가-힣]", term):
        return KO_TOPIC_EN.get(term)
    return term
