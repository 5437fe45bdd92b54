"""Is the standard basis of a residual stream special? Outlier coordinates against random bases, and whether
a (post-)LayerNorm commutes with a rotation of the stream — with intervals for both.

- `kurtosis_resampled`: every coordinate's kurtosis in many bootstrap resamples of the sentences, from
  per-sentence power sums (one matrix product per power, no loop over resamples).
- `outlier_ratios`: at one point of the stream, the largest coordinate kurtosis in the standard basis over
  the largest in any of `rotations` random orthonormal bases (the null: a basis the model cannot know),
  for the data and for each bootstrap resample. Above 1: some coordinate is more heavy-tailed than any
  direction a random basis offers; about 1 or less: the basis is not special.
- `commutator_errors`: per token, ‖LN(xR) − LN(x)R‖ / ‖LN(x)R‖ (0 when the LayerNorm commutes with R).
- `weighted_median_resampled`: the median of per-token values when sentences are resampled (weights).
- `float32_commutator_bound`: the threshold under which a commutator error is float32 rounding.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model
from scripts.analysis.residual import layer_norm
from scripts.analysis.rotations import random_orthogonal
from scripts.analysis.stats import percentile_estimate

FLOAT32_UNIT_ROUNDOFF = 2.0**-24  # u: a float32 operation is exact up to a relative error u


def float32_commutator_bound(d: int, reductions: int = 4) -> float:
    """t = reductions · d · u: LN(xR) − LN(x)R goes through `reductions` sums of length d (x R, LayerNorm's
    mean and variance, LN(x) R), each with worst-case relative rounding error d·u in float32; the typical
    error of such sums is ~√d·u, far below. An error under t cannot be told from rounding."""
    return reductions * d * FLOAT32_UNIT_ROUNDOFF


def sentence_counts(n_sentences: int, resamples: int, rng: np.random.Generator) -> Int[np.ndarray, "resamples n_sentences"]:
    """How often each sentence is drawn in each bootstrap resample (with replacement)."""
    return rng.multinomial(n_sentences, np.full(n_sentences, 1 / n_sentences), size=resamples)


def layer_norm_inputs(model: Model, sentences: list[str]) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """Every LayerNorm's input over all tokens of the sentences, and the sentence of each token."""
    lns = ["embed_ln"] + [f"blocks.{l}.{n}" for l in range(model.cfg.n_layers) for n in ("ln1", "ln2")]
    acts = {n: [] for n in lns}
    sentence = []
    with torch.no_grad():
        for k, s in enumerate(sentences):
            _, cache = model.run_with_cache(model.to_tokens(s), names_filter=lambda n: n.endswith(".hook_in"))
            for n in lns:
                acts[n].append(cache[f"{n}.hook_in"][0])
            sentence += [k] * cache[f"{lns[0]}.hook_in"].shape[1]
    return {n: torch.cat(v) for n, v in acts.items()}, np.array(sentence)


def stream_by_layer(model: Model, sentences: list[str]) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """A post-LN encoder's (MiniLM's) stream entering each layer and leaving the last, one sentence per pass, and
    each token's sentence (the zoo's pre-LN stream after each layer is `channel.stream_points`)."""
    names = [f"blocks.{l}.hook_resid_pre" for l in range(model.cfg.n_layers)] + [f"blocks.{model.cfg.n_layers - 1}.hook_resid_post"]
    acts = {n: [] for n in names}
    sentence = []
    with torch.no_grad():
        for k, s in enumerate(sentences):
            _, cache = model.run_with_cache(model.to_tokens(s), names_filter=lambda n: n in names)
            for n in names:
                acts[n].append(cache[n][0])
            sentence += [k] * cache[names[0]].shape[1]
    labels = [f"in L{l}" for l in range(model.cfg.n_layers)] + ["output"]
    return {lab: torch.cat(acts[n]) for lab, n in zip(labels, names)}, np.array(sentence)


def kurtosis_resampled(x: Float[np.ndarray, "tokens d"], sentence: Int[np.ndarray, " tokens"],
                       counts: Int[np.ndarray, "resamples n_sentences"]) -> Float[np.ndarray, "resamples d"]:
    """Kurtosis of every coordinate in each resample of the sentences (the tokens of a sentence drawn k times
    count k times): `basis.coordinate_kurtosis` per resample, from per-sentence power sums, so that thousands
    of resamples cost a few matrix products. Coordinates are standardised first (kurtosis does not change) so float32 sums
    of powers are accurate."""
    x = np.asarray(x, dtype=np.float64)
    x = (x - x.mean(0)) / x.std(0)
    n_sent = counts.shape[1]
    sums = [np.zeros((n_sent, x.shape[1])) for _ in range(4)]
    for p in range(4):
        np.add.at(sums[p], sentence, x ** (p + 1))
    tokens = np.bincount(sentence, minlength=n_sent).astype(np.float64)
    w = counts.astype(np.float32)
    n = (counts @ tokens)[:, None]
    m1, m2, m3, m4 = ((w @ s.astype(np.float32)).astype(np.float64) / n for s in sums)
    var = m2 - m1**2
    mu4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    return mu4 / var**2


def outlier_ratios(acts: Float[Tensor, "tokens d"], sentence: Int[np.ndarray, " tokens"],
                   counts: Int[np.ndarray, "resamples n_sentences"], rotations: int, generator: torch.Generator,
                   ) -> dict:
    """Standard-basis max kurtosis over the largest max kurtosis of `rotations` random orthonormal bases, on
    all tokens (`ratio`) and per resample (`ratios`); also the heaviest coordinate (`top`, per resample
    `top_resampled`), the kurtosis values for the figure. Constant coordinates must be removed first."""
    all_sentences = np.ones((1, counts.shape[1]), dtype=counts.dtype)
    rots = [acts @ random_orthogonal(acts.shape[1], generator) for _ in range(rotations)]
    x = torch.cat([acts] + rots, dim=1).double().numpy()
    k = kurtosis_resampled(x, sentence, np.concatenate([all_sentences, counts]))  # row 0: all sentences once
    d = acts.shape[1]
    std_k, rot_k = k[:, :d], k[:, d:].reshape(len(k), rotations, d).max(-1)  # [1 + R, d], [1 + R, rotations]
    ratios = std_k.max(1) / rot_k.max(1)
    return {"ratio": float(ratios[0]), "ratios": ratios[1:], "top": int(std_k[0].argmax()),
            "top_resampled": std_k[1:].argmax(1), "kurtosis": std_k[0], "rot_max": rot_k[0]}


def commutator_errors(x: Float[Tensor, "n d"], R: Float[Tensor, "d d"], gamma, beta, eps: float) -> Float[Tensor, " n"]:
    """Per sample ‖LN(xR) − LN(x)R‖ / ‖LN(x)R‖ (gamma, beta None: the bare centre-and-scale)."""
    a, b = layer_norm(x @ R, gamma, beta, eps), layer_norm(x, gamma, beta, eps) @ R
    return (a - b).norm(dim=-1) / b.norm(dim=-1)


def weighted_median_resampled(values: Float[np.ndarray, " tokens"], sentence: Int[np.ndarray, " tokens"],
                              counts: Int[np.ndarray, "resamples n_sentences"]) -> Float[np.ndarray, " resamples"]:
    """The median of per-token values in each resample of the sentences (lower median)."""
    order = np.argsort(values, kind="stable")
    w = counts[:, sentence[order]].astype(np.float64)  # [resamples tokens], sorted by value
    cw = np.cumsum(w, axis=1)
    pos = (cw >= cw[:, -1:] / 2).argmax(1)
    return np.asarray(values)[order][pos]


def outlier_estimate(points: list[Float[Tensor, "tokens d"]], sentence: Int[np.ndarray, " tokens"], *,
                     rotations: int, resamples: int, seed: int = 0) -> tuple:
    """The privileged-basis statistic over several points of a stream: the smallest, over the points, of
    `outlier_ratios`' ratio, with a bootstrap interval over sentences (the same resamples at every point,
    so the minimum is taken per resample). Constant coordinates are dropped at each point.
    Returns (Estimate, per-point dicts with the model's coordinate numbers)."""
    g = torch.Generator().manual_seed(seed)
    n_sent = int(sentence.max()) + 1
    counts = sentence_counts(n_sent, resamples, np.random.default_rng(seed))
    per_point = []
    for acts in points:
        live = acts.var(0) > 1e-10  # a constant coordinate has no kurtosis
        index = live.nonzero().flatten().numpy()  # back to the model's coordinate numbers
        r = outlier_ratios(acts[:, live], sentence, counts, rotations, g)
        r.update(top=int(index[r["top"]]), top_resampled=index[r["top_resampled"]], dead=int((~live).sum()))
        per_point.append(r)
    value = min(r["ratio"] for r in per_point)
    boot = np.min([r["ratios"] for r in per_point], axis=0)
    est = percentile_estimate(value, boot, n_sent, "sentences",
                               f"bootstrap over sentences, {resamples:,} resamples (the same at all {len(points)} "
                               f"points); null: {rotations} random orthonormal bases")
    return est, per_point


def commutation_estimate(errors: Float[np.ndarray, "rotations layer_norms tokens"], sentence: Int[np.ndarray, " tokens"],
                         *, resamples: int, seed: int = 0) -> tuple:
    """The smallest, over LayerNorms, of the median per-token commutator error: its median over the random
    rotations, with an interval from resampling sentences, each resample paired with one of the rotations.
    Returns (Estimate, the [rotation, LayerNorm] medians)."""
    K, L, _ = errors.shape
    med = np.median(errors, axis=2)
    value = float(np.median(med.min(1)))
    rng = np.random.default_rng(seed)
    n_sent = int(sentence.max()) + 1
    counts = sentence_counts(n_sent, resamples, rng)
    which = rng.integers(0, K, size=resamples)
    boot = np.full(resamples, np.inf)
    for r in range(K):
        sel = which == r
        for i in range(L):
            boot[sel] = np.minimum(boot[sel], weighted_median_resampled(errors[r, i], sentence, counts[sel]))
    est = percentile_estimate(value, boot, n_sent, "sentences",
                               f"bootstrap over sentences, {resamples:,} resamples, each with one of {K} random rotations")
    return est, med


def float_count_estimate(errors: np.ndarray, threshold: float):
    """Fraction of the float32 errors under `threshold`: a count, exact (the errors themselves are rounding
    noise and machine-dependent; whether each lies under the threshold is not, when they are far under it)."""
    from scripts.analysis.stats import exact

    return exact(float((np.asarray(errors) < threshold).mean()), n=int(np.size(errors)), unit="(LayerNorm, rotation) pairs",
                 why=f"exact count of errors under the float32 threshold {threshold:.1e}")
