"""A zoo model as its training started, for figures that follow a model through training (step 0, before the
first snapshot): the same config and seed that `scripts/zoo/train.py` builds it from, weights processed as
`load_model` processes the trained ones."""

from __future__ import annotations

import copy
import json

from scripts.zoo.load import MODELS_DIR
from scripts.zoo.model import ModelConfig, build_model


def initial_model(name: str):
    cfg = ModelConfig(**json.loads((MODELS_DIR / name / "config.json").read_text()))
    seed = json.loads((MODELS_DIR / name / "meta.json").read_text())["seed"]
    model = copy.deepcopy(build_model(cfg, seed))
    model.process_weights()
    return model
