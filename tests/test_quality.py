import math

import pytest

from recchat.core.quality import THRESHOLD, is_degenerate, repetition_score


def test_score_on_hand_computed_cases():
    assert repetition_score([]) == 0.0
    assert repetition_score(["a"]) == 0.0  # ln(1) = 0
    assert repetition_score(["a", "a", "a", "a"]) == pytest.approx(4 * math.log(4))  # 5.545
    assert repetition_score(["a", "b", "c", "d"]) == pytest.approx(math.log(4))  # 1.386
    assert repetition_score([1, 2, 1, 2, 1, 2]) == pytest.approx(math.log(6) * 3)


def test_threshold_separates_loops_from_prose():
    prose = "a light animated comedy about toys that come alive when nobody is watching, warm and funny for families"
    loop = "toys toys and more toys " * 12
    assert not is_degenerate(prose)
    assert is_degenerate(loop)
    assert THRESHOLD == 15.0
