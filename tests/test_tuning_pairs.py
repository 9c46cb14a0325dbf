"""Preference pairs (labels, feedback, the judge's choice) and the LoRA -> GGUF layout, on tiny inputs."""

from __future__ import annotations

import json

import pytest

from recchat.prompts import build_instruction, chat_prompt, system_prompt


def test_choose_best_worst_and_ties():
    from training.data.pairs import choose

    assert choose([3, 1, 101, 7, 1]) == (1, 2)  # first of the tied best, the lowest rank is worst
    assert choose([5, 5, 5, 5, 5]) is None
    assert choose([2, 9]) == (0, 1)


def test_app_rank_is_the_true_items_place_in_the_apps_answer():
    from recchat.core.schema import Answer, RecItem
    from training.data.pairs import app_rank, choose

    def answer(ids):
        return Answer.model_construct(items=[RecItem(id=i, title=i, score=1.0) for i in ids])

    ranks = [app_rank(answer(["a", "t", "b"]), "t", 3), app_rank(answer(["t"]), "t", 3),
             app_rank(answer(["a", "b"]), "t", 3), app_rank(None, "t", 3)]
    assert ranks == [2, 1, 4, 4]  # absent: top_k + 1
    assert choose(ranks) == (1, 2)  # best = the answer that put it first; worst = the first that missed it


def test_split_chat_prompt_round_trip():
    from training.data.pairs import split_chat_prompt

    instr = build_instruction("search", "en", query="a dark heist film")
    assert split_chat_prompt(chat_prompt(system_prompt("en"), instr)) == (system_prompt("en"), instr)
    with pytest.raises(ValueError):
        split_chat_prompt("plain text")


def test_pairs_from_labels_last_decision_wins_and_compare_votes():
    from training.data.pairs import pairs_from_labels

    p = {"system": "S", "instruction": "I"}
    rows = [
        {"prompt_id": "a", "prompt": p, "answers": ["a0", "a1", "a2", "a3", "a4"], "best": 0, "worst": 1},
        {"prompt_id": "a", "prompt": p, "answers": ["a0", "a1", "a2", "a3", "a4"], "best": 2, "worst": 4},  # relabelled
        {"prompt_id": "b", "prompt": chat_prompt("S2", "I2"), "answers": ["x", "y", "z"], "best": 1, "source": "compare"},
        {"prompt_id": "c", "prompt": p, "answers": ["same", "same"], "best": 0, "worst": 1},  # identical: no pair
        {"prompt_id": "d", "prompt": p, "answers": ["u", "v"], "best": 0, "worst": 0},  # best == worst: no pair
        {"prompt_id": "e", "answers": ["u", "v"], "best": 0, "worst": 1},  # no prompt: skipped
    ]
    pairs = pairs_from_labels(rows)
    got = sorted((q["prompt_id"], q["chosen"], q["rejected"], q["source"]) for q in pairs)
    assert got == [("a", "a2", "a4", "label"), ("b", "y", "x", "compare"), ("b", "y", "z", "compare")]
    b = next(q for q in pairs if q["prompt_id"] == "b")
    assert (b["system"], b["instruction"]) == ("S2", "I2")


def test_pairs_from_feedback_needs_an_up_and_a_down():
    from training.data.pairs import pairs_from_feedback

    items = [{"id": "1", "title": "Alien"}]
    rows = [
        {"kind": "answer", "liked": True, "prompt": "a scary space movie", "task": "search", "catalog": "movies",
         "checkpoint": "sft", "answer": "science-fiction horror in space", "items": items},
        {"kind": "answer", "rating": "down", "prompt": "A scary  space movie", "task": "search", "catalog": "movies",
         "checkpoint": "base", "answer": "a movie a movie a movie", "items": []},
        {"kind": "answer", "liked": True, "prompt": "only liked", "task": "search", "catalog": "movies", "answer": "x"},
        {"kind": "item", "liked": False, "prompt": "a scary space movie", "task": "search", "catalog": "movies", "answer": "z"},
    ]
    pairs = pairs_from_feedback(rows)
    assert len(pairs) == 1
    p = pairs[0]
    assert p["source"] == "feedback"
    assert p["chosen"] == "science-fiction horror in space\n\nRecommendation: Alien"
    assert p["rejected"] == "a movie a movie a movie"
    assert p["instruction"] == build_instruction("search", "en", query="a scary space movie")


def test_read_pairs_skips_bad_lines(tmp_path, capsys):
    from training.data.pairs import make_pair, read_pairs, write_pairs

    f = write_pairs([make_pair("1", "S", "I", "good", "bad", "judge")], tmp_path / "p.jsonl")
    with open(f, "a") as fh:
        fh.write("not json\n" + json.dumps({"system": "S", "instruction": "I", "chosen": "x", "rejected": "x",
                                            "source": "label"}) + "\n")
    pairs = read_pairs(f)
    assert [p["chosen"] for p in pairs] == ["good"]
    assert "skipped 2 bad line(s)" in capsys.readouterr().err
    from recchat.core.errors import BadInput

    with pytest.raises(BadInput):
        make_pair("1", "S", "I", "a", "b", "nonsense")


def test_lora_names_shapes_and_alpha():
    import torch
    from peft import LoraConfig
    from transformers import Gemma3TextConfig

    from training.export.gguf_io import llama_alpha, lora_tensors, name_map
    from recchat.core.errors import RecchatError

    cfg = Gemma3TextConfig(num_hidden_layers=2, hidden_size=8, intermediate_size=16, head_dim=4, num_attention_heads=2,
                           num_key_value_heads=1, vocab_size=10)
    state = {
        "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight": torch.zeros(2, 8),
        "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight": torch.zeros(8, 2),
        "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight": torch.zeros(2, 16),
        "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight": torch.zeros(8, 2),
    }
    t = lora_tensors(state, name_map(cfg))
    assert set(t) == {"blk.1.attn_q.weight", "blk.0.ffn_down.weight"}
    assert t["blk.0.ffn_down.weight"][0].shape == (2, 16) and t["blk.0.ffn_down.weight"][1].shape == (8, 2)
    # llama.cpp scales by alpha / r: plain LoRA keeps alpha, rsLoRA (alpha / sqrt r) needs alpha * sqrt r
    assert llama_alpha(LoraConfig(r=16, lora_alpha=32)) == 32.0
    assert llama_alpha(LoraConfig(r=16, lora_alpha=32, use_rslora=True)) == pytest.approx(128.0)
    with pytest.raises(RecchatError):
        lora_tensors({"base_model.model.lm_head.lora_A.weight": torch.zeros(2, 8),
                      "base_model.model.lm_head.lora_B.weight": torch.zeros(10, 2)}, name_map(cfg))


def test_judge_ranks_the_true_item_over_the_whole_catalog(home):
    from recchat.retrieval.store import get_store
    from training.data.pairs import hyde_rank

    rows = get_store().table("movies").to_arrow().select(["id", "title"]).to_pylist()
    by_title = {r["title"]: r["id"] for r in rows}
    hist = [by_title["Toy Story (1995)"], by_title["Aladdin (1992)"], by_title["Lion King, The (1994)"]]
    target = by_title["Finding Nemo (2003)"]
    alone = hyde_rank("", hist, target, "movies")  # no rationale: the history's mean vector alone
    aimed = hyde_rank("An animated family adventure under the sea: a clownfish father crosses the ocean to find "
                      "his lost son.", hist, target, "movies")
    assert 1 <= aimed < alone <= len(rows) - len(hist)  # exact ranks; history items never count
    assert hyde_rank("", hist, "no-such-id", "movies") == len(rows) + 1  # unknown target: a tie for all answers
