"""Small linear-algebra measures for reading weight matrices: how many dimensions a map really uses and how much
two subspaces overlap, with nulls. Composition (how strongly one map feeds another) is `composition.py`;
random rotations are `rotations.py`.

Conventions follow TransformerLens (row vectors): a writer W_out maps into the residual stream
([..., d_model] on the right), a reader W_in maps out of it ([d_model, ...] on the left), and the virtual
weight from one to the other is W_out @ W_in.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from scripts.analysis.composition import composition_scores_and_null
from scripts.analysis.model import Model


def effective_rank(M: Float[Tensor, "m n"]) -> float:
    """Participation ratio of the singular values, (Σσ²)² / Σσ⁴: how many directions carry the map."""
    s2 = torch.linalg.svdvals(M).pow(2)
    return (s2.sum().pow(2) / s2.pow(2).sum()).item()


def subspace_overlap(A: Float[Tensor, "d k1"], B: Float[Tensor, "d k2"]) -> float:
    """Mean squared cosine between the column spaces of A and B: ‖Q_Aᵀ Q_B‖_F² / min(k1, k2).
    1 when one contains the other, 0 when orthogonal, max(k1, k2)/d on average for random subspaces."""
    qa, _ = torch.linalg.qr(A)
    qb, _ = torch.linalg.qr(B)
    return (torch.linalg.matrix_norm(qa.T @ qb).pow(2) / min(A.shape[1], B.shape[1])).item()


# -- nulls that keep what should be kept ---------------------------------------------------------------------

def subspace_overlap_null(d: int, k_out: int, k_in: int, *, draws: int, generator: torch.Generator) -> Float[Tensor, " draws"]:
    """Overlap (as `subspace_overlap`) of a Haar-random k_out-dimensional subspace with a fixed k_in-dimensional
    one in R^d: the null for "a head writes where another reads" that keeps both subspaces' dimensions.
    Its mean is max(k_out, k_in) / d."""
    q, _ = torch.linalg.qr(torch.randn(draws, d, k_out, generator=generator, dtype=torch.float64))
    return q[:, :k_in, :].pow(2).sum((-2, -1)) / min(k_out, k_in)  # the fixed subspace: the first k_in axes


# -- a model's virtual weights and head subspaces, against their nulls -----------------------------------------

def writers_and_readers(model: Model) -> tuple[dict, dict]:
    """(label -> (layer it writes after, W_out)), (label -> (layer it reads at, W_in)); -1 is the embedding."""
    writers = {"W_E": (-1, model.W_E), "W_pos": (-1, model.W_pos)}
    readers = {}
    for l in range(model.cfg.n_layers):
        for h in range(model.cfg.n_heads):
            writers[f"L{l}H{h} out"] = (l, model.W_O[l, h])
            for kind, W in (("Q", model.W_Q), ("K", model.W_K), ("V", model.W_V)):
                readers[f"L{l}H{h} {kind}"] = (l, W[l, h])
    readers["W_U"] = (model.cfg.n_layers, model.W_U)
    return writers, readers


def virtual_weight_scores(model: Model, rotations: Float[Tensor, "n d d"]) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Composition scores [writers, readers] of every writer with every later reader, and their null
    [draws, writers, readers] with the writer rotated by each matrix of `rotations` (NaN where the reader comes
    first); then the writer and reader labels."""
    writers, readers = writers_and_readers(model)
    W, R = list(writers.values()), list(readers.values())
    scores = np.full((len(W), len(R)), np.nan)
    null = np.full((len(rotations), len(W), len(R)), np.nan)
    with torch.no_grad():
        for i, (lw, Wo) in enumerate(W):
            groups: dict = {}
            for j, (lr, Wi) in enumerate(R):
                if lw < lr:
                    groups.setdefault(tuple(Wi.shape), []).append(j)
            for js in groups.values():
                obs, nul = composition_scores_and_null(Wo.detach(), torch.stack([R[j][1].detach() for j in js]), rotations)
                scores[i, js], null[:, i, js] = obs.numpy(), nul.numpy()
    return scores, null, list(writers), list(readers)


def null_zscores(scores: np.ndarray, null: np.ndarray) -> np.ndarray:
    """(score - null mean) / null std, cell by cell (null: draws on the first axis)."""
    return (scores - null.mean(0)) / null.std(0, ddof=1)


def strongest_cell(scores: np.ndarray, null: np.ndarray, cells: list[tuple[int, int]]):
    """The cell with the largest z (rounded to 6 digits; ties broken by position) and its `stats.null_z`
    Estimate. `null` is [draws, *scores.shape], or [draws] when every cell shares one null."""
    from scripts.analysis.stats import null_z

    per_cell = null if null.ndim > 1 else null.reshape(-1, *([1] * scores.ndim))
    z = (scores - per_cell.mean(0)) / per_cell.std(0, ddof=1)
    best = max(cells, key=lambda ij: (round(float(z[ij]), 6), -ij[0], -ij[1]))
    draws = null[(slice(None), *best)] if null.ndim > 1 else null
    return best, null_z(float(scores[best]), draws, null_name="null of rotated writers" if null.ndim > 1
                        else "null of random subspaces")


def head_overlaps(model: Model, read_layer: int = 1, write_layer: int = 0) -> tuple[np.ndarray, list[str], list[str]]:
    """`subspace_overlap` of each `write_layer` head's write subspace (row space of W_O) with each `read_layer`
    head's query, key and value subspaces: [heads, heads x 3], with row and column labels."""
    H = model.cfg.n_heads
    W_in = {"Q": model.W_Q, "K": model.W_K, "V": model.W_V}
    with torch.no_grad():
        m = np.array([[subspace_overlap(model.W_O[write_layer, w].T, W_in[k][read_layer, h]) for h in range(H) for k in "QKV"]
                      for w in range(H)])
    return m, [f"L{write_layer}H{w} out" for w in range(H)], [f"L{read_layer}H{h} {k}" for h in range(H) for k in "QKV"]
