"""Text as the browser sees it: an answer's reading and its sentence on why, and error text without
the server's file paths (they stay in the server log)."""

from __future__ import annotations

import logging
import re

log = logging.getLogger("recchat.app")

# An absolute or home-relative path: not part of a URL (s3://b/k, https://h/p) or of a longer word.
_PATH = re.compile(r"(?<![\w:/.~-])(?:~|/)(?:/?[\w.@+-]+)*/([\w.@+-]+)")


def answer_text(reading: str, why: str) -> str:
    """The model's reading, then its sentence on why the shown items fit, a blank line between."""
    return "\n\n".join(x for x in (reading.strip(), why.strip()) if x)


def strip_paths(text: str) -> str:
    """'/root/.local/share/recchat/models/x.gguf is corrupt' -> '…/x.gguf is corrupt'."""
    return _PATH.sub(lambda m: "…/" + m.group(1), text)


def shown(err: BaseException, where: str = "") -> str:
    """The message to show a visitor for `err`; the full text goes to the server log."""
    text = str(err)
    clean = strip_paths(text)
    if clean != text:
        log.warning("%s%s", f"{where}: " if where else "", text)
    return clean
