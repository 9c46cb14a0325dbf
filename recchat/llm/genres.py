"""Genres the model knows for items whose data has none (games: titles only; books: title and author).

The base model has read about famous items: after "Video game: Gran Turismo 6\\nGenre:" most of its
next-token mass is on " racing". One forward pass per item scores the first token of every genre on
the domain's list. A genre is kept when its share of the mass on the list is at least `threshold` and
the list holds at least `min_mass` of all the next-token mass (the model recognises the question
rather than wanting to write something else). An item the model does not know gets no genre: it
keeps the text its data has. Thresholds are chosen on movies and anime, whose data has genres
(benchmarks/genres.py), never on the held-out games.

The few-shot header is evaluated once; each item reuses its KV cache (about 20 new tokens an item).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

# domain -> (what an item is called in the prompt, few-shot examples, {first word -> genre text}).
# The first words must be distinct single tokens (checked when a labeller starts); the genre text is
# what joins the item's text, in the words requests use ("platform" -> "platformer").
VOCAB: dict[str, tuple[str, list[tuple[str, str]], dict[str, str]]] = {
    "games": ("Video game", [("Tetris", "puzzle"), ("FIFA 14 - PlayStation 3", "sports"),
                             ("Call of Duty: Black Ops - Xbox 360", "shooter")],
              {"action": "action", "adventure": "adventure", "RPG": "RPG role-playing", "shooter": "shooter",
               "fighting": "fighting", "racing": "racing", "sports": "sports", "puzzle": "puzzle",
               "platform": "platformer", "strategy": "strategy", "simulation": "simulation",
               "horror": "horror survival horror", "party": "party", "music": "music rhythm",
               "stealth": "stealth", "sandbox": "sandbox building", "family": "family kids"}),
    "books": ("Book", [("The Hobbit by J.R.R. Tolkien", "fantasy"), ("Gone Girl by Gillian Flynn", "thriller"),
                       ("Steve Jobs by Walter Isaacson", "biography")],
              {"fantasy": "fantasy", "science": "science fiction sci-fi", "mystery": "mystery detective",
               "thriller": "thriller", "horror": "horror", "romance": "romance", "historical": "historical fiction",
               "young": "young adult", "children": "children's", "classic": "classics",
               "literary": "literary fiction", "biography": "biography memoir", "self": "self-help",
               "history": "history nonfiction", "humor": "humor comedy", "poetry": "poetry",
               "dystopian": "dystopian", "adventure": "adventure", "philosophy": "philosophy",
               "religion": "religion", "business": "business"}),
    # the gate's domains: their data has genres to check the model's against
    "movies": ("Movie", [("The Terminator (1984)", "sci-fi"), ("Toy Story (1995)", "animation"),
                         ("The Notebook (2004)", "romance")],
               {"action": "action", "adventure": "adventure", "animation": "animation", "children": "children",
                "comedy": "comedy", "crime": "crime", "documentary": "documentary", "drama": "drama",
                "fantasy": "fantasy", "horror": "horror", "musical": "musical", "mystery": "mystery",
                "romance": "romance", "sci": "sci-fi", "thriller": "thriller", "war": "war", "western": "western"}),
    "anime": ("Anime", [("Dragon Ball Z", "action"), ("Toradora!", "romance"), ("Mobile Suit Gundam", "mecha")],
              {"action": "action", "adventure": "adventure", "comedy": "comedy", "drama": "drama",
               "fantasy": "fantasy", "sci": "sci-fi", "romance": "romance", "school": "school",
               "slice": "slice of life", "sports": "sports", "mecha": "mecha", "horror": "horror",
               "mystery": "mystery", "psychological": "psychological", "music": "music", "historical": "historical",
               "magic": "magic", "military": "military", "kids": "kids", "supernatural": "supernatural"}),
}


@dataclass
class Guess:
    genres: list[str]  # genre texts, most likely first; [] when the model does not know the item
    confidence: float  # share of the list's mass on the top genre
    mass: float  # share of all next-token mass on the list


def header(domain: str) -> str:
    kind, shots, _ = VOCAB[domain]
    return "".join(f"{kind}: {t}\nGenre: {g}\n\n" for t, g in shots)


def item_line(domain: str, title: str, author: str = "") -> str:
    kind = VOCAB[domain][0]
    return f"{kind}: {title}{f' by {author}' if author else ''}\nGenre:"


def decide(shares: np.ndarray, mass: float, words: list[str], labels: dict[str, str], *, threshold: float,
           min_mass: float, second: float, max_genres: int = 2) -> Guess:
    """Which genres to keep from the list's shares (hand-checked in tests/test_genres.py)."""
    order = np.argsort(-shares)
    top = float(shares[order[0]])
    if mass < min_mass or top < threshold:
        return Guess([], top, mass)
    keep = [labels[words[order[0]]]]
    for j in order[1:max_genres]:
        if shares[j] >= second:
            keep.append(labels[words[j]])
    return Guess(keep, top, mass)


class Labeller:
    """Scores items of one domain with a llama.cpp context of the given checkpoint."""

    def __init__(self, domain: str, checkpoint: str = "base"):
        import llama_cpp

        from recchat.llm.checkpoints import get_checkpoint
        from recchat.llm.generate import load_llama

        self.domain = domain
        self.llm = load_llama(get_checkpoint(checkpoint), n_ctx=512)
        self.labels = VOCAB[domain][2]
        self.words = list(self.labels)
        firsts = [self.llm.tokenize((" " + w).encode(), add_bos=False, special=False) for w in self.words]
        self.token_ids = np.array([t[0] for t in firsts], np.int64)
        if len(set(self.token_ids.tolist())) != len(self.words):
            raise ValueError(f"genre words of {domain!r} share first tokens: {self.words}")
        self.n_vocab = self.llm.n_vocab()
        self._logits_ith = llama_cpp.llama_get_logits_ith
        self.prefix = self.llm.tokenize(header(domain).encode(), add_bos=True, special=False)
        self.llm.reset()
        self.llm.eval(self.prefix)

    def shares(self, line: str) -> tuple[np.ndarray, float]:
        """(share of each genre word among the list, mass of the list) for the token after `line`."""
        n = len(self.prefix)
        self.llm.n_tokens = n  # eval() drops the previous item's cache after the header
        toks = self.llm.tokenize(line.encode(), add_bos=False, special=False)
        self.llm.eval(toks)
        # without logits_all, llama-cpp-python keeps no scores: read the last position's logits
        logits = np.ctypeslib.as_array(self._logits_ith(self.llm._ctx.ctx, -1),
                                       shape=(self.n_vocab,)).astype(np.float64)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        on = p[self.token_ids]
        mass = float(on.sum())
        return on / max(mass, 1e-12), mass

    def close(self) -> None:
        """Free the context now: left to interpreter exit, llama-cpp-python's finaliser finds its
        library already torn down and prints a TypeError."""
        self.llm.close()

    def guess(self, title: str, author: str = "", **rule) -> Guess:
        s, mass = self.shares(item_line(self.domain, title, author))
        return decide(s, mass, self.words, self.labels, **rule)


def label_items(labeller: Labeller, items: Iterable[tuple[str, str, str]], rule: dict,
                progress: Callable[[int], None] | None = None) -> list[tuple[str, Guess]]:
    """[(id, Guess)] for (id, title, author) triples."""
    out = []
    for k, (iid, title, author) in enumerate(items):
        out.append((iid, labeller.guess(title, author, **rule)))
        if progress and (k + 1) % 200 == 0:
            progress(k + 1)
    return out


# the keep-rule shipped: the most items labelled with precision >= 0.65 on movies and anime together
# and >= 0.60 on each (benchmarks/genres.py, benchmarks/results/genres.json: 0.68 of the genres given
# are among the item's own, for a third of the 600 best-known items of each; always saying "drama"
# would be right 0.45 of the time on movies). Stricter rules label almost nothing: at 0.7, 5% of items.
RULE = dict(threshold=0.4, min_mass=0.0, second=1.01)
