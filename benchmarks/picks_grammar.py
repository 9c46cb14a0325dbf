"""Decode speed with and without the candidates grammar (recchat/llm/grammar.py), on the real path.

    python benchmarks/picks_grammar.py                      # sft, 6 listwise prompts x 3 repeats
    python benchmarks/picks_grammar.py --checkpoint dpo --repeats 5

Run it with RECCHAT_N_THREADS=1 on a shared machine: llama.cpp's threads spin-wait, and two of them
beside other jobs measure the scheduler, not the decoder.

Each prompt is the runtime's listwise chat prompt (`prompts.build_prompt(..., candidates=...)`) over
ten `movies` titles, decoded greedily by `recchat.llm.generate.stream_completion` with and without
`grammar=picks_grammar(...)`, the two interleaved so machine load hits both alike. Reported: decode
tokens/s (tokens after the first over the time after the first), median per arm, and their ratio;
and whether each output's picks are all candidates. Writes benchmarks/results/picks_grammar.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recchat import prompts  # noqa: E402
from recchat.core.textnorm import normalize_title  # noqa: E402
from recchat.llm.generate import GenStats, stream_completion  # noqa: E402
from recchat.llm.grammar import picks_grammar, whole_picks  # noqa: E402

TITLES = ["Toy Story (1995)", "Matrix, The (1999)", "Godfather, The (1972)", "Shawshank Redemption, The (1994)",
          "Bug's Life, A (1998)", "Star Wars: Episode IV - A New Hope (1977)", "Alien (1979)",
          "Star Wars: Episode VI - Return of the Jedi (1983)", "Jurassic Park (1993)", "Terminator 2: Judgment Day (1991)"]
REQUESTS = [("search", "en", "a funny animated movie about toys", None),
            ("search", "en", "a dark sci-fi film with a monster", None),
            ("search", "en", "a classic crime drama about a family", None),
            ("search", "ko", "무서운 우주 영화", None),
            ("recommend", "en", "", ["Aliens (1986)", "Predator (1987)", "RoboCop (1987)"]),
            ("recommend", "ko", "", ["토이 스토리", "니모를 찾아서", "업"])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default="sft")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "picks_grammar.json"))
    a = ap.parse_args()
    allowed = {normalize_title(t) for t in TITLES}
    rows = []
    for rep in range(a.repeats):
        for task, lang, query, hist in REQUESTS:
            prompt, stop = prompts.build_prompt("chat", task, lang, query=query, history=hist, candidates=TITLES)
            for arm in ("free", "grammar"):
                g = picks_grammar(TITLES, prompts.RANK_LABEL[lang]) if arm == "grammar" else None
                st = GenStats()
                pieces = stream_completion(a.checkpoint, prompt, max_tokens=a.max_tokens, temperature=0.0,
                                           stop=stop, stats=st, grammar=g)
                # as the pipeline does: under the grammar, only complete pick lines are given
                text = "".join(whole_picks(pieces, TITLES, prompts.RANK_LABEL[lang]) if g else pieces)
                picks = prompts.split_response(text)[1]
                rows.append({"rep": rep, "request": query or "; ".join(hist), "arm": arm, "tokens": st.gen_tokens,
                             "decode_tok_s": st.decode_tok_s, "ttft_s": st.ttft_s, "picks": picks,
                             "all_valid": all(normalize_title(p) in allowed for p in picks), "text": text})
                print(f"{arm:8s} {st.gen_tokens:3d} tok {st.decode_tok_s or 0:6.1f} tok/s picks={picks}", flush=True)
    summary = {}
    for arm in ("free", "grammar"):
        r = [x for x in rows if x["arm"] == arm]
        speeds = [x["decode_tok_s"] for x in r if x["decode_tok_s"]]
        summary[arm] = {"median_decode_tok_s": round(statistics.median(speeds), 1), "runs": len(r),
                        "answers_with_picks": sum(bool(x["picks"]) for x in r),
                        "answers_all_picks_valid": sum(bool(x["picks"]) and x["all_valid"] for x in r)}
    summary["ratio_grammar_over_free"] = round(summary["grammar"]["median_decode_tok_s"]
                                               / summary["free"]["median_decode_tok_s"], 3)
    out = {"checkpoint": a.checkpoint, "cpus": os.cpu_count(), "max_tokens": a.max_tokens, "summary": summary,
           "rows": rows}
    Path(a.out).write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
