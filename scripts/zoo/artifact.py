"""The zoo as artifacts of the engine (figures/models.yml; scripts/engine/artifacts.py).

Kept apart from train.py because the figures import train.py for the zoo's configuration: an entry point
added there would have changed every figure's fingerprint. The artifact's fingerprint traces this file, and
through it train.py and everything train.py imports.
"""

from __future__ import annotations

import pathlib
from dataclasses import replace

import torch

from scripts.zoo.train import ZOO, train


def build_artifact(params: dict, out_dir: pathlib.Path, cache_dir: pathlib.Path) -> None:
    """Train zoo model `params["name"]` into `out_dir`, with the thread count the runner set (declared per
    model in figures/models.yml)."""
    name = params["name"]
    if name not in ZOO:
        raise ValueError(f"unknown zoo model {name!r}; known: {', '.join(ZOO)}")
    model_cfg, train_cfg = ZOO[name]
    train(name, model_cfg, replace(train_cfg, threads=torch.get_num_threads()), out_dir=out_dir, cache_dir=cache_dir)
