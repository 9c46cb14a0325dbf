"""The response-quality score of the method: score = ln(L) * L / C (L tokens, C unique tokens).

High when a text is long and repeats itself; the training data drops rows at score >= 15, and the
runtime ignores a rationale that scores that high (the base model's greedy loops).
"""

from __future__ import annotations

import math
from typing import Sequence

THRESHOLD = 15.0


def repetition_score(tokens: Sequence) -> float:
    L = len(tokens)
    if L == 0:
        return 0.0
    C = len(set(tokens))
    return math.log(L) * L / C


def word_tokens(text: str) -> list[str]:
    return text.lower().split()


def is_degenerate(text: str, threshold: float = THRESHOLD) -> bool:
    return repetition_score(word_tokens(text)) >= threshold
