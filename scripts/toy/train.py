"""Train the toy models of superposition (Elhage et al., 2022) the note on that paper reads: an artifact.

    python -m scripts.engine train toy-models   # what an author runs
    python -m scripts.toy.train --out /tmp/toy  # by hand, outside the engine

Five sweeps, each one batched tensor program over every setting and seed (`train_toy_models`, `train_abs_models`),
each instance's own initialisation and data (`x' = ReLU(WᵀW x + b)`, features uniform on [0, 1) with
probability p, AdamW lr 1e-3, weight decay 0.01, 10,000 steps). Settings (figures/models.yml), fixed before
each sweep's first run:

- `pentagon`: 5 features in 2 dimensions, importances decay**i, decay 0.9 or 0.7, eight feature
  probabilities from 1 to 0.005, batch 1024 (the paper's) — the explorer and the dense/pentagon verdicts;
- `sparsity`: 20 features in 5 dimensions, importance 0.7**i, sparsity 0 to 0.997, ReLU and linear, batch 1024;
- `phase`: 2 features in 1 dimension, the second's importance r relative to the first (0.1 to 10) against
  their shared probability (1 to 0.01), an 8 x 8 grid, batch 256 (smaller than the paper's: these models
  have three parameters);
- `geometry`: 100 features in 20 dimensions, equal importances, ten probabilities from 1 to 0.003,
  batch 128 (the paper's batch would take this sweep alone past the note's ten-minute budget);
- `computation`: the absolute-value task, 100 features uniform on [-1, 1) in 40 ReLU neurons, importance
  0.9**i, five probabilities from 1 to 0.01, batch 256 (`task: abs`; added in a later session, trained with the
  others); `computation-long`, its sparsest setting trained three times as long (`steps: 30000`, added after
  the first result, to see whether that result was a matter of training time).

Every sweep has `seeds` training seeds per setting and its own data seed (`seed:`), so a sweep's weights do
not depend on which other sweeps are trained or in what order. The sweeps train in as many processes as the
artifact has threads (figures/models.yml `threads`), each process on one thread: a sweep's bits are those of
one thread on any machine, and two cores train the note in the time of its longer half. A finished sweep is
kept in the cache folder, so an interrupted training resumes with the sweeps it had not finished.

Output: one safetensors file per sweep (W or W_in/W_out, b, final loss and the grid's coordinates per
instance) and `sweeps.json` describing the grids.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import json
import multiprocessing
import os
import pathlib
import shutil
import sys

import torch
from safetensors.torch import save_file

from scripts.toy.model import train_abs_models, train_toy_models


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


def train_sweep(name: str, spec: dict, seeds: int, steps: int) -> dict[str, torch.Tensor]:
    grid = _grid(spec["axes"], seeds)
    n, m = spec["n"], spec["m"]
    imp = _importance(spec, grid)
    instance_seeds = torch.arange(len(grid["seed"]))  # each instance its own initialisation
    common = dict(n_features=n, d_hidden=m, importance=imp, seeds=instance_seeds, steps=spec.get("steps", steps),
                  batch=spec["batch"],
                  seed=spec["seed"], progress=f"toy models: {name}")
    if spec.get("task", "reconstruct") == "abs":
        W_in, W_out, b, loss = train_abs_models(grid["p"], **common)
        weights = {"W_in": W_in, "W_out": W_out}
    else:
        relu = grid["relu"].bool() if "relu" in grid else True
        W, b, loss = train_toy_models(grid["p"], relu=relu, **common)
        weights = {"W": W}
    return {**weights, "b": b, "loss": loss, "importance": imp, **grid}


def _cost(spec: dict, seeds: int) -> float:
    """A sweep's relative training time: these models are bound by memory traffic, about (features + 2) numbers
    per example per instance (the bench's per-sweep times fit it within 1.4x)."""
    inst = seeds * len(list(itertools.product(*spec["axes"].values())))
    return inst * spec["batch"] * (spec["n"] + 2) * spec.get("steps", 10_000)


def _train_group(names: list[str], params: dict, out_dir: str, cache_dir: str, position: int) -> None:
    """One worker process: its sweeps one after another on one thread, each saved into the cache, then copied out."""
    torch.set_num_threads(1)
    os.environ["TQDM_POSITION"] = str(position)  # tqdm reads TQDM_* as defaults: one progress line per worker
    for name in names:
        spec, cache = params["sweeps"][name], pathlib.Path(cache_dir)
        key = json.dumps({"spec": spec, "seeds": params["seeds"], "steps": spec.get("steps", params["steps"])},
                         sort_keys=True)
        done, stamp = cache / f"{name}.safetensors", cache / f"{name}.json"
        if not (done.exists() and stamp.exists() and stamp.read_text() == key):
            tensors = train_sweep(name, spec, params["seeds"], params["steps"])
            save_file({k: v.contiguous() for k, v in tensors.items()}, str(done.with_suffix(".tmp")))
            os.replace(done.with_suffix(".tmp"), done)
            stamp.write_text(key)
        shutil.copyfile(done, pathlib.Path(out_dir) / f"{name}.safetensors")


def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None:
    """The engine's entry point (scripts/engine/artifacts.py). The sweeps, longest first, are dealt to
    `torch.get_num_threads()` worker processes (the artifact's declared threads) by longest-processing-time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    workers = max(1, min(torch.get_num_threads(), len(params["sweeps"])))
    groups: list[list[str]] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for name in sorted(params["sweeps"], key=lambda k: -_cost(params["sweeps"][k], params["seeds"])):
        k = load.index(min(load))
        groups[k].append(name)
        load[k] += _cost(params["sweeps"][name], params["seeds"])
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads inherited from this one
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        futures = [pool.submit(_train_group, g, params, str(out_dir), str(cache_dir), k) for k, g in enumerate(groups)]
        for f in futures:
            f.result()
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
