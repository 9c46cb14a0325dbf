"""A search shows one version of each work (recchat/retrieval/rank.py: select, one_version): hand-made
titles where the versions, and the works that only look alike, are known."""

from recchat.core.textnorm import same_work_key
from recchat.retrieval.rank import Exclusion, select


def test_versions_share_a_key_and_other_works_do_not():
    assert same_work_key("Terraria - Xbox One") == same_work_key("Terraria - Xbox 360") == "terraria"
    assert same_work_key("Ore no Imouto ga Konnani Kawaii Wake ga Nai.") == same_work_key(
        "Ore no Imouto ga Konnani Kawaii Wake ga Nai")
    assert same_work_key("Halloween (1978)") != same_work_key("Halloween (2007)")  # a remake is another film
    assert same_work_key("Resident Evil: Revelations") != same_work_key("Resident Evil - Gamecube")
    assert same_work_key("Star Wars: Episode IV - A New Hope (1977)") != same_work_key(
        "Star Wars: Episode V - The Empire Strikes Back (1980)")


def _rows(titles):
    return {str(n): {"id": str(n), "title": t, "text": ""} for n, t in enumerate(titles)}


def test_select_keeps_the_best_ranked_version_and_fills_with_other_works():
    rows = _rows(["Terraria - Xbox One", "Terraria - Xbox 360", "Minecraft - Xbox 360", "Terraria - Nintendo 3DS",
                  "Stardew Valley"])
    order = ["0", "1", "2", "3", "4"]
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 3, one_version=True)] == ["0", "2", "4"]
    # without it (histories: a player's next buy may be the same game on their new console) all versions stay
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 3)] == ["0", "1", "2"]


def test_series_keys_group_seasons_and_sequels_not_lookalikes_or_book_series():
    from recchat.core.textnorm import same_series, series_key

    def same(a, b):
        return same_series(series_key(a), series_key(b))

    assert series_key("Godfather: Part II, The (1974)") == "godfather"
    assert same("High School DxD", "High School DxD New") and same("Batman (1989)", "Batman Returns (1992)")
    assert same("Star Wars: Episode IV - A New Hope (1977)", "Star Wars: Episode V - The Empire Strikes Back (1980)")
    assert not same("High School DxD", "High School Musical")  # a shared start is not a whole key
    assert not same("Love (2015)", "Love Actually (2003)")  # one short word is too little to tell
    # separate novels of one series stay apart: the next one is a fair answer to "vampire novels"
    assert not same("Interview with the Vampire (The Vampire Chronicles, #1)",
                    "The Vampire Lestat (The Vampire Chronicles, #2)")


def test_a_search_shows_each_series_once_before_it_repeats_one():
    rows = _rows(["High School DxD", "High School DxD New", "Toradora!", "High School DxD OVA", "Kimi ni Todoke"])
    order = ["0", "1", "2", "3", "4"]
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 3, one_version=True)] == ["0", "2", "4"]
    # the rest of the series waits, in its order, for the places no other match takes
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 5, one_version=True)] == ["0", "2", "4", "1", "3"]


def test_a_history_shows_two_entries_of_a_series_before_the_rest_wait():
    rows = _rows(["Fullmetal Alchemist", "Fullmetal Alchemist: Brotherhood Specials", "Fullmetal Alchemist: Reflections",
                  "Code Geass: Hangyaku no Lelouch", "Fullmetal Alchemist: Premium Collection", "Steins;Gate"])
    order = ["0", "1", "2", "3", "4", "5"]
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 4, per_series=2)] == ["0", "1", "3", "5"]
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 6, per_series=2)] == ["0", "1", "3", "5", "2", "4"]
    assert [r["id"] for r in select(order, rows, Exclusion(), None, 4)] == ["0", "1", "2", "3"]  # no cap: log order
    # seasons that only share the first entry's key still count as one series
    rows = _rows(["High School DxD", "High School DxD New", "High School DxD BorN", "High School DxD Hero", "Steins;Gate"])
    assert [r["id"] for r in select(["0", "1", "2", "3", "4"], rows, Exclusion(), None, 3, per_series=2)] == ["0", "1", "4"]
