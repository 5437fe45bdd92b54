"""Attention-only transformers for the zoo (and one-layer models with an MLP, `d_mlp`), built with
TransformerBridge.boot_native, and their checkpoints.

Choices that matter for the analyses (the paper's object of study is this family):
- **Attention only**, 0–3 layers: the paper's zero-, one- and two-layer results are about exactly these.
- **Pre-LayerNorm** (TransformerLens "LN"): trains stably at our learning rates. For circuit analysis call
  `fold_for_analysis(model)`, which folds each LayerNorm's scale into the next read (W_Q, W_K, W_V, W_U) and
  centres the writes, so QK/OV matrices and composition scores are the paper's quantities. What LayerNorm's
  centring does to the "no privileged basis" argument is itself a note.
- **Biases**: the native model always has Q/K/V/O biases; `fold_for_analysis` moves b_V into b_O.
- **Positions**: learned absolute embeddings added to the residual stream (GPT-2 style, so the paper's
  W_E/W_pos/QK formulas apply unchanged), *initialised with sinusoids*. With sinusoids the embedding of
  position i-1 is a fixed rotation of that of position i, so "attend to the previous token" is a single
  linear map in W_QK that every position teaches at once; with random initial positions each of the n_ctx
  pairs must be learned separately, and in our measurements (README, "Training the zoo") no previous-token
  head formed in the first ~8M tokens. The embeddings stay trainable. The paper's models put positions
  into queries and keys only (Shortformer); TransformerLens 4's native models support standard and rotary
  positions only, and rotary would make the token-token QK circuit depend on relative position.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import shutil
import tempfile
from dataclasses import asdict, dataclass

import torch
from safetensors.torch import load_file, save_file
from transformer_lens import TransformerBridge, TransformerBridgeConfig


@dataclass(frozen=True)
class ModelConfig:
    n_layers: int
    d_model: int = 128  # wide enough for 4 heads of 32, small enough for ~40k tokens/s on 2 cores
    n_heads: int = 4  # few heads, so every head can be read individually in the notes
    d_head: int = 32  # d_model / n_heads, as in the paper's models
    n_ctx: int = 128  # long enough for in-context repeats; short contexts give more optimiser steps per token
    d_vocab: int = 1024  # BPE-1024: word-like tokens, cheap unembedding
    normalization_type: str | None = "LN"
    pos_init_scale: float = 0.2  # sinusoid amplitude: near the token embeddings' norm. At 1.0 positions
    # dominate and the previous-token head formed in layer 1, where it cannot feed an induction head
    d_mlp: int | None = None  # None: attention only (the zoo proper); 512 for the sparse-autoencoder note's model
    act_fn: str = "relu"  # the MLP's activation: ReLU as Towards Monosemanticity's model, so "dead" is exact

    def bridge_config(self, seed: int) -> TransformerBridgeConfig:
        return TransformerBridgeConfig(
            n_layers=self.n_layers, d_model=self.d_model, n_heads=self.n_heads, d_head=self.d_head,
            n_ctx=self.n_ctx, d_vocab=self.d_vocab, attn_only=self.d_mlp is None, normalization_type=self.normalization_type,
            **({"d_mlp": self.d_mlp, "act_fn": self.act_fn} if self.d_mlp else {}),
            positional_embedding_type="standard", seed=seed,
            # The default gpt2 init divides by n_layers (ZeroDivisionError at 0 layers); xavier there only.
            init_mode="gpt2" if self.n_layers > 0 else "xavier_normal",
        )


def sinusoidal_positions(n_ctx: int, d_model: int) -> torch.Tensor:
    """The original Transformer's position code: sin/cos pairs at geometrically spaced frequencies."""
    pos = torch.arange(n_ctx, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    pe = torch.zeros(n_ctx, d_model)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * freq), torch.cos(pos * freq)
    return pe


def build_model(cfg: ModelConfig, seed: int, tokenizer=None) -> TransformerBridge:
    """A freshly initialised zoo model (deterministic for a given seed)."""
    model = TransformerBridge.boot_native(cfg.bridge_config(seed), tokenizer=tokenizer)
    with torch.no_grad():
        model.original_model.pos.weight.copy_(cfg.pos_init_scale * sinusoidal_positions(cfg.n_ctx, cfg.d_model))
    return model


def save_checkpoint(model: TransformerBridge, cfg: ModelConfig, directory: pathlib.Path, *,
                    tokenizer_json: str, meta: dict) -> None:
    """Write weights, config, tokenizer and metadata to `directory`, atomically (all or nothing)."""
    directory = pathlib.Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    tmp.chmod(0o755)  # mkdtemp makes it private; a checkpoint is meant to be shared
    try:
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, tmp / "model.safetensors")
        (tmp / "config.json").write_text(json.dumps(asdict(cfg), indent=1, sort_keys=True) + "\n")
        (tmp / "tokenizer.json").write_text(tokenizer_json)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        if directory.exists():  # keep extra files (e.g. snapshots/) that live beside the weights
            for extra in directory.iterdir():
                if not (tmp / extra.name).exists():
                    os.replace(extra, tmp / extra.name)
            old = directory.with_name(f".{directory.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_weights(model: TransformerBridge, path: pathlib.Path) -> None:
    """Load a safetensors state dict into a bridge, strictly (every key must match)."""
    missing, unexpected = model.load_state_dict(load_file(str(path)), strict=False)
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not match the model (missing {missing[:3]}, unexpected {unexpected[:3]})")
