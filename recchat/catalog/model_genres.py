"""Model-written genres joined into items whose data has none (games, books).

`recchat catalog genres NAME` writes catalogs/data/NAME/model_genres.csv (id, genres, confidence) with
the base model (recchat/llm/genres.py, gated on movies and anime by benchmarks/genres.py); a build
joins it: the genres go into the item's text (what full-text search sees, so "a racing game" finds
Gran Turismo) and into `model_genres` in its metadata, which the cards show as the model's guess. The
embedder keeps reading the data's own text (`Item.embed_text`): a guess shared by thousands of items
("action") made unrelated items look alike (benchmarks/results/model_genres_embed.json, decided on
books). Without the file an item keeps the text its data has.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recchat.core.schema import Item


def genres_path(name: str) -> Path:
    from catalogs.manifest import BUNDLED

    return BUNDLED / name / "model_genres.csv"


def read(name: str) -> dict[str, list[str]]:
    return read_csv(genres_path(name))


def read_csv(p: Path) -> dict[str, list[str]]:
    if not p.exists():
        return {}
    df = pd.read_csv(p, dtype={"id": str, "genres": str}).dropna(subset=["genres"])
    return {i: [g for g in gs.split("|") if g] for i, gs in zip(df["id"], df["genres"])}


def join(items: list[Item], genres: dict[str, list[str]], embed: bool | None = None, key: str = "model_genres") -> int:
    """Add each item's guessed genres to its text and to metadata[key] in place; how many items got
    some. `embed` false keeps them out of what the embedder reads (RECCHAT_MODEL_GENRES_EMBED)."""
    if embed is None:
        from recchat.core.settings import get_settings

        embed = get_settings().model_genres_embed
    n = 0
    for it in items:
        gs = genres.get(it.id)
        if not gs or any(it.metadata.get(k) for k in ("genres", "model_genres", "neighbour_genres")):
            continue  # the data's own genres win, then the model's
        if not embed:
            it.embed_text = it.text
        it.text = f"{it.text} | genres: {', '.join(gs)}"
        it.metadata[key] = gs
        n += 1
    return n


def write(name: str, rows: list[tuple[str, list[str], float]]) -> Path:
    return write_csv(genres_path(name), rows)


def write_csv(p: Path, rows: list[tuple[str, list[str], float]]) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"id": [r[0] for r in rows], "genres": ["|".join(r[1]) for r in rows],
                  "confidence": [round(r[2], 3) for r in rows]}).to_csv(p, index=False)
    return p
