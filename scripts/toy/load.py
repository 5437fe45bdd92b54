"""Load a trained sweep of toy models (the artifact models/toy-models/, scripts/toy/train.py)."""

from __future__ import annotations

import json
import pathlib

import torch
from safetensors.torch import load_file

from scripts.engine.errors import EngineError
from scripts.engine.paths import ROOT

TOY_DIR = ROOT / "models" / "toy-models"


class ToyModelError(EngineError):
    """A sweep that is not there (train it: python -m scripts.engine train toy-models)."""


def load_sweep(name: str, models_dir: pathlib.Path = TOY_DIR) -> dict[str, torch.Tensor]:
    """One sweep's tensors: W [inst m n], b, loss, importance, the grid's axes per instance, and `seed`."""
    path = models_dir / f"{name}.safetensors"
    if not path.exists():
        known = sorted(p.stem for p in models_dir.glob("*.safetensors"))
        raise ToyModelError(f"no toy-model sweep {name!r} in {models_dir} (known: {known}); train it with "
                            "python -m scripts.engine train toy-models")
    return load_file(str(path))


def sweep_settings(models_dir: pathlib.Path = TOY_DIR) -> dict:
    """The settings the sweeps were trained with (sweeps.json: the artifact's params)."""
    return json.loads((models_dir / "sweeps.json").read_text(encoding="utf-8"))


def cells(sweep: dict[str, torch.Tensor], *axes: str) -> list[tuple[tuple[float, ...], torch.Tensor]]:
    """The sweep's settings in training order, each with the indices of its seeds' instances."""
    keys = torch.stack([sweep[a] for a in axes], dim=1) if axes else torch.zeros(len(sweep["seed"]), 0)
    out: dict[tuple[float, ...], list[int]] = {}
    for i, k in enumerate(keys.tolist()):
        out.setdefault(tuple(k), []).append(i)
    return [(k, torch.tensor(v)) for k, v in out.items()]
