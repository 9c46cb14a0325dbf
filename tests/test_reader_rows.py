"""The reader's training rows (training/data/tasks.py: build_understand_row) on a hand-made catalog:
which titles a knowledgeable reader names, in which language the answer is, and that the runtime
prompt of an `understand` checkpoint is exactly the rows' prompt."""

from __future__ import annotations

import json

from recchat import prompts
from recchat.core.schema import Item
from training.data.tasks import CatalogData, build_row, famous_fits, row_id


def _item(i: str, title: str, genres: list[str]) -> Item:
    return Item(id=i, title=title, text=title, metadata={"genres": genres})


def _catalog(items: list[Item], fame: dict[str, float]) -> CatalogData:
    """A CatalogData over `items` with their feature index, `fame` as the app's prior gives it."""
    cd = CatalogData(name="tiny", domain="movies", language="en", kind="movies",
                     items={it.id: it for it in items}, pool=[it.id for it in items])
    cd.fame = fame
    for iid in cd.pool:
        for f in cd.q(iid).feature_set():
            cd.by_feature.setdefault(f, []).append(iid)
    return cd


def tiny() -> CatalogData:
    items = [
        _item("a", "Alien", ["Horror", "Sci-Fi"]),
        _item("b", "Obscure Space Horror", ["Horror", "Sci-Fi"]),
        _item("c", "The Thing", ["Horror", "Sci-Fi"]),
        _item("d", "Halloween", ["Horror"]),
        _item("e", "Toy Story", ["Animation", "Comedy"]),
        _item("f", "Up", ["Animation", "Comedy"]),
        _item("g", "Forgotten Cartoon", ["Animation"]),
    ]
    # fame as the app's prior gives it: popularity + a quarter of quality
    return _catalog(items, {"a": 1.2, "b": 0.05, "c": 0.9, "d": 1.0, "e": 1.1, "f": 0.8, "g": 0.0})


def test_famous_fits_prefers_known_items_that_carry_the_terms():
    cd = tiny()
    # idf: horror log(8/5) = 0.47, sci-fi log(8/4) = 0.69; score = idf share of the terms + fame:
    # Alien 1 + 1.2 > The Thing 1 + 0.9 > Halloween 0.41 + 1.0 > Obscure 1 + 0.05
    assert famous_fits(cd, ["horror", "sci-fi"], set(), 3) == ["a", "c", "d"]
    assert famous_fits(cd, ["horror", "sci-fi"], {"a"}, 2) == ["c", "d"]
    assert famous_fits(cd, [], set(), 3) == []
    # only items carrying a term are named: sci-fi alone leaves Halloween out
    assert famous_fits(cd, ["sci-fi"], {"a"}, 2) == ["c", "b"]


def _spec(cd, task, lang="en", target="b", history=()):
    s = {"catalog": cd.name, "task": task, "language": lang, "user": "u1" if history else "",
         "history": list(history), "target": target, "candidates": []}
    s["row_id"] = row_id(s)
    return s


def test_search_row_names_the_famous_fits_not_the_obscure_target_in_the_catalogs_language():
    """Whatever template the request gets (the seeded RNG picks it), Alien fits it best."""
    cd = tiny()
    row = build_row(_spec(cd, "search_understand", lang="ko"), {"tiny": cd})
    assert row["system"] == prompts.UNDERSTAND_SYSTEM
    assert row["instruction"].startswith("Request (movies): ") and row["query"] in row["instruction"]
    assert any("가" <= ch <= "힣" for ch in row["query"])  # the request is Korean ...
    titles, genres = row["response"].split("\n")
    named = titles.removeprefix("Titles: ").split("; ")
    assert named[0] == "Alien" and "Obscure Space Horror" not in named  # ... the obscure target is not named
    assert genres.startswith("Genres: ") and ("horror" in genres or "sci-fi" in genres)  # ... the answer is English
    assert row["answer_language"] == "en" and row["language"] == "ko"


def test_history_row_names_the_next_item_first_then_fits_outside_the_history():
    cd = tiny()
    row = build_row(_spec(cd, "recommend_understand", target="c", history=("a", "b")), {"tiny": cd})
    assert row["instruction"] == "Liked (movies): Alien; Obscure Space Horror"
    first = row["response"].split("\n")[0]
    assert first == "Titles: The Thing; Halloween"  # the next item, then the best-known fit not yet seen
    assert row["response"].split("\n")[1] == "Genres: sci-fi, horror"  # the rarer shared term first


def test_understand_checkpoint_prompt_is_the_rows_prompt_and_its_answer_parses():
    cd = tiny()
    row = build_row(_spec(cd, "search_understand"), {"tiny": cd})
    prompt, stop = prompts.build_prompt("understand", "search", "en", query=row["query"], domain="movies")
    assert prompt == prompts.chat_prompt(row["system"], row["instruction"]) and stop == prompts.CHAT_STOP
    u = prompts.split_understanding(row["response"])
    assert u.names == row["response"].split("\n")[0].removeprefix("Titles: ").split("; ") and u.genres
    assert prompts.reads_request("understand") and prompts.reads_request("fewshot")
    assert not prompts.reads_request("chat")


def test_shipped_adapter_style_comes_from_its_export(tmp_path, monkeypatch):
    from recchat.llm import checkpoints

    monkeypatch.setattr(checkpoints, "CHECKPOINTS_DIR", tmp_path)
    assert checkpoints.shipped_style("sft") == "chat"  # no export record: the old chat adapters
    (tmp_path / "sft").mkdir()
    (tmp_path / "sft" / "export.json").write_text(json.dumps({"prompt_style": "understand"}))
    assert checkpoints.shipped_style("sft") == "understand"
    (tmp_path / "sft" / "export.json").write_text(json.dumps({"prompt_style": "poetry"}))
    assert checkpoints.shipped_style("sft") == "chat"


_TIE_SCRIPT = """
import json
from tests.test_reader_rows import _catalog, _item, _spec
from training.data.tasks import build_row
genres = {"h1": ["Western"], "h2": ["Polka", "Opera", "Noir"], "t": ["Musical"],
          "w": ["Western"], "n": ["Noir"], "o": ["Opera"], "p": ["Polka"]}
cd = _catalog([_item(i, i.upper() + " title", g) for i, g in genres.items()],
              {"h1": 0.0, "h2": 0.0, "t": 0.0, "w": 2.0, "n": 1.9, "o": 1.8, "p": 1.7})
print(json.dumps(build_row(_spec(cd, "recommend_understand", target="t", history=["h1", "h2"]), {"tiny": cd})))
"""


def test_history_row_is_the_same_whatever_pythonhashseed():
    """The history shares nothing with the target, so the row names the best-known items of the
    history's three most common terms, four of them tied at one. The tie must not be broken by set
    order, which PYTHONHASHSEED changes: a rebuild on another machine would reorder the SFT data and
    restart its chunks. In the items' order, terms sorted within each item: western, noir, opera,
    so W and N are named (with noir left out it would be W and O)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rows = set()
    for seed in map(str, range(1, 11)):  # unsorted, seeds 8 and 9 name O instead of N
        out = subprocess.run([sys.executable, "-c", _TIE_SCRIPT], cwd=root, capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, check=True)
        rows.add(out.stdout.strip().splitlines()[-1])
    assert len(rows) == 1
    assert json.loads(rows.pop())["response"].startswith("Titles: T title; W title; N title")
