"""A request in the catalog's language: Korean request words become the English words an English
catalog's items are made of (recchat/core/domains.py), so retrieval matches the catalog's own
vocabulary and not only what the multilingual embedder carries across languages."""

from __future__ import annotations

import re

from recchat.core.domains import GLOSSARY, KO_ENDINGS, KO_QUERY_WORDS

# Korean genre/category word -> English, the reverse of the glossary (first English word wins)
_KO_EN: dict[str, str] = {}
for _en, _ko in GLOSSARY.items():
    _KO_EN.setdefault(_ko, _en)
_KO_EN.update({k: v for k, v in KO_QUERY_WORDS.items()})

_PARTICLE = re.compile(r"(으로|에서|까지|부터|한테|처럼|같은|이랑|랑|하고|이나|은|는|이|가|을|를|에|의|도|로|과|와|만|요|나)$")
_NEGATORS = {"없이", "없는", "없고", "말고", "빼고", "아닌", "제외", "싫어", "싫은"}
_TOKEN = re.compile(r"[가-힣]+|[A-Za-z0-9][A-Za-z0-9'\-:.]*")


def _korean_word(w: str) -> str | None:
    if w in _KO_EN:
        return _KO_EN[w]
    stripped = _PARTICLE.sub("", w)
    if stripped != w and stripped in _KO_EN:
        return _KO_EN[stripped]
    # a known word with the ending a request gave it ("힐링할", "배틀물", "느긋하게", "요리하는": the
    # particle rule alone reads its last syllable as a particle)
    for form in dict.fromkeys((w, stripped)):
        for end in KO_ENDINGS:
            if form.endswith(end) and len(form) - len(end) >= 2 and form[: -len(end)] in _KO_EN:
                return _KO_EN[form[: -len(end)]]
    # a known word of three or more syllables with one more that names a person or kind of it
    # ("연쇄살인범" = serial killer + offender, "스릴러물")
    if len(stripped) >= 4 and stripped[:-1] in _KO_EN:
        return _KO_EN[stripped[:-1]]
    # compounds written without a space ("범죄스릴러", "좀비영화"): two known halves
    for i in range(2, len(w) - 1):
        a, b = w[:i], _PARTICLE.sub("", w[i:])
        if a in _KO_EN and b in _KO_EN:
            return f"{_KO_EN[a]} {_KO_EN[b]}".strip()
    return None


# what is asked for, in English, per catalog domain: the catalog is already of that kind, and titles
# that say "Book" or "Game" ("The Book Thief", "Game Boy Player") are no better answers for it (the
# Korean nouns map to ""). Only the catalog's own kind: "a game" in an anime request is content.
_EN_KIND_NOUNS = {
    "movies": r"movies?|films?", "books": r"books?|novels?", "games": r"video ?games?|games?",
    "anime": r"animes?|anime series|animations?|animated",
}

# words of any request that no item is about ("Something Borrowed" is no answer to "something like X"),
# and praise, which says how good, not what ("classic musical" found Star Wars, tagged "classic sci-fi";
# on the 60 development requests: NDCG@10 up in 4, down in 1, benchmarks/search.py --sets dev)
_EN_FILLER = (r"something|anything|everything|recommend(?:ations?)?|suggest(?:ions?)?|please|"
              r"great|good|best|amazing|awesome|excellent|wonderful|fantastic|brilliant|classics?|"
              r"genuinely|really|truly|absolutely")


def full_text_words(text: str, domain: str) -> str:
    """The words to full-text search with: the request less the nouns naming the catalog's own kind
    ("" when nothing else is left: the vector and the model's text carry such a request)."""
    nouns = "|".join(x for x in (_EN_KIND_NOUNS.get(domain), _EN_FILLER) if x)
    out = " ".join(re.sub(rf"\b(?:{nouns})\b", " ", text, flags=re.I).split())
    return out if out.strip(" ,.;:!?-") else ""  # "books" alone on books: nothing to search for


# Latin abbreviations Korean requests use where English catalogs spell the word out ("SF 고전")
_LATIN_IN_KOREAN = {"sf": "science fiction sci-fi"}


def in_catalog_language(text: str, text_language: str, catalog_language: str) -> str:
    """The request's words in the catalog's language; unchanged when the languages match or no
    mapping exists. Latin words in a Korean request ("젤다 같은 오픈월드 RPG") are kept as they are;
    Korean words the tables do not know are dropped (the embedder still sees the original)."""
    if text_language == catalog_language or text_language != "ko" or catalog_language != "en":
        return text
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if re.match(r"[A-Za-z0-9]", tok):
            out.append(_LATIN_IN_KOREAN.get(tok.lower(), tok))
            continue
        if tok in _NEGATORS:  # "경쟁 없이": the word before is what the person does not want
            if out:
                out.pop()
            continue
        en = _korean_word(tok)
        if en:
            out.append(en)
    return " ".join(w for w in " ".join(out).split())
