"""Load a trained grokking model (an artifact: models/grokking-seed<N>/) with its split and training log."""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

from safetensors.torch import load_file
from transformer_lens import TransformerBridge

from scripts.engine.errors import EngineError
from scripts.engine.paths import ROOT
from scripts.grokking.model import GrokConfig, build_model
from scripts.grokking.task import Split, make_split


class GrokkingModelError(EngineError):
    """A grokking model that is not there (train it: python -m scripts.engine train grokking-seed<N>)."""


@dataclass
class Trained:
    seed: int
    model: TransformerBridge
    split: Split
    config: dict  # config.json: the setup, epochs trained, key frequencies
    log: list[dict]  # metrics.json: one row per logged epoch

    @property
    def key_frequencies(self) -> list[int]:
        return list(self.config["key_frequencies"])


def model_dir(seed: int, root: pathlib.Path = ROOT) -> pathlib.Path:
    return root / "models" / f"grokking-seed{seed}"


def load(seed: int, root: pathlib.Path = ROOT) -> Trained:
    folder = model_dir(seed, root)
    if not (folder / "model.safetensors").exists():
        raise GrokkingModelError(f"{folder.relative_to(root)} is missing; train it with "
                                 f"`python -m scripts.engine train grokking-seed{seed}`")
    config = json.loads((folder / "config.json").read_text())
    model = build_model(GrokConfig(**config["model"]), seed)
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    model.eval()
    log = json.loads((folder / "metrics.json").read_text())["log"]
    return Trained(seed, model, make_split(seed, config["model"]["p"]), config, log)
