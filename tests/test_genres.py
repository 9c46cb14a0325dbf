"""Model-written genres: the keep-rule on hand-computed shares, the join into items, and the real base
model on items whose genre any reader of the web knows (the labeller the catalogs' files come from)."""

import numpy as np
import pytest

from recchat.catalog import model_genres
from recchat.core.schema import Item
from recchat.llm.genres import RULE, VOCAB, Labeller, decide

_LABELLERS: dict[str, Labeller] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_labellers():
    yield
    for lab in _LABELLERS.values():
        lab.close()


def labeller(domain: str) -> Labeller:
    if domain not in _LABELLERS:  # one model load per domain for the whole module
        _LABELLERS[domain] = Labeller(domain)
    return _LABELLERS[domain]


WORDS = ["racing", "sports", "party"]
LABELS = {"racing": "racing", "sports": "sports", "party": "party games"}


def test_keeps_the_top_genre_over_the_threshold():
    g = decide(np.array([0.7, 0.2, 0.1]), 0.5, WORDS, LABELS, threshold=0.5, min_mass=0.2, second=0.35)
    assert g.genres == ["racing"] and g.confidence == pytest.approx(0.7)


def test_keeps_a_strong_second_genre_and_its_text():
    g = decide(np.array([0.1, 0.5, 0.4]), 0.5, WORDS, LABELS, threshold=0.5, min_mass=0.2, second=0.35)
    assert g.genres == ["sports", "party games"]


def test_an_unsure_model_gives_no_genre():
    flat = decide(np.array([0.4, 0.3, 0.3]), 0.9, WORDS, LABELS, threshold=0.5, min_mass=0.2, second=0.35)
    elsewhere = decide(np.array([0.9, 0.05, 0.05]), 0.1, WORDS, LABELS, threshold=0.5, min_mass=0.2, second=0.35)
    assert flat.genres == [] and elsewhere.genres == []


def test_join_adds_text_and_metadata_but_never_overrides_the_datas_genres():
    items = [Item(id="1", title="Gran Turismo 6", text="Gran Turismo 6"),
             Item(id="2", title="Heat", text="Heat | genres: Crime", metadata={"genres": ["Crime"]}),
             Item(id="3", title="Unknown", text="Unknown")]
    n = model_genres.join(items, {"1": ["racing"], "2": ["comedy"]}, embed=True)
    assert n == 1
    assert items[0].text == "Gran Turismo 6 | genres: racing" and items[0].metadata["model_genres"] == ["racing"]
    assert items[0].embed_text is None  # the embedder reads the text, genres included
    assert items[1].text == "Heat | genres: Crime" and "model_genres" not in items[1].metadata
    assert items[2].text == "Unknown"


def test_join_can_keep_the_guesses_out_of_what_the_embedder_reads():
    items = [Item(id="1", title="Gran Turismo 6", text="Gran Turismo 6")]
    model_genres.join(items, {"1": ["racing"]}, embed=False)
    assert items[0].text == "Gran Turismo 6 | genres: racing"  # full text and cards still have them
    assert items[0].embed_text == "Gran Turismo 6"


def test_every_domain_list_has_distinct_first_tokens():
    lab = labeller("games")  # raises when two genre words start with the same token
    assert len(lab.token_ids) == len(VOCAB["games"][2])


@pytest.mark.parametrize("title,genre", [("Gran Turismo 6", "racing"), ("Mario Party 8", "party"),
                                         ("Resident Evil 4", "horror")])
def test_the_base_model_knows_famous_games(title, genre):
    g = labeller("games").guess(title, **RULE)
    assert g.genres and g.genres[0].startswith(genre)


def test_the_base_model_knows_a_famous_author():
    g = labeller("books").guess("And Then There Were None", "Agatha Christie", **RULE)
    assert g.genres and g.genres[0].startswith("mystery")
