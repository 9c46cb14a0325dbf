"""Items a request refers to ("YA dystopian books like The Hunger Games", "마인크래프트 같은 게임"):
found in the request's words and matched to catalog items. A Korean reference on an English catalog
is matched through the titles the model named: the one the embedder finds closest to the Korean
words ("헝거게임" -> "The Hunger Games", "포켓몬" -> "Pokemon Go"), when it clearly is. A person
asking for things *like* X wants other things: the anchors and their franchise are left out of the
answer, and the request is ranked as a search and as a history of the anchors together
(recchat/ranking/like.py)."""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz import fuzz, process

from recchat.core.textnorm import core_title, normalize_title

# "like X", "similar to X", "in the vein of X", "fans of X", "(if I / my son) loved X"; X ends at
# punctuation or at a word that starts a new clause
_LIKED = r"liked|loved|enjoyed|adored"
_EN = re.compile(
    r"\b(?:(?<!would )(?<!i )(?<!'d )(?<!feel )(?<!look )(?<!looks )like|similar to|such as|in the (?:style|vein|spirit|mold) of|reminiscent of|"
    r"comparable to|fans? of|(?<!never )(?<!n't )(?<!not )(?:" + _LIKED + r"))\s+(.+?)(?=[,.;!?)]|\s+(?:and|but|or|with|"
    r"where|that|which|for|except|only|please|as|when|so|because)\b|$)", re.I)
# "X 같은 / X처럼 / X 비슷한 / X 느낌 / X 스타일" (up to three words of X before the cue; "X 재밌게 읽은" and
# "X 좋아하는" were tried and dropped: "진짜 재밌게 봤어요", "액션 좋아하는 사람" name no title)
_KO = re.compile(r"((?:[^\s,.;!?]+\s){0,2}[^\s,.;!?]+?)\s?(?:같은|같이|처럼|비슷한|느낌의|느낌|류의|스타일의|스타일)(?=\s|$|[,.!?])")
MIN_FUZZY = 90  # a referred title must be nearly exact: "the hunger games" ~ "hunger games"
# a named title is the Korean reference's translation when its cosine to the Korean words is at least
# this, and this much above every other named title's (measured on 8 hand pairs: right ones 0.83-0.88,
# margins 0.03-0.07; e5 cosines of unrelated short strings sit at 0.74-0.81)
MIN_TRANSLATION_COS = 0.80
MIN_TRANSLATION_MARGIN = 0.03


def phrases(query: str) -> list[str]:
    """The strings a request names as its references, in order, as written. English ones must be
    written as titles are (a capital or a digit first: "like The Martian", not "like a dream")."""
    out = [m.group(1).strip(" \"'“”‘’") for m in _EN.finditer(query or "")]
    out = [p for p in out if p[:1].isupper() or p[:1].isdigit()]
    out += [m.group(1).strip(" \"'“”‘’") for m in _KO.finditer(query or "")]
    return [p for p in dict.fromkeys(out) if len(normalize_title(p)) >= 2]


def ground_phrases(names: list[str], index: dict[str, list[str]],
                   prior: dict[str, tuple[float, float]] | None = None) -> list[str]:
    """Catalog ids for the referred titles. A title matches exactly (normalised), else as the start
    of catalog titles ("hunger games" -> "The Hunger Games (The Hunger Games, #1)", "minecraft" ->
    "Minecraft - Xbox 360 Edition"), else inside them ("zelda"), else near-exactly (fuzzy); among the
    matches the best-known item (most interactions in the catalog's log: `prior`, id -> (popularity,
    quality)) is the anchor."""
    pop = prior or {}
    out: list[str] = []
    for name in names:
        key = normalize_title(name)
        if len(key) < 3:
            continue
        ids = list(index.get(key, []))
        if not ids:
            ids = [i for k, v in index.items() if k.startswith(key + " ") for i in v]
        if not ids and (len(key) >= 5 or " " in key):
            ids = [i for k, v in index.items() if f" {key} " in f" {k} " for i in v]
        if not ids:
            hit = process.extractOne(key, list(index), scorer=fuzz.ratio, score_cutoff=MIN_FUZZY)
            ids = list(index[hit[0]]) if hit else []
        if ids:
            best = max(ids, key=lambda i: pop.get(i, (0.0,))[0])
            if best not in out:
                out.append(best)
    return out


def translations(phrases_ko: list[str], names: list[str], embedder) -> list[str]:
    """For each Korean reference, the named title that translates it (none when no title is clearly it)."""
    names = list(dict.fromkeys(names))
    if not phrases_ko or not names:
        return []
    vecs = embedder.embed_queries(list(phrases_ko) + names)
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    p, t = vecs[: len(phrases_ko)], vecs[len(phrases_ko):]
    out = []
    for row in p @ t.T:
        order = np.argsort(-row)
        best = float(row[order[0]])
        second = float(row[order[1]]) if len(order) > 1 else -1.0
        if best >= MIN_TRANSLATION_COS and best - second >= MIN_TRANSLATION_MARGIN:
            out.append(names[int(order[0])])
    return out


def short_name(title: str, limit: int = 60) -> str:
    """What a sentence calls an item: its core title, and of a long product title only the part before
    its first comma ("Pentel EnerGel Deluxe RTX Retractable Liquid Gel Pen, 0.7mm, ..." -> the pen),
    at most `limit` characters, cut at a word."""
    name = core_title(title)
    if len(name) > 40 and "," in name:
        name = name.split(",")[0].strip() or name
    if len(name) > limit:
        name = name[:limit].rsplit(" ", 1)[0]
    return name


def franchise_keys(titles: list[str]) -> set[str]:
    """Normalised anchor titles with a series suffix removed ("A Game of Thrones (A Song of Ice and
    Fire, #1)" -> "game of thrones"): an item whose title contains one belongs to the franchise."""
    keys = {normalize_title(core_title(t)) for t in titles}
    return {k for k in keys if len(k) >= 4}


def without(query: str, names: list[str]) -> str:
    """The request with the referred titles (and their "like") taken out: the words that say what kind."""
    out = query
    for n in names:
        out = re.sub(r"(?:\b(?:like|similar to|such as|" + _LIKED + r")\s+)?" + re.escape(n) + r"(?:\s?(?:같은|처럼|비슷한))?", " ",
                     out, flags=re.I)
    return " ".join(out.split()).strip(" ,.;") or query

