"""Path patching over training: how much of an induction head's score a path carries at each snapshot, and how
much of that arrives in one interval of training.

Context: the causal note removes layer-0 heads from the induction head's inputs in the trained model. Over
training the induction score itself starts near zero, so a *fraction kept* means nothing early on; what a path
carries is measured instead in absolute terms, per sequence: the clean induction score minus the score with
the path removed (`carried`). `rise_fraction` is the statistic of the over-training verdicts: the rise of a
carried score across one snapshot interval as a fraction of its value in the final model (1 = all of it
arrives in that interval; paired over the same sequences, so it bootstraps with `stats.bootstrap_statistic`).
`crossing` finds the interval in which the best induction score first reaches a threshold, as the zoo note's
phase-change figure does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from jaxtyping import Float


def carried(clean: Float[np.ndarray, " units"], patched: Float[np.ndarray, " units"]) -> Float[np.ndarray, " units"]:
    """Per unit, the score a path carries: clean minus patched (0 = the path does not matter)."""
    return np.asarray(clean, dtype=np.float64) - np.asarray(patched, dtype=np.float64)


def rise_fraction(after: Float[np.ndarray, " units"], before: Float[np.ndarray, " units"],
                  final: Float[np.ndarray, " units"]) -> float:
    """(mean after − mean before) / mean final: the share of the final value that arrives between two snapshots."""
    return float((np.mean(after) - np.mean(before)) / np.mean(final))


def crossing(best_scores: Sequence[float], threshold: float) -> int:
    """The index of the first snapshot (after the first) whose best induction score reaches `threshold`; the
    interval is then (index − 1, index). Raises if there is none."""
    for i in range(1, len(best_scores)):
        if best_scores[i] >= threshold:
            return i
    raise ValueError(f"the best induction score never reaches {threshold} after the first snapshot")
