"""Bounds on what a visitor sends, checked on the server too (a Textbox's max_length binds only the page)."""

from __future__ import annotations

from recchat.core.errors import BadInput
from recchat.core.settings import get_settings


def check_history(history_text: str | None) -> str:
    """The pasted history, or BadInput when it is longer than RECCHAT_MAX_HISTORY_CHARS."""
    text = history_text or ""
    limit = get_settings().max_history_chars
    if len(text) > limit:
        raise BadInput(f"the pasted history is {len(text):,} characters; the limit is {limit:,} "
                       "(RECCHAT_MAX_HISTORY_CHARS): paste fewer items")
    return text
