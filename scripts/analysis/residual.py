"""The residual stream as a linear channel: an attention-only forward pass written from the weights,
and changes of basis folded into every read and write.

Context: every component of an attention-only transformer reads the stream through a matrix (W_Q, W_K,
W_V, W_U) and writes to it through a matrix (W_E, W_pos, W_O and the biases b_O). Replace the stream x by
x R for an orthogonal R and fold R into every matrix (reads W -> R^T W, writes W -> W R): the function is
unchanged *if nothing else looks at coordinates*. Two things can: LayerNorm's centring subtracts the mean
of the coordinates (the all-ones direction is special; a rotation that fixes it commutes with centring), and
any elementwise nonlinearity applied to the stream itself (the "privileged basis" case).

Works on models whose LayerNorms were folded (`load_model(..., fold=True)`): every LayerNorm is then a pure
"centre and scale to unit variance", and its learned gain already sits in the next read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model


@dataclass(frozen=True)
class AttnOnlyWeights:
    """Every weight of a folded attention-only model, in TransformerLens names and shapes."""

    W_E: Float[Tensor, "d_vocab d_model"]
    W_pos: Float[Tensor, "n_ctx d_model"]
    W_Q: Float[Tensor, "n_layers n_heads d_model d_head"]
    W_K: Float[Tensor, "n_layers n_heads d_model d_head"]
    W_V: Float[Tensor, "n_layers n_heads d_model d_head"]
    W_O: Float[Tensor, "n_layers n_heads d_head d_model"]
    b_Q: Float[Tensor, "n_layers n_heads d_head"]
    b_K: Float[Tensor, "n_layers n_heads d_head"]
    b_V: Float[Tensor, "n_layers n_heads d_head"]
    b_O: Float[Tensor, "n_layers d_model"]
    W_U: Float[Tensor, "d_model d_vocab"]
    b_U: Float[Tensor, " d_vocab"]  # the final LayerNorm's folded bias, b_ln @ W_U
    eps: float = 1e-5

    @property
    def n_layers(self) -> int:
        return self.W_Q.shape[0]


def weights_of(model: Model) -> AttnOnlyWeights:
    """Extract the weights of a folded TransformerBridge (LayerNorm gains 1, biases 0)."""
    gains = [v for k, v in model.state_dict().items() if k.endswith(("ln1.weight", "ln_final.weight"))]
    if any(not torch.allclose(v, torch.ones_like(v)) for v in gains):
        raise ValueError("fold the model's LayerNorms first: load_model(name, fold=True)")
    c = model.cfg
    shapes = {"W_Q": (c.n_heads, c.d_model, c.d_head), "W_K": (c.n_heads, c.d_model, c.d_head),
              "W_V": (c.n_heads, c.d_model, c.d_head), "W_O": (c.n_heads, c.d_head, c.d_model),
              "b_Q": (c.n_heads, c.d_head), "b_K": (c.n_heads, c.d_head), "b_V": (c.n_heads, c.d_head),
              "b_O": (c.d_model,)}
    # A 0-layer bridge has no attention weights at all (accessing them raises): use empty stacks.
    layers = {k: getattr(model, k).detach().clone() if c.n_layers else torch.zeros(0, *shape)
              for k, shape in shapes.items()}
    return AttnOnlyWeights(W_E=model.W_E.detach().clone(), W_pos=model.W_pos.detach().clone(), **layers,
                           W_U=model.W_U.detach().clone(), b_U=model.b_U.detach().clone(), eps=float(c.eps))


def center_and_scale(x: Float[Tensor, "... d_model"], eps: float, center: bool = True) -> Float[Tensor, "... d_model"]:
    """A folded LayerNorm: subtract the mean of the coordinates, divide by their standard deviation.
    `center=False` skips the subtraction, which changes nothing when every write is mean-zero."""
    if center:
        x = x - x.mean(-1, keepdim=True)
    return x / (x.pow(2).mean(-1, keepdim=True) + eps).sqrt()


StreamFn = Callable[[Float[Tensor, "batch pos d_model"]], Float[Tensor, "batch pos d_model"]]


def forward(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"], *, stream_fn: StreamFn | None = None,
            center: bool = True, unembed: bool = True) -> Float[Tensor, "batch pos d_vocab_or_model"]:
    """Logits of the attention-only model. `stream_fn`, if given, is applied to the residual stream itself
    before every read (the "privileged basis" experiment: an elementwise nonlinearity there). `center=False`
    drops LayerNorm's mean subtraction (exact when the writing weights are centred, as folding makes them).
    `unembed=False` returns the normalised stream the unembedding reads instead."""
    x = w.W_E[tokens] + w.W_pos[: tokens.shape[1]]  # [batch pos d_model]
    mask = torch.triu(torch.ones(tokens.shape[1], tokens.shape[1], dtype=torch.bool), diagonal=1)
    for layer in range(w.n_layers):
        if stream_fn is not None:
            x = stream_fn(x)
        h = center_and_scale(x, w.eps, center)
        q = torch.einsum("bpd,hde->bphe", h, w.W_Q[layer]) + w.b_Q[layer]
        k = torch.einsum("bpd,hde->bphe", h, w.W_K[layer]) + w.b_K[layer]
        v = torch.einsum("bpd,hde->bphe", h, w.W_V[layer]) + w.b_V[layer]
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / w.W_Q.shape[-1] ** 0.5
        pattern = scores.masked_fill(mask, float("-inf")).softmax(-1)
        z = torch.einsum("bhqk,bkhe->bqhe", pattern, v)
        x = x + torch.einsum("bqhe,hed->bqd", z, w.W_O[layer]) + w.b_O[layer]
    if stream_fn is not None:
        x = stream_fn(x)
    h = center_and_scale(x, w.eps, center)
    return h @ w.W_U + w.b_U if unembed else h


def rotate(w: AttnOnlyWeights, R: Float[Tensor, "d_model d_model"]) -> AttnOnlyWeights:
    """The same model in the basis x -> x R: writes are multiplied by R, reads by R^T."""
    return replace(
        w, W_E=w.W_E @ R, W_pos=w.W_pos @ R, W_O=w.W_O @ R, b_O=w.b_O @ R,
        W_Q=R.T @ w.W_Q, W_K=R.T @ w.W_K, W_V=R.T @ w.W_V, W_U=R.T @ w.W_U,
    )


def layer_norm(x: Float[Tensor, "... d"], gamma: Float[Tensor, " d"] | None, beta: Float[Tensor, " d"] | None,
               eps: float) -> Float[Tensor, "... d"]:
    """LayerNorm with an optional elementwise gain and bias (None: the pure centre-and-scale)."""
    y = center_and_scale(x, eps)
    return y * gamma + beta if gamma is not None else y
