"""Null distributions for weight statistics that keep each matrix's spectrum: rotate one factor at random.

Why: a score such as eigenvalue positivity or a composition score depends on two things — the spectra of
the matrices involved (how many directions they use, how unevenly) and how those directions line up. Gaussian
factors of the same shapes test both at once; a trained head with a lopsided spectrum can differ from them
without any alignment. Inserting a Haar-random orthogonal R between the two factors (`W_out R W_in`) keeps
both spectra exactly and destroys only the alignment, which is what "the head copies" or "head 1 reads what
head 0 writes" claims.

Shortcut (exact, not an approximation): when both factors have rank k through the d-dimensional stream,
`W_out R W_in` depends on R only through a k x k block of `U^T R V` (U, V orthonormal bases of the two
k-dimensional subspaces), and for Haar R that block is distributed as the top-left k x k block of a Haar
matrix: the first k rows of the Q factor of a d x k Gaussian. So a null draw costs O(k^3), not O(d^3).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float
from torch import Tensor

from scripts.analysis.model import Model
from scripts.analysis.rotations import haar_orthogonal

# numpy, not torch, for the batched QR and eigenvalues: torch's batched LAPACK calls parallelise over the
# batch with OpenMP and slow down by orders of magnitude on a machine whose cores are busy.


Array = Tensor | np.ndarray  # torch or numpy: `_np` makes either a float64 array


def _np(x: Array) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def haar_blocks(d: int, k: int, draws: int, seed: int = 0) -> Float[np.ndarray, "draws k k"]:
    """Top-left k x k blocks of `draws` Haar-random d x d orthogonal matrices (seeded)."""
    return haar_orthogonal(np.random.default_rng(seed).standard_normal((draws, d, k)))[:, :k, :]  # [draws d k] -> top block


def _row_basis(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """W = L Qᵀ with Q [d k] orthonormal (spanning W's row space) and L [k k]."""
    q, _ = np.linalg.qr(W.T)
    return W @ q, q


def _positivity(ev: np.ndarray) -> float | np.ndarray:  # float for one spectrum, [draws] for a stack
    return ev.real.sum(-1) / np.abs(ev).sum(-1)


def copying_positivity_null(W_O: Float[Array, "k d"], N: Float[Array, "d k"],
                            blocks: Float[np.ndarray, "draws k k"]) -> tuple[float, Float[np.ndarray, " draws"]]:
    """Eigenvalue positivity Σλ/Σ|λ| of the k x k matrix W_O N (the non-zero spectrum of the OV circuit
    E W_V W_O W_U when N = W_U E W_V), and its null with a random rotation R between W_O and N: W_O R N."""
    W_O, N = _np(W_O), _np(N)
    L_o, _ = _row_basis(W_O)  # W_O = L_o Q_oᵀ
    L_n, _ = _row_basis(N.T)  # Nᵀ = L_n Q_nᵀ, so N = Q_n L_nᵀ
    observed = float(_positivity(np.linalg.eigvals(W_O @ N)))
    # W_O R N = L_o (Q_oᵀ R Q_n) L_nᵀ, and Q_oᵀ R Q_n is distributed as a Haar block.
    return observed, _positivity(np.linalg.eigvals(L_o @ blocks @ L_n.T))


def ov_copying_null(model: Model, layer: int, head: int, blocks: Float[np.ndarray, "draws k k"]) -> tuple[float, np.ndarray]:
    """The copying score of a head (eigenvalue positivity of E W_V W_O W_U, as `circuits.copying_score`)
    and its spectrum-keeping null: the head's output rotated at random before the unembedding reads it."""
    from scripts.analysis.circuits import effective_embedding

    E = _np(effective_embedding(model))
    N = _np(model.W_U) @ E @ _np(model.W_V[layer, head])  # W_U E W_V [d_model d_head]
    return copying_positivity_null(_np(model.W_O[layer, head]), N, blocks)
