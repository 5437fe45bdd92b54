"""The head atlas: every head of a model at a glance — where it attends, and the scores the notes use to name
heads (issue: a card wherever a head is named).

- `head_scores`: per unit (a held-out window, or a repeated random sequence `[BOS] r r`) and head, the mean
  attention on the previous token (windows), on the token after the earlier copy (induction) and on the earlier
  copy itself (duplicate-token), so that `stats` can bootstrap over units.
- `thumbnail`: a head's pattern on one sequence, in tenths of attention, as a string of digits (a card draws it).
- `composition_partners`: for every layer-1 head of a two-layer model, the layer-0 head that composes with it
  most through its queries, keys and values (`composition.composition_scores`).
- `sentence_scores`: previous- and next-token scores of a bidirectional encoder (MiniLM) per sentence.
- `grokking_head_scores`: a grokking model's heads on every input `a b =`: where `=` attends, and how periodic
  that is in the numbers (the share on the key frequencies).
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.composition import composition_scores
from scripts.analysis.fourier import fourier_basis
from scripts.analysis.induction import attention_patterns
from scripts.analysis.model import Model
from scripts.analysis.per_unit import PREV, induction_stripe, stripes_per_unit


def duplicate_stripe(seq_len: int) -> tuple[int, int]:
    """The duplicate-token diagonal of `[BOS] r r`: each token of the second copy to the same token in the first
    (offset -seq_len; its first row, the first copy's last token reading BOS, skipped)."""
    return (-seq_len, 1)


@torch.no_grad()
def head_scores(model: Model, text: Int[Tensor, "windows pos"], rep: Int[Tensor, "seqs rep_pos"]
                ) -> dict[str, Float[np.ndarray, "units layer head"]]:
    """Per unit and head: "previous-token" on the held-out windows, "induction" and "duplicate-token" on the
    repeated random sequences."""
    return {"previous-token": stripes_per_unit(attention_patterns(model, text), *PREV).numpy(),
            **head_scores_on_repeats(model, rep)}


@torch.no_grad()
def head_scores_on_repeats(model: Model, rep: Int[Tensor, "seqs rep_pos"]
                           ) -> dict[str, Float[np.ndarray, "units layer head"]]:
    """Per repeated random sequence `[BOS] r r` and head: "induction" and "duplicate-token"."""
    seq_len = (rep.shape[1] - 1) // 2
    on_rep = attention_patterns(model, rep)
    return {"induction": stripes_per_unit(on_rep, *induction_stripe(seq_len)).numpy(),
            "duplicate-token": stripes_per_unit(on_rep, *duplicate_stripe(seq_len)).numpy()}


def thumbnail(pattern: Float[Tensor, "q k"]) -> str:
    """Rows of a pattern in tenths (0-9, 9 also for 1.0), row after row: n*n digits for an n-token sequence."""
    return "".join(str(min(9, int(v * 10))) for v in pattern.flatten().tolist())


def composition_partners(model: Model) -> dict[str, list[tuple[int, float]]]:
    """mode ("Q", "K", "V") -> for each layer-1 head, (its strongest layer-0 partner, the score)."""
    out = {}
    for mode in ("Q", "K", "V"):
        scores = composition_scores(model, mode)  # [h0 h1]
        best = scores.argmax(0)
        out[mode] = [(int(best[h]), float(scores[best[h], h])) for h in range(scores.shape[1])]
    return out


@torch.no_grad()
def sentence_scores(model: Model, sentences: list[Int[Tensor, "1 _pos"]]  # _pos: each sentence its own length
                    ) -> dict[str, Float[np.ndarray, "units layer head"]]:
    """Per sentence (`[CLS] … [SEP]`, a bidirectional encoder's input) and head: mean attention from each word
    piece to the one before ("previous-token") and to the one after ("next-token"), among the sentence's own
    pieces (rows and columns of [CLS] and [SEP] left out: they are the sinks, not neighbours)."""
    prev, nxt = [], []
    for tokens in sentences:
        inner = [p[..., 1:-1, 1:-1] for p in attention_patterns(model, tokens)]
        prev.append(stripes_per_unit(inner, -1, 0)[0])
        nxt.append(stripes_per_unit(inner, 1, 0)[0])
    return {"previous-token": torch.stack(prev).numpy(), "next-token": torch.stack(nxt).numpy()}


@torch.no_grad()
def grokking_head_scores(model: Model, tokens: Int[Tensor, "pairs 3"], p: int, keys: list[int]
                         ) -> dict[str, np.ndarray]:
    """Every head of a grokking model on every input `a b =` (exact: the whole input space): mean attention
    from `=` to a, to b and to itself ("to", [head, 3]); the attention to a as a p x p map over (a, b)
    ("map", [head, p, p]), and how periodic that map is (`periodicity`)."""
    pattern = attention_patterns(model, tokens)[0][:, :, -1, :]  # [pairs head key]: from "=" (the last token)
    maps = pattern[..., 0].T.reshape(-1, p, p).double()  # [head a b]: the weight on a; pairs are row-major (a, b)
    return {"to": pattern.mean(0).numpy(), "map": maps.numpy(), **periodicity(maps, keys)}


def periodicity(maps: Float[Tensor, "head p p"], keys: list[int]) -> dict[str, np.ndarray | float]:
    """Of each map's variance (its mean removed), in the 2-D Fourier basis:
    - "additive": the share in components constant in a or in b, i.e. how far the map is a sum f(a) + g(b);
    - "key_share": the share in components whose frequencies in a and in b are each constant or a key
      frequency ("chance": what an even spread along a and along b puts on them, 2 len(keys) of the p - 1
      non-constant components of each axis — the fair baseline for a map that is nearly additive);
    - "top", "top_share": the strongest frequency in a, and its share of the map's dependence on a;
    - "spectrum": that dependence on a by frequency ([head, (p-1)/2], sums to 1)."""
    p = maps.shape[-1]
    F = fourier_basis(p)
    power = (F @ maps.double() @ F.T) ** 2  # [head fa fb]
    power[:, 0, 0] = 0  # the mean
    rows = [0] + [i for k in keys for i in (2 * k - 1, 2 * k)]
    total = power.sum((1, 2))
    in_a = power[:, 1:, :].sum(2).reshape(len(maps), -1, 2).sum(2)  # [head freq]
    return {"additive": ((power[:, 0, :].sum(1) + power[:, 1:, 0].sum(1)) / total).numpy(),
            "key_share": (power[:, rows][:, :, rows].sum((1, 2)) / total).numpy(),
            "top": (in_a.argmax(1) + 1).numpy(), "top_share": (in_a.max(1).values / in_a.sum(1)).numpy(),
            "spectrum": (in_a / in_a.sum(1, keepdim=True)).numpy(), "chance": 2 * len(keys) / (p - 1)}
