"""Small linear-algebra measures for reading weight matrices: how strongly one map feeds another, how many
dimensions a map really uses, and how much two subspaces overlap. Each has a random-matrix baseline.

Conventions follow TransformerLens (row vectors): a writer W_out maps into the residual stream
([..., d_model] on the right), a reader W_in maps out of it ([d_model, ...] on the left), and the virtual
weight from one to the other is W_out @ W_in.
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor


def composition_score(W_out: Float[Tensor, "a d"], W_in: Float[Tensor, "d b"]) -> float:
    """‖W_out W_in‖_F / (‖W_out‖_F ‖W_in‖_F): 1 when everything W_out writes lands where W_in reads."""
    return (torch.linalg.matrix_norm(W_out @ W_in) / (torch.linalg.matrix_norm(W_out) * torch.linalg.matrix_norm(W_in))).item()


def random_composition_baseline(shape_out: tuple[int, int], shape_in: tuple[int, int], *, samples: int,
                                generator: torch.Generator) -> float:
    """Mean composition score of Gaussian matrices of the given shapes (about 1/sqrt(d) for full rank)."""
    return sum(composition_score(torch.randn(*shape_out, generator=generator), torch.randn(*shape_in, generator=generator))
               for _ in range(samples)) / samples


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
