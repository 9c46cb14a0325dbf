"""The training data's quality filters on tiny hand-computed inputs."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from training.data.filters import HeldOutGuard, apply_filters, response_score


def test_score_hand_computed():
    assert response_score(["a"] * 4) == pytest.approx(4 * math.log(4))  # L=4, C=1: 5.545
    assert response_score(["a"] * 4) == pytest.approx(5.545, abs=1e-3)
    assert response_score(["a", "b", "c", "d"]) == pytest.approx(math.log(4))  # L=C=4
    assert response_score(["a", "b", "a", "b", "a", "b"]) == pytest.approx(math.log(6) * 3)  # L=6, C=2
    assert response_score([]) == 0.0
    # the method's threshold: 20 tokens over 2 types is ln(20)*10 = 29.96 -> dropped; 20 distinct = 3.0 -> kept
    assert response_score(["x", "y"] * 10) >= 15 > response_score(list(range(20)))


CFG = SimpleNamespace(min_response_tokens=3, max_response_tokens=40, score_threshold=15.0)


def _row(resp, lang="en", instr="<user>a quiet movie</user>", **kw):
    return {"system": "s", "instruction": instr, "response": resp, "rationale": resp.split("\n\n")[0],
            "language": lang, "query": "", **kw}


def words(text):  # a whitespace tokenizer keeps the hand counts obvious
    return text.split()


def test_each_rule_counts_its_rows():
    good = "A calm drama about family ties and small towns.\n\nRecommendation: Tokyo Story"
    rows = [
        _row(good),                                                   # kept
        _row(good),                                                   # exact duplicate
        _row(""),                                                     # empty
        _row("Too short"),                                            # 2 tokens < 3
        _row(" ".join(["slow"] * 30)),                                # L=30, C=1: ln30*30 = 102 >= 15
        _row("조용한 가족 드라마가 어울립니다 정말로요\n\n추천: Tokyo Story", lang="en"),  # Korean text in an English row
        _row("A calm drama about family ties.\n\nRecommendation: Portal", ),  # held-out title line
        _row("조용한 가족 드라마가 어울립니다 정말로요\n\n추천: Tokyo Story", lang="ko"),  # kept
    ]
    kept, rep = apply_filters(rows, words, CFG, HeldOutGuard(["Portal", "Star Wars"]))
    assert [r["response"] for r in kept] == [rows[0]["response"], rows[7]["response"]]
    assert dict(rep.dropped) == {"duplicate": 1, "empty": 1, "length": 1, "score": 1, "language": 1, "held_out": 1}
    assert all(r["score"] < 15 for r in kept)
    assert kept[0]["score"] == pytest.approx(response_score(words(good)))


def test_held_out_guard():
    g = HeldOutGuard(["Portal", "Star Wars", "Slice of Life", "Ghost in the Shell: Stand Alone Complex", "Up"])
    assert g.title_hit("portal") and g.title_hit("Star Wars")
    assert g.title_hit("Ghost in the Shell: Stand Alone Complex 2nd GIG")  # contains a 3+ word title
    assert not g.title_hit("Portals of Time")
    assert g.text_hit("fans of Star Wars will like it")  # a capitalised title in prose
    assert not g.text_hit("a cozy slice of life anime")  # a genre phrase, not the title
    assert not g.text_hit("a portal to another world opens up")  # single words are ordinary prose
    row = _row("A space opera.\n\nRecommendation: Star Wars", instr="<history>\n- Alien\n</history>")
    assert g.row_hit(row) == "star wars"
    assert g.row_hit(_row("A space opera.\n\nRecommendation: Alien")) is None


def test_gemma_tokens_score(home):
    from training.data.filters import GemmaTokens

    tok = GemmaTokens()
    same = tok("cat cat cat cat")
    assert len(same) >= 4 and len(set(same)) <= 2
    assert response_score(tok("hello " * 40)) >= 15  # a greedy loop is dropped
    assert response_score(tok("A tense science-fiction horror film set on a remote space station.")) < 15
