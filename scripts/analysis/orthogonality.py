"""Near-orthogonality of random directions, with intervals: the statistics behind the `near-orthogonal` and
`interference-budget` verdicts (numpy only; `geometry.py` draws the vectors).

- `cosine_std_ratios`: std of the pairwise cosines times √d, for the vectors drawn and for bootstrap resamples
  of the vectors (a pair's cosine is not independent of the pairs that share a vector, so the vectors are the
  units resampled). Computed with quadratic forms of the Gram matrix, no pair list per resample.
- `worst_std_error`: max over dimensions of |std · √d − 1| with its bootstrap interval.
- `max_abs_cosine_gram`: the largest |cosine| among the rows, via the Gram matrix.
- `jl_ratio`: the largest, over a grid of (N, d), of the mean largest |cosine| divided by √(4 ln N / d),
  bootstrapped over each cell's independent draws.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from jaxtyping import Float

from scripts.analysis.stats import RESAMPLES, percentile_estimate
from scripts.engine.api import Estimate


def resample_weights(n: int, resamples: int, seed: int) -> Float[np.ndarray, "resamples n"]:
    """How often each of n units is drawn in each bootstrap resample (multinomial counts)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(resamples, n))
    w = np.zeros((resamples, n))
    np.add.at(w, (np.repeat(np.arange(resamples), n), idx.reshape(-1)), 1)
    return w


def cosine_std_ratios(v: Float[np.ndarray, "n d"], weights: Float[np.ndarray, "resamples n"]) -> tuple[float, np.ndarray]:
    """(std of all pairwise cosines × √d, the same for each resample of the vectors). In a resample with
    counts w, the pairs of distinct draws of distinct vectors weigh w_k w_l (pairs of a vector with a copy of
    itself are left out: they are not pairs of two random directions)."""
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    c = u @ u.T
    np.fill_diagonal(c, 0.0)
    c2 = c * c
    d = v.shape[1]

    def ratio(w):  # w: [r, n]
        pairs = (w.sum(1) ** 2 - (w * w).sum(1)) / 2
        mean = ((w @ c) * w).sum(1) / 2 / pairs
        sq = ((w @ c2) * w).sum(1) / 2 / pairs
        return np.sqrt(sq - mean ** 2) * np.sqrt(d)

    return float(ratio(np.ones((1, len(u))))[0]), ratio(weights)


def worst_std_error(vectors: Mapping[int, Float[np.ndarray, "n d"]], *, resamples: int = RESAMPLES,
                    seed: int = 0, level: float = 0.95) -> tuple[Estimate, dict[int, float]]:
    """max over d of |std(cos) √d − 1| with a percentile interval from resampling the vectors (the same
    resample indices for every d); also each d's ratio std · √d."""
    n = {len(v) for v in vectors.values()}
    if len(n) != 1:
        raise ValueError("every dimension needs the same number of vectors")
    w = resample_weights(n.pop(), resamples, seed)
    point, boot = {}, []
    for d, v in vectors.items():
        point[d], b = cosine_std_ratios(v, w)
        boot.append(np.abs(b - 1))
    draws = np.max(boot, axis=0)
    value = max(abs(r - 1) for r in point.values())
    return percentile_estimate(value, draws, len(next(iter(vectors.values()))), "random vectors per dimension",
                               f"bootstrap over vectors, {resamples:,} resamples", level), point


def max_abs_cosine_gram(v: Float[np.ndarray, "n d"]) -> float:
    """The largest |cosine| between two different rows (float32 Gram matrix: the cosines are needed to ~1e-6)."""
    u = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    c = u @ u.T
    np.fill_diagonal(c, 0.0)
    return float(max(c.max(), -c.min()))


def jl_estimate(n: int, d: int) -> float:
    """√(4 ln N / d): the leading-order size of the largest |cosine| among N random unit vectors in R^d."""
    return float(np.sqrt(4 * np.log(n) / d))


def jl_ratio(worst: list[Float[np.ndarray, " trials"]], predicted: Float[np.ndarray, " cells"], *,
             resamples: int = RESAMPLES, seed: int = 0, level: float = 0.95) -> Estimate:
    """Largest over cells of (mean over a cell's independent draws of the largest |cosine|) / prediction, with a
    percentile interval from resampling each cell's draws (cells may have different numbers of draws)."""
    pred = np.asarray(predicted, dtype=np.float64)
    rng = np.random.default_rng(seed)
    boot = np.stack([np.asarray(w, dtype=np.float64)[rng.integers(0, len(w), size=(resamples, len(w)))].mean(1) / p
                     for w, p in zip(worst, pred)]).max(0)
    value = float(max(np.mean(w) / p for w, p in zip(worst, pred)))
    return percentile_estimate(value, boot, int(sum(len(w) for w in worst)), "independent draws",
                               f"bootstrap over the draws of each (N, d), {resamples:,} resamples", level)
