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


def one_hot_attn_only(V: int, N: int, D: int, n_heads: int, d_head: int):
    """(model, raw module): a 2-layer attention-only bridge without LayerNorm, every weight zero except a
    one-hot token embedding in dimensions [0, V) and a one-hot position embedding in [V, V + N). The
    hand-built circuit models of the tests set their heads by hand on top of it."""
    from transformer_lens import TransformerBridge, TransformerBridgeConfig

    cfg = TransformerBridgeConfig(n_layers=2, d_model=D, n_heads=n_heads, d_head=d_head, n_ctx=N, d_vocab=V,
                                  attn_only=True, normalization_type=None, positional_embedding_type="standard",
                                  seed=0, init_mode="gpt2")
    model = TransformerBridge.boot_native(cfg)
    raw = model.original_model
    with torch.no_grad():
        for p in raw.parameters():
            p.zero_()
        raw.tok_embed.weight[:, :V] = torch.eye(V)
        raw.pos.weight[:, V:V + N] = torch.eye(N)
    return model, raw
