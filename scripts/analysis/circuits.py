"""Reading circuits from the weights: the direct path, OV copying, head composition, induction positivity.

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

from scripts.analysis.linalg import composition_score
from scripts.analysis.residual import center_and_scale


def effective_embedding(model) -> Float[Tensor, "d_vocab d_model"]:
    """Token embeddings at an average position, centred and scaled as the first LayerNorm does."""
    return center_and_scale(model.W_E + model.W_pos.mean(0), float(model.cfg.eps))


def direct_path_log_probs(model) -> Float[Tensor, "d_vocab d_vocab"]:
    """log P(next | current) from the direct path alone: LN(E) W_U + b_U, i.e. the zero-layer model."""
    return (effective_embedding(model) @ model.W_U + model.b_U).log_softmax(-1)


def bigram_log_probs(tokens: np.ndarray, d_vocab: int, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Empirical log P(next | current) with add-alpha smoothing, and the count of each current token."""
    counts = np.zeros((d_vocab, d_vocab), dtype=np.float64)
    np.add.at(counts, (tokens[:-1].astype(np.int64), tokens[1:].astype(np.int64)), 1)
    totals = counts.sum(1)
    return np.log((counts + alpha) / (totals[:, None] + alpha * d_vocab)), totals


def ov_circuit(model, layer: int, head: int) -> Float[Tensor, "d_vocab d_vocab"]:
    """E W_OV W_U: how attending to token a (row) changes the logit of token c (column)."""
    E = effective_embedding(model)
    return E @ model.W_V[layer, head] @ model.W_O[layer, head] @ model.W_U


def qk_circuit(model, layer: int, head: int) -> Float[Tensor, "d_vocab d_vocab"]:
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


def copying_score(model, layer: int, head: int) -> float:
    """Eigenvalue positivity of the OV circuit E W_V W_O W_U (the paper's copying measure)."""
    E = effective_embedding(model)
    return eigenvalue_positivity(E @ model.W_V[layer, head], model.W_O[layer, head] @ model.W_U)


def random_copying_baseline(d_vocab: int, d_model: int, d_head: int, *, samples: int,
                            generator: torch.Generator) -> np.ndarray:
    """Copying scores of random Gaussian factors of the same shapes (they centre on 0)."""
    out = []
    for _ in range(samples):
        E = torch.randn(d_vocab, d_model, generator=generator)
        A = E @ torch.randn(d_model, d_head, generator=generator)
        B = torch.randn(d_head, d_model, generator=generator) @ torch.randn(d_model, d_vocab, generator=generator)
        out.append(eigenvalue_positivity(A, B))
    return np.array(out)


def composition_scores(model, mode: str) -> Float[Tensor, "n_heads n_heads"]:
    """Q-, K- or V-composition of every layer-1 head (columns) with every layer-0 head (rows).

    left = W_OV of the layer-0 head; right = W_QK (Q), W_QKᵀ (K) or W_OV (V) of the layer-1 head. With row
    vectors a key reads x W_OV^{h0} W_K, so the score q·k involves W_OV^{h0} (W_Q W_Kᵀ)ᵀ; a query reads
    x W_OV^{h0} W_Q, giving W_OV^{h0} W_Q W_Kᵀ. Checked against TransformerLens's `all_composition_scores`.
    """
    H = model.cfg.n_heads
    out = torch.zeros(H, H)
    for h0 in range(H):
        left = model.W_V[0, h0] @ model.W_O[0, h0]
        for h1 in range(H):
            qk = model.W_Q[1, h1] @ model.W_K[1, h1].T
            right = {"Q": qk, "K": qk.T, "V": model.W_V[1, h1] @ model.W_O[1, h1]}[mode]
            out[h0, h1] = composition_score(left, right)
    return out


def random_composition_scores(d_model: int, d_head: int, *, samples: int, generator: torch.Generator) -> float:
    """Mean composition score of products of random low-rank factors with the heads' shapes."""
    vals = []
    for _ in range(samples):
        left = torch.randn(d_model, d_head, generator=generator) @ torch.randn(d_head, d_model, generator=generator)
        right = torch.randn(d_model, d_head, generator=generator) @ torch.randn(d_head, d_model, generator=generator)
        vals.append(composition_score(left, right))
    return float(np.mean(vals))


def k_composition_positivity(model, layer1_head: int) -> float:
    """Eigenvalue positivity of the induction QK path: query from token b, key from the token *before*
    the source, through every layer-0 head's OV circuit: E W_Q W_Kᵀ (Σ_h E W_OV^h)ᵀ. Positive = the head
    attends to positions whose previous token equals the current token."""
    E = effective_embedding(model)
    prev = sum(E @ model.W_V[0, h] @ model.W_O[0, h] for h in range(model.cfg.n_heads))  # [vocab d_model]
    q = E @ model.W_Q[1, layer1_head]  # [vocab d_head]
    k = prev @ model.W_K[1, layer1_head]  # [vocab d_head]
    return eigenvalue_positivity(q, k.T)


def skip_trigrams(model, layer: int, head: int, allowed: Tensor, *, top: int) -> list[tuple[float, int, int, int]]:
    """The head's strongest skip-trigrams [a] ... [b] -> [c], among token ids `allowed`.

    QK scores are standardised per destination b (which sources stand out for it) and OV scores per source a
    (which outputs attending to it raises); a triple's score is the sum. One triple per source (its best
    destination and output), so the list is not one source repeated. Returns (score, a, b, c), best first.
    """
    qk = qk_circuit(model, layer, head)[allowed][:, allowed]  # [b, a]
    ov = ov_circuit(model, layer, head)[allowed][:, allowed]  # [a, c]
    qk_z = (qk - qk.mean(1, keepdim=True)) / qk.std(1, keepdim=True)
    ov_z = (ov - ov.mean(1, keepdim=True)) / ov.std(1, keepdim=True)
    best_out, c_idx = ov_z.max(1)  # per source a
    best_dest, b_idx = qk_z.max(0)  # per source a: the destination that singles it out most
    score = best_dest + best_out
    order = torch.argsort(score, descending=True)[:top]
    return [(score[i].item(), int(allowed[i]), int(allowed[b_idx[i]]), int(allowed[c_idx[i]])) for i in order]


def skip_trigram_count(tokens: np.ndarray, a: int, b: int, c: int, window: int) -> int:
    """How often [a] ... [b] -> [c] occurs in `tokens`: b followed by c with an a among the `window` tokens before b."""
    is_a = np.concatenate([[0], np.cumsum(tokens == a)])  # is_a[i] = number of a's before position i
    pos = np.where((tokens[:-1] == b) & (tokens[1:] == c))[0]
    lo = np.maximum(pos - window, 0)
    return int(((is_a[pos] - is_a[lo]) > 0).sum())


def find_skip_trigram_bug(model, layer: int, head: int, allowed: Tensor, tokens: np.ndarray, *, sources: int,
                          branch: int, min_count: int) -> tuple | None:
    """The paper's skip-trigram "bug": the OV circuit depends only on the source, so if a head learns
    [a]...[b1]->[c1] and [a]...[b2]->[c2], it also raises [a]...[b1]->[c2]. Search the head's top sources
    for two real triples (each seen >= min_count times) whose crossed triple never occurs.
    Returns (strength, a, b1, c1, b2, c2) for the strongest such case, or None."""
    qk = qk_circuit(model, layer, head)[allowed][:, allowed]
    ov = ov_circuit(model, layer, head)[allowed][:, allowed]
    qk_z = (qk - qk.mean(1, keepdim=True)) / qk.std(1, keepdim=True)
    ov_z = (ov - ov.mean(1, keepdim=True)) / ov.std(1, keepdim=True)
    strength = qk_z.max(0).values + ov_z.max(1).values
    window = model.cfg.n_ctx - 1
    best = None
    for i in torch.argsort(strength, descending=True)[:sources].tolist():
        bs = torch.argsort(qk_z[:, i], descending=True)[:branch].tolist()
        cs = torch.argsort(ov_z[i], descending=True)[:branch].tolist()
        a = int(allowed[i])
        n = {(b, c): skip_trigram_count(tokens, a, int(allowed[b]), int(allowed[c]), window) for b in bs for c in cs}
        for (b1, c1), (b2, c2) in ((x, y) for x in n for y in n):
            if b1 != b2 and c1 != c2 and n[(b1, c1)] >= min_count and n[(b2, c2)] >= min_count and n[(b1, c2)] == 0:
                s = min(qk_z[b1, i], qk_z[b2, i]).item() + min(ov_z[i, c1], ov_z[i, c2]).item()
                if best is None or s > best[0]:
                    best = (s, a, int(allowed[b1]), int(allowed[c1]), int(allowed[b2]), int(allowed[c2]))
    return best
