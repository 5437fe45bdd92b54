"""Benchmark the toy models' training: one batched tensor program over every instance (scripts/toy/model.py)
against a loop that trains the same instances one model at a time — the same settings, the same number of steps, measured in one run (interleaved rounds, so both see
the same machine load). Prints each variant's time, the ratios, and what the note's four sweeps take at that
rate.

    python -m scripts.bench.toy [--threads 2] [--steps 100] [--rounds 3] [--only computation]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from scripts.toy.model import train_abs_models, train_toy_models

# (name, features, dimensions, instances, batch): the shapes of the note's sweeps (figures/models.yml)
SHAPES = [("sparsity (20 -> 5)", 20, 5, 60, 1024), ("pentagon (5 -> 2)", 5, 2, 80, 1024),
          ("phase (2 -> 1)", 2, 1, 320, 256), ("geometry (100 -> 20)", 100, 20, 50, 128),
          ("computation (|x|, 100 -> 40)", 100, 40, 25, 256)]


def _train(probs: torch.Tensor, n: int, m: int, steps: int, batch: int, seeds: torch.Tensor | None = None) -> None:
    if m == 40:  # the absolute-value model (train_abs_models)
        imp = (0.9 ** torch.arange(n, dtype=torch.float32)).expand(len(probs), -1)
        train_abs_models(probs, n_features=n, d_hidden=m, importance=imp, steps=steps, batch=batch, seeds=seeds)
    else:
        train_toy_models(probs, n_features=n, d_hidden=m, steps=steps, batch=batch, seeds=seeds)


def _run(variant: str, probs: torch.Tensor, n: int, m: int, steps: int, batch: int) -> float:
    t0 = time.perf_counter()
    if variant == "loop":
        for k in range(len(probs)):
            _train(probs[k:k + 1], n, m, steps, batch, seeds=torch.tensor([k]))
    else:
        _train(probs, n, m, steps, batch)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="the shapes whose name starts with this (e.g. computation)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    train_toy_models(torch.tensor([0.1]), steps=2)  # warm-up: the optimiser's first import
    print(f"toy-model training, {args.threads} thread(s), {args.steps} steps per run, median of {args.rounds} rounds:")
    for name, n, m, count, batch in [s for s in SHAPES if s[0].startswith(args.only)]:
        probs = torch.logspace(0, -2, count)
        times: dict[str, list[float]] = {"batched": [], "loop": []}
        for _ in range(args.rounds):
            for variant in times:
                times[variant].append(_run(variant, probs, n, m, args.steps, batch))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"  {name}, {count} instances, batch {batch}: batched {med['batched']:.2f} s, "
              f"one model at a time {med['loop']:.2f} s ({med['loop'] / med['batched']:.1f}x slower); "
              f"10,000 steps batched: {med['batched'] * 10000 / args.steps / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
