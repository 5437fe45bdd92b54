"""Load a trained sparse autoencoder (the artifact models/sae-<model>/, scripts/sae/train.py)."""

from __future__ import annotations

import json
import pathlib

from safetensors.torch import load_file

from scripts.engine.errors import EngineError
from scripts.engine.paths import ROOT
from scripts.sae.model import SparseAutoencoder


class SAELoadError(EngineError):
    """An autoencoder that is not there (train it: python -m scripts.engine train sae-<model>)."""


def load_sae(model: str, size: int, models_dir: pathlib.Path = ROOT / "models") -> tuple[SparseAutoencoder, float]:
    """The autoencoder with `size` features on `model`'s MLP, and the scale its inputs take (activations x scale)."""
    folder = models_dir / f"sae-{model}"
    path = folder / f"sae-{size}.safetensors"
    if not path.exists():
        known = sorted(int(p.stem.split("-")[1]) for p in folder.glob("sae-*.safetensors"))
        raise SAELoadError(f"no autoencoder with {size} features on {model!r} in {folder} (trained: {known}); "
                           f"train it with python -m scripts.engine train sae-{model}")
    state = load_file(str(path))
    sae = SparseAutoencoder(state["W_dec"].shape[1], state["W_dec"].shape[0])
    sae.load_state_dict(state)
    sae.eval()
    return sae, json.loads((folder / "pool.json").read_text())["scale"]
