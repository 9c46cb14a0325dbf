"""Checkpoint registry details that caches depend on."""

from __future__ import annotations

import os

from recchat.llm.checkpoints import Checkpoint


def test_cache_tag_follows_the_adapters_bytes(tmp_path):
    a = tmp_path / "adapter.gguf"
    a.write_bytes(b"GGUF" + b"\0" * 2000)
    ck = Checkpoint(name="sft", path="base", adapter=str(a))
    t1 = ck.cache_tag()
    assert t1.startswith(str(a) + "#") and ck.cache_tag() == t1  # stable while the file is unchanged
    a.write_bytes(b"GGUF" + b"\1" * 2000)  # re-exported to the same path
    os.utime(a, ns=(1, 1))
    assert ck.cache_tag() != t1
    # no adapter: the tag cached base generations were stored under
    assert Checkpoint(name="base", path="base").cache_tag() == "None"
