"""Quality filters: the method's ln(L)·L/C score in the tuned model's tokens, length bounds, language,
exact duplicates, and the held-out guard (no title of an unseen-domain catalog in any row).

Rules run in a fixed order and a row is counted under the first rule it fails, so the per-rule
counts add up to the rows dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from recchat.core.quality import repetition_score
from recchat.core.textnorm import detect_language, normalize_title

RULES = ("empty", "length", "language", "score", "held_out", "duplicate")


class GemmaTokens:
    """Gemma 3's tokenizer, read offline from the packaged GGUF (vocab only: fast, no weights)."""

    def __init__(self, gguf_path=None):
        from llama_cpp import Llama

        if gguf_path is None:
            from recchat.llm.checkpoints import base_gguf_path

            gguf_path = base_gguf_path()
        self._llm = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)

    def __call__(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)


def response_score(tokens) -> float:
    """score = ln(L) * L / C (L tokens, C unique tokens); the method drops rows at >= 15."""
    return repetition_score(tokens)


# --------------------------------------------------------------------------- held-out guard


class HeldOutGuard:
    """Finds held-out titles in a row.

    - a title line (history, candidates, picks) equal to a held-out title, or containing one of
      three or more words ("Ghost in the Shell: Stand Alone Complex 2nd GIG");
    - free text (requests, rationales) naming a held-out title of two or more words as a title is
      written, capitalised ("Star Wars", not the movie tag "star wars" or the genre "slice of life").
    Single-word titles ("Heat", "Portal") are ordinary words in prose, so only title lines check them.
    """

    def __init__(self, titles):
        self.exact: set[str] = set()
        self.norm_phrases = _PhraseIndex()
        self.cased_phrases = _PhraseIndex()
        for t in titles:
            n = normalize_title(t)
            if len(n) < 3:
                continue
            self.exact.add(n)
            if len(n.split()) >= 3 and len(n) >= 12:
                self.norm_phrases.add(n.split())
            words = _cased_words(t)
            if len(words) >= 2 and len(" ".join(words)) >= 8 and any(w[:1].isupper() for w in words):
                self.cased_phrases.add(words)

    def __len__(self) -> int:
        return len(self.exact)

    def title_hit(self, title: str) -> str | None:
        n = normalize_title(title)
        if n in self.exact:
            return n
        return self.norm_phrases.find(n.split())

    def text_hit(self, text: str) -> str | None:
        return self.cased_phrases.find(_cased_words(text))

    def row_hit(self, row: dict) -> str | None:
        for line in _title_lines(row["instruction"]) + _title_lines(row["response"]):
            hit = self.title_hit(line)
            if hit:
                return hit
        free = " \n ".join(x for x in (row.get("query"), row.get("rationale")) if x)
        if not free:  # rows from elsewhere: everything but the title lines
            free = _strip_title_lines(row["instruction"] + "\n" + row["response"])
        return self.text_hit(free)


class _PhraseIndex:
    def __init__(self):
        self.first: dict[str, set[int]] = {}
        self.phrases: set[tuple[str, ...]] = set()

    def add(self, words: list[str]) -> None:
        self.phrases.add(tuple(words))
        self.first.setdefault(words[0], set()).add(len(words))

    def find(self, words: list[str]) -> str | None:
        for i, w in enumerate(words):
            for L in self.first.get(w, ()):
                cand = tuple(words[i:i + L])
                if cand in self.phrases:
                    return " ".join(cand)
        return None


_CASED = re.compile(r"\w+", re.UNICODE)


def _cased_words(text: str) -> list[str]:
    return _CASED.findall(unicodedata.normalize("NFKC", text or ""))


_LINE = re.compile(r"^\s*(?:-|\[\d+\]|\d+\.)\s+(.+?)\s*$", re.M)
_PICK = re.compile(r"^(?:Recommendation|추천):\s*(.+?)\s*$", re.M)


def _title_lines(text: str) -> list[str]:
    return _LINE.findall(text) + _PICK.findall(text)


def _strip_title_lines(text: str) -> str:
    return _PICK.sub(" ", _LINE.sub(" ", text))


# --------------------------------------------------------------------------- apply


@dataclass
class FilterReport:
    dropped: Counter = field(default_factory=Counter)
    scores: list[float] = field(default_factory=list)  # every scored response, kept or not
    held_out_hits: Counter = field(default_factory=Counter)


def apply_filters(rows: list[dict], tokens, cfg, guard: HeldOutGuard | None) -> tuple[list[dict], FilterReport]:
    rep = FilterReport()
    kept, seen = [], set()
    for r in rows:
        resp = (r.get("response") or "").strip()
        rationale = (r.get("rationale") or resp).strip()
        rule = None
        score = None
        if not resp or not rationale or not (r.get("instruction") or "").strip():
            rule = "empty"
        else:
            toks = tokens(resp)
            score = response_score(toks)
            rep.scores.append(score)
            if not cfg.min_response_tokens <= len(toks) <= cfg.max_response_tokens:
                rule = "length"
            elif detect_language(rationale) != (r.get("answer_language") or r["language"]):
                rule = "language"
            elif score >= cfg.score_threshold:
                rule = "score"
            elif guard is not None and (hit := guard.row_hit(r)):
                rule = "held_out"
                rep.held_out_hits[hit] += 1
            else:
                key = (r["system"], r["instruction"], resp)
                if key in seen:
                    rule = "duplicate"
                seen.add(key)
        if rule:
            rep.dropped[rule] += 1
            continue
        kept.append({**r, "score": float(score)})
    return kept, rep
