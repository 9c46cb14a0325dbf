"""SASRec (Kang & McAuley, ICDM 2018), compact: item + position embeddings, causal transformer blocks.

Trained with sampled softmax (the next item against shared uniform negatives), which beats the
original one-negative BCE at the same cost. Training is resumable: after every epoch the model,
optimizer, best-so-far weights and metrics go to one checkpoint file (written atomically); a rerun
with the same data and settings continues from the last finished epoch, and, because every epoch
reseeds its own randomness, ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from recchat.cf.base import CFModel
from recchat.cf.data import LogSplit
from recchat.cf.metrics import sample_users, validate


@dataclass
class SASRecConfig:
    dim: int = 64
    max_len: int = 50
    blocks: int = 2
    heads: int = 2
    dropout: float = 0.2
    lr: float = 5e-3  # with few users, many small steps: 1e-3 x 128 barely moved in 12 epochs on movies
    batch_size: int = 32
    negatives: int = 256
    weight_decay: float = 0.0
    valid_users: int = 1000  # validation users scored after each epoch (a fixed sample)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, causal: torch.Tensor) -> torch.Tensor:
        x = self.ln1(h)
        a, _ = self.attn(x, x, x, attn_mask=causal, need_weights=False)
        h = h + self.drop(a)
        return h + self.drop(self.ffn(self.ln2(h)))


class SASRecNet(nn.Module):
    """Input: (B, L) item indices + 1, left-padded with 0. Output: (B, L, dim) next-item queries."""

    def __init__(self, n_items: int, cfg: SASRecConfig):
        super().__init__()
        self.cfg = cfg
        self.item = nn.Embedding(n_items + 1, cfg.dim, padding_idx=0)
        self.pos = nn.Embedding(cfg.max_len, cfg.dim)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg.dim, cfg.heads, cfg.dropout) for _ in range(cfg.blocks))
        self.norm = nn.LayerNorm(cfg.dim)
        nn.init.normal_(self.item.weight, std=cfg.dim**-0.5)
        with torch.no_grad():
            self.item.weight[0].zero_()

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        L = seq.shape[1]
        mask = (seq > 0).unsqueeze(-1).to(self.item.weight.dtype)
        # positions count back from the end, so the newest item always has the same position
        pos = torch.arange(self.cfg.max_len - L, self.cfg.max_len, device=seq.device)
        h = self.drop(self.item(seq) * math.sqrt(self.cfg.dim) + self.pos(pos)) * mask
        # causal only (no key-padding mask): a fully masked pad row would turn into NaN
        causal = torch.triu(torch.ones(L, L, dtype=torch.bool, device=seq.device), diagonal=1)
        for b in self.blocks:
            h = b(h, causal) * mask
        return self.norm(h)


class SASRec(CFModel):
    name = "sasrec"

    def __init__(self, item_ids: list[str], net: SASRecNet, counts: np.ndarray):
        self.item_ids = list(item_ids)
        self.net = net.eval()
        self.counts = np.asarray(counts, np.float64)

    @torch.no_grad()
    def _raw(self, hist_idx: list[int]) -> np.ndarray:
        if not hist_idx:  # nothing known about this user: most popular first
            return np.log1p(self.counts)
        seq = torch.tensor([[i + 1 for i in hist_idx[-self.net.cfg.max_len:]]], dtype=torch.long)
        q = self.net(seq)[0, -1]
        return (self.net.item.weight[1:] @ q).double().numpy()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save({"item_ids": self.item_ids, "config": asdict(self.net.cfg), "state": self.net.state_dict(),
                    "counts": self.counts.tolist()}, tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "SASRec":
        z = torch.load(path, map_location="cpu", weights_only=True)
        net = SASRecNet(len(z["item_ids"]), SASRecConfig(**z["config"]))
        net.load_state_dict(z["state"])
        return cls(z["item_ids"], net, np.asarray(z["counts"]))


# ---------------------------------------------------------------------------------------- training
def windows(split: LogSplit, max_len: int) -> list[np.ndarray]:
    """Every training sequence cut from its end into chunks of max_len + 1 (input + shifted target)."""
    ix = {i: n + 1 for n, i in enumerate(split.item_ids)}
    out = []
    for u in sorted(split.train):
        s = np.fromiter((ix[i] for i in split.train[u]), dtype=np.int64)
        end = len(s)
        while end >= 2:
            out.append(s[max(0, end - max_len - 1):end])
            end -= max_len
    return out


def _batch(ws: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    L = max(len(w) for w in ws) - 1
    inp = np.zeros((len(ws), L), np.int64)
    tgt = np.zeros((len(ws), L), np.int64)
    for r, w in enumerate(ws):
        n = len(w) - 1
        inp[r, L - n:] = w[:-1]
        tgt[r, L - n:] = w[1:]
    return torch.from_numpy(inp), torch.from_numpy(tgt)


def sampled_softmax_loss(net: SASRecNet, inp: torch.Tensor, tgt: torch.Tensor, k: int,
                         gen: torch.Generator) -> torch.Tensor:
    h = net(inp)
    m = tgt > 0
    hv, pos = h[m], tgt[m]
    n_items = net.item.num_embeddings - 1
    neg = torch.randint(1, n_items + 1, (min(k, n_items),), generator=gen)
    E = net.item.weight
    lp = (hv * E[pos]).sum(-1, keepdim=True)
    ln = hv @ E[neg].T
    ln = ln.masked_fill(neg.unsqueeze(0) == pos.unsqueeze(1), float("-inf"))  # a negative that is the target
    logits = torch.cat([lp, ln], dim=1)
    return nn.functional.cross_entropy(logits, torch.zeros(len(pos), dtype=torch.long))


def fit(
    split: LogSplit,
    ckpt: Path,
    epochs: int = 30,
    cfg: SASRecConfig | None = None,
    seed: int = 0,
    patience: int | None = None,
    progress: bool = True,
    on_epoch: Callable[[int, dict], None] | None = None,
    on_batch: Callable[[int, int], None] | None = None,
    threads: int | None = 1,
) -> tuple[SASRec, dict]:
    """Train (or resume) to `epochs` epochs; the returned model holds the best validation epoch.

    threads: torch intra-op threads while training. 1 by default: the matrices are small, and on a
    busy 2-core machine a second thread made each step ~30x slower (spin-waiting), never faster.
    """
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _fit(split, ckpt, epochs, cfg or SASRecConfig(), seed, patience, progress, on_epoch, on_batch)
    finally:
        torch.set_num_threads(before)


def _fit(split, ckpt, epochs, cfg, seed, patience, progress, on_epoch, on_batch) -> tuple[SASRec, dict]:
    counts = np.zeros(len(split.item_ids))
    ix = {i: n for n, i in enumerate(split.item_ids)}
    for s in split.train.values():
        for i in s:
            counts[ix[i]] += 1
    torch.manual_seed(seed)
    net = SASRecNet(len(split.item_ids), cfg)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    fp = split.fingerprint()
    state = {"epoch": 0, "history": [], "best": None, "best_state": None}
    resumed_from = 0
    if ckpt.exists():
        z = torch.load(ckpt, map_location="cpu", weights_only=False)
        if z.get("fingerprint") == fp and z.get("config") == asdict(cfg) and z.get("seed") == seed:
            net.load_state_dict(z["state"])
            opt.load_state_dict(z["opt"])
            state = {k: z[k] for k in ("epoch", "history", "best", "best_state")}
            resumed_from = state["epoch"]
    ws = windows(split, cfg.max_len)
    vusers = sample_users([u for u in split.valid], cfg.valid_users, seed)
    model = SASRec(split.item_ids, net, counts)
    stale = 0 if state["best"] is None else state["epoch"] - state["best"]["epoch"]
    t0 = time.perf_counter()
    for epoch in range(state["epoch"] + 1, epochs + 1):
        if patience is not None and stale >= patience:
            break
        # every epoch seeds its own randomness: a resumed run replays exactly what a full run does
        torch.manual_seed(seed * 100_003 + epoch)
        gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = np.random.default_rng([seed, epoch]).permutation(len(ws))
        net.train()
        total, nb = 0.0, 0
        n_batches = math.ceil(len(ws) / cfg.batch_size)
        bar = tqdm(range(n_batches), desc=f"SASRec epoch {epoch}/{epochs}", unit="batch", disable=not progress, leave=False)
        for b in bar:
            inp, tgt = _batch([ws[i] for i in order[b * cfg.batch_size:(b + 1) * cfg.batch_size]])
            loss = sampled_softmax_loss(net, inp, tgt, cfg.negatives, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
            nb += 1
            bar.set_postfix(loss=f"{total / nb:.3f}")
            if on_batch:
                on_batch(epoch, b)
        net.eval()
        rec = {"epoch": epoch, "loss": total / max(nb, 1), **validate(model, split, vusers)}
        state["history"].append(rec)
        if state["best"] is None or rec["ndcg@10"] > state["best"]["ndcg@10"]:
            state["best"] = rec
            state["best_state"] = {k: v.clone() for k, v in net.state_dict().items()}
            stale = 0
        else:
            stale += 1
        state["epoch"] = epoch
        _save_ckpt(ckpt, net, opt, state, fp, cfg, seed)
        if progress:
            tqdm.write(f"SASRec epoch {epoch}: loss {rec['loss']:.4f}  valid hit@10 {rec['hit@10']:.4f}  ndcg@10 {rec['ndcg@10']:.4f}", file=sys.stderr)
        if on_epoch:
            on_epoch(epoch, rec)
    if state["best_state"] is not None:
        net.load_state_dict(state["best_state"])
    net.eval()
    info = {"epochs_done": state["epoch"], "resumed_from": resumed_from, "best": state["best"],
            "history": state["history"], "train_s_this_run": time.perf_counter() - t0, "config": asdict(cfg)}
    return SASRec(split.item_ids, net, counts), info


def _save_ckpt(path: Path, net, opt, state, fp, cfg, seed) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"state": net.state_dict(), "opt": opt.state_dict(), "fingerprint": fp, "config": asdict(cfg),
                "seed": seed, **state}, tmp)
    tmp.replace(path)  # a kill mid-write leaves the previous epoch's checkpoint intact
