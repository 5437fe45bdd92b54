"""How crowded a set of directions is (token embeddings), against random directions of the same shape.

The statistic is the spread (standard deviation) of the cosine between two different rows. For n random
unit vectors in d dimensions it is close to 1/sqrt(d); rows that cluster (similar tokens sharing a
direction) or share a common offset widen it. What it does *not* show by itself is superposition: a wide
spread says that some rows are similar, not that distinct features are packed into shared directions.

- `cosine_spread`: the spread of one set of rows, over every pair of distinct rows.
- `random_spread_null`: the same for `draws` independent sets of random unit vectors (the null), computed
  through the d x d matrix UᵀU, so a draw costs n·d² rather than n²·d.
- `crowding_ratio`: model spread / random spread as an `Estimate`; its interval resamples the rows (a
  bootstrap over tokens, pairs of a token with its own copy excluded) and, in each resample, divides by
  one draw of the null, so both sources of variation are in it.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float

from scripts.analysis.geometry import random_unit_vectors
from scripts.analysis.stats import percentile_estimate
from scripts.engine.api import Estimate


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def cosine_spread(v: Float[np.ndarray, "n d"]) -> float:
    """Standard deviation of cos(v_i, v_j) over all pairs i < j (rows need not be unit length)."""
    u = _unit(v)
    n = len(u)
    u32 = u.astype(np.float32)  # the d x d product in float32 (relative error ~1e-6, far below any interval)
    gram_sq = float(np.sum((u32.T @ u32).astype(np.float64) ** 2))  # Σ_ij cos² = ‖UᵀU‖_F², diagonal included
    total = float(np.sum(u.sum(0) ** 2))  # Σ_ij cos = ‖Σ_i u_i‖²
    pairs = n * (n - 1)
    mean, mean_sq = (total - n) / pairs, (gram_sq - n) / pairs
    return float(np.sqrt(max(mean_sq - mean**2, 0.0)))


def random_spread_null(n: int, d: int, draws: int, rng: np.random.Generator) -> Float[np.ndarray, " draws"]:
    """`cosine_spread` of `draws` independent sets of n random unit vectors in R^d."""
    return np.array([cosine_spread(random_unit_vectors(n, d, rng)) for _ in range(draws)])


def resampled_spreads(v: Float[np.ndarray, "n d"], resamples: int, rng: np.random.Generator,
                      chunk: int = 250) -> Float[np.ndarray, " resamples"]:
    """`cosine_spread` of `resamples` bootstrap resamples of the rows (with replacement). A row drawn twice
    is one token, so pairs of a row with its own copy are left out; vectorised through row counts w:
    Σ over pairs of a resample = wᵀ C w − Σ w_i² for C the cosine matrix (diagonal 1)."""
    u = _unit(v).astype(np.float32)
    n = len(u)
    C = u @ u.T
    C2 = C * C
    out = []
    for start in range(0, resamples, chunk):
        w = rng.multinomial(n, np.full(n, 1 / n), size=min(chunk, resamples - start)).astype(np.float32)
        self_pairs = (w.astype(np.float64) ** 2).sum(1)
        s1 = np.einsum("rn,rn->r", w @ C, w).astype(np.float64) - self_pairs
        s2 = np.einsum("rn,rn->r", w @ C2, w).astype(np.float64) - self_pairs
        pairs = n * n - self_pairs
        mean, mean_sq = s1 / pairs, s2 / pairs
        out.append(np.sqrt(np.maximum(mean_sq - mean**2, 0.0)))
    return np.concatenate(out)


def crowding_ratio(v: Float[np.ndarray, "n d"], *, null_draws: int = 200, resamples: int = 1000, seed: int = 0,
                   level: float = 0.95, unit: str = "tokens") -> tuple[Estimate, np.ndarray]:
    """Spread of the rows' cosines over the mean spread of random unit vectors of the same shape, with a
    percentile interval from resampling the rows, each resample divided by one draw of the null.
    Returns the estimate and the null draws (to report the null's own mean and spread)."""
    rng = np.random.default_rng(seed)
    n, d = np.shape(v)
    null = random_spread_null(n, d, null_draws, rng)
    boot = resampled_spreads(v, resamples, rng)
    ratios = boot / null[rng.integers(0, null_draws, size=resamples)]
    value = cosine_spread(v) / float(null.mean())
    est = percentile_estimate(value, ratios, n, unit, f"bootstrap over {unit} ({resamples:,} resamples), each divided "
                              f"by one of {null_draws} draws of {n:,} random unit vectors in {d} dimensions", level)
    return est, null
