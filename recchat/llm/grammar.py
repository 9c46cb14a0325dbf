"""Picks that always exist: a llama.cpp grammar (GBNF) over the candidate titles a prompt lists.

When the prompt lists candidates (listwise ranking), the tuned model answers in the training shape
(`prompts.format_response`): a one-line rationale, a blank line, the label ("Ranking:" / "순위:"),
then numbered lines of titles. Under this grammar the rationale stays free text up to its newline,
but every numbered line after the label can only be one of the listed titles, character for
character, so every named pick is a real candidate (ValidRatio 1.0 by construction).

Titles are data, not grammar: each becomes one quoted GBNF literal with `"`, `\\` and control
characters escaped; whitespace is collapsed to single spaces (the prompt shows each title on one
line) and titles are cut at MAX_TITLE_CHARS, as the prompt shows them.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from recchat.core.errors import RecchatError

MAX_TITLE_CHARS = 200  # the prompt shows each candidate cut to this many characters


def shown_title(title: str) -> str:
    """A title as one grammar alternative: one line, no control characters, at most MAX_TITLE_CHARS."""
    t = "".join(ch for ch in str(title) if ch.isprintable() or ch.isspace())
    t = " ".join(t.split())[:MAX_TITLE_CHARS].strip()
    # lone surrogates cannot be written as UTF-8, so llama.cpp could never match them
    return t.encode("utf-8", "ignore").decode("utf-8")


def literal(text: str) -> str:
    """`text` as a GBNF string literal."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)  # llama.cpp reads literals as UTF-8: Hangul and emoji go in as they are
    return '"' + "".join(out) + '"'


def picks_grammar(titles: list[str], label: str) -> str | None:
    """GBNF for `rationale \\n\\n label \\n 1. title (\\n 2. title ...)`, one to len(titles) picks,
    each a listed title; None when no title is usable (then generation is unconstrained)."""
    shown = list(dict.fromkeys(t for t in map(shown_title, titles) if t))
    if not shown:
        return None
    n = len(shown)
    lines = [
        f"root ::= rationale {literal(chr(10) * 2 + label.strip() + chr(10))} pick1",
        "rationale ::= [^\\n]+",
        "title ::= " + " | ".join(literal(t) for t in shown),
    ]
    # pick_i: "i. " title, optionally followed by the next numbered line (numbering as in training)
    for i in range(1, n + 1):
        more = f' ("\\n" pick{i + 1})?' if i < n else ""
        lines.append(f'pick{i} ::= "{i}. " title{more}')
    return "\n".join(lines) + "\n"


# Korean after the names: Hangul, digits and plain punctuation, ending in Hangul before the stop
# ("-" last in the class: a literal dash)
KO_REST = r"""rest ::= [가-힣ㄱ-ㅎ0-9 ,~()'·-]* [가-힣] [.!?] [\n]"""


def why_grammar(shown: list[tuple[str, list[str]]], sep: str, language: str) -> str | None:
    """GBNF for the sentence on why shown items fit (recchat.prompts.why_prompt): it opens with one of
    the shown names, then `sep`, then one of THAT item's own attributes (after "a "/"an " in English),
    then the rest of one sentence to its full stop and a newline; in Korean the rest is Hangul, digits
    and plain punctuation, ending in Hangul (an English attribute or brand otherwise pulled the sentence
    into English, and the tuned adapters into lists of bars and brackets).
    So the sentence names a shown item and states something the item really has, by construction. Items without attributes
    are left out while another has some; when none has any, free text follows the name. None when no
    name is usable."""
    alts, rules = [], []
    for name, attrs in shown:
        name = shown_title(name)
        if not name or any(name == a for a, _ in alts):
            continue
        attrs = [a for a in dict.fromkeys(shown_title(x) for x in attrs) if a]
        alts.append((name, attrs))
    if not alts:
        return None
    if any(attrs for _, attrs in alts):  # free text about an item with nothing listed invents things ("Minecraft — a role-playing game")
        alts = [(name, attrs) for name, attrs in alts if attrs]
    for k, (name, attrs) in enumerate(alts):
        if attrs:
            lead = '("a " | "an ")? ' if language != "ko" else ""
            rules.append(f"item{k} ::= {literal(name)} {literal(sep)} {lead}({' | '.join(literal(a) for a in attrs)}) rest")
        else:
            rules.append(f"item{k} ::= {literal(name)} {literal(sep)} rest")
    # one sentence: text up to its first full stop (".", "!", "?"), then the newline that ends it
    return "\n".join([
        "root ::= " + " | ".join(f"item{k}" for k in range(len(alts))),
        *rules,
        KO_REST if language == "ko" else "rest ::= [^\\n.!?]* [.!?] [\\n]",
    ]) + "\n"


def whole_picks(pieces: Iterable[str], titles: list[str], label: str) -> Iterator[str]:
    """Text generated under `picks_grammar`, with the rationale streamed as it comes and the picks
    held back until the end, then given only as complete lines: max_tokens can stop generation in
    the middle of a title, and a cut title is not a candidate."""
    shown = {shown_title(t) for t in titles}
    head = "\n\n" + label.strip() + "\n"
    text, sent = "", 0
    for piece in pieces:
        text += piece
        nl = text.find("\n")
        upto = len(text) if nl < 0 else nl  # the grammar keeps the rationale on one line
        if upto > sent:
            yield text[sent:upto]
            sent = upto
    tail = text[sent:]
    if not tail.startswith(head):
        return  # cut before the label: the rationale alone
    kept = []
    for n, line in enumerate(tail[len(head):].split("\n"), 1):
        number, _, title = line.partition(". ")
        if number != str(n) or title not in shown:
            break
        kept.append(line)
    if kept:
        yield head + "\n".join(kept)


def compile_grammar(llm, text: str):
    """A `LlamaGrammar` for a loaded model, parsed by llama.cpp first: a grammar it rejects raises
    RecchatError here instead of reaching the sampler (which would get a null grammar)."""
    import llama_cpp
    from llama_cpp import LlamaGrammar

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, text.encode("utf-8"), b"root")
    if not sampler:
        raise RecchatError("llama.cpp rejected the picks grammar (see its log with RECCHAT_LLAMA_VERBOSE=1)")
    llama_cpp.llama_sampler_free(sampler)
    return LlamaGrammar.from_string(text)
