"""The search benchmark's request sets: every acceptable id is in its catalog with the title given,
and the development set holds only training domains (settings are chosen on it, never on held-out ones)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from recchat.core.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
DATA = get_settings().data_dir
HELD_OUT = {"games", "steam", "office"}


@pytest.mark.parametrize("name", ["search_requests.yaml", "search_dev.yaml"])
def test_each_acceptable_item_is_in_its_catalog(name, monkeypatch, capsys):
    if DATA is None or not os.path.isdir(DATA):
        pytest.skip("public data sets absent: set RECCHAT_DATA_DIR")
    monkeypatch.setenv("RECCHAT_DATA_DIR", str(DATA))
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import check_search_requests

    assert check_search_requests.check(ROOT / "benchmarks" / name) == 0, capsys.readouterr()


def test_the_development_set_is_on_training_domains_and_apart_from_the_report_set():
    dev = yaml.safe_load((ROOT / "benchmarks" / "search_dev.yaml").read_text(encoding="utf-8"))["requests"]
    hand = yaml.safe_load((ROOT / "benchmarks" / "search_requests.yaml").read_text(encoding="utf-8"))["requests"]
    assert dev and not {r["catalog"] for r in dev} & HELD_OUT
    assert not {r["request"] for r in dev} & {r["request"] for r in hand}
    assert {r["language"] for r in dev} == {"en", "ko"}
