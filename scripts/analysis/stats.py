"""Intervals for verdicts: bootstrap over independent units, and comparisons with a null distribution.

Each function returns an `api.Estimate` (value, 95 % interval, n, what n counts, how the interval was made).
The resampling is seeded, so the same inputs give the same interval on any machine; the engine then prints
it at the precision the interval supports (scripts/engine/verdicts.py).

- `bootstrap_mean`: the mean of per-unit values (one per held-out window or random sequence), percentile
  interval over `resamples` resamples of the units. Units must be independent (non-overlapping windows).
- `bootstrap_statistic`: the same for any statistic of paired per-unit arrays (a difference of two means
  on the same windows, a ratio of sums).
- `null_z`: how far an observed statistic lies in a null distribution, as a z-score; its interval comes
  from resampling the null draws (a finite null estimates its mean and spread only so well).
- `exact`: a statistic with no sampling variation (a float-error bound), shown as a zero-width interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from jaxtyping import Float, Shaped
from torch import Tensor

from scripts.engine.api import Estimate

RESAMPLES = 2000  # percentile intervals settle to ~±0.005 of their width by 2,000 resamples


def percentile_estimate(value: float, draws: np.ndarray, n: int, unit: str, method: str, level: float = 0.95,
                        covers: str = "") -> Estimate:
    """`value` with the central `level` percentile interval of its resampled `draws` (widened to hold `value`)."""
    alpha = (1 - level) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return Estimate(float(value), min(float(low), value), max(float(high), value), n, unit, method, level, covers=covers)


def _as_array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def bootstrap_statistic(stat: Callable[..., float], *units: Shaped[np.ndarray | Tensor, "n ..."], unit: str,
                        resamples: int = RESAMPLES, seed: int = 0, level: float = 0.95) -> Estimate:
    """`stat(*arrays)` on all units, with a percentile interval from resampling units (rows) with
    replacement; every array is resampled with the same rows, so paired differences stay paired."""
    arrays = [_as_array(u) for u in units]
    n = arrays[0].shape[0]
    if n < 2 or any(a.shape[0] != n for a in arrays):
        raise ValueError(f"bootstrap needs >= 2 units and arrays of equal length, got {[a.shape for a in arrays]}")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    draws = np.array([stat(*(a[i] for a in arrays)) for i in idx])
    return percentile_estimate(float(stat(*arrays)), draws, n, unit, f"bootstrap over {unit}, {resamples:,} resamples",
                               level, covers="sampled")


def bootstrap_mean(values: Float[np.ndarray | Tensor, "*n"], *, unit: str, resamples: int = RESAMPLES, seed: int = 0,
                   level: float = 0.95) -> Estimate:
    """Mean of per-unit values with a percentile bootstrap interval (vectorised: no Python loop)."""
    v = _as_array(values).reshape(-1)
    if v.size < 2:
        raise ValueError("bootstrap_mean needs at least 2 units")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(resamples, v.size))].mean(axis=1)
    return percentile_estimate(float(v.mean()), means, int(v.size), unit, f"bootstrap over {unit}, {resamples:,} resamples",
                               level, covers="sampled")


def null_z(observed: float, null: Sequence[float] | np.ndarray, *, unit: str = "null draws",
           null_name: str = "null", resamples: int = RESAMPLES, seed: int = 0, level: float = 0.95) -> Estimate:
    """z = (observed - mean(null)) / std(null), interval from resampling the null draws."""
    draws = _as_array(null).reshape(-1)
    if draws.size < 10:
        raise ValueError("null_z needs at least 10 null draws")
    rng = np.random.default_rng(seed)
    boot = draws[rng.integers(0, draws.size, size=(resamples, draws.size))]
    zs = (observed - boot.mean(axis=1)) / boot.std(axis=1, ddof=1)
    value = float((observed - draws.mean()) / draws.std(ddof=1))
    return percentile_estimate(value, zs, int(draws.size), unit, f"z-score against a {null_name} of {draws.size:,} "
                               "draws; interval from resampling them", level, covers="null")


def exact(value: float, *, n: int, unit: str, why: str = "exact computation, no sampling") -> Estimate:
    """A statistic without sampling variation (the interval is the point)."""
    return Estimate(float(value), float(value), float(value), int(n), unit, why, covers="exact")


def bonferroni_level(tests: int, level: float = 0.95) -> float:
    """The per-test confidence level that keeps the family-wise level at `level` over `tests` tests."""
    return 1 - (1 - level) / tests
