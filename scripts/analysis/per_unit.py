"""Per-unit statistics for verdicts about induction circuits: one value per independent unit (a held-out window,
a random sequence), so that `scripts.analysis.stats` can bootstrap over the units.

- `unit_pass`: one forward pass written from the (folded) weights — the same computation as
  `residual.forward`, ~2x cheaper than the bridge for this — that returns, per unit, the next-token loss
  at chosen positions and the mean attention on chosen diagonals (previous-token, induction stripes).
- `repeat_halves`: per-sequence loss on the first and second copy of `[BOS] r r`.
- `icl_positions` / `seen_before` / `icl_split` / `icl_within`: the ICL score (same positions as
  `induction.icl_per_window`) within tokens whose target already occurred earlier in the window ("repeated")
  and within the others ("new").
- `qk_path_null`: eigenvalue positivity of a layer-1 head's induction QK path with the site's
  spectrum-keeping null (`nulls.py`; the OV circuit's is `nulls.ov_copying_null`).
- `find_induction_heads` / `positivity_z`: the heads whose induction score clears 0.4, and the QK-path and OV
  positivity of each against those nulls, as z-scores (figure `induction-circuit`).
- `snapshot_measures`: the phase-change figure's per-unit scores of one training snapshot.
- `term_importance_per_window`: the frozen-pattern path expansion (`paths.path_terms`) scored per window,
  for single terms and for groups of terms (every first-order head term, every virtual head).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor

from scripts.analysis.circuits import effective_embedding
from scripts.analysis.model import Model
from scripts.analysis.nulls import copying_positivity_null, haar_blocks, ov_copying_null
from scripts.analysis.paths import _center, order_of, path_terms
from scripts.analysis.residual import AttnOnlyWeights, center_and_scale
from scripts.analysis.stats import bonferroni_level, bootstrap_mean, bootstrap_statistic, null_z

INDUCTION_THRESHOLD = 0.4  # the conventional induction-head threshold (ARENA / TransformerLens)
PREV = (-1, 1)  # previous-token stripe: offset -1, skip the BOS row (as induction.previous_token_scores)


def induction_stripe(seq_len: int) -> tuple[int, int]:
    """The induction diagonal of `[BOS] r r` (as induction.induction_scores: offset 1 - seq_len, skip 2 rows)."""
    return (1 - seq_len, 2)


def stripes_per_unit(patterns: Sequence[Float[Tensor, "batch head q k"]], offset: int,
                     skip_first: int) -> Float[Tensor, "batch layer head"]:
    """Mean attention on the diagonal `offset` for each unit (row of the batch), layer and head; the mean of
    these over units equals `induction.stripe_score` (every unit has the same diagonal length)."""
    if not patterns:
        return torch.zeros(0, 0, 0)
    return torch.stack([p.diagonal(offset=offset, dim1=-2, dim2=-1)[..., skip_first:].mean(-1) for p in patterns], 1)


@torch.no_grad()
def unit_pass(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"], *, positions: Sequence[int] | None = None,
              stripes: Mapping[str, tuple[int, int]] | None = None, chunk: int = 128) -> dict[str, Tensor]:
    """Per-unit loss and attention stripes of a folded attention-only model, `chunk` units at a time.

    Returns {"loss": [batch, P]} — the cross-entropy of predicting tokens[:, i + 1] at each i in `positions`
    (default: every position) — and, for each name in `stripes` ({name: (offset, skip_first)}), a
    [batch, layer, head] tensor of mean attention on that diagonal.
    """
    stripes = dict(stripes or {})
    n = tokens.shape[1]
    pos = torch.arange(n - 1) if positions is None else torch.as_tensor(list(positions), dtype=torch.long)
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    H, dh = w.W_Q.shape[1], w.W_Q.shape[-1]
    # Q, K, V of every head in one matmul; every head's output in one more
    qkv = [torch.cat([m[layer].permute(1, 0, 2).reshape(w.W_Q.shape[2], H * dh) for m in (w.W_Q, w.W_K, w.W_V)], 1)
           for layer in range(w.n_layers)]
    qkv_b = [torch.cat([b[layer].reshape(-1) for b in (w.b_Q, w.b_K, w.b_V)]) for layer in range(w.n_layers)]
    out: dict[str, list[Tensor]] = {"loss": [], **{k: [] for k in stripes}}
    for i in range(0, tokens.shape[0], chunk):
        t = tokens[i:i + chunk]
        b = t.shape[0]
        x = w.W_E[t] + w.W_pos[:n]
        patterns = []
        for layer in range(w.n_layers):
            q, k, v = (center_and_scale(x, w.eps) @ qkv[layer] + qkv_b[layer]).view(b, n, 3, H, dh).permute(2, 0, 3, 1, 4)
            if stripes:  # the pattern itself is needed
                pattern = (q @ k.transpose(-1, -2) / dh ** 0.5).masked_fill(mask, float("-inf")).softmax(-1)
                patterns.append(pattern)
                z = pattern @ v
            else:  # fused kernel, same result (to float error), ~2x faster
                z = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + z.transpose(1, 2).reshape(b, n, H * dh) @ w.W_O[layer].reshape(H * dh, -1) + w.b_O[layer]
        logits = center_and_scale(x[:, pos], w.eps) @ w.W_U + w.b_U
        out["loss"].append(-logits.log_softmax(-1).gather(-1, t[:, pos + 1, None])[..., 0])
        for name, (offset, skip) in stripes.items():
            out[name].append(stripes_per_unit(patterns, offset, skip) if patterns else torch.zeros(b, 0, H))
    return {k: torch.cat(v) for k, v in out.items()}


def repeat_halves(loss: Float[Tensor, "batch pred"]) -> tuple[Float[Tensor, " batch"], Float[Tensor, " batch"]]:
    """Per-sequence mean loss on the first copy and on the second copy of `[BOS] r r` (as
    induction.repeat_halves_loss: the first token of the second copy has nothing to copy and is left out)."""
    seq_len = loss.shape[1] // 2
    return loss[:, :seq_len].mean(1), loss[:, seq_len + 1:].mean(1)


def icl_positions(n_pred: int) -> tuple[list[int], list[int]]:
    """The early and late prediction positions of the ICL score (as induction.icl_per_window)."""
    return list(range(int(0.08 * n_pred), int(0.16 * n_pred))), list(range(int(0.79 * n_pred), n_pred))


def seen_before(tokens: Int[Tensor, "batch pos"]) -> Bool[Tensor, "batch pos-1"]:
    """For each prediction i (of tokens[:, i + 1]): did that target token already occur in tokens[:, 1:i + 1]
    (the window so far, BOS excluded)?"""
    n = tokens.shape[1]
    eq = tokens[:, :, None] == tokens[:, None, :]  # [b, j, k]: token j equals token k
    earlier = torch.tril(torch.ones(n, n, dtype=torch.bool), diagonal=-1)
    earlier[:, 0] = False  # never count BOS
    return (eq & earlier).any(-1)[:, 1:]


def icl_split(loss: Float[Tensor, "batch P"], repeated: Bool[Tensor, "batch P"], early: int) -> dict[str, np.ndarray]:
    """Per-window sums and counts of `loss` (the early positions are the first `early` columns, the late ones
    the rest) for repeated and for new targets: the inputs of `icl_within`, keyed "<class>_<early|late>_<sum|n>"."""
    out = {}
    for cls, m in (("repeated", repeated), ("new", ~repeated)):
        for part, sl in (("early", slice(0, early)), ("late", slice(early, None))):
            out[f"{cls}_{part}_sum"] = (loss[:, sl] * m[:, sl]).sum(1).double().numpy()
            out[f"{cls}_{part}_n"] = m[:, sl].sum(1).double().numpy()
    return out


def icl_within(late_sum: np.ndarray, late_n: np.ndarray, early_sum: np.ndarray, early_n: np.ndarray) -> float:
    """The ICL score within one class of tokens, pooled over windows: mean late value minus mean early value.
    Used on the loss *in excess of the 0-layer model's* (which sees only the current token), so that which
    tokens fall late or early — their own difficulty — does not count as use of context."""
    return float(late_sum.sum() / late_n.sum() - early_sum.sum() / early_n.sum())


# -- positivity of circuits, against a rotation null ---------------------------------------------------------

def qk_path_null(model: Model, head: int, blocks: Float[np.ndarray, "draws k k"]) -> tuple[float, np.ndarray]:
    """Eigenvalue positivity of layer-1 head `head`'s induction QK path E W_Q W_Kᵀ (Σ_h E W_OV^h)ᵀ and its
    spectrum-keeping null (`nulls.copying_positivity_null`): what layer 0 wrote is rotated at random before the head's keys read it, so only the alignment is random."""
    E = effective_embedding(model).to(torch.float64)
    prev = sum(E @ model.W_V[0, h].double() @ model.W_O[0, h].double() for h in range(model.cfg.n_heads))
    N = prev.T @ E @ model.W_Q[1, head].double()  # [d_model d_head]; spectrum of W_Kᵀ N = that of the path
    return copying_positivity_null(model.W_K[1, head].T, N, blocks)


def find_induction_heads(per_seq: Float[np.ndarray, "sequences heads"]) -> tuple[list[int], list]:
    """Layer-1 heads whose induction score's interval lies above 0.4 ([sequences, heads] in), with every head's
    Estimate; if none qualifies, the best head (ties: lowest index) is returned as the only candidate."""
    ests = [bootstrap_mean(per_seq[:, h], unit="random sequences") for h in range(per_seq.shape[1])]
    heads = [h for h, e in enumerate(ests) if e.low > INDUCTION_THRESHOLD]
    return heads or [int(np.argmax(np.round(per_seq.mean(0), 6)))], ests


def positivity_z(model: Model, heads: list[int], *, draws: int, seed: int) -> dict:
    """QK-path and OV positivity of each head, their nulls' z-scores (Bonferroni over 2 x len(heads) tests),
    and the weakest head's Estimate per circuit."""
    blocks = haar_blocks(model.cfg.d_model, model.cfg.d_head, draws, seed)
    level = bonferroni_level(2 * len(heads))
    out = {"qk": {}, "ov": {}, "z": {"qk": {}, "ov": {}}}
    with torch.no_grad():
        for h in range(model.cfg.n_heads):
            for kind, fn in (("qk", lambda h=h: qk_path_null(model, h, blocks)), ("ov", lambda h=h: ov_copying_null(model, 1, h, blocks))):
                observed, null = fn()
                out[kind][h] = observed
                out["z"][kind][h] = null_z(observed, np.asarray(null), null_name="random rotation of one factor",
                                           level=level)
    out["weakest"] = {k: min((out["z"][k][h] for h in heads), key=lambda e: e.low) for k in ("qk", "ov")}
    return out


# -- term importance per window ------------------------------------------------------------------------------

def _window_loss(w: AttnOnlyWeights, stream: Tensor, scale: Tensor, tokens: Tensor) -> Tensor:
    logits = _center(stream) / scale @ w.W_U + w.b_U
    return -logits[:, :-1].log_softmax(-1).gather(-1, tokens[:, 1:, None])[..., 0].mean(1)


@torch.no_grad()
def term_importance_per_window(w: AttnOnlyWeights, tokens: Int[Tensor, "batch pos"], *,
                               chunk: int = 32) -> dict[str, np.ndarray]:
    """Per-window loss with frozen patterns (paths.term_importance, one value per window):

    "full" (every term), "order<=0" (the direct path alone), "-<term>" for each term removed alone, "-heads"
    (every first-order head term removed) and "-virtual" (every virtual head removed: the loss up to order 1).
    A marginal effect is a difference of two of these on the same windows.
    """
    out: dict[str, list[Tensor]] = {}
    for i in range(0, tokens.shape[0], chunk):
        t = tokens[i:i + chunk]
        terms, scale = path_terms(w, t)
        total = sum(terms.values())
        groups = {"full": total,
                  "order<=0": terms["direct"],
                  "-heads": total - sum(v for k, v in terms.items() if order_of(k) == 1),
                  "-virtual": total - sum(v for k, v in terms.items() if order_of(k) == 2),
                  **{f"-{k}": total - v for k, v in terms.items()}}
        for name, stream in groups.items():
            out.setdefault(name, []).append(_window_loss(w, stream, scale, t))
    return {k: torch.cat(v).double().numpy() for k, v in out.items()}


def term_marginals(per_window: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-window marginal effect (loss without − full loss) of every term, and of the groups "heads" and
    "virtual", from `term_importance_per_window`."""
    return {k[1:]: v - per_window["full"] for k, v in per_window.items() if k.startswith("-")}


# -- statistics of per-unit arrays (what the verdicts bootstrap) ----------------------------------------------

def best_head(scores: Float[np.ndarray, "units heads"]) -> float:
    """The best head's score: max over heads of the mean over units (choosing the head is part of it)."""
    return float(np.asarray(scores).mean(0).max())


def repeat_gain(first: Float[np.ndarray, " units"], second: Float[np.ndarray, " units"]) -> float:
    """Fraction of the first copy's loss removed on the second copy: 1 − mean(second) / mean(first)."""
    return float(1 - np.mean(second) / np.mean(first))


def aggregate_ratio(virtual: Float[np.ndarray, " units"], heads: Float[np.ndarray, " units"]) -> float:
    """Cost of removing every virtual head as a fraction of the cost of removing every single-head term."""
    return float(np.mean(virtual) / np.mean(heads))


def single_gap(first: Float[np.ndarray, "units heads"], second: Float[np.ndarray, "units virtual"]) -> float:
    """The most important virtual head's cost minus the least important single head's (nats)."""
    return float(np.asarray(second).mean(0).max() - np.asarray(first).mean(0).min())


def gain_fraction(before: Float[np.ndarray, " units"], start: Float[np.ndarray, " units"],
                  final: Float[np.ndarray, " units"]) -> float:
    """How much of the change from `start` to `final` (e.g. of the ICL score) had happened at `before`."""
    return float((np.mean(before) - np.mean(start)) / (np.mean(final) - np.mean(start)))


def snapshot_measures(w: AttnOnlyWeights, text: Int[Tensor, "windows pos"], rep: Int[Tensor, "seqs rep_pos"],
                      prev_units: Int[Tensor, "prev_windows pos"], *, early: list[int], late: list[int],
                      base: Float[Tensor, "windows positions"], repeated: Bool[Tensor, "windows positions"],
                      seq_len: int) -> tuple[dict, Float[np.ndarray, " windows"]]:
    """One snapshot (figure `phase-change`): Estimates of the ICL score, best induction and previous-token scores,
    and ICL within repeated and new targets (relative to the zero-layer `base`); and the per-window ICL scores."""
    loss = unit_pass(w, text, positions=early + late)["loss"]
    icl = (loss[:, len(early):].mean(1) - loss[:, :len(early)].mean(1)).double().numpy()
    ind = unit_pass(w, rep, stripes={"ind": induction_stripe(seq_len)})["ind"][:, 1].numpy()
    prev = unit_pass(w, prev_units, stripes={"prev": PREV}, positions=[0])["prev"][:, 0].numpy()
    split = icl_split(loss - base, repeated, len(early))
    row = {"icl": bootstrap_mean(icl, unit="held-out windows"),
           "ind": bootstrap_statistic(best_head, ind, unit="random sequences"),
           "prev": bootstrap_statistic(best_head, prev, unit="held-out windows"),
           **{f"icl_{c}": bootstrap_statistic(icl_within, *(split[f"{c}_{p}"] for p in (
               "late_sum", "late_n", "early_sum", "early_n")), unit="held-out windows") for c in ("repeated", "new")}}
    return row, icl
