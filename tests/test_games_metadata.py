"""Games items take genres and tags from Steam's metadata when Steam lists the same game (matched by
name without platform or edition); tiny hand-made files, expected fields written out."""

import json

from catalogs.loaders.amazon import load_games
from catalogs.loaders.steam import match_key
from catalogs.manifest import Manifest


def test_match_key_drops_platform_edition_and_packaging():
    assert match_key("The Elder Scrolls V: Skyrim - Legendary Edition, XBOX 360") == "theelderscrollsvskyrim"
    assert match_key("The Elder Scrolls V: Skyrim") == "theelderscrollsvskyrim"
    assert match_key("Thief Xbox one") == "thief"
    assert match_key("LEGO Batman 3: Beyond Gotham [Online Game Code]") == match_key("LEGO® Batman™3: Beyond Gotham")
    assert match_key("Dark Souls II (Black Armor Edition) - Xbox 360") == "darksoulsii"
    assert match_key("Wii Play") == "wiiplay"  # a platform word inside the name stays


def _files(tmp_path):
    (tmp_path / "items.tsv").write_text(
        "item_id:token\ttitle:token_seq\n"
        "0\tThe Elder Scrolls V: Skyrim - Legendary Edition, XBOX 360\n"
        "1\tWii Play\n"
        "2\tTerraria - Nintendo 3DS\n"
        "3\tPC\n", encoding="utf-8")
    rows = [
        {"id": "72850", "title": "The Elder Scrolls V: Skyrim", "app_name": "The Elder Scrolls V: Skyrim",
         "genres": ["RPG"], "tags": ["Open World", "RPG", "Fantasy"], "developer": "Bethesda Game Studios",
         "publisher": "Bethesda Softworks"},
        {"id": "105600", "title": "Terraria", "app_name": "Terraria", "genres": ["Action", "Adventure", "Indie"],
         "tags": ["Sandbox", "Survival", "2D", "Crafting"], "developer": "Re-Logic"},
        {"id": "9", "title": "PC", "app_name": "PC", "genres": ["Casual"], "tags": []},  # too short to match
    ]
    (tmp_path / "steam.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return Manifest(name="g", domain="games", loader="amazon:load_games",
                    files={"items": "items.tsv", "steam_metadata": "steam.jsonl"})


def test_games_take_steam_genres_tags_and_developer(tmp_path):
    res = load_games(_files(tmp_path), tmp_path)
    by = {it.id: it for it in res.items}
    skyrim = by["0"]
    assert skyrim.metadata["genres"] == ["RPG"] and skyrim.metadata["developer"] == "Bethesda Game Studios"
    assert skyrim.metadata["metadata_from"] == "Steam: The Elder Scrolls V: Skyrim"
    # full text sees the fields (tags that repeat a genre once); the embedder reads the title alone
    assert skyrim.text == ("The Elder Scrolls V: Skyrim - Legendary Edition, XBOX 360 | genres: RPG | "
                           "tags: Open World, Fantasy | developer: Bethesda Game Studios")
    assert skyrim.embed_text == skyrim.title
    assert "Sandbox" in by["2"].text and by["2"].metadata["tags"] == ["Sandbox", "Survival", "2D", "Crafting"]
    for plain in ("1", "3"):  # not on Steam, or a name too short to match safely: title only
        assert by[plain].text == by[plain].title and by[plain].embed_text is None
        assert set(by[plain].metadata) == {"source"}


def test_games_without_steam_file_keep_titles(tmp_path):
    m = _files(tmp_path)
    m.files.pop("steam_metadata")
    res = load_games(m, tmp_path)
    assert all(it.text == it.title and "genres" not in it.metadata for it in res.items)
