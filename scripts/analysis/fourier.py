"""The Fourier reading of the grokking model (Nanda et al., 2023): spectra, key frequencies, progress measures.

Frequencies are k = 0..(p-1)/2, with w_k = 2πk/p. A function of one number x in Z_p is written in the basis
1, cos(w_k x), sin(w_k x); a frequency's *share* of something is the squared norm of its cos and sin
components over the total of the non-constant ones. Everything here takes arrays or the model's logits as
arguments; the training job and the figures both call it.

- `embedding_spectrum`: each frequency's share of W_E's rows (the numbers' embeddings), summed over d_model.
- `key_frequencies`: frequencies whose share is at least `KEY_SHARE_FACTOR` times the uniform share. Fixed
  before any model was trained: a frequency the model "uses" must stand out from an even spread by a margin
  that a random embedding almost never reaches (tested in tests/test_grokking.py).
- `restricted_logits` / `excluded_logits`: the logits as a function of (a, b) for each output c, keeping
  only (or removing) their components along cos(w_k(a+b)) and sin(w_k(a+b)) for the key frequencies. The
  paper's *restricted loss* is the loss of the first (plus the constant), its *excluded loss* that of the
  second on the training pairs.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

KEY_SHARE_FACTOR = 3.0  # a key frequency carries at least 3x the share of an even spread over all frequencies


def n_frequencies(p: int) -> int:
    return (p - 1) // 2  # non-constant frequencies 1..(p-1)/2


def fourier_basis(p: int) -> Float[Tensor, "p p"]:
    """Orthonormal rows: constant, then cos(w_1 x), sin(w_1 x), cos(w_2 x), ... (float64)."""
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, n_frequencies(p) + 1):
        rows += [torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


def embedding_spectrum(W_E: Float[Tensor, "p d_model"]) -> Float[np.ndarray, " n_freq"]:
    """Share of each frequency 1..(p-1)/2 in the numbers' embeddings (sums to 1)."""
    p = W_E.shape[0]
    coef = fourier_basis(p) @ W_E.detach().double()  # [p, d]
    per_freq = (coef[1:] ** 2).sum(1).view(-1, 2).sum(1)
    return (per_freq / per_freq.sum()).numpy()


def key_frequencies(spectrum: Float[np.ndarray, " n_freq"], factor: float = KEY_SHARE_FACTOR) -> list[int]:
    """Frequencies (1-based) whose share is at least `factor` / n_freq."""
    return [int(k) + 1 for k in np.flatnonzero(spectrum >= factor / len(spectrum))]


def gini(values: Float[np.ndarray, " n"]) -> float:
    """Gini coefficient of non-negative values (0 even, →1 concentrated); the paper tracks it on the
    embedding's Fourier norms."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    n = len(v)
    return float((2 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))


def _sum_directions(p: int, freqs: list[int]) -> Float[Tensor, "directions p p"]:  # 2 per frequency
    """cos(w(a+b)) and sin(w(a+b)) for each frequency, as unit-norm functions of (a, b)."""
    a = torch.arange(p, dtype=torch.float64)
    s = a[:, None] + a[None, :]
    dirs = []
    for k in freqs:
        w = 2 * math.pi * k / p
        dirs += [torch.cos(w * s), torch.sin(w * s)]
    if not dirs:
        return torch.zeros(0, p, p, dtype=torch.float64)
    d = torch.stack(dirs)
    return d / d.flatten(1).norm(dim=1)[:, None, None]


def key_component(logits: Float[Tensor, "p p c"], freqs: list[int]) -> Float[Tensor, "p p c"]:
    """The part of the logits (indexed [a, b, c]) along cos/sin(w_k(a+b)) for the given frequencies."""
    p = logits.shape[0]
    dirs = _sum_directions(p, freqs).to(logits.dtype)  # orthonormal: distinct frequencies, cos ⟂ sin
    coef = torch.einsum("kab,abc->kc", dirs, logits)
    return torch.einsum("kc,kab->abc", coef, dirs)


def restricted_logits(logits: Float[Tensor, "p p c"], freqs: list[int]) -> Float[Tensor, "p p c"]:
    """Only the key frequencies' a+b components, plus each output's mean over all (a, b)."""
    return logits.mean(dim=(0, 1), keepdim=True) + key_component(logits, freqs)


def excluded_logits(logits: Float[Tensor, "p p c"], freqs: list[int]) -> Float[Tensor, "p p c"]:
    """The logits with the key frequencies' a+b components removed."""
    return logits - key_component(logits, freqs)


def loss_on(logits: Float[Tensor, "p p c"], idx: Int[Tensor, " n"]) -> float:
    """Mean cross-entropy of (a + b) mod p on the pairs `idx` (row-major a*p + b), in float64."""
    p = logits.shape[0]
    flat = logits.reshape(p * p, -1).double()[idx]
    labels = (idx // p + idx % p) % p
    return float(torch.nn.functional.cross_entropy(flat, labels))
