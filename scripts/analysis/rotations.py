"""Random rotations: Haar-random orthogonal matrices, and those that fix the all-ones direction (the rotations a
folded model's LayerNorm commutes with). Every null and rotation experiment of the project draws them here.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float
from torch import Tensor


def haar_orthogonal(gaussian: Float[Tensor | np.ndarray, "*batch d k"]) -> Float[Tensor | np.ndarray, "*batch d k"]:
    """Q of a Gaussian's QR, column signs fixed so R's diagonal is positive: Haar (d x k: the first k columns).
    Callers draw the Gaussian with their own generator, torch or numpy, as their published figures were drawn."""
    if isinstance(gaussian, np.ndarray):
        q, r = np.linalg.qr(gaussian)
        return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    q, r = torch.linalg.qr(gaussian)
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def random_orthogonal(d: int, generator: torch.Generator, *, n: int | None = None,
                      dtype: torch.dtype = torch.float32) -> Float[Tensor, "*n d d"]:
    """A Haar-random orthogonal d x d matrix (n of them, stacked, when n is given)."""
    return haar_orthogonal(torch.randn(*(() if n is None else (n,)), d, d, generator=generator, dtype=dtype))


def _about_ones(inner: Float[Tensor, "*n m m"], perp: Float[Tensor, "d m"]) -> Float[Tensor, "*n d d"]:
    """The rotation that fixes the all-ones direction and acts as `inner` on its complement (basis `perp`)."""
    ones = torch.ones(perp.shape[0], 1, dtype=perp.dtype) / perp.shape[0] ** 0.5
    return ones @ ones.T + perp @ inner @ perp.T


def random_orthogonal_fixing_ones(d: int, generator: torch.Generator) -> Float[Tensor, "d d"]:
    """Random orthogonal R with 1 R = 1: a random rotation of the subspace orthogonal to all-ones (in a random
    basis of it; `random_orthogonal_stack` uses a fixed one — both kept, as each figure's draws depend on it)."""
    ones = torch.ones(d, 1) / d ** 0.5
    basis, _ = torch.linalg.qr(torch.cat([ones, torch.randn(d, d - 1, generator=generator)], dim=1))
    basis = basis * torch.sign(basis[:, :1].sum())  # first column is +ones/sqrt(d)
    return _about_ones(random_orthogonal(d - 1, generator), basis[:, 1:])


def random_orthogonal_stack(n: int, d: int, generator: torch.Generator, *, fix_ones: bool = False) -> Float[Tensor, "n d d"]:
    """n Haar-random orthogonal d x d matrices, float64. `fix_ones=True`: random rotations of the complement of
    the all-ones direction only (1 R = 1) — the right null for a folded model, whose every read and write is
    already orthogonal to all-ones."""
    q = random_orthogonal(d - 1 if fix_ones else d, generator, n=n, dtype=torch.float64)
    if not fix_ones:
        return q
    ones = torch.ones(d, 1, dtype=torch.float64) / d ** 0.5
    basis, _ = torch.linalg.qr(torch.cat([ones, torch.eye(d, dtype=torch.float64)[:, : d - 1]], dim=1))
    return _about_ones(q, basis[:, 1:])
