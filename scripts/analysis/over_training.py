"""Path patching over training: how much of an induction head's score a path carries at each snapshot, and how
much of that arrives in one interval of training.

Context: the causal note removes layer-0 heads from the induction head's inputs in the trained model. Over
training the induction score itself starts near zero, so a *fraction kept* means nothing early on; what a path
carries is measured instead in absolute terms, per sequence: the clean induction score minus the score with
the path removed (`carried`). `rise_fraction` is the statistic of the over-training verdicts: the rise of a
carried score across one snapshot interval as a fraction of its value in the final model (1 = all of it
arrives in that interval; paired over the same sequences, so it bootstraps with `stats.bootstrap_statistic`).
`measure_snapshot` measures one snapshot (figure `causal-over-training`); `crossing` finds the interval in which the best induction score first reaches a threshold, as the zoo note's
phase-change figure does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis import causal
from scripts.analysis.model import Model
from scripts.analysis.patching import Path, reference_z

CURVES = {"all_k": "all L0 heads out of K", "prev_k": "prev. head out of K", "all_q": "all L0 heads out of Q"}


def carried(clean: Float[np.ndarray, " units"] | Sequence[float], patched: Float[np.ndarray, " units"] | Sequence[float]
            ) -> Float[np.ndarray, " units"]:
    """Per unit, the score a path carries: clean minus patched (0 = the path does not matter)."""
    return np.asarray(clean, dtype=np.float64) - np.asarray(patched, dtype=np.float64)


def rise_fraction(after: Float[np.ndarray, " units"] | Sequence[float], before: Float[np.ndarray, " units"] | Sequence[float],
                  final: Float[np.ndarray, " units"] | Sequence[float]) -> float:
    """(mean after − mean before) / mean final: the share of the final value that arrives between two snapshots."""
    return float((np.mean(after) - np.mean(before)) / np.mean(final))


def crossing(best_scores: Sequence[float], threshold: float) -> int:
    """The index of the first snapshot (after the first) whose best induction score reaches `threshold`; the
    interval is then (index − 1, index). Raises if there is none."""
    for i in range(1, len(best_scores)):
        if best_scores[i] >= threshold:
            return i
    raise ValueError(f"the best induction score never reaches {threshold} after the first snapshot")


def measure_snapshot(model: Model, rep: Int[Tensor, "batch pos"], ref_rep: Int[Tensor, "batch pos"], ind: int,
                     prev: int) -> dict[str, np.ndarray]:
    """Per sequence at one snapshot: every layer-1 head's clean induction score (`ind` [seq, head]), the induction
    head's score carried by each group of paths (`CURVES`), and the repeat gain carried by the previous-token
    head's value path (`prev_v`)."""
    H = model.cfg.n_heads
    ref = reference_z(model, ref_rep, [0])
    clean = causal.measure(model, rep)
    groups = {"all_k": causal.complement([], ind, H, ("k",)), "prev_k": [Path((0, prev), (1, ind, "k"))],
              "all_q": causal.complement([], ind, H, ("q",))}
    out = {"ind": clean["ind"], **{g: carried(clean["ind"][:, ind], causal.measure(model, rep, p, reference=ref,
                                                                                   loss=False)["ind"][:, ind])
                                   for g, p in groups.items()}}
    v = causal.measure(model, rep, [Path((0, prev), (1, ind, "v"))], reference=ref)
    out["prev_v"] = carried(causal.gain(clean), causal.gain(v))
    out["gain"] = causal.gain(clean)
    return out
