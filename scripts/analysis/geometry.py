"""Geometry of many directions in few dimensions: how close to orthogonal random vectors are.

Context: superposition needs more nearly-orthogonal directions than dimensions. For random unit vectors in
d dimensions the cosine of two of them has mean 0 and standard deviation exactly 1/sqrt(d), and among N of
them the largest |cosine| grows only like sqrt(2 ln N / d) — so the number that fit within a fixed
interference budget grows exponentially with d (Johnson–Lindenstrauss).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float


def random_unit_vectors(n: int, d: int, rng: np.random.Generator) -> Float[np.ndarray, "n d"]:
    """n directions drawn uniformly from the unit sphere in R^d."""
    v = rng.standard_normal((n, d))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def pairwise_cosines(v: Float[np.ndarray, "n d"]) -> Float[np.ndarray, " n_pairs"]:
    """Cosine similarity of every unordered pair of rows (rows need not be unit length)."""
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    gram = u @ u.T
    i, j = np.triu_indices(len(u), k=1)
    return gram[i, j]


def max_abs_cosine(v: Float[np.ndarray, "n d"]) -> float:
    """The worst interference between any two of the rows."""
    return float(np.abs(pairwise_cosines(v)).max())
