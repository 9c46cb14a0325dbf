"""Training rows for the sentence on why the shown items fit (recchat.prompts.why_prompt, `tuned`).

A request written from an item's metadata (or a user's history), the best-known items that fit it
shown with their own catalog attributes (recchat.chat.pipeline.why_shown, what the app shows the
model), and one sentence in the person's language: the first shown item's name, then one of ITS
attributes (one the request or the history shares first), then a plain tie to the request. That is
the shape the run-time grammar holds the model to (recchat.llm.grammar.why_grammar), so the tuned
model learns to fill it with attributes the item really has. Korean sentences keep to Hangul after
the attribute, as the grammar does. Built with the reader's rows: data_understand.yaml `*_why`.
"""

from __future__ import annotations

import re
from collections import Counter

from recchat import prompts
from recchat.chat.pipeline import why_shown
from recchat.ranking.anchors import short_name

# the tie to the request after the attribute(s): several, so no one ending is learnt as the answer
_TIES = {
    ("en", "search"): ["{a}, which is what you asked for.", "{a}, a close match for your request.",
                       "{a}, just the kind of {noun} you described."],
    ("en", "recommend"): ["{a}, like the {nouns} you liked.", "{a}, close to what you have enjoyed so far."],
    ("ko", "search"): ["{a} {noun}이라 요청하신 것에 잘 맞아요.", "{a} {noun}이라 찾으시는 것과 가까워요."],
    ("ko", "recommend"): ["{a} {noun}이라 좋아하신 것들과 닮았어요.", "{a} {noun}이라 지금까지 즐기신 것과 비슷해요."],
}
_NOUN = {"en": {"movies": ("movie", "movies"), "books": ("book", "books"), "anime": ("anime", "anime"),
                "games": ("game", "games"), "poi": ("place", "places")},
         "ko": {"poi": ("곳", "곳")}}
_HANGUL = re.compile(r"[가-힣 ]+")


def pick_attributes(attrs: list[str], wanted: list[str], language: str) -> list[str]:
    """One or two of the item's attributes, those the request or history shares first; in Korean the
    second only when it is Hangul (the sentence after the first attribute is Hangul)."""
    want = {w.lower() for w in wanted}
    order = sorted(attrs, key=lambda a: (a.lower() not in want, attrs.index(a)))
    if not order:
        return []
    second = [a for a in order[1:] if language != "ko" or _HANGUL.fullmatch(a)]
    shared_second = [a for a in second if a.lower() in want]
    return order[:1] + (shared_second or second)[:1]


def why_sentence(name: str, attrs: list[str], task: str, language: str, kind: str, pick: int) -> tuple[str, str]:
    """(the whole answer, its words after the attributes): "Alien — horror and sci-fi, which is what you
    asked for." `pick` chooses the tie."""
    lang = "ko" if language == "ko" else "en"
    joined = (", " if lang == "ko" else " and ").join(attrs)
    noun, nouns = _NOUN[lang].get(kind, ("작품", "작품") if lang == "ko" else (kind, kind))
    ties = _TIES[(lang, task)]
    rest = ties[pick % len(ties)].format(a=joined, noun=noun, nouns=nouns)
    return f"{name}{prompts.WHY_SEP}{rest}", rest[len(joined):].strip(" ,")


def build_why_row(spec: dict, cats: dict) -> dict:
    from training.data.tasks import famous_fits, search_request, seeded_rng, template_row

    cd = cats[spec["catalog"]]
    rng = seeded_rng(spec["row_id"])
    lang, target = spec["language"], spec["target"]
    task = spec["task"].split("_")[0]
    row_of = lambda i: {"title": cd.items[i].title, "text": cd.items[i].text}  # noqa: E731
    query, hist_titles = "", []
    if task == "search":
        query, asked, era = search_request(cd, target, lang, rng)
        shown_ids = famous_fits(cd, [t.lower() for t in asked], set(), 3, era=era)
        wanted = prompts.attributes_in([t.lower() for t in asked], lang)
    else:
        hist = spec["history"]
        shown_ids = [target] + famous_fits(cd, sorted(cd.q(target).feature_set()), set(hist) | {target}, 2)
        hist_titles = [short_name(cd.items[h].title) for h in hist]
        seen: Counter = Counter()
        for h in hist:  # what the history's items say of themselves, most common first
            seen.update(prompts.attributes_in(prompts.item_attributes(cd.items[h].text), lang))
        wanted = [a for a, _ in seen.most_common()]
    shown = why_shown([row_of(i) for i in shown_ids], lang)
    response = rationale = ""
    if shown and shown[0][0] and shown[0][1]:
        attrs = pick_attributes(shown[0][1], wanted, lang)
        response, rationale = why_sentence(shown[0][0], attrs, task, lang, cd.kind, rng.randrange(6))
    # the language filter reads `rationale`: the words after the names and attributes
    return template_row(spec, cd, prompts.WHY_SYSTEM,
                        prompts.why_instruction(task, lang, shown, query=query, history=hist_titles),
                        response, rationale, lang, query)
