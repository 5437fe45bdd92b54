"""The head atlas: every head of a model at a glance — where it attends, and the scores the notes use to name
heads (issue: a card wherever a head is named).

- `head_scores`: per unit (a held-out window, or a repeated random sequence `[BOS] r r`) and head, the mean
  attention on the previous token (windows), on the token after the earlier copy (induction) and on the earlier
  copy itself (duplicate-token), so that `stats` can bootstrap over units.
- `thumbnail`: a head's pattern on one sequence, in tenths of attention, as a string of digits (a card draws it).
- `composition_partners`: for every layer-1 head of a two-layer model, the layer-0 head that composes with it
  most through its queries, keys and values (`composition.composition_scores`).
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.composition import composition_scores
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
    seq_len = (rep.shape[1] - 1) // 2
    on_rep = attention_patterns(model, rep)
    return {"previous-token": stripes_per_unit(attention_patterns(model, text), *PREV).numpy(),
            "induction": stripes_per_unit(on_rep, *induction_stripe(seq_len)).numpy(),
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
