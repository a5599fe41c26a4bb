#!/usr/bin/env python3
"""PyTorch eager baseline for `autodidact bench train|sample|grpo`.

Same model shape (Llama-style: RMSNorm, rotary embeddings, causal attention,
SwiGLU, tied head), same step (forward, next-token loss, backward, clip,
AdamW) and a plain KV-cache sampling loop. Uses Debian's python3-torch; the
product never needs it.

    python3 scripts/bench_torch.py train --d 256 --layers 4 --heads 8 --ff 688 --vocab 64 --seq 128 --batch 16
    python3 scripts/bench_torch.py sample --d 256 --layers 4 --heads 8 --ff 688 --vocab 64 --batch 64 --prompt 16 --new 112
    python3 scripts/bench_torch.py grpo --d 128 --layers 2 --heads 4 --ff 344 --vocab 94 --batch 128 --prompt 10 --new 48

'grpo' is one step of GRPO's loop as `autodidact bench grpo` times it:
sample --new tokens for every prompt (keeping the sampling log-probs),
then per mini-batch (--mini-batches, default 2) score the full sequences,
the clipped-ratio loss with +-1 advantages and seq-mean-token-mean over
the response tokens, backward, clip, AdamW.

Without --threads it measures PyTorch at its best setting: it runs itself
once per setting (1 thread; 2 threads; 2 threads with
OMP_WAIT_POLICY=PASSIVE, which must be set before torch loads, hence the
subprocesses), --rounds times each, interleaved, prints every figure and
which setting won, and ends with the winner's tokens/s=N. PyTorch 1.13's
default (active) OpenMP wait policy makes 2 threads about 2x slower than 1
on these shapes, so a single default run is not a fair reference.
"""
import argparse
import math
import os
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.w = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.w


def rope_tables(hd, T, theta=10000.0):
    inv = theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    return ang.cos().float(), ang.sin().float()


def rotate(x, cos, sin):  # x [B, H, T, hd]
    h = x.shape[-1] // 2
    x0, x1 = x[..., :h], x[..., h:]
    return torch.cat([x0 * cos - x1 * sin, x1 * cos + x0 * sin], -1)


class Block(nn.Module):
    def __init__(self, d, h, ff, kvh=0):
        super().__init__()
        self.h, self.hd = h, d // h
        self.kvh = kvh or h
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.q, self.o = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        self.k, self.v = (nn.Linear(d, self.kvh * self.hd, bias=False) for _ in range(2))
        self.gate, self.up = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False)
        self.down = nn.Linear(ff, d, bias=False)

    def forward(self, x, cos, sin, cache=None, pos=0):
        B, T, d = x.shape
        h = self.n1(x)
        q = self.q(h).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k(h).view(B, T, self.kvh, self.hd).transpose(1, 2)
        v = self.v(h).view(B, T, self.kvh, self.hd).transpose(1, 2)
        q, k = rotate(q, cos[pos:pos + T], sin[pos:pos + T]), rotate(k, cos[pos:pos + T], sin[pos:pos + T])
        if cache is not None:
            if cache[0] is not None:
                k = torch.cat([cache[0], k], 2)
                v = torch.cat([cache[1], v], 2)
            cache[0], cache[1] = k, v
        if self.kvh != self.h:  # grouped-query attention: each K/V head serves h/kvh query heads
            k, v = k.repeat_interleave(self.h // self.kvh, 1), v.repeat_interleave(self.h // self.kvh, 1)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd)
        if T > 1:
            L = k.shape[2]
            mask = torch.ones(T, L, dtype=torch.bool).tril(L - T)
            s = s.masked_fill(~mask, float("-inf"))
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, d)
        x = x + self.o(a)
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class LM(nn.Module):
    def __init__(self, a, maxpos):
        super().__init__()
        self.emb = nn.Embedding(a.vocab, a.d)
        self.blocks = nn.ModuleList(Block(a.d, a.heads, a.ff, a.kv_heads) for _ in range(a.layers))
        self.norm = RMSNorm(a.d)
        self.cos, self.sin = rope_tables(a.d // a.heads, maxpos)

    def forward(self, tok, caches=None, pos=0):
        x = self.emb(tok)
        for i, b in enumerate(self.blocks):
            x = b(x, self.cos, self.sin, None if caches is None else caches[i], pos)
        return self.norm(x) @ self.emb.weight.t()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["train", "sample", "grpo"])
    for name, default in [("d", 256), ("layers", 4), ("heads", 8), ("ff", 688), ("vocab", 64), ("seq", 128),
                          ("kv-heads", 0), ("batch", 0), ("prompt", 16), ("new", 112), ("steps", 0), ("threads", 0), ("rounds", 2), ("mini-batches", 2)]:
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    if a.threads == 0:
        best_setting(a)
        return
    torch.set_num_threads(a.threads)
    # Denormal floats make x86 arithmetic ~100x slower; the GRPO step's tiny
    # gradients produce them (its backward ran 4x slower without this). Flushing
    # them to zero is PyTorch's best setting, so every kind runs with it.
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    if a.kind == "train":
        B = a.batch or 16
        model = LM(a, a.seq)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        tok = torch.randint(0, a.vocab, (B, a.seq))

        def step():
            logits = model(tok[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, a.vocab), tok[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=False)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        steps, ntok = a.steps or 10, B * a.seq
    elif a.kind == "grpo":
        B, mb = a.batch or 128, a.mini_batches
        rows, T = B // mb, a.prompt + a.new
        model = LM(a, T)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        prompts = torch.randint(0, a.vocab, (B, a.prompt))
        adv = torch.tensor([1.0 - 2 * (i % 2) for i in range(rows)]).unsqueeze(1)

        def step():
            with torch.no_grad():
                caches = [[None, None] for _ in model.blocks]
                logits = model(prompts, caches, 0)[:, -1]
                toks, olds = [], []
                for t in range(a.new):
                    logp = logits.log_softmax(-1)
                    nxt = torch.multinomial(logp.exp(), 1)
                    toks.append(nxt)
                    olds.append(logp.gather(1, nxt))
                    if t == a.new - 1:
                        break
                    logits = model(nxt, caches, a.prompt + t)[:, -1]
                seq = torch.cat([prompts] + toks, 1)
                old = torch.cat(olds, 1)
            for k in range(mb):
                s_, o_ = seq[k * rows:(k + 1) * rows], old[k * rows:(k + 1) * rows]
                logits = model(s_[:, :-1])[:, a.prompt - 1:]
                lp = logits.log_softmax(-1).gather(2, s_[:, a.prompt:].unsqueeze(2)).squeeze(2)
                ratio = (lp - o_).clamp(-20, 20).exp()
                l = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2))
                l = torch.where(adv < 0, torch.min(l, -adv * 3), l)
                loss = l.mean(1).mean()
                opt.zero_grad(set_to_none=False)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()

        steps, ntok = a.steps or 3, B * a.new
    else:
        B = a.batch or 64
        model = LM(a, a.prompt + a.new)
        prompts = torch.randint(0, a.vocab, (B, a.prompt))

        @torch.no_grad()
        def step():
            caches = [[None, None] for _ in model.blocks]
            logits = model(prompts, caches, 0)[:, -1]
            for t in range(a.new):
                nxt = torch.multinomial(logits.softmax(-1), 1)
                if t == a.new - 1:
                    break
                logits = model(nxt, caches, a.prompt + t)[:, -1]

        steps, ntok = a.steps or 3, B * a.new
    for _ in range(2):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    el = (time.perf_counter() - t0) / steps
    cpu = (time.process_time() - c0) / steps
    policy = os.environ.get("OMP_WAIT_POLICY", "default")
    print(f"torch {torch.__version__} {a.kind}: {el:.4f} s/step, {a.threads} threads, OMP_WAIT_POLICY {policy}")
    print(f"CPU time {cpu:.4f} s/step ({ntok / cpu:.0f} tokens per CPU-second)")
    print(f"tokens/s={ntok / el:.0f}")


SETTINGS = [("1 thread", 1, {}), ("2 threads", 2, {}), ("2 threads, OMP_WAIT_POLICY=PASSIVE", 2, {"OMP_WAIT_POLICY": "PASSIVE"})]


def best_setting(a):
    """Runs every setting --rounds times, interleaved, and reports the best."""
    args = [arg for arg in sys.argv[1:]]
    best = {}
    for r in range(a.rounds):
        for name, threads, env in SETTINGS:
            e = dict(os.environ)
            e.pop("OMP_WAIT_POLICY", None)
            e.update(env)
            out = subprocess.run([sys.executable, __file__] + args + ["--threads", str(threads)],
                                 env=e, capture_output=True, text=True, check=True).stdout
            lines = out.strip().splitlines()
            tps = float(lines[-1].split("=")[1])
            print(f"round {r + 1}, {name}: {lines[-2]}, tokens/s={tps:.0f}", flush=True)
            best[name] = max(best.get(name, 0), tps)
    for name, _, _ in SETTINGS:
        print(f"best of {a.rounds}, {name}: tokens/s={best[name]:.0f}")
    win = max(best, key=best.get)
    print(f"torch {torch.__version__} {a.kind}: best setting: {win}")
    print(f"tokens/s={best[win]:.0f}")


if __name__ == "__main__":
    main()
