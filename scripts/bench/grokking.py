"""Benchmark the grokking model's training step: the structure-exploiting forward (scripts/grokking/model.py)
against the plain TransformerBridge forward, same model, same full batch of 3,830 pairs, same AdamW step.

Steps are interleaved (plain, fast, plain, fast, ...) so both see the same machine load; prints the median
step time of each, their ratio and the implied minutes for 15,000 epochs (the order of a grokking run).

    python -m scripts.bench.grokking [--threads 1] [--steps 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from scripts.grokking.model import GrokConfig, bridge_logits, build_model, fast_logits
from scripts.grokking.task import make_split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    split = make_split(0)
    a, b, y, tokens = split.a[split.train], split.b[split.train], split.labels[split.train], split.tokens(split.train)
    runs = {}
    for name, forward in (("plain", lambda m: bridge_logits(m, tokens)), ("fast", lambda m: fast_logits(m, a, b))):
        model = build_model(GrokConfig(), seed=0)
        opt = torch.optim.AdamW(model.original_model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
        runs[name] = (model, opt, forward, [])

    def step(model, opt, forward):
        loss = torch.nn.functional.cross_entropy(forward(model).double(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):  # warm-up
        for model, opt, forward, _ in runs.values():
            step(model, opt, forward)
    for _ in range(args.steps):
        for model, opt, forward, times in runs.values():
            t0 = time.perf_counter()
            step(model, opt, forward)
            times.append(time.perf_counter() - t0)
    plain, fast = (statistics.median(runs[k][3]) for k in ("plain", "fast"))
    pairs = sorted(f / p for f, p in zip(runs["fast"][3], runs["plain"][3]))
    print(f"grokking training step, {args.threads} thread(s), full batch of {len(a):,} pairs:")
    print(f"  plain TransformerBridge forward {plain * 1000:.0f} ms, structure-exploiting forward {fast * 1000:.0f} ms "
          f"-> {statistics.median(pairs):.2f}x (interleaved pairs {pairs[0]:.2f}-{pairs[-1]:.2f})")
    print(f"  15,000 epochs: {15000 * plain / 60:.0f} min plain, {15000 * fast / 60:.0f} min fast")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
