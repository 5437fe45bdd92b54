"""A small untrained model of the zoo's architecture, shared by the analysis and claims tests."""

from __future__ import annotations

import copy

import torch

from scripts.zoo.model import ModelConfig, build_model


def random_folded_pair(d_model: int = 32):
    """(model, folded copy): an untrained 2-layer zoo-architecture model whose LayerNorm gains and biases are
    made non-trivial, and the same model with its LayerNorms folded into the weights."""
    model = build_model(ModelConfig(n_layers=2, d_model=d_model, n_heads=2, d_head=16, n_ctx=24, d_vocab=50), seed=3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ln" in name or "norm" in name:
                p.add_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(7)))
    folded = copy.deepcopy(model)
    folded.process_weights()
    return model, folded
