"""Induction and previous-token heads: the inputs that reveal them and the scores that measure them.

Conventions follow ARENA / TransformerLens: a repeated-random-tokens batch is `[BOS] + r + r` with `r` uniform
random tokens; a head's induction score is its mean attention from each token of the second copy to the token
*after* that token's first occurrence (the diagonal at offset 1 - seq_len); its previous-token score is its
mean attention to position i-1 on real text. A head scoring above 0.4 is conventionally called one.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model


def repeated_random_tokens(batch: int, seq_len: int, d_vocab: int, bos: int, *, seed: int = 0,
                           low: int = 2) -> Int[Tensor, "batch pos"]:
    """`[BOS] + r + r` with r uniform over token ids [low, d_vocab) (skipping the special tokens)."""
    g = torch.Generator().manual_seed(seed)
    r = torch.randint(low, d_vocab, (batch, seq_len), generator=g)
    return torch.cat([torch.full((batch, 1), bos, dtype=torch.long), r, r], dim=1)


def attention_patterns(model: Model, tokens: Int[Tensor, "batch pos"]) -> list[Float[Tensor, "batch head q k"]]:
    """Every layer's attention pattern on `tokens` (no gradients)."""
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    return [cache["pattern", layer] for layer in range(model.cfg.n_layers)]


def stripe_score(patterns: list[Float[Tensor, "batch head q k"]], offset: int,
                 skip_first: int = 1) -> Float[Tensor, "layer head"]:
    """Mean attention on the diagonal `offset` (negative: to earlier positions), per head.

    `skip_first` drops the first query rows of the diagonal (e.g. the row reading from BOS).
    """
    rows = [p.diagonal(offset=offset, dim1=-2, dim2=-1)[..., skip_first:].mean(dim=(0, -1)) for p in patterns]
    return torch.stack(rows)


def induction_scores(model: Model, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "layer head"]:
    """Attention from each token of the second copy to the token after its earlier occurrence.

    The diagonal at offset 1 - seq_len starts at row seq_len - 1, inside the first copy; its first two rows
    (positions seq_len - 1 and seq_len) have no earlier occurrence to look after, so they are skipped.
    (ARENA's formula keeps them; at seq_len 50 that changes the score by 4 %, at 7 by 22 %.)
    """
    seq_len = (tokens.shape[1] - 1) // 2
    return stripe_score(attention_patterns(model, tokens), offset=1 - seq_len, skip_first=2)


def previous_token_scores(model: Model, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "layer head"]:
    """Attention from each position to the one before it (BOS row excluded)."""
    return stripe_score(attention_patterns(model, tokens), offset=-1)


def per_token_loss(model: Model, tokens: Int[Tensor, "batch pos"], *, chunk: int = 256) -> Float[Tensor, "batch pos-1"]:
    """Next-token cross-entropy at every position (nats), `chunk` sequences at a time (bounded memory)."""
    with torch.no_grad():
        return torch.cat([model(tokens[i:i + chunk], return_type="loss", loss_per_token=True)
                          for i in range(0, tokens.shape[0], chunk)])


def repeat_halves_loss(model: Model, tokens: Int[Tensor, "batch pos"]) -> tuple[float, float]:
    """Mean loss predicting the first copy vs. the second copy of a repeated random sequence."""
    seq_len = (tokens.shape[1] - 1) // 2
    loss = per_token_loss(model, tokens)  # loss[:, i] predicts token i+1
    # First copy: tokens 1..L. Second copy: tokens L+2..2L (token L+1 has no earlier context to copy from).
    return loss[:, :seq_len].mean().item(), loss[:, seq_len + 1:].mean().item()


def icl_score(loss: Float[Tensor, "batch pos"]) -> float:
    """In-context-learning score (Olsson et al.): mean loss late in the context minus early in it.

    The paper compares token 500 with token 50 of 1024; we keep the proportions: positions in the last
    ~21 % of the context minus positions 8-16 % of the way in (for 127 predictions: 100-126 vs 10-19).
    Negative means later tokens are predicted better, i.e. the model uses its context.
    """
    return icl_per_window(loss).mean().item()


def icl_per_window(loss: Float[Tensor, "batch pos"]) -> Float[Tensor, " batch"]:
    """The ICL score of each window separately (same positions as `icl_score`): the unit to bootstrap over."""
    n = loss.shape[1]
    return loss[:, int(0.79 * n):].mean(1) - loss[:, int(0.08 * n):int(0.16 * n)].mean(1)


# -- the attention explorer's data ---------------------------------------------------------------------------

SCALE = 1000  # weights are stored in thousandths: three decimals, as the widget shows them


def round_row(row: np.ndarray, scale: int = SCALE) -> list[float]:
    """Round a probability row to 1/scale so that it still sums to exactly 1 (largest remainder), so the
    numbers the widget shows add up."""
    exact = np.asarray(row, dtype=np.float64) / max(float(np.sum(row)), 1e-12) * scale
    units = np.floor(exact).astype(int)
    short = scale - int(units.sum())
    if short > 0:
        units[np.argsort(-(exact - units), kind="stable")[:short]] += 1
    return [int(u) / scale for u in units]


def explorer_data(model: Model, tokens: Int[Tensor, "1 pos"], labels: list[str], *, causal: bool, sinks: list[int], sink_label: str,
                  model_name: str) -> dict:
    """The widget's JSON: per head (`L{layer}H{head}`), one row per query token of rounded weights over the
    tokens it can see (causal: row i has i + 1 entries; bidirectional: all). `sinks` are the positions the
    widget can leave out and renormalise without (BOS; [CLS] and [SEP]), named by `sink_label`. The caller
    sets `head` and `query`, what the widget shows first."""
    patterns = attention_patterns(model, tokens)  # per layer [1 head q k]
    heads, mats = [], []
    for layer, p in enumerate(patterns):
        for h in range(p.shape[1]):
            full = p[0, h].double().numpy()
            heads.append(f"L{layer}H{h}")
            mats.append([round_row(full[i, : i + 1] if causal else full[i]) for i in range(len(full))])
    return {"tokens": labels, "heads": heads, "patterns": mats, "model": model_name, "causal": causal,
            "sinks": sinks, "sink_label": sink_label, "layers": len(patterns), "heads_per_layer": int(patterns[0].shape[1])}
