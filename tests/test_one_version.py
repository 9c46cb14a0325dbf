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
