"""Reading circuits from the weights: the direct path, OV copying, skip-trigram counts (composition: `composition.py`).

Conventions (TransformerLens, row vectors): W_QK = W_Q W_Kᵀ and W_OV = W_V W_O, so the paper's
W_U W_OV W_E reads here as E W_OV W_U. Our models add positions to the stream and have LayerNorm, so the
token-level circuits use an *effective embedding* E: each token's embedding plus the mean positional
embedding, passed through the (folded) first LayerNorm — what a layer-0 head actually reads for that token
at a typical position. Pass a folded model (`load_model(name, fold=True)`).
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from scripts.analysis.model import Model
from scripts.analysis.residual import center_and_scale


def effective_embedding(model: Model) -> Float[Tensor, "d_vocab d_model"]:
    """Token embeddings at an average position, centred and scaled as the first LayerNorm does."""
    return center_and_scale(model.W_E + model.W_pos.mean(0), float(model.cfg.eps))


def direct_path_log_probs(model: Model) -> Float[Tensor, "d_vocab d_vocab"]:
    """log P(next | current) from the direct path alone: LN(E) W_U + b_U, i.e. the zero-layer model."""
    return (effective_embedding(model) @ model.W_U + model.b_U).log_softmax(-1)


def bigram_log_probs(tokens: np.ndarray, d_vocab: int, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Empirical log P(next | current) with add-alpha smoothing, and the count of each current token."""
    counts = np.zeros((d_vocab, d_vocab), dtype=np.float64)
    np.add.at(counts, (tokens[:-1].astype(np.int64), tokens[1:].astype(np.int64)), 1)
    totals = counts.sum(1)
    return np.log((counts + alpha) / (totals[:, None] + alpha * d_vocab)), totals


def ov_circuit(model: Model, layer: int, head: int) -> Float[Tensor, "d_vocab d_vocab"]:
    """E W_OV W_U: how attending to token a (row) changes the logit of token c (column)."""
    E = effective_embedding(model)
    return E @ model.W_V[layer, head] @ model.W_O[layer, head] @ model.W_U


def qk_circuit(model: Model, layer: int, head: int) -> Float[Tensor, "d_vocab d_vocab"]:
    """(E W_Q + b_Q)(E W_K + b_K)ᵀ / sqrt(d_head): attention score from destination b (row) to source a."""
    E = effective_embedding(model)
    q = E @ model.W_Q[layer, head] + model.b_Q[layer, head]
    k = E @ model.W_K[layer, head] + model.b_K[layer, head]
    return q @ k.T / model.cfg.d_head ** 0.5


def eigenvalue_positivity(A: Float[Tensor, "... k"], B: Float[Tensor, "k ..."]) -> float:
    """Σλ / Σ|λ| over the eigenvalues of the square product A B (in [-1, 1]; 1 = all positive: copying).

    The non-zero eigenvalues of A B equal those of the small k x k matrix B A, so this is cheap even when
    A B is vocab x vocab.
    """
    ev = torch.linalg.eigvals((B @ A).to(torch.float64))
    return (ev.real.sum() / ev.abs().sum()).item()


def copying_score(model: Model, layer: int, head: int) -> float:
    """Eigenvalue positivity of the OV circuit E W_V W_O W_U (the paper's copying measure)."""
    E = effective_embedding(model)
    return eigenvalue_positivity(E @ model.W_V[layer, head], model.W_O[layer, head] @ model.W_U)


def skip_trigram_count(tokens: np.ndarray, a: int, b: int, c: int, window: int) -> int:
    """How often [a] ... [b] -> [c] occurs in `tokens`: b followed by c with an a among the `window` tokens before b."""
    is_a = np.concatenate([[0], np.cumsum(tokens == a)])  # is_a[i] = number of a's before position i
    pos = np.where((tokens[:-1] == b) & (tokens[1:] == c))[0]
    lo = np.maximum(pos - window, 0)
    return int(((is_a[pos] - is_a[lo]) > 0).sum())
