"""Picks that always exist: the candidate grammar parses in llama.cpp for hostile titles, and under
it every pick the real model names (base forced into the chat shape, and the shipped `sft`) is a
listed candidate, over seeds and temperatures."""

from __future__ import annotations

import pytest

from recchat import prompts
from recchat.chat.pipeline import AskRequest, run
from recchat.core.textnorm import normalize_title
from recchat.llm.grammar import MAX_TITLE_CHARS, literal, picks_grammar, shown_title

HOSTILE = [
    'Say "Hello" (2001)',
    "Back\\slash \\n not a newline",
    "Brackets ] [ and ] ::= | ( ) * + ?",
    "Two\nlines\r\tand tabs",
    "괴물 (2006)",
    "Emoji 🎬🍿 night",
    "x" * 500,
    "ctrl\x00\x07chars",
    "   ",
    '"',
]


@pytest.fixture(scope="module")
def vocab_llm(session_home):
    from llama_cpp import Llama

    from recchat.llm.checkpoints import base_gguf_path

    return Llama(model_path=str(base_gguf_path()), vocab_only=True, verbose=False)


def test_literal_escapes_quotes_backslashes_and_controls():
    assert literal('a"b\\c') == '"a\\"b\\\\c"'
    assert literal("a\nb\x00") == '"a\\x0ab\\x00"'
    assert literal("괴물 🎬") == '"괴물 🎬"'


def test_shown_title_is_one_bounded_line():
    assert shown_title("Two\nlines\r\tand tabs") == "Two lines and tabs"
    assert shown_title("ctrl\x00\x07chars") == "ctrlchars"
    assert len(shown_title("x" * 500)) == MAX_TITLE_CHARS
    assert shown_title("   ") == "" and shown_title("\ud800a") == "a"


@pytest.mark.parametrize("label", ["Ranking:", "순위:"])
def test_grammar_parses_in_llamacpp_for_hostile_titles(vocab_llm, label):
    from recchat.llm.grammar import compile_grammar

    g = picks_grammar(HOSTILE, label)
    assert g.count("pick") >= len(HOSTILE) - 2  # empties dropped, one rule per possible pick
    compile_grammar(vocab_llm, g)  # raises if llama.cpp's parser rejects it
    for t in HOSTILE:
        compile_grammar(vocab_llm, picks_grammar([t, "Alien (1979)"], label))
    assert picks_grammar(["  ", ""], label) is None


def test_a_broken_grammar_is_a_clear_error_not_a_crash(vocab_llm):
    from recchat.core.errors import RecchatError
    from recchat.llm.grammar import compile_grammar

    with pytest.raises(RecchatError, match="rejected the picks grammar"):
        compile_grammar(vocab_llm, 'root ::= "unterminated')


def test_whole_picks_streams_the_rationale_and_drops_a_cut_title():
    from recchat.llm.grammar import whole_picks

    titles = ["Terminator 2: Judgment Day (1991)", "Alien (1979)"]
    pieces = ["Dark ", "sci-fi.", "\n\nRanking:\n1. Alien", " (1979)\n2. Termin", "ator 2"]
    out = list(whole_picks(iter(pieces), titles, "Ranking:"))
    assert out[:2] == ["Dark ", "sci-fi."]  # the rationale streams piece by piece
    assert "".join(out) == "Dark sci-fi.\n\nRanking:\n1. Alien (1979)"  # max_tokens cut the second title
    assert "".join(whole_picks(iter(["Only a rationale, cut"]), titles, "Ranking:")) == "Only a rationale, cut"
    assert "".join(whole_picks(iter(["R.\n\nRanking:\n1. Ali"]), titles, "Ranking:")) == "R."
    assert "".join(whole_picks(iter(["R.\n\n순위:\n1. Alien (1979)"]), titles, "순위:")).endswith("1. Alien (1979)")


@pytest.mark.slow
def test_base_model_forced_to_name_hostile_titles(session_home):
    """The untuned base model, given a chat prompt it was never trained on, still names only listed
    titles under the grammar, hostile characters included (llama.cpp's own sampler, real GGUF)."""
    from llama_cpp import Llama

    from recchat.llm.checkpoints import base_gguf_path
    from recchat.llm.grammar import compile_grammar, whole_picks

    titles = [prompts.sanitize(t) for t in HOSTILE if shown_title(t)]
    llm = Llama(model_path=str(base_gguf_path()), n_ctx=2048, n_threads=2, verbose=False, seed=0)
    prompt, stop = prompts.build_prompt("chat", "search", "en", query="a film", candidates=titles)
    allowed = {normalize_title(shown_title(t)) for t in titles}
    g = picks_grammar(titles, prompts.RANK_LABEL["en"])
    named = 0
    for seed, temp in ((0, 0.0), (1, 1.2)):
        llm.reset()
        raw = llm.create_completion(prompt, max_tokens=100, temperature=temp, seed=seed, stop=stop,
                                    grammar=compile_grammar(llm, g))["choices"][0]["text"]
        assert "\n" not in raw.partition("\n\nRanking:\n")[0]  # one-line rationale, then the label
        picks = prompts.split_response("".join(whole_picks(iter([raw]), titles, "Ranking:")))[1]
        assert all(normalize_title(p) in allowed for p in picks), (picks, raw)
        named += len(picks)
    assert named >= 1


def _picks(req: AskRequest) -> tuple[list[str], object]:
    raw, ans = "", None
    for ev in run(req):
        if ev[0] == "token":
            raw += ev[1]
        elif ev[0] == "answer":
            ans = ev[1]
    return prompts.split_response(raw)[1], ans


CANDS = ["1", "2571", "858", "318", "2355", "260", "1196", "1210", "480", "589"]


def _shipped(style: str) -> list[str]:
    from recchat.llm.checkpoints import shipped_style

    return [n for n in ("sft", "dpo") if shipped_style(n) == style]


@pytest.mark.slow
@pytest.mark.parametrize("checkpoint", [*_shipped("chat"), "base-chat"])
def test_every_pick_is_a_candidate(home, checkpoint):
    """Through the app's own path (`recchat ask --candidates`): the shipped sft adapter and the base
    model in the chat shape, greedy and sampled, in English and Korean; every parsed pick is one of
    the candidates' titles, and the pipeline maps each back to its id."""
    from recchat.retrieval.store import get_store

    models = home / "models.yaml"
    if checkpoint == "base-chat":  # the untuned model writes free text where picks belong: the hard case
        models.write_text("- name: base-chat\n  path: base\n  prompt_style: chat\n")
    try:
        # character for character as listed (the old path's sft wrote "A New Hope (1973)" for "(1977)")
        titles = {shown_title(prompts.sanitize(r["title"])) for r in get_store().get("movies", CANDS)}
        with_picks = 0
        for query, seed, temp in (("a funny animated movie about toys", 0, 0.0), ("a dark sci-fi film", 1, 0.9),
                                  ("a classic crime drama", 2, 1.3), ("무서운 우주 영화", 3, 0.9)):
            picks, ans = _picks(AskRequest(query=query, candidates=CANDS, checkpoint=checkpoint, top_k=10,
                                           max_tokens=96, seed=seed, temperature=temp))
            assert all(p in titles for p in picks), (checkpoint, seed, picks)
            assert sorted(i.id for i in ans.items) == sorted(CANDS)
            with_picks += bool(picks)
        assert with_picks >= 2, f"{checkpoint} named picks in only {with_picks} of 4 answers"
    finally:
        models.unlink(missing_ok=True)


@pytest.mark.slow
@pytest.mark.parametrize("checkpoint", _shipped("understand"))
def test_a_request_reader_over_candidates_shows_only_candidates(home, checkpoint):
    """A reader checkpoint names titles from what it knows, not from the list: over a candidate list
    the answer holds exactly the candidates, and every title its shown text names is one of them."""
    from recchat.retrieval.store import get_store

    titles = [r["title"] for r in get_store().get("movies", CANDS)]
    other = [r["title"] for r in get_store().get("movies", ["2", "3", "5", "6", "7"])]
    for query, seed, temp in (("a funny animated movie about toys", 0, 0.0), ("무서운 우주 영화", 3, 0.9)):
        _, ans = _picks(AskRequest(query=query, candidates=CANDS, checkpoint=checkpoint, top_k=10,
                                   max_tokens=96, seed=seed, temperature=temp))
        assert sorted(i.id for i in ans.items) == sorted(CANDS)
        shown = ans.rationale.partition("e.g. ")[2] or ans.rationale.partition("예: ")[2]
        assert not any(t in shown for t in other), ans.rationale
        rest = shown
        for t in sorted(titles, key=len, reverse=True):  # titles hold commas ("Matrix, The (1999)")
            rest = rest.replace(t, "")
        assert not rest.replace(",", "").strip(), ans.rationale


def test_why_grammar_parses_for_hostile_titles_and_needs_one(vocab_llm):
    from recchat.llm.grammar import compile_grammar, why_grammar

    shown = [(t, ["drama", 'a "quoted" tag']) for t in HOSTILE[:4]] + [(t, []) for t in HOSTILE[4:]]
    g = why_grammar(shown, prompts.WHY_SEP, "en")
    assert g.startswith("root ::= item0 | item1 | item2 | item3\n") and 'Say \\"Hello\\" (2001)' in g
    assert 'item0 ::= "Say \\"Hello\\" (2001)" " — " ("a " | "an ")? ("drama" | "a \\"quoted\\" tag") rest' in g
    assert "괴물" not in g  # an item with nothing listed is left out while others have attributes
    compile_grammar(vocab_llm, g)
    bare = why_grammar([(t, []) for t in HOSTILE], prompts.WHY_SEP, "en")
    assert 'item4 ::= "괴물 (2006)" " — " rest' in bare  # none has any: free text after the name
    compile_grammar(vocab_llm, bare)
    ko = why_grammar([("괴물", ["공포", "thriller"])], prompts.WHY_SEP, "ko")
    assert 'item0 ::= "괴물" " — " ("공포" | "thriller") rest' in ko and "[가-힣ㄱ-ㅎ0-9" in ko  # Korean after the names
    compile_grammar(vocab_llm, ko)
    assert why_grammar([("  ", ["drama"]), ("", [])], prompts.WHY_SEP, "en") is None


@pytest.mark.slow
@pytest.mark.parametrize("query,language", [("a dark sci-fi film", "en"), ("무서운 우주 영화 추천해줘", "ko")])
def test_the_sentence_on_why_opens_with_a_shown_item_in_the_persons_language(home, query, language):
    """After the final items, the app's sentence names one of them first (grammar), in the person's
    language, and arrives after the final items are on screen; explain=False leaves it out."""
    from recchat.core.textnorm import detect_language
    from recchat.retrieval.store import get_store

    events = list(run(AskRequest(query=query, catalog="movies", checkpoint="base", top_k=5, seed=0)))
    kinds = [e[0] for e in events]
    assert kinds.index("items") < kinds.index("token")
    final = next(e[1] for e in events if e[0] == "items" and e[2] == "final")
    assert kinds.index("why") > max(i for i, e in enumerate(events) if e[0] == "items")
    ans = events[-1][1]
    assert [i.id for i in ans.items] == [i.id for i in final]
    from recchat.ranking.anchors import short_name

    first, _, rest = ans.why.partition(prompts.WHY_SEP)  # the name without edition or platform, as the prompt lists it
    named = next(i for i in ans.items[:3] if shown_title(prompts.sanitize(short_name(i.title))) == first)
    attrs = prompts.attributes_in(prompts.item_attributes(get_store().get("movies", [named.id])[0]["text"]), language)
    assert any(rest.removeprefix("a ").removeprefix("an ").startswith(a) for a in attrs), (ans.why, attrs)
    assert ans.why.endswith((".", "!", "?", "…")), ans.why  # one sentence, or one cut by max_tokens
    assert detect_language(ans.why.partition(prompts.WHY_SEP)[2]) == language, ans.why
    quiet = list(run(AskRequest(query=query, catalog="movies", checkpoint="base", top_k=5, seed=0, explain=False)))
    assert "why" not in [e[0] for e in quiet] and quiet[-1][1].why == ""
