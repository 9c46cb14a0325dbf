"""An item's describable qualities, read from its catalog metadata (nothing invented).

Rationales and search requests are built from these, so whatever a row says about an item is a
fact of its metadata: genres/categories, tags/themes, era, creator/brand, place, audience, and for
thin metadata (news, products) a few keywords of its own text. Korean rows use a small glossary
for the common genre and category words; untranslated words stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from recchat.schema import Item

# --------------------------------------------------------------------------- glossary (en -> ko)

GLOSSARY = {
    # movie genres
    "action": "액션", "adventure": "모험", "animation": "애니메이션", "children": "어린이", "comedy": "코미디",
    "crime": "범죄", "documentary": "다큐멘터리", "drama": "드라마", "fantasy": "판타지", "film-noir": "필름 누아르",
    "horror": "공포", "imax": "아이맥스", "musical": "뮤지컬", "mystery": "미스터리", "romance": "로맨스",
    "sci-fi": "SF", "thriller": "스릴러", "war": "전쟁", "western": "서부극",
    # anime genres
    "shounen": "소년 만화", "shoujo": "소녀 만화", "seinen": "청년 만화", "josei": "여성향", "kids": "어린이",
    "school": "학원물", "slice of life": "일상물", "supernatural": "초자연", "mecha": "메카", "music": "음악",
    "historical": "역사", "magic": "마법", "sports": "스포츠", "super power": "초능력", "military": "군사",
    "parody": "패러디", "space": "우주", "demons": "악마", "martial arts": "무술", "dementia": "난해한 전개",
    "psychological": "심리극", "police": "경찰", "game": "게임", "samurai": "사무라이", "vampire": "뱀파이어",
    "cars": "자동차", "harem": "하렘",
    # anime types
    "tv": "TV 시리즈", "ova": "OVA", "movie": "극장판", "special": "스페셜", "ona": "웹 애니메이션",
    # news (MIND categories)
    "news": "뉴스", "finance": "경제", "foodanddrink": "음식", "lifestyle": "라이프스타일", "weather": "날씨",
    "video": "영상", "travel": "여행", "health": "건강", "autos": "자동차", "movies": "영화",
    "entertainment": "연예", "politics": "정치", "u.s.": "미국", "world": "국제", "football": "미식축구",
    "baseball": "야구", "basketball": "농구", "science and technology": "과학 기술", "technology": "기술",
    "golf": "골프", "soccer": "축구", "ice hockey": "아이스하키", "racing": "레이싱", "recipes": "요리법",
    "medical": "의학", "animals": "동물", "markets": "시장", "real estate": "부동산", "companies": "기업",
    "celebrity": "유명인", "royals": "왕실", "opinion": "오피니언", "elections": "선거", "science": "과학",
    "nutrition": "영양", "wellness": "웰빙", "weight loss": "다이어트", "good news": "미담", "viral": "화제",
    "trends": "트렌드", "offbeat": "이색 뉴스", "career": "커리어", "home and garden": "집과 정원",
    # Korean news topics (ko -> en is the reverse map below)
    # POI (Yelp categories)
    "restaurants": "음식점", "nightlife": "나이트라이프", "food": "음식", "bars": "바", "pizza": "피자",
    "italian": "이탈리아 음식", "sandwiches": "샌드위치", "coffee & tea": "커피와 차", "american (traditional)": "미국 가정식",
    "american (new)": "뉴 아메리칸", "chinese": "중식", "pubs": "펍", "breakfast & brunch": "브런치", "mexican": "멕시코 음식",
    "seafood": "해산물", "ice cream & frozen yogurt": "아이스크림", "delis": "델리", "japanese": "일식", "sushi bars": "스시",
    "lounges": "라운지", "bakeries": "베이커리", "donuts": "도넛", "thai": "태국 음식", "fast food": "패스트푸드",
    "event planning & services": "행사 기획", "arts & entertainment": "예술과 공연", "latin american": "중남미 음식",
    "dive bars": "동네 술집", "sports bars": "스포츠 바", "indian": "인도 음식", "music venues": "공연장",
    "vietnamese": "베트남 음식", "french": "프랑스 음식", "caterers": "케이터링", "middle eastern": "중동 음식",
    "burgers": "버거", "asian fusion": "아시안 퓨전", "steakhouses": "스테이크 하우스", "dance clubs": "클럽",
    "bagels": "베이글", "irish": "아일랜드 음식", "mediterranean": "지중해 음식", "diners": "다이너", "caribbean": "카리브 음식",
    "korean": "한식", "grocery": "식료품점", "desserts": "디저트", "greek": "그리스 음식", "shopping": "쇼핑",
    "hotels & travel": "호텔과 여행", "hotels": "호텔", "spanish": "스페인 음식", "barbeque": "바비큐",
    "food stands": "노점", "specialty food": "특산 식품", "juice bars & smoothies": "주스 바", "tapas bars": "타파스 바",
    "wine bars": "와인 바", "vegan": "비건", "vegetarian": "채식", "dim sum": "딤섬", "karaoke": "노래방",
    "cafes": "카페", "beauty & spas": "뷰티와 스파", "active life": "액티비티", "art galleries": "미술관",
    "chicken wings": "치킨 윙", "tex-mex": "텍스멕스", "southern": "미국 남부 음식", "soul food": "소울 푸드",
    "beer, wine & spirits": "주류", "hot dogs": "핫도그", "creperies": "크레페", "cuban": "쿠바 음식",
}
KO_TOPIC_EN = {"IT과학": "IT and science", "경제": "economy", "사회": "society", "생활문화": "life and culture",
               "세계": "world", "스포츠": "sports", "정치": "politics"}

NOUN = {
    "movies": ("movie", "영화"), "books": ("book", "책"), "anime": ("anime", "애니메이션"),
    "news": ("news story", "뉴스 기사"), "poi": ("place", "장소"), "e-commerce": ("product", "상품"),
}

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
    for k in ("genres", "genre", "categories"):
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
