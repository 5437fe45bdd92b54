"""Units of a sparse autoencoder against the MLP's neurons (Towards Monosemanticity): which token dominates a
unit's strongest activations (an interpretability proxy), how features split between dictionary sizes, and
how closely units of two models match.

Kept apart from scripts/analysis/sae.py, which the autoencoders' training imports: editing these functions
does not make the trained autoencoders stale.
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.sae.model import SparseAutoencoder

# -- an interpretability proxy, fixed before looking: does one token dominate a unit's strongest activations? ---


def merge_top(best: tuple[Tensor, Tensor] | None, chunk: Float[Tensor, "units c"], start: int, k: int
              ) -> tuple[Tensor, Tensor]:
    """Running top-k per unit: the k largest of `best` (values, positions) and `chunk`, the activations of
    positions start … start + c - 1, descending."""
    idx = torch.arange(start, start + chunk.shape[1]).expand_as(chunk)
    if best is not None:
        chunk, idx = torch.cat([best[0], chunk], 1), torch.cat([best[1], idx], 1)
    values, pick = chunk.topk(min(k, chunk.shape[1]), dim=1)
    return values, idx.gather(1, pick)


@torch.no_grad()
def top_positions(acts: Float[Tensor, "n d_in"], encode, k: int, chunk: int = 8192) -> tuple[Tensor, Tensor]:
    """For each unit of `encode(acts)` (features, neurons or projections), its k largest activations over the n
    positions and where they are: ([units k] values, [units k] positions), descending."""
    best = None
    for i in range(0, len(acts), chunk):
        best = merge_top(best, encode(acts[i:i + chunk].float()).T, i, k)
    return best


def top_token_share(values: Float[Tensor, "units k"], positions: Int[Tensor, "units k"],
                    tokens: Int[Tensor, " n"], min_active: int = 10, over_all_k: bool = False) -> Float[Tensor, " units"]:
    """Per unit, the share of its top activations (those above 0) at which the current token is the single most
    common one among them: 1 = one token explains them all. NaN for a unit active at fewer than `min_active`
    of its top positions (too rare to judge). `over_all_k`: the share of all k top positions instead (a unit
    active at few of them scores low), a variant a reviewer would try."""
    out = torch.full((len(values),), float("nan"), dtype=torch.float64)
    for u in range(len(values)):
        active = positions[u][values[u] > 0]
        if len(active) >= min_active:
            out[u] = torch.bincount(tokens[active]).max().double() / (values.shape[1] if over_all_k else len(active))
    return out


def mean_difference(a: Float[Tensor, " na"], b: Float[Tensor, " nb"], *, unit: str, resamples: int = 2000,
                    seed: int = 0):
    """mean(a) - mean(b) of two independent groups of units (NaNs dropped), with a percentile bootstrap interval
    that resamples each group on its own."""
    import numpy as np

    from scripts.engine.api import Estimate

    a, b = (np.asarray(x[~torch.isnan(x)], dtype=np.float64) for x in (a, b))
    rng = np.random.default_rng(seed)
    draws = a[rng.integers(0, len(a), (resamples, len(a)))].mean(1) - b[rng.integers(0, len(b), (resamples, len(b)))].mean(1)
    low, high = np.quantile(draws, [0.025, 0.975])
    value = float(a.mean() - b.mean())
    return Estimate(value, min(float(low), value), max(float(high), value), len(a) + len(b), unit,
                    f"bootstrap over {unit}, each group resampled on its own, {resamples:,} resamples", covers="sampled")


# -- feature splitting and universality ------------------------------------------------------------------------


def decoder_cosines(small: SparseAutoencoder, large: SparseAutoencoder) -> Float[Tensor, "d_small d_large"]:
    """Cosine of every small-dictionary feature's decoder direction with every large-dictionary one's (rows unit)."""
    return small.W_dec.detach() @ large.W_dec.detach().T


def children(cosines: Float[Tensor, "d_small d_large"], threshold: float = 0.5) -> Int[Tensor, " d_small"]:
    """How many large-dictionary features point within `threshold` cosine of each small one: 2 or more = it split."""
    return (cosines > threshold).sum(1)


def _pearson(x: Float[Tensor, "n k"], y: Float[Tensor, "n k"]) -> Float[Tensor, " k"]:
    """Column-wise Pearson correlation (NaN where a column never varies)."""
    x, y = x.double() - x.double().mean(0), y.double() - y.double().mean(0)
    return (x * y).sum(0) / (x.norm(dim=0) * y.norm(dim=0))


@torch.no_grad()
def family_correlations(parents: Float[Tensor, "n p"], members: Float[Tensor, "n m"], families: list[list[int]]
                        ) -> tuple[Float[Tensor, " p"], Float[Tensor, " p"]]:
    """Does a split feature's family cover it? For each parent (a column of `parents`) and its family (columns of
    `members`), over the same n positions: the correlation of the parent's activation with the family's summed
    activation, and with its best single member."""
    summed = torch.stack([members[:, f].double().sum(1) for f in families], 1)
    best = torch.stack([_pearson(parents[:, [i] * len(f)], members[:, f]).max() for i, f in enumerate(families)])
    return _pearson(parents, summed), best


@torch.no_grad()
def best_match_correlation(a: Float[Tensor, "n da"], b: Float[Tensor, "n db"], chunk: int = 512
                           ) -> Float[Tensor, " da"]:
    """For each unit of `a`, its largest Pearson correlation with any unit of `b` over the same n positions
    (NaN for a unit of `a` that never varies; constant units of `b` never match)."""
    def z(x):
        x = x.double()
        x = x - x.mean(0)
        sd = x.norm(dim=0)
        return x / sd.where(sd > 0, torch.tensor(float("inf"), dtype=x.dtype)), sd > 0

    zb, _ = z(b)
    out = []
    for i in range(0, a.shape[1], chunk):
        za, live = z(a[:, i:i + chunk])
        best = (za.T @ zb).amax(1)
        out.append(best.where(live, torch.tensor(float("nan"), dtype=best.dtype)))
    return torch.cat(out)
