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


@pytest.mark.slow
@pytest.mark.parametrize("checkpoint", ["sft", "base-chat"])
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
