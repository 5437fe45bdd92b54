"""Known answers for scripts/analysis/over_training.py, and can-fail tests for the verdicts of
causal-over-training (figures/causal.yml) on synthetic snapshot series where the claim is true or false.

The verdicts' statistic is `rise_fraction` of the score a path carries, across the snapshot interval found by
`crossing`: a path whose necessity arrives in one jump at the phase change passes; one whose necessity grows
steadily over training, or was already there before the phase change, must not.
"""

from __future__ import annotations

import numpy as np
import pytest
from claims_helpers import decide

from scripts.analysis.over_training import carried, crossing, rise_fraction
from scripts.analysis.stats import bootstrap_statistic

RNG = lambda seed=0: np.random.default_rng(seed)
STEPS = 11
VERDICTS = ("causal-over-training.keys-with-phase-change", "causal-over-training.prev-key-with-phase-change")


def test_known_answers():
    assert np.allclose(carried([0.9, 0.5], [0.1, 0.5]), [0.8, 0.0])
    assert rise_fraction(np.array([0.8, 0.8]), np.array([0.2, 0.2]), np.array([1.0, 1.0])) == pytest.approx(0.6)
    assert crossing([0.0, 0.1, 0.3, 0.5, 0.9], 0.4) == 3
    assert crossing([0.5, 0.1, 0.45], 0.4) == 2  # the first snapshot never counts: there is no interval before it
    with pytest.raises(ValueError):
        crossing([0.0, 0.1, 0.2], 0.4)


def _series(levels, n=128, noise=0.05, seed=0):
    """Per snapshot, `n` per-sequence values around each level (one array per snapshot)."""
    rng = RNG(seed)
    return [level + noise * rng.standard_normal(n) for level in levels]


def _estimate(best, carried_series):
    i = crossing(best, 0.4)
    return bootstrap_statistic(rise_fraction, carried_series[i], carried_series[i - 1], carried_series[-1],
                               unit="sequences")


@pytest.mark.parametrize("verdict", VERDICTS)
def test_a_path_that_arrives_with_the_phase_change_passes(verdict):
    best = [0.0, 0.01, 0.02, 0.05, 0.1, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9]
    path = _series([0.0, 0.0, 0.0, 0.02, 0.05, 0.7, 0.75, 0.8, 0.8, 0.85, 0.85])
    assert decide(verdict, _estimate(best, path)) == "supported"


@pytest.mark.parametrize("verdict", VERDICTS)
def test_a_path_that_grows_steadily_fails(verdict):
    best = [0.0, 0.01, 0.02, 0.05, 0.1, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9]
    path = _series(np.linspace(0, 0.8, STEPS))  # the same rise in every interval
    assert decide(verdict, _estimate(best, path)) != "supported"


@pytest.mark.parametrize("verdict", VERDICTS)
def test_a_path_necessary_before_the_phase_change_fails(verdict):
    best = [0.0, 0.01, 0.02, 0.05, 0.1, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9]
    path = _series([0.0, 0.3, 0.5, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7])
    assert decide(verdict, _estimate(best, path)) != "supported"
