"""Train the toy models of superposition (Elhage et al., 2022) the note on that paper reads: an artifact.

    python -m scripts.engine train toy-models   # what an author runs
    python -m scripts.toy.train --out /tmp/toy  # by hand, outside the engine

Four sweeps, each one batched tensor program over every setting and seed (`train_toy_models`), each
instance's own initialisation and data (`x' = ReLU(WᵀW x + b)`, features uniform on [0, 1) with
probability p, AdamW lr 1e-3, weight decay 0.01, 10,000 steps). Settings (figures/models.yml), fixed before
the first run:

- `pentagon`: 5 features in 2 dimensions, importances decay**i, decay 0.9 or 0.7, eight feature
  probabilities from 1 to 0.005, batch 1024 (the paper's) — the explorer and the dense/pentagon verdicts;
- `sparsity`: 20 features in 5 dimensions, importance 0.7**i, sparsity 0 to 0.997, ReLU and linear, batch 1024;
- `phase`: 2 features in 1 dimension, the second's importance r relative to the first (0.1 to 10) against
  their shared probability (1 to 0.01), an 8 x 8 grid, batch 256 (smaller than the paper's: these models
  have three parameters);
- `geometry`: 100 features in 20 dimensions, equal importances, ten probabilities from 1 to 0.003,
  batch 128 (the paper's batch would take this sweep alone past the note's ten-minute budget).

Every sweep has `seeds` training seeds per setting. Output: one safetensors file per sweep (W, b, final
loss and the grid's coordinates per instance) and `sweeps.json` describing the grids.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import sys

import torch
from safetensors.torch import save_file

from scripts.toy.model import train_toy_models


def _grid(axes: dict[str, list], seeds: int) -> dict[str, torch.Tensor]:
    """Every combination of the axes' values, each repeated for `seeds` seeds: one tensor per axis + seed."""
    rows = [(*combo, s) for combo in itertools.product(*axes.values()) for s in range(seeds)]
    cols = list(zip(*rows))
    out = {name: torch.tensor(col, dtype=torch.float32) for name, col in zip(axes, cols)}
    out["seed"] = torch.tensor(cols[-1], dtype=torch.int64)
    return out


def _importance(spec: dict, grid: dict[str, torch.Tensor]) -> torch.Tensor:
    """[instances n]: `decay: d` -> d**i; `importance: decay_axis` -> the grid's decay**i; `relative` -> (1, r);
    `uniform` -> all ones."""
    n, count = spec["n"], len(grid["seed"])
    i = torch.arange(n, dtype=torch.float32)
    kind = spec.get("importance", "decay")
    if kind == "decay":
        return torch.full((count, 1), float(spec["decay"])) ** i
    if kind == "decay_axis":
        return grid["decay"][:, None] ** i
    if kind == "relative":
        return torch.stack([torch.ones_like(grid["r"]), grid["r"]], dim=1)
    if kind == "uniform":
        return torch.ones(count, n)
    raise ValueError(f"unknown importance {kind!r}: use decay, decay_axis, relative or uniform")


def train_sweep(name: str, spec: dict, seeds: int, steps: int, seed: int) -> dict[str, torch.Tensor]:
    grid = _grid(spec["axes"], seeds)
    n, m = spec["n"], spec["m"]
    imp = _importance(spec, grid)
    relu = grid["relu"].bool() if "relu" in grid else True
    instance_seeds = torch.arange(len(grid["seed"]))  # each instance its own initialisation
    W, b, loss = train_toy_models(grid["p"], n_features=n, d_hidden=m, importance=imp, relu=relu,
                                  seeds=instance_seeds, steps=steps, batch=spec["batch"], seed=seed,
                                  progress=f"toy models: {name}")
    return {"W": W.contiguous(), "b": b.contiguous(), "loss": loss.contiguous(), "importance": imp.contiguous(),
            **{k: v.contiguous() for k, v in grid.items()}}


def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None:
    """The engine's entry point (scripts/engine/artifacts.py)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for i, (name, spec) in enumerate(params["sweeps"].items()):
        tensors = train_sweep(name, spec, params["seeds"], params["steps"], params["seed"] + i)
        save_file(tensors, str(out_dir / f"{name}.safetensors"))
    (out_dir / "sweeps.json").write_text(json.dumps(params, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--steps", type=int, default=None, help="fewer steps, for a quick look")
    args = parser.parse_args(argv)
    params = yaml.safe_load(pathlib.Path("figures/models.yml").read_text())["toy-models"]["params"]
    if args.steps:
        params["steps"] = args.steps
    build_artifact(params, args.out, pathlib.Path(".cache/toy"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
