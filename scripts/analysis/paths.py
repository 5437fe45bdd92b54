"""Path expansion of a 2-layer attention-only model with frozen attention patterns (the paper's term
importance analysis).

Intuition: once attention patterns A and LayerNorm scales are frozen at their values on the real input,
every layer is linear, and the final residual stream splits exactly into end-to-end paths:
- order 0, the *direct path*: embeddings (and output biases) straight to the unembedding;
- order 1, each head reading the embeddings: L0 heads, and L1 heads reading the embedding part of their input;
- order 2, *virtual heads*: an L1 head reading what an L0 head wrote, A^{h2} A^{h1} ⊗ W_OV^{h1} W_OV^{h2}.
Removing one term and re-scoring the (frozen) logits gives its marginal effect on the loss.

Works on folded models (`weights_of(load_model(name, fold=True))`): LayerNorm is then a pure centre-and-scale.
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.residual import AttnOnlyWeights


def _attn(w: AttnOnlyWeights, layer: int, h_in: Float[Tensor, "b p d"]) -> Float[Tensor, "b head q k"]:
    q = torch.einsum("bpd,hde->bphe", h_in, w.W_Q[layer]) + w.b_Q[layer]
    k = torch.einsum("bpd,hde->bphe", h_in, w.W_K[layer]) + w.b_K[layer]
    scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / w.W_Q.shape[-1] ** 0.5
    n = h_in.shape[1]
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1)


def _scale(x: Float[Tensor, "b p d"], eps: float) -> Float[Tensor, "b p 1"]:
    c = x - x.mean(-1, keepdim=True)
    return (c.pow(2).mean(-1, keepdim=True) + eps).sqrt()


def _center(x: Tensor) -> Tensor:
    return x - x.mean(-1, keepdim=True)


def _head_out(w: AttnOnlyWeights, layer: int, head: int, A: Tensor, src: Tensor) -> Float[Tensor, "b p d"]:
    """What `head` writes when its values are read from `src` (already centred and scaled), pattern A."""
    v = src @ w.W_V[layer, head] + 0.0  # b_V is folded into b_O
    return torch.einsum("bqk,bke->bqe", A[:, head], v) @ w.W_O[layer, head]


def path_terms(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"]) -> tuple[dict[str, Tensor], Tensor]:
    """The final residual stream split into path terms (they sum to it exactly), and the final LN scale."""
    if w.n_layers != 2:
        raise ValueError("path_terms expands 2-layer models")
    if w.b_V.abs().max() > 0:
        raise ValueError("fold value biases first (load_model(..., fold=True))")
    H = w.W_Q.shape[1]
    x0 = w.W_E[tokens] + w.W_pos[: tokens.shape[1]]
    s0 = _scale(x0, w.eps)
    A0 = _attn(w, 0, _center(x0) / s0)
    out0 = {h: _head_out(w, 0, h, A0, _center(x0) / s0) for h in range(H)}
    x1 = x0 + sum(out0.values()) + w.b_O[0]
    s1 = _scale(x1, w.eps)
    A1 = _attn(w, 1, _center(x1) / s1)
    terms = {"direct": x0 + w.b_O[0] + w.b_O[1]}
    for h in range(H):
        terms[f"L0H{h}"] = out0[h]
    for h2 in range(H):
        terms[f"L1H{h2}"] = _head_out(w, 1, h2, A1, _center(x0 + w.b_O[0]) / s1)
        for h1 in range(H):
            terms[f"L1H{h2}←L0H{h1}"] = _head_out(w, 1, h2, A1, _center(out0[h1]) / s1)
    x2 = sum(terms.values())
    return terms, _scale(x2, w.eps)


def frozen_loss(w: AttnOnlyWeights, stream: Tensor, scale: Tensor, tokens: Int[Tensor, "batch pos"]) -> float:
    """Next-token loss of a final stream under the frozen final LayerNorm scale."""
    logits = _center(stream) / scale @ w.W_U + w.b_U
    logp = logits[:, :-1].log_softmax(-1)
    return -logp.gather(-1, tokens[:, 1:, None]).mean().item()


def order_of(term: str) -> int:
    return 0 if term == "direct" else 2 if "←" in term else 1


def term_importance(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"]) -> dict:
    """Full loss, loss by cumulative order, and each term's marginal effect (loss without it − full loss)."""
    terms, scale = path_terms(w, tokens)
    total = sum(terms.values())
    full = frozen_loss(w, total, scale, tokens)
    by_order = {k: frozen_loss(w, sum(v for t, v in terms.items() if order_of(t) <= k), scale, tokens) for k in (0, 1, 2)}
    marginal = {t: frozen_loss(w, total - v, scale, tokens) - full for t, v in terms.items()}
    return {"full": full, "by_order": by_order, "marginal": marginal}
