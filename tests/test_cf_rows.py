"""CF-context training rows: neighbours come only from the other half of the users, in the app's wording."""

from __future__ import annotations

from recchat.prompts import cf_line
from training.data import cf_rows


def _users(half: int, n: int) -> list[str]:
    out, i = [], 0
    while len(out) < n:
        if cf_rows.half_of(f"u{i}") == half:
            out.append(f"u{i}")
        i += 1
    return out


def test_neighbours_come_from_the_other_half():
    # half 0 co-consumes a with b, half 1 co-consumes a with c
    seqs = {u: ["a", "b"] for u in _users(0, 3)} | {u: ["a", "c"] for u in _users(1, 3)}
    models = cf_rows.fit_halves(seqs)
    u0, u1 = _users(0, 1)[0], _users(1, 1)[0]
    assert cf_rows.cf_neighbours(models, u0, ["a"], 5) == ["c"]  # never its own half's b
    assert cf_rows.cf_neighbours(models, u1, ["a"], 5) == ["b"]
    assert cf_rows.cf_neighbours(models, u0, ["zzz"], 5) == []  # unknown history: nothing made up


def test_one_half_empty_gives_no_neighbours():
    models = cf_rows.fit_halves({u: ["a", "b"] for u in _users(0, 2)})
    assert models[1] is None
    assert cf_rows.cf_neighbours(models, _users(0, 1)[0], ["a"], 5) == []


def test_cf_line_is_the_apps_wording():
    assert cf_line(["Alien", "Heat"], "en", "movies") == "People who watched these also watched: Alien; Heat."
    assert cf_line(["Doom"], "en", "e-commerce") == "People who liked these also liked: Doom."
    assert cf_line(["괴물"], "ko") == "이 항목들을 좋아한 사람들이 함께 좋아한 항목: 괴물."
    assert cf_line([], "en") == ""
    assert cf_line(["x" * 200], "en").endswith("…; ".rstrip("; ") + ".")
