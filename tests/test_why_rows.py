"""Training rows for the sentence on why shown items fit (training/data/why.py) on a hand-made
catalog: the answer opens with the first shown item's name and one of ITS attributes (the shape the
run-time grammar enforces), Korean stays Hangul after the attribute, and a tuned checkpoint's
run-time prompt is exactly the rows' prompt."""

from __future__ import annotations

import json
import re

from recchat import prompts
from training.data.tasks import build_row
from training.data.why import pick_attributes
from training.train.model import rows_style, rows_why_style
from tests.test_reader_rows import _spec, tiny

# recchat.llm.grammar.KO_REST as a Python pattern: Hangul, digits and plain punctuation, Hangul last
KO_REST = re.compile(r"[가-힣ㄱ-ㅎ0-9 ,~()'·-]*[가-힣][.!?]")


def labelled() -> "object":
    cd = tiny()
    for it in cd.items.values():  # the catalog's text, as built catalogs write it
        it.text = f"{it.title} | genres: {', '.join(it.metadata['genres'])}"
    return cd


def test_pick_attributes_prefers_what_the_request_shares():
    assert pick_attributes(["drama", "romance", "Tom Hanks"], ["romance"], "en") == ["romance", "drama"]
    assert pick_attributes(["drama", "romance"], [], "en") == ["drama", "romance"]
    assert pick_attributes(["SF", "공포", "Tom Hanks"], [], "ko") == ["SF", "공포"]
    assert pick_attributes(["SF", "RPG"], [], "ko") == ["SF"]  # a second one only in Hangul
    assert pick_attributes([], ["drama"], "en") == []


def test_why_rows_open_with_a_shown_name_and_its_own_attribute():
    cd = labelled()
    for task, lang, hist in [("search_why", "en", ()), ("search_why", "ko", ()),
                             ("recommend_why", "en", ("d", "c")), ("recommend_why", "ko", ("d", "c"))]:
        row = build_row(_spec(cd, task, lang=lang, target="b", history=hist), {"tiny": cd})
        assert row["system"] == prompts.WHY_SYSTEM and row["answer_language"] == lang
        shown_line = row["instruction"].split("\n")[1]  # "Shown: Alien (horror, sci-fi) | ..."
        first = shown_line.split(": ", 1)[1].split(" | ")[0]
        name, attrs = first.split(" (")[0], first.split(" (")[1].rstrip(")").split(", ")
        head, rest = row["response"].split(prompts.WHY_SEP, 1)
        assert head == name
        assert any(rest.startswith(a) for a in attrs)  # an attribute the shown item really has
        if lang == "ko":
            after = rest[len(next(a for a in attrs if rest.startswith(a))):]
            assert KO_REST.fullmatch(after), after
        else:
            assert rest.endswith(".") and "\n" not in rest


def test_search_why_row_shows_the_famous_fits():
    cd = labelled()
    row = build_row(_spec(cd, "search_why", lang="en", target="b"), {"tiny": cd})
    assert "Shown: Alien (horror, sci-fi) | The Thing (horror, sci-fi)" in row["instruction"]
    assert row["response"].startswith("Alien — ")


def test_a_tuned_checkpoint_reads_exactly_the_rows_prompt():
    cd = labelled()
    row = build_row(_spec(cd, "search_why", lang="ko", target="b"), {"tiny": cd})
    shown = [("Alien", ["공포", "SF"]), ("The Thing", ["공포", "SF"]), ("Halloween", ["공포"])]
    runtime = prompts.why_prompt("search", "ko", shown, query=row["query"], tuned=True)
    assert runtime == prompts.chat_prompt(row["system"], row["instruction"])
    assert "12 Angry Men" in prompts.why_prompt("search", "en", shown, query="x")  # untuned: the examples


def test_rows_record_which_roles_they_teach():
    u, w = prompts.UNDERSTAND_SYSTEM, prompts.WHY_SYSTEM
    assert (rows_style([u, w, u]), rows_why_style([u, w, u])) == ("understand", "tuned")
    assert (rows_style([u, u]), rows_why_style([u, u])) == ("understand", "fewshot")
    assert rows_style(["You are a recommender.", w]) == "chat"


def test_shipped_why_style_comes_from_the_export(tmp_path, monkeypatch):
    from recchat.llm import checkpoints

    monkeypatch.setattr(checkpoints, "CHECKPOINTS_DIR", tmp_path)
    (tmp_path / "sft").mkdir()
    (tmp_path / "sft" / "export.json").write_text(json.dumps({"prompt_style": "understand", "why_style": "tuned"}))
    assert checkpoints.shipped_styles("sft")["why_style"] == "tuned"
    assert checkpoints.shipped_styles("dpo")["why_style"] == "fewshot"  # no export: the examples
