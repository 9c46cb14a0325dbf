"""Label and Compare: resumable labels, deterministic prompts, the /compare shape."""

import json

import pytest

from recchat.chat import feedback, labels


def test_labels_resume_and_skip_torn_lines(empty_home):
    feedback.append_label({"prompt_id": "movies:u1", "answers": ["a"] * 5, "best": 0, "worst": 1})
    with open(feedback.labels_path(), "a") as f:
        f.write('{"prompt_id": "movies:u2", "answ')  # a crash mid-write
    assert feedback.labelled_ids() == {"movies:u1"}


def test_prompt_queue_is_deterministic_and_falls_back_to_requests(home):
    a = labels.prompt_queue("movies", seed=0)
    b = labels.prompt_queue("movies", seed=0)
    assert [p["prompt_id"] for p in a] == [p["prompt_id"] for p in b]
    assert any("query" in p for p in a)


@pytest.mark.slow
def test_next_prompt_gives_five_answers_and_compare_shape(home):
    p, answers, status = labels.next_prompt("movies", "base")
    assert p is not None and len(answers) == 5 and "to go" in status
    assert len({a.rationale for a in answers}) >= 2  # sampled, not five copies
    out = labels.compare_api("a scary movie set in space", "", "movies")
    assert set(out) == {"base", "sft", "dpo"}
    assert out["base"]["checkpoint"] == "base" and len(out["base"]["items"]) == 10
    for ck in ("sft", "dpo"):  # the shipped adapters are committed, so they must answer
        assert "error" not in out[ck], out[ck]
        assert len(out[ck]["items"]) == 10
    # the adapters are really applied: the tuned answer is not the base model's
    assert out["sft"]["rationale"] != out["base"]["rationale"]
    json.dumps(out)
