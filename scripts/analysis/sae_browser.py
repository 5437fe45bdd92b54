"""What a feature browser shows of each feature of a sparse autoencoder (Towards Monosemanticity's interface):
how often it fires, the histogram of its activations, its strongest contexts with every token's activation, and
the tokens its decoder direction pushes up and down through the unembedding.

- `feature_profiles`: density, maximum, histogram and the k strongest positions of every feature, in two passes
  over the activations (the histogram's bins need each feature's maximum first).
- `context_activations`: one feature's activation on every token of a few windows of text around chosen positions.
- `direct_logit_effects`: a feature's decoder direction carried through W_out and the (vocabulary-centred)
  unembedding, skipping the final LayerNorm's scale, so a ranking of tokens rather than exact logit changes.

Kept apart from scripts/analysis/sae.py, which the autoencoders' training imports.
"""

from __future__ import annotations

import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.sae_units import merge_top
from scripts.sae.model import SparseAutoencoder


@torch.no_grad()
def feature_profiles(sae: SparseAutoencoder, acts: Float[Tensor, "n d_in"], *, k: int, bins: int,
                     chunk: int = 4096) -> dict[str, Tensor]:
    """For every feature of `sae` on the (scaled) activations `acts`:
    - `count` [d_sae]: positions where it fires (> 0);
    - `top_values`, `top_positions` [d_sae k]: its k largest activations and where, descending;
    - `hist` [d_sae bins]: its nonzero activations in `bins` equal bins from 0 to its maximum (the maximum in
      the last bin)."""
    d = sae.d_sae
    count = torch.zeros(d, dtype=torch.long)
    best = None
    for i in range(0, len(acts), chunk):
        f = sae.encode(acts[i:i + chunk].float())
        count += (f > 0).sum(0)
        best = merge_top(best, f.T, i, k)
    best_v, best_i = best
    top = best_v[:, 0].clamp_min(1e-12)
    hist = torch.zeros(d * bins, dtype=torch.long)
    for i in range(0, len(acts), chunk):
        f = sae.encode(acts[i:i + chunk].float())
        on = f > 0
        b = (f / top * bins).long().clamp(max=bins - 1)
        flat = (torch.arange(d) * bins + b)[on]
        hist += torch.bincount(flat, minlength=d * bins)
    return {"count": count, "top_values": best_v, "top_positions": best_i, "hist": hist.reshape(d, bins)}


def spread_positions(positions: Int[Tensor, " k"], values: Float[Tensor, " k"], window: int, n: int
                     ) -> list[int]:
    """Up to `n` of a feature's top positions (flattened over windows of `window` tokens), strongest first, at
    most one per window of text, so the contexts shown are different passages. Positions where it does not fire
    are dropped."""
    picked, seen = [], set()
    for p, v in zip(positions.tolist(), values.tolist()):
        if v <= 0 or p // window in seen:
            continue
        seen.add(p // window)
        picked.append(p)
        if len(picked) == n:
            break
    return picked


@torch.no_grad()
def context_activations(sae: SparseAutoencoder, feature: int, acts: Float[Tensor, "windows pos d_in"],
                        window: int, pos: int, before: int, after: int) -> tuple[range, Float[Tensor, " ctx"]]:
    """The positions `pos - before … pos + after` of window `window` (clipped to it) and the feature's
    activation at each."""
    span = range(max(0, pos - before), min(acts.shape[1], pos + after + 1))
    x = acts[window, span.start:span.stop].float()
    f = ((x - sae.b_dec) @ sae.W_enc[:, feature] + sae.b_enc[feature]).relu()
    return span, f


@torch.no_grad()
def direct_logit_effects(sae: SparseAutoencoder, W_out: Float[Tensor, "d_mlp d_model"],
                         W_U: Float[Tensor, "d_model d_vocab"], ln_weight: Float[Tensor, " d_model"]
                         ) -> Float[Tensor, "d_sae d_vocab"]:
    """Each feature's decoder direction (a unit vector in neuron space) written into the stream by W_out, then
    read as the final LayerNorm reads it — centred over d_model and scaled by its weight, the division by the
    stream's norm skipped (it scales a whole row alike) — by the unembedding centred over the vocabulary (the
    part softmax sees). Within a row, the ranking of tokens is exact; across rows, magnitudes are relative."""
    u = sae.W_dec.float() @ W_out.float()
    u = (u - u.mean(-1, keepdim=True)) * ln_weight.float()
    return u @ (W_U - W_U.mean(-1, keepdim=True)).float()
