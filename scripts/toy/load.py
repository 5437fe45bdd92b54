"""Load a trained sweep of toy models (the artifact models/toy-models/, scripts/toy/train.py)."""

from __future__ import annotations

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


def axis(sweep: dict[str, torch.Tensor], name: str, *, descending: bool = False) -> list[float]:
    """The distinct values of one grid axis (`p`, `r`, `decay`, `relu`), sorted (feature probabilities are
    listed dense first by the figures: `descending=True`)."""
    return sorted({round(float(v), 6) for v in sweep[name]}, reverse=descending)


def instances(sweep: dict[str, torch.Tensor], **setting: float) -> torch.Tensor:
    """The indices of one setting's instances (`instances(sw, relu=1, p=0.01)`), in seed order."""
    mask = torch.ones(len(sweep["seed"]), dtype=torch.bool)
    for name, value in setting.items():
        mask &= torch.isclose(sweep[name].float(), torch.tensor(float(value)))
    idx = mask.nonzero().flatten()
    return idx[torch.argsort(sweep["seed"][idx])]
