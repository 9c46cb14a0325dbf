"""Title normalisation and language detection, shared by retrieval, evaluation and training."""

from __future__ import annotations

import re
import unicodedata

_YEAR = re.compile(r"\s*[\(\[]\s*(1[89]\d\d|20\d\d)\s*[\)\]]\s*$")
_TRAILING_ARTICLE = re.compile(r"^(.*),\s*(the|a|an|les|la|le|el|il|die|der|das)\s*$", re.I)
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+", re.I)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")


def normalize_title(title: str) -> str:
    """A key that equal titles share despite case, year, articles and punctuation.

    "Matrix, The (1999)" and "the matrix" -> "matrix"; "Toy Story (1995)" -> "toy story".
    """
    t = unicodedata.normalize("NFKC", str(title)).strip()
    # a trailing year, then any alternative title in parentheses: "Seven (a.k.a. Se7en) (1995)"
    t = _YEAR.sub("", t)
    t = re.sub(r"\s*\((a\.k\.a\.|aka)[^)]*\)\s*$", "", t, flags=re.I)
    m = _TRAILING_ARTICLE.match(t)
    if m:
        t = m.group(1)
    t = _LEADING_ARTICLE.sub("", t)
    t = _NON_WORD.sub(" ", t.lower()).replace("_", " ")
    return " ".join(t.split())


def same_work_key(title: str) -> str:
    """A key that versions of one work share: the normalised title before a " - " suffix (platform or
    edition), with its year kept, so "Terraria - Xbox One" and "Terraria - Xbox 360" share one and
    "Halloween (1978)" and "Halloween (2007)" do not. A subtitle after a colon is another work."""
    t = unicodedata.normalize("NFKC", str(title)).strip()
    year = _YEAR.search(t)
    head = re.split(r"\s[-–]\s", _YEAR.sub("", t), maxsplit=1)[0]
    return normalize_title(head or t) + (f" {year.group(1)}" if year else "")


def core_title(title: str) -> str:
    """A title without its series, edition or platform: "A Game of Thrones (A Song of Ice and Fire, #1)"
    -> "A Game of Thrones", "Minecraft - PlayStation 4" -> "Minecraft"."""
    core = re.sub(r"\s*[\(\[].*$", "", str(title))
    return re.split(r"\s[-–:]\s|:\s", core)[0].strip() or str(title)


def series_key(title: str) -> str:
    """The normalised core title (`core_title`): what a show's seasons and specials or a film's sequels
    share ("High School DxD" / "High School DxD New", "Godfather: Part II, The"). A book series named in
    parentheses is left out: its entries are separate novels, and the next one is a fair answer (on the
    development requests, grouping them cost more than it gave)."""
    return normalize_title(core_title(unicodedata.normalize("NFKC", str(title)).strip()))


def same_series(a: str, b: str) -> bool:
    """Whether two series keys name one series: equal, or one a whole-word start of the other that
    is not a single short word ("batman" / "batman returns", "high school dxd" / "high school dxd new";
    not "love" / "love actually")."""
    if a == b:
        return bool(a)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return (len(short) >= 5 or " " in short) and long_.startswith(short + " ")


def detect_language(text: str) -> str:
    """'ko' when Hangul dominates the letters, else 'en' (the two languages recchat answers in)."""
    ko = len(_HANGUL.findall(text))
    la = len(_LATIN.findall(text))
    if ko == 0:
        return "en"
    # Hangul syllables carry ~2-3 Latin letters' worth of text each
    return "ko" if ko * 2.5 >= la else "en"
