"""Benchmark the sparse autoencoder's training step (scripts/sae/model.py, `train_sae`) against a plain PyTorch
loop that does only the loss, backward and Adam step — no decoder renormalisation, no removal of the gradient
along the decoder rows, no dead-feature bookkeeping — interleaved in one run, so both see the same machine
load. The ratio is what the recipe's extra steps cost.

    python -m scripts.bench.sae [--threads 2] [--steps 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from scripts.sae.model import SparseAutoencoder, sae_loss, train_sae


def _plain(x: torch.Tensor, d_sae: int, steps: int) -> float:
    sae = SparseAutoencoder(x.shape[1], d_sae)
    opt = torch.optim.Adam(sae.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = sae_loss(sae, x, 3.0)[0]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return time.perf_counter() - t0


def _ours(x: torch.Tensor, d_sae: int, steps: int) -> float:
    t0 = time.perf_counter()
    train_sae(lambda s: x, x.shape[1], d_sae, l1=3.0, steps=steps, resample_at=(steps // 2,), window=steps // 4)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    x = torch.randn(1024, 512, generator=torch.Generator().manual_seed(0)).relu()
    print(f"sparse autoencoder step, batch 1,024 x 512, {args.threads} thread(s), {args.steps} steps, "
          f"median of {args.rounds} interleaved rounds:")
    for d_sae in (512, 2048, 4096):
        times: dict[str, list[float]] = {"plain": [], "ours": []}
        for _ in range(args.rounds):
            times["plain"].append(_plain(x, d_sae, args.steps))
            times["ours"].append(_ours(x, d_sae, args.steps))
        med = {k: statistics.median(v) / args.steps * 1000 for k, v in times.items()}
        print(f"  {d_sae:,} features: plain loop {med['plain']:.0f} ms/step, ours {med['ours']:.0f} ms/step "
              f"({med['ours'] / med['plain']:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
