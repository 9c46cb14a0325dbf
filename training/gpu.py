"""The tuning path in one command: data -> SFT -> export sft -> judge pairs -> DPO -> export dpo.

    make train-gpu                                   # = python -m training.gpu
    python -m training.gpu --max-steps 200           # cap SFT and DPO steps (a CPU smoke run, tests)
    python -m training.gpu --steps sft,export-sft    # some steps only

On a CUDA machine the `*_gpu.yaml` configs are chosen (bf16, batch 32, every row that fits, one
epoch); on CPU the shipped CPU configs (slow: use --max-steps). Each step reuses the module's own
`main(config)` (training.data.build, training.train.sft, training.data.pairs, training.train.dpo,
training.export.adapter), is resumable (the trainers resume from their last checkpoint, the judge
skips users already judged, the data builder keeps finished rows), and is skipped when its output
is complete: a marker `<work-dir>/.steps/<step>.json` records what it was run with, and a step
whose inputs and settings are unchanged is not run again (delete the marker to force it).

The rows are the reader's and the sentence on why (data_understand.yaml: the roles the app gives a
tuned checkpoint). The judge samples five answers per user (and per generated request) from the SFT
model and keeps (best, worst) by where the app's own ranking puts the true item under each answer
(training.data.pairs); a chat-style SFT model (data.yaml rows) is judged by the HyDE rank instead. `--judge-engine llamacpp` samples through the app's
own path (llama.cpp, the exported `sft` checkpoint); `torch` samples the same prompts from the
PyTorch SFT model in large batches on the GPU (on-policy for DPO, which trains that model), which
is what makes ~1,000 pairs fit in minutes, for chat-style models; a reader is always judged through
llama.cpp (the app's ranking needs it); `auto` picks torch on CUDA, llama.cpp on CPU.
Label-tab and thumbs pairs (RECCHAT_HOME/labels.jsonl, feedback.jsonl) are added when present.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from recchat.core.errors import RecchatError
from recchat.llm.checkpoints import CHECKPOINTS_DIR as CHECKPOINTS

CONFIGS = Path(__file__).resolve().parent / "configs"
STEPS = ("data", "sft", "export-sft", "pairs", "dpo", "export-dpo")


def cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def default_config(kind: str, on_gpu: bool) -> Path:
    """training/configs/<kind>_gpu.yaml on a CUDA machine, <kind>.yaml otherwise."""
    return CONFIGS / (f"{kind}_gpu.yaml" if on_gpu else f"{kind}.yaml")


def fingerprint(path: Path) -> str:
    """Sizes and mtimes of a file or directory: a changed input re-runs the steps that read it."""
    p = Path(path)
    if not p.exists():
        return "missing"
    files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file() and "checkpoint-" not in str(f))
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f.relative_to(p) if f != p else f.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


class Steps:
    """Markers of finished steps: `done(step, key)` is true when the step ran to its end with `key`."""

    def __init__(self, work: Path):
        self.dir = work / ".steps"

    def _path(self, step: str) -> Path:
        return self.dir / f"{step}.json"

    def done(self, step: str, key: dict) -> bool:
        p = self._path(step)
        return p.exists() and json.loads(p.read_text()).get("key") == key

    def mark(self, step: str, key: dict, result: dict, seconds: float) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self._path(step).with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": key, "result": result, "seconds": round(seconds, 1)}, indent=2, default=str))
        tmp.replace(self._path(step))

    def result(self, step: str) -> dict:
        p = self._path(step)
        return json.loads(p.read_text()).get("result", {}) if p.exists() else {}


# ------------------------------------------------------------------------------ the steps


def step_data(a) -> dict:
    from trl import TrlParser

    from training.data import build

    (cfg,) = TrlParser([build.DataConfig]).parse_args_and_config(["--config", str(a.data_config),
                                                                  "--output_dir", str(a.dataset)])
    dd, stats = build.main(cfg)
    return {"rows_kept": stats["rows_kept"], "by_split": stats["by_split"]}


def train_args(a, kind: str) -> list[str]:
    out = a.work / kind
    args = ["--config", str(a.sft_config if kind == "sft" else a.dpo_config), "--output_dir", str(out)]
    if a.model:
        args += ["--model_name_or_path", a.model]
    if a.max_steps:
        args += ["--max_steps", str(a.max_steps)]
    if kind == "sft":
        args += ["--dataset_path", str(a.dataset)]
    else:
        if not pair_files(a):
            raise RecchatError(f"no preference pairs in {a.work / 'pairs'}: run the pairs step first (--steps pairs,dpo)")
        args += ["--sft_adapter", str(a.work / "sft"), "--pairs_path", *map(str, pair_files(a))]
    return args


def step_train(a, kind: str) -> dict:
    from training.train import dpo, sft
    from training.train.runs import parse

    mod = sft if kind == "sft" else dpo
    cfg = parse(mod.SFTRunConfig if kind == "sft" else mod.DPORunConfig, train_args(a, kind))
    mod.main(cfg)
    rec = json.loads((Path(cfg.output_dir) / "run.json").read_text())
    return {k: rec.get(k) for k in ("global_step", "examples_seen", "training_time_s", "last_loss", "train_rows",
                                     "pairs")}


def step_export(a, kind: str) -> dict:
    from training.export import adapter as export
    from training.train.runs import parse

    name = a.sft_name if kind == "sft" else a.dpo_name
    args = ["--config", str(a.export_config), "--adapter_dir", str(a.work / kind), "--name", name,
            "--register", str(a.register).lower()]
    if a.model:
        args += ["--base_model", a.model]
    if a.base_gguf:
        args += ["--base_gguf", str(a.base_gguf)]
    if not a.register:
        args += ["--out", str(a.work / f"{name}.gguf")]
    res = export.main(parse(export.ExportConfig, args))
    if not a.register:
        serve(name, Path(res["out"]), a.base_gguf, sft_styles(a))
    return {"out": res["out"], "agreement": (res.get("agreement") or {}).get("agreement")}


def serve(name: str, adapter: Path, base_gguf: Path | None, styles: dict | None = None) -> Path:
    """An exported adapter that was not registered in recchat/checkpoints is served through
    RECCHAT_HOME/models.yaml (the registry's documented way), so the judge and the app can load it."""
    import yaml

    from recchat.core.settings import get_settings

    p = get_settings().home / "models.yaml"
    entries = (yaml.safe_load(p.read_text(encoding="utf-8")) or []) if p.exists() else []
    entries = [e for e in entries if e.get("name") != name]
    entries.append({"name": name, "path": str(base_gguf) if base_gguf else "base", "adapter": str(adapter.resolve()),
                    **(styles or {"prompt_style": "chat"}),
                    "description": f"trained by python -m training.gpu ({adapter.parent})"})
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(p)
    return p


def pair_files(a) -> list[Path]:
    d = a.work / "pairs"
    return [f for f in (d / "judge.jsonl", d / "label.jsonl", d / "feedback.jsonl") if f.exists()]


def sft_styles(a) -> dict:
    """The prompt styles the SFT run's rows taught: what the judge and the registry need."""
    from training.train.runs import run_styles

    return run_styles(a.work / "sft")


def step_pairs(a) -> dict:
    from training.data import pairs

    out = a.work / "pairs" / "judge.jsonl"
    res: dict = {}
    # a reader is judged by the app's own ranking under each reading, which only the app's llama.cpp path
    # gives; the torch engine samples chat-style answers ranked by their HyDE vector
    reader = sft_styles(a)["prompt_style"] == "understand"
    if reader and a.engine == "torch":
        print("[train-gpu] the SFT model reads requests: judging through the app's llama.cpp path", file=sys.stderr)
    for cat in a.judge_catalogs:
        if a.engine == "torch" and not reader:
            from training.judge_torch import run_judge_torch

            res[cat] = run_judge_torch(a, cat, out)
        else:
            res[cat] = pairs.run_judge(cat, a.users, a.sft_name, out, a.samples, a.temperature, a.max_tokens, a.seed)
            if reader:  # requests too: the reader's other half
                res[f"{cat}:search"] = pairs.run_search_judge(cat, a.users, a.sft_name, out, a.samples,
                                                              a.temperature, a.max_tokens)
    res["human"] = human_pairs(a.work / "pairs")
    res["judge_pairs"] = len(pairs.read_pairs(out)) if out.exists() else 0
    if not res["judge_pairs"] and not sum(res["human"].values()):
        raise RecchatError(f"the judge made no pairs (all ties?) in {', '.join(a.judge_catalogs)}; raise --users")
    return res


def human_pairs(d: Path) -> dict:
    """Label-tab and thumbs pairs, when the app has logged any (RECCHAT_HOME/labels.jsonl, feedback.jsonl)."""
    from recchat.core.settings import get_settings
    from training.data import pairs

    home, made = get_settings().home, {}
    for src, out, fn in (("labels.jsonl", "label.jsonl", pairs.pairs_from_labels),
                         ("feedback.jsonl", "feedback.jsonl", pairs.pairs_from_feedback)):
        if (home / src).exists():
            rows = [json.loads(x) for x in (home / src).read_text(encoding="utf-8").splitlines() if x.strip()]
            found = fn(rows)
            if found:
                pairs.write_pairs(found, d / out)
            made[out] = len(found)
    return made


# ------------------------------------------------------------------------------ the command


def parse_args(argv: list[str] | None = None):
    ap = argparse.ArgumentParser(prog="python -m training.gpu", description=__doc__.split("\n\n")[0])
    ap.add_argument("--work-dir", default="runs", help="where sft/, dpo/, pairs/ and the step markers go")
    # the roles tuned checkpoints play at run time: the request reader and the sentence on why
    ap.add_argument("--dataset", default="runs/data/recchat-understand", help="training rows (built if missing)")
    ap.add_argument("--data-config", default=str(CONFIGS / "data_understand.yaml"))
    ap.add_argument("--sft-config", default=None, help="default: sft_gpu.yaml on CUDA, sft.yaml on CPU")
    ap.add_argument("--dpo-config", default=None, help="default: dpo_gpu.yaml on CUDA, dpo.yaml on CPU")
    ap.add_argument("--export-config", default=str(CONFIGS / "export.yaml"))
    ap.add_argument("--max-steps", type=int, default=None, help="cap SFT and DPO optimiser steps (CPU runs, tests)")
    ap.add_argument("--model", default=None, help="transformers base (default: the configs' recchat:base)")
    ap.add_argument("--base-gguf", default=None, help="llama.cpp base for --model (default: the packaged GGUF)")
    ap.add_argument("--register", default=None, choices=["true", "false"],
                    help="export into recchat/checkpoints/<name> (default: true for the packaged base)")
    ap.add_argument("--sft-name", default="sft")
    ap.add_argument("--dpo-name", default="dpo")
    ap.add_argument("--judge-catalogs", default="movies,books", help="training-domain catalogs with an interaction log")
    ap.add_argument("--users", type=int, default=600, help="judged users per catalog (ties give no pair)")
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--temperature", type=float, default=0.9)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--judge-engine", default="auto", choices=["auto", "torch", "llamacpp"])
    ap.add_argument("--judge-batch", type=int, default=256, help="torch engine: sequences per generate call")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    a = ap.parse_args(argv)
    on_gpu = cuda()
    a.work, a.dataset = Path(a.work_dir), Path(a.dataset)
    a.sft_config = Path(a.sft_config) if a.sft_config else default_config("sft", on_gpu)
    a.dpo_config = Path(a.dpo_config) if a.dpo_config else default_config("dpo", on_gpu)
    a.base_gguf = Path(a.base_gguf) if a.base_gguf else None
    a.register = (a.model is None and a.base_gguf is None) if a.register is None else a.register == "true"
    a.engine = ("torch" if on_gpu else "llamacpp") if a.judge_engine == "auto" else a.judge_engine
    a.judge_catalogs = [c.strip() for c in a.judge_catalogs.split(",") if c.strip()]
    a.steps = [s.strip() for s in a.steps.split(",") if s.strip()]
    bad = [s for s in a.steps if s not in STEPS]
    if bad:
        raise RecchatError(f"unknown step(s) {', '.join(bad)}; steps are {', '.join(STEPS)}")
    for p in (a.sft_config, a.dpo_config, Path(a.export_config)):
        if not p.exists():
            raise RecchatError(f"no config at {p}")
    a.on_gpu = on_gpu
    return a


def keys(a) -> dict:
    """What each step's output depends on; a step re-runs when its key changes."""
    common = {"model": a.model, "max_steps": a.max_steps}
    sft_out, dpo_out = a.work / "sft", a.work / "dpo"
    judge = {"catalogs": a.judge_catalogs, "users": a.users, "samples": a.samples, "temperature": a.temperature,
             "max_tokens": a.max_tokens, "engine": a.engine, "seed": a.seed, "sft": fingerprint(sft_out / "adapter_model.safetensors")}
    return {
        "data": {"config": fingerprint(Path(a.data_config)), "dataset": str(a.dataset)},
        "sft": {**common, "config": fingerprint(a.sft_config), "dataset": fingerprint(a.dataset)},
        "export-sft": {"adapter": fingerprint(sft_out / "adapter_model.safetensors"), "name": a.sft_name,
                       "register": a.register, "config": fingerprint(Path(a.export_config))},
        "pairs": judge,
        "dpo": {**common, "config": fingerprint(a.dpo_config), "sft": judge["sft"],
                "pairs": [fingerprint(p) for p in pair_files(a)]},
        "export-dpo": {"adapter": fingerprint(dpo_out / "adapter_model.safetensors"), "name": a.dpo_name,
                       "register": a.register, "config": fingerprint(Path(a.export_config))},
    }


def outputs(a, step: str) -> Path:
    """The file a finished step leaves (a marker without it means the output was deleted since)."""
    name = a.sft_name if step == "export-sft" else a.dpo_name
    export_out = (CHECKPOINTS / name / "adapter.gguf") if a.register else a.work / f"{name}.gguf"
    return {"data": a.dataset, "sft": a.work / "sft" / "run.json", "export-sft": export_out,
            "pairs": a.work / "pairs", "dpo": a.work / "dpo" / "run.json", "export-dpo": export_out}[step]


def run(a) -> dict:
    steps = Steps(a.work)
    runners = {"data": lambda: step_data(a), "sft": lambda: step_train(a, "sft"),
               "export-sft": lambda: step_export(a, "sft"), "pairs": lambda: step_pairs(a),
               "dpo": lambda: step_train(a, "dpo"), "export-dpo": lambda: step_export(a, "dpo")}
    report: dict = {"device": "cuda" if a.on_gpu else "cpu", "steps": {}}
    t_all = time.time()
    for step in STEPS:
        if step not in a.steps:
            continue
        key = keys(a)[step]  # after the previous step ran: its output is part of this key
        if step == "data" and a.dataset.exists():
            report["steps"][step] = {"skipped": f"{a.dataset} exists"}
            continue
        if steps.done(step, key) and outputs(a, step).exists():
            report["steps"][step] = {"skipped": "complete", **steps.result(step)}
            print(f"[{step}] complete, skipped", file=sys.stderr)
            continue
        print(f"[{step}] running", file=sys.stderr)
        t0 = time.time()
        result = runners[step]()
        steps.mark(step, key, result, time.time() - t0)
        report["steps"][step] = {"seconds": round(time.time() - t0, 1), **result}
    report["seconds"] = round(time.time() - t_all, 1)
    (a.work / "train_gpu.json").parent.mkdir(parents=True, exist_ok=True)
    (a.work / "train_gpu.json").write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False))
    return report


def main(argv: list[str] | None = None) -> int:
    try:
        report = run(parse_args(argv))
    except RecchatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report, default=str, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
