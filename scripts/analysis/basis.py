"""Is the residual stream's basis special? Statistics behind the rotation-invariance and privileged-basis
verdicts (figures `rotation-invariance`, `privileged-basis`).

Rotation invariance is a statement about exact arithmetic; in float32 a rotated model differs from the
original by rounding. `float32_threshold` derives, before anything is rotated, how large that difference may
be; `invariance_bound` compares the largest change with it on a grid of powers of ten (so the published
number cannot move with the float noise of a particular machine); `median_change` measures a real break.

The privileged basis is measured by the kurtosis of the stream's coordinates: `kurtosis_null` computes the
largest coordinate kurtosis in the standard basis and in many random orthonormal bases of the same
activations, and `outlier_z` turns that into a z-score (of log kurtosis) against the random bases.
"""

from __future__ import annotations

import math

import numpy as np
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.residual import AttnOnlyWeights, forward
from scripts.analysis.rotations import haar_orthogonal
from scripts.analysis.stats import bonferroni_level, bootstrap_mean, null_z
from scripts.engine.api import Estimate

UNIT_ROUNDOFF = 2.0 ** -24  # float32: eps / 2, the largest relative error of one rounding


def float32_threshold(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"]) -> tuple[float, float]:
    """(T, S): the largest change of a logit that float32 rounding can explain when the same model is run in
    two bases, and S, the magnitude of the sums that make a logit.

    A logit is a sum of d_model products h_i W_U[i, t]; in float32 its rounding error is at most
    d_model · u · Σ_i |h_i W_U[i, t]| (u = 2⁻²⁴, the standard bound for a d-term dot product), so S is the
    largest Σ_i |h_i W_U[i, t]| over every position and token. The stream h is itself the result of such sums:
    one read per layer, and one more for folding the rotation into the weights, so the error is carried
    through n_layers + 2 rounds of d-term sums (LayerNorm rescales the stream, so relative errors neither grow
    nor shrink there). Two forward passes (original and rotated) each carry it: T = 2 (n_layers + 2) d u S.
    It is a worst-case bound; rounding errors of random sign add up like √d rather than d, so a typical
    maximum sits one to two orders of magnitude below T.
    """
    h = forward(w, tokens, unembed=False)  # the normalised stream the unembedding reads
    S = float((h.abs() @ w.W_U.abs()).max())
    d = w.W_U.shape[0]
    return 2 * (w.n_layers + 2) * d * UNIT_ROUNDOFF * S, S


def invariance_bound(changes: Float[Tensor, "... batch pos vocab"], threshold: float) -> Estimate:
    """The largest |change| of any logit in units of `threshold`, rounded UP to the next power of ten: the
    estimate is that bound and its interval [0, bound] (the raw maximum is float noise that differs between
    machines by tens of percent; a power-of-ten bound does not). Below 1: within float32 rounding."""
    ratio = float(changes.abs().max()) / threshold
    bound = 10.0 ** math.ceil(math.log10(ratio)) if ratio > 0 else 10.0 ** -9
    return Estimate(bound, 0.0, bound, int(changes.numel()), "logits",
                    "a bound, not a sample: the largest change over every logit divided by T, rounded up to a power "
                    "of ten; interval [0, bound]", covers="bound")


def median_change(changes: Float[Tensor, "rotations batch pos vocab"], threshold: float, *, seed: int = 0) -> Estimate:
    """The typical |change| of a logit in units of `threshold`: the median over rotations, positions and
    tokens within each window, averaged over windows, bootstrapped over the windows."""
    per_window = changes.abs().transpose(0, 1).reshape(changes.shape[1], -1).median(dim=1).values.double() / threshold
    return bootstrap_mean(per_window.numpy(), unit="held-out windows", seed=seed)


# -- a privileged basis: kurtosis of coordinates ---------------------------------------------------------------

def coordinate_kurtosis(x: Float[np.ndarray, "n d"], *, centred: bool = False) -> Float[np.ndarray, " d"]:
    """Kurtosis of every column over the n rows (3 for a Gaussian); moments summed in float64. The project's one
    kurtosis (`privileged.kurtosis_resampled` is its version per bootstrap resample, from power sums)."""
    c = x if centred else x - x.mean(0)
    c2 = c * c
    return (c2 * c2).mean(0, dtype=np.float64) / c2.mean(0, dtype=np.float64) ** 2


def kurtosis_null(acts: Float[np.ndarray, "n d"], rotations: int, rng: np.random.Generator, *, chunk: int = 10
                  ) -> tuple[Float[np.ndarray, " d"], Float[np.ndarray, "rotations d"]]:
    """Coordinate kurtosis in the standard basis, and in `rotations` random orthonormal bases of the same
    activations (each row: one basis). The activations are centred once (a rotation of centred data is
    centred); `chunk` bases are applied in one matrix product."""
    c = np.asarray(acts, dtype=np.float64)
    c = (c - c.mean(0)).astype(np.float32)
    standard = coordinate_kurtosis(c.astype(np.float64))
    d = c.shape[1]
    bases = [haar_orthogonal(rng.standard_normal((d, d))).astype(np.float32) for _ in range(rotations)]
    rotated = [coordinate_kurtosis(c @ np.concatenate(bases[i:i + chunk], axis=1), centred=True).reshape(-1, d)
               for i in range(0, rotations, chunk)]
    return standard, np.concatenate(rotated)


def outlier_z(standard: Float[np.ndarray, " d"], rotated: Float[np.ndarray, "rotations d"], *,
              level: float = 0.95, seed: int = 0) -> Estimate:
    """z-score of the log of the largest standard-basis kurtosis against the logs of the largest kurtosis in
    each random basis: far above 0 when one standard coordinate is heavier-tailed than any direction a random
    basis happens to pick (an outlier dimension); about 0 when the basis is not special."""
    return null_z(float(np.log(standard.max())), np.log(rotated.max(axis=1)), unit="random bases",
                  null_name="null of random orthonormal bases", level=level, seed=seed)


def largest_outlier_z(points: dict[str, tuple[np.ndarray, np.ndarray]], *, seed: int = 0) -> tuple[str, Estimate]:
    """The stream point (name -> (standard, rotated) kurtosis) with the largest z, its interval at the
    Bonferroni level for as many points as were tested (one family per model)."""
    level = bonferroni_level(len(points))
    zs = {name: outlier_z(s, r, level=level, seed=seed) for name, (s, r) in points.items()}
    best = max(zs, key=lambda k: (round(zs[k].value, 6), k))
    return best, zs[best]
