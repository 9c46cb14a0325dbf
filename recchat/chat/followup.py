"""Follow-ups in the chat: "cheaper", "no horror", "more like the second one", "공포 말고".

A follow-up refines the previous turn instead of starting over: it keeps the previous wish or
history and its exclusions, adds what the new message asks for, drops items that mention what the
user ruled out, and pulls the query towards an item the user pointed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from recchat.chat.pipeline import AskRequest
from recchat.core.settings import get_settings
from recchat.prompts import parse_history

_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
    "last": -1, "첫": 0, "첫번째": 0, "첫 번째": 0, "두번째": 1, "두 번째": 1, "세번째": 2, "세 번째": 2,
    "네번째": 3, "네 번째": 3, "다섯번째": 4, "다섯 번째": 4, "마지막": -1,
}
_NEGATIVE_EN = re.compile(r"\b(?:no|not|without|except|minus|skip|avoid|less)\s+(?:any\s+|more\s+)?([\w\- ]{2,30}?)(?=[,.;!?]|\s+(?:and|but|please)\b|$)", re.I)
_NEGATIVE_KO = re.compile(r"([\w가-힣]{1,15})\s*(?:은|는|이|가)?\s*(?:말고|빼고|제외|싫어|없이)")
_FOLLOWUP_START = re.compile(
    r"^\s*(?:more|less|no|not|without|but|also|and|cheaper|shorter|longer|newer|older|something|only|"
    r"like the|similar to the|another|other|again|what about|how about|instead|"
    r"더|덜|말고|그런데|그리고|다른|비슷한|이번엔|대신)\b",
    re.I,
)


@dataclass
class FollowUp:
    is_followup: bool
    add_text: str = ""  # words to add to the previous wish
    drop_terms: list[str] = field(default_factory=list)
    like_index: int | None = None  # an item of the previous answer to move towards


def parse_followup(message: str, has_previous: bool) -> FollowUp:
    msg = (message or "").strip()
    if not has_previous or not msg:
        return FollowUp(False)
    lines = [x for x in msg.splitlines() if x.strip()]
    if len(lines) >= 2 or len(msg) > 120:
        return FollowUp(False)  # a new list or a whole new request
    drops = [m.strip() for m in _NEGATIVE_EN.findall(msg)] + [m.strip() for m in _NEGATIVE_KO.findall(msg)]
    like_index = None
    if re.search(r"\b(?:more like|like the|similar to the)\b|비슷한|같은", msg, re.I):
        for word, idx in _ORDINALS.items():
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", msg, re.I):
                like_index = idx
                break
    short = len(msg.split()) <= 3 and not re.match(r"^(?:a|an|the)\s", msg, re.I)
    if not (drops or like_index is not None or _FOLLOWUP_START.search(msg) or (short and not re.search(r"\?$", msg))):
        return FollowUp(False)
    add = msg
    for d in drops:
        add = re.sub(rf"\b(?:no|not|without|except|minus|skip|avoid|less)\s+(?:any\s+|more\s+)?{re.escape(d)}", " ", add,
                     flags=re.I)
        add = re.sub(rf"{re.escape(d)}\s*(?:은|는|이|가)?\s*(?:말고|빼고|제외|싫어|없이)", " ", add)
    if like_index is not None:
        add = ""  # "more like the second one" says nothing about the items' qualities
    add = " ".join(add.replace(",", " ").split())
    # single neutral words left after removing negations carry no wish
    if add.lower() in {"", "and", "but", "please", "also"}:
        add = ""
    return FollowUp(True, add_text=add, drop_terms=[d.lower() for d in drops if d], like_index=like_index)


def history_lines(text: str) -> list[str] | None:
    """The history box as items. Only its last 2 x RECCHAT_MAX_HISTORY_CHARS characters are parsed (the
    newest items, as the pipeline keeps the newest), and each item is cut to twice its limit: the
    pipeline then applies the exact limits and says so in a notice."""
    s = get_settings()
    text = (text or "").strip()
    if not text:
        return None
    cap = 2 * s.max_history_chars
    if len(text) > cap:
        text = text[-cap:].split("\n", 1)[-1]  # drop the line the cut went through
    return [h[: 2 * s.max_history_item_chars] for h in parse_history(text)]


def build_request(message: str, history_text: str, catalog: str, checkpoint: str, state: dict,
                  use_cf: bool = False) -> tuple[AskRequest, dict]:
    """Turn a chat message into a request, refining the previous turn when it is a follow-up."""
    prev = state.get("last") if state else None
    same_ctx = prev and prev["catalog"] == catalog
    fu = parse_followup(message, has_previous=bool(same_ctx))
    hist = history_lines(history_text)
    if fu.is_followup and prev:
        like_ids = list(prev.get("like_ids", []))
        if fu.like_index is not None and prev.get("item_ids"):
            ids = prev["item_ids"]
            if -len(ids) <= fu.like_index < len(ids):
                like_ids.append(ids[fu.like_index])
        req = AskRequest(
            query=(prev["query"] + " " + fu.add_text).strip() if prev["task"] == "search" else fu.add_text,
            history=prev.get("history") or None,
            catalog=catalog, checkpoint=checkpoint,
            exclude_ids=list(dict.fromkeys(prev.get("exclude_ids", []))),
            drop_terms=list(dict.fromkeys(prev.get("drop_terms", []) + fu.drop_terms)),
            like_ids=like_ids,
            task=prev["task"],
            use_cf=use_cf,
        )
    else:
        req = AskRequest(query=message, history=hist, catalog=catalog, checkpoint=checkpoint, use_cf=use_cf)
    return req, {"followup": fu.is_followup}
