"""Small robustness findings: models.yaml entries, torn JSONL lines, Rich markup in the CLI, Gemma's
special tokens in fenced text, `recchat eval` on an unknown catalog."""

from __future__ import annotations

import json

from recchat.chat import feedback
from recchat.core.settings import get_settings


def test_a_bad_models_yaml_entry_is_skipped_and_base_stays(empty_home, caplog):
    """One broken entry (or a broken file) used to make every request fail, `base` included."""
    import logging

    from recchat.llm.checkpoints import available_names, get_checkpoint, registry

    p = empty_home / "models.yaml"
    p.write_text("- name: mine\n  path: base\n  description: fine\n"
                 "- name: broken\n  prompt_style: poetry\n"  # no path, bad style
                 "- just a string\n"
                 "- name: base\n  path: /elsewhere.gguf\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="recchat"):
        reg = registry()
    assert "mine" in reg and "broken" not in reg and reg["base"].path == "base"
    assert get_checkpoint("base").name == "base" and "base" in available_names()
    text = caplog.text
    assert "entry 2 ('broken') skipped" in text and "entry 3 skipped" in text and "cannot be redefined" in text
    p.write_text("- name: [unclosed\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="recchat"):
        assert set(registry()) == {"base", "sft", "dpo"}
    assert "is not valid YAML" in caplog.text
    p.write_text("name: not-a-list\n", encoding="utf-8")
    assert "base" in registry()


def test_a_torn_last_line_does_not_swallow_the_next_row(empty_home):
    """A crash mid-write leaves a line without its newline; the next append starts a new line, so
    only the torn row is lost (before, it merged with the next one and both were skipped)."""
    feedback.append_label({"prompt_id": "a", "best": 0})
    with open(feedback.labels_path(), "a") as f:
        f.write('{"prompt_id": "torn", "be')  # no newline: the process died here
    feedback.append_label({"prompt_id": "b", "best": 1})
    assert feedback.labelled_ids() == {"a", "b"}
    feedback.append_feedback({"vote": "up"})
    with open(get_settings().feedback_path, "a") as f:
        f.write('{"vote": "do')
    feedback.append_feedback({"vote": "down"})
    rows = []
    for line in get_settings().feedback_path.read_text().splitlines():
        try:
            rows.append(json.loads(line)["vote"])
        except ValueError:
            pass
    assert rows == ["up", "down"]


GEMMA_SPECIALS = ["<start_of_image>", "<end_of_image>", "<unused0>", "<unused42>", "<bos>", "<eos>", "<pad>",
                  "<mask>", "<start_of_turn>", "<end_of_turn>"]


def test_the_fence_strips_every_gemma_special_token(home):
    """Each of these is one special token to llama.cpp (special=True); none survives `sanitize`."""
    from recchat.llm.generate import get_pool
    from recchat.prompts import sanitize

    pool = get_pool("base")
    llm = pool.acquire()
    try:
        ids = {}
        for m in GEMMA_SPECIALS:
            toks = llm.tokenize(m.encode(), add_bos=False, special=True)
            assert len(toks) == 1, (m, toks)  # the premise: llama.cpp reads it as one special token
            ids[m] = toks[0]
        hostile = "Great mug " + " ".join(GEMMA_SPECIALS) + " <START_OF_IMAGE> holds 350 ml"
        clean = sanitize(hostile)
        found = set(llm.tokenize(clean.encode(), add_bos=False, special=True)) & set(ids.values())
    finally:
        pool.release(llm)
    assert not found, clean
    assert clean.startswith("Great mug") and clean.endswith("holds 350 ml")
    assert sanitize("<masks of war> and <padding>") == "<masks of war> and <padding>"  # only exact tokens


def test_pairs_are_replaced_whole_or_not_at_all(tmp_path):
    """write_pairs opened the file with "w" and wrote row by row: an error (or a kill) on row 2 left
    a file holding row 1 only, the previous pairs gone."""
    import pytest

    from training.data.pairs import write_pairs

    out = tmp_path / "pairs.jsonl"
    write_pairs([{"prompt": "p", "chosen": "a", "rejected": "b"}] * 3, out)
    before = out.read_text(encoding="utf-8")
    with pytest.raises(TypeError):
        write_pairs([{"prompt": "q"}, {"prompt": object()}], out)  # row 2 cannot be written
    assert out.read_text(encoding="utf-8") == before
    with open(out, "a", encoding="utf-8") as f:
        f.write('{"prompt": "torn')
    write_pairs([{"prompt": "r"}], out, append=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5 and json.loads(lines[-1]) == {"prompt": "r"}
    assert [p.name for p in tmp_path.iterdir()] == ["pairs.jsonl"]  # no temp file left


def test_the_dataset_directory_is_swapped_without_a_gap_that_loses_it(tmp_path):
    """The old dataset is renamed aside, not deleted, before the new one moves in."""
    import pytest

    from training.data.build import replace_dir

    out, new = tmp_path / "ds", tmp_path / "ds.tmp"
    out.mkdir()
    (out / "v").write_text("1")
    new.mkdir()
    (new / "v").write_text("2")
    replace_dir(new, out)
    assert (out / "v").read_text() == "2" and sorted(p.name for p in tmp_path.iterdir()) == ["ds"]
    with pytest.raises(FileNotFoundError):
        replace_dir(tmp_path / "missing", out)  # the new one is not there: the old one stays
    assert (out / "v").read_text() == "2"
    out.replace(tmp_path / "ds.old")  # as a kill between the two renames leaves it
    new.mkdir()
    (new / "v").write_text("3")
    replace_dir(new, out)
    assert (out / "v").read_text() == "3" and sorted(p.name for p in tmp_path.iterdir()) == ["ds"]
