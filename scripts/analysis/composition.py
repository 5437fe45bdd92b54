"""Head composition: how strongly what one head writes is read by a later one, and its null.

W_OV = W_V W_O and W_QK = W_Q W_Kᵀ (TransformerLens, row vectors). A layer-1 head reads a layer-0 head's output
through its query (Q: W_OV^{h0} W_QK), key (K: W_OV^{h0} W_QKᵀ) or value (V: W_OV^{h0} W_OV^{h1}); the score is
‖left·right‖_F / (‖left‖_F ‖right‖_F), as TransformerLens's `all_composition_scores` (tested). Both nulls rotate
the writer at random: `composition_null` through the Haar-block shortcut of `nulls.py` (rank-k heads),
`composition_scores_and_null` with explicit d x d rotations (full-rank writers, rotations fixing all-ones).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor

from scripts.analysis.model import Model
from scripts.analysis.nulls import Array, _np

Mode = Literal["Q", "K", "V"]
MODES: tuple[Mode, ...] = ("Q", "K", "V")


def ov(model: Model, layer: int, head: int) -> Float[Tensor, "d_model d_model"]:
    """W_OV = W_V W_O of head L{layer}H{head}."""
    return model.W_V[layer, head] @ model.W_O[layer, head]


def qk(model: Model, layer: int, head: int) -> Float[Tensor, "d_model d_model"]:
    """W_QK = W_Q W_Kᵀ of head L{layer}H{head}."""
    return model.W_Q[layer, head] @ model.W_K[layer, head].T


def composition_pair(model: Model, mode: Mode, h0: int, h1: int) -> tuple[Tensor, Tensor]:
    """(left, right) of the `mode`-composition of L0H{h0} into L1H{h1}."""
    right = {"Q": lambda: qk(model, 1, h1), "K": lambda: qk(model, 1, h1).T, "V": lambda: ov(model, 1, h1)}[mode]()
    return ov(model, 0, h0), right


def composition_score(W_out: Float[Tensor, "a d"], W_in: Float[Tensor, "d b"]) -> float:
    """‖W_out W_in‖_F / (‖W_out‖_F ‖W_in‖_F): 1 when everything W_out writes lands where W_in reads."""
    return (torch.linalg.matrix_norm(W_out @ W_in) / (torch.linalg.matrix_norm(W_out) * torch.linalg.matrix_norm(W_in))).item()


def composition_scores(model: Model, mode: Mode) -> Float[Tensor, "h0 h1"]:
    """`mode`-composition of every layer-0 head (rows) into every layer-1 head (columns)."""
    H = model.cfg.n_heads
    return torch.tensor([[composition_score(*composition_pair(model, mode, h0, h1)) for h1 in range(H)] for h0 in range(H)])


def composition_null(W_out: Float[Array, "d d"], W_in: Float[Array, "d d"], rank: int,
                     blocks: Float[np.ndarray, "draws k k"]) -> tuple[float, Float[np.ndarray, " draws"]]:
    """Composition score ‖W_out W_in‖ / (‖W_out‖ ‖W_in‖) (float64) and its null ‖W_out R W_in‖ / (…) for Haar R.

    ‖W_out R W_in‖² = Σ_ij a_i b_j (Uᵀ R V)_ij², with a, U the eigenpairs of W_outᵀ W_out and b, V those
    of W_in W_inᵀ; only the top `rank` of each are non-zero, so a rank x rank Haar block suffices.
    """
    Wo, Wi = _np(W_out), _np(W_in)
    a = np.clip(np.linalg.eigvalsh(Wo.T @ Wo)[::-1][:rank], 0, None)
    b = np.clip(np.linalg.eigvalsh(Wi @ Wi.T)[::-1][:rank], 0, None)
    norm = np.sqrt((Wo ** 2).sum() * (Wi ** 2).sum())
    observed = float(np.linalg.norm(Wo @ Wi) / norm)
    null = np.sqrt(np.einsum("i,nij,j->n", a, blocks ** 2, b)) / norm
    return observed, null


def composition_z(model: Model, blocks: Float[np.ndarray, "draws k k"]) -> tuple[dict, dict, dict]:
    """Per mode: observed scores [h0 h1], z-scores against `composition_null` [h0 h1], and the null draws
    {(mode, h0, h1): draws}."""
    H, k = model.cfg.n_heads, model.cfg.d_head
    obs, z, nulls = {}, {}, {}
    for mode in MODES:
        o, zz = np.zeros((H, H)), np.zeros((H, H))
        for h0 in range(H):
            for h1 in range(H):
                o[h0, h1], null = composition_null(*composition_pair(model, mode, h0, h1), k, blocks)
                zz[h0, h1] = (o[h0, h1] - null.mean()) / null.std(ddof=1)
                nulls[(mode, h0, h1)] = null
        obs[mode], z[mode] = o, zz
    return obs, z, nulls


def composition_scores_and_null(W_out: Float[Tensor, "a d"], W_ins: Float[Tensor, "r d b"],
                                rotations: Float[Tensor, "n d d"]) -> tuple[Float[Tensor, " r"], Float[Tensor, "n r"]]:
    """Composition scores of one writer with r readers, and their null with the writer rotated by each of the n
    `rotations` (W_out -> W_out R), from d x d Gram matrices: ‖A R B‖_F² = tr(Rᵀ AᵀA R BBᵀ)."""
    A, B = W_out.double(), W_ins.double()
    ga = A.T @ A  # [d d]
    gb = B @ B.transpose(-1, -2)  # [r d d]
    norms = torch.linalg.matrix_norm(A) * torch.linalg.matrix_norm(B)  # [r]
    observed = torch.einsum("ij,rij->r", ga, gb).clamp_min(0).sqrt() / norms
    rotated = rotations.transpose(-1, -2) @ (ga @ rotations)  # Rᵀ G_A R, [n d d]
    null = torch.einsum("nij,rij->nr", rotated, gb).clamp_min(0).sqrt() / norms
    return observed, null
