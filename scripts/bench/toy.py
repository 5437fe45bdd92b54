"""Benchmark the toy models' training: one batched tensor program over every instance (scripts/toy/model.py)
against a loop that trains the same instances one model at a time, and autograd against the hand-written
gradients — the same settings, the same number of steps, measured in one run (interleaved rounds, so both see
the same machine load). Prints each variant's time, the ratios, and what the note's four sweeps take at that
rate.

    python -m scripts.bench.toy [--threads 2] [--steps 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from scripts.toy.model import toy_features, train_toy_models

# (name, features, dimensions, instances, batch): the `sparsity` sweep's shape and the `pentagon` sweep's
SHAPES = [("sparsity (20 -> 5)", 20, 5, 60, 1024), ("pentagon (5 -> 2)", 5, 2, 80, 1024)]


def _autograd(probs: torch.Tensor, n: int, m: int, steps: int, batch: int) -> None:
    """The same training with autograd computing the gradients (the reference the hand-written ones match)."""
    W = torch.nn.Parameter(torch.randn(len(probs), m, n) * 0.3)
    b = torch.nn.Parameter(torch.zeros(len(probs), n))
    opt = torch.optim.AdamW([W, b], lr=1e-3, weight_decay=0.01)
    rng = np.random.Generator(np.random.PCG64(0))
    for _ in range(steps):
        x = toy_features(rng, probs[:, None, None], batch, n)
        out = torch.relu(torch.bmm(torch.bmm(x, W.transpose(1, 2)), W) + b[:, None])
        (out - x).pow(2).sum(-1).mean(-1).sum().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    train_toy_models(torch.tensor([0.1]), steps=2)  # warm-up: the optimiser's first import
    print(f"toy-model training, {args.threads} thread(s), {args.steps} steps per run, median of {args.rounds} rounds:")
    for name, n, m, count, batch in SHAPES:
        probs = torch.logspace(0, -2, count)
        times: dict[str, list[float]] = {"batched": [], "autograd": [], "loop": []}
        for _ in range(args.rounds):
            for variant in times:
                t0 = time.perf_counter()
                if variant == "batched":
                    train_toy_models(probs, n_features=n, d_hidden=m, steps=args.steps, batch=batch)
                elif variant == "autograd":
                    _autograd(probs, n, m, args.steps, batch)
                else:
                    for k in range(count):
                        train_toy_models(probs[k:k + 1], n_features=n, d_hidden=m, steps=args.steps, batch=batch,
                                         seeds=torch.tensor([k]))
                times[variant].append(time.perf_counter() - t0)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"  {name}, {count} instances, batch {batch}: batched {med['batched']:.2f} s, "
              f"one model at a time {med['loop']:.2f} s ({med['loop'] / med['batched']:.1f}x slower), "
              f"autograd batched {med['autograd']:.2f} s ({med['autograd'] / med['batched']:.1f}x slower); "
              f"10,000 steps batched: {med['batched'] * 10000 / args.steps / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
