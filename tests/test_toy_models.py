"""The toy models of superposition: the batched trainer against slow references (one example, one model at a time),
and the analysis functions against answers known by construction (scripts/toy/model.py,
scripts/analysis/superposition.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from scripts.analysis.superposition import (
    PHASES,
    dims_per_feature,
    expected_loss,
    feature_dimensionality,
    phase_of,
    polytope_excess,
    represented,
    superposition_share,
    theory_phase,
)
from scripts.toy.model import toy_features, toy_loss, train_toy_models


def polygon(n: int, radius: float = 1.0) -> torch.Tensor:
    a = 2 * math.pi * torch.arange(n) / n + 0.3
    return radius * torch.stack([torch.cos(a), torch.sin(a)])  # [2 n]


def test_batched_loss_equals_a_per_example_reference():
    """`toy_loss` against the model written out one example and one feature at a time."""
    g = torch.Generator().manual_seed(0)
    W, b = torch.randn(3, 2, 4, generator=g), torch.randn(3, 4, generator=g) * 0.1
    x = toy_features(np.random.default_rng(1), torch.full((3, 1, 1), 0.5), 6, 4)
    imp = torch.rand(3, 1, 4, generator=g)
    relu = torch.tensor([True, False, True])[:, None, None]
    got = toy_loss(W, b, x, imp, relu)
    for k in range(3):
        total = 0.0
        for e in range(6):
            h = [sum(float(W[k, j, i] * x[k, e, i]) for i in range(4)) for j in range(2)]
            for i in range(4):
                pre = sum(float(W[k, j, i]) * h[j] for j in range(2)) + float(b[k, i])
                out = max(pre, 0.0) if relu[k, 0, 0] else pre
                total += float(imp[k, 0, i]) * (float(x[k, e, i]) - out) ** 2
        assert float(got[k]) == pytest.approx(total / 6, rel=1e-5)


def test_features_are_sparse_uniform_with_the_asked_probability():
    x = toy_features(np.random.default_rng(0), torch.tensor([1.0, 0.1])[:, None, None], 20000, 10)
    assert (x[0] > 0).float().mean() == pytest.approx(1.0, abs=1e-3)
    assert (x[1] > 0).float().mean() == pytest.approx(0.1, abs=0.005)
    active = x[1][x[1] > 0]
    assert active.mean() == pytest.approx(0.5, abs=0.01) and active.max() < 1  # uniform on [0, 1)


def test_batched_training_equals_training_each_model_alone():
    """The instances share nothing: trained together, each ends where it ends trained alone on its data."""
    probs, steps = torch.tensor([1.0, 0.1, 0.02]), 60
    rng = np.random.default_rng(5)
    batches = [toy_features(rng, probs[:, None, None], 32, 5) for _ in range(steps)]
    relu = torch.tensor([True, True, False])
    together, _, _ = train_toy_models(probs, steps=steps, batch=32, relu=relu, data=lambda s: batches[s])
    for k in range(3):
        alone, _, _ = train_toy_models(probs[k:k + 1], steps=steps, batch=32, relu=relu[k:k + 1],
                                       seeds=torch.tensor([k]), data=lambda s, k=k: batches[s][k:k + 1])
        torch.testing.assert_close(together[k], alone[0], rtol=1e-5, atol=1e-6)


def test_dimensionality_of_known_geometries():
    pent, pair = polygon(5), torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])  # antipodal pair + a feature alone
    dims = feature_dimensionality(torch.stack([pent, torch.cat([pair, torch.zeros(2, 2)], 1)]))
    torch.testing.assert_close(dims[0], torch.full((5,), 0.4))
    torch.testing.assert_close(dims[1], torch.tensor([0.5, 0.5, 1.0, 0.0, 0.0]))
    torch.testing.assert_close(dims_per_feature(pent[None]), torch.tensor([0.4]))
    assert represented(torch.stack([pent, polygon(5, 0.3)])).tolist() == [5.0, 0.0]
    share = superposition_share(torch.cat([pair, torch.zeros(2, 2)], 1)[None])[0]
    torch.testing.assert_close(share, torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0]))


def test_polytope_excess_sees_spikes_not_a_smooth_spread():
    rng = np.random.default_rng(0)
    spikes = torch.tensor(rng.choice([0.75, 2 / 3, 0.5, 0.4, 0.375], 500) + rng.normal(0, 0.004, 500))
    obs, exp, k = polytope_excess(spikes)
    assert k == 500 and obs > 0.95 and obs - exp > 0.3
    smooth = torch.tensor(rng.uniform(0.3, 0.9, 2000))
    obs, exp, _ = polytope_excess(smooth)
    assert abs(obs - exp) < 0.03  # no spikes: as many as a smooth spread puts there
    assert polytope_excess(torch.tensor([0.0, 1.0]))[2] == 0  # dropped and alone: not in superposition


def test_expected_loss_and_predicted_phases_against_answers_known_by_hand():
    r, p = 0.5, 0.3
    # feature 1 alone, feature 2 guessed by its mean: the loss is r times feature 2's variance
    assert expected_loss((1.0, 0.0, 0.0, p / 2), r, p) == pytest.approx(r * (p / 3 - p * p / 4), abs=1e-5)
    assert PHASES[theory_phase(0.2, 1.0)[0]] == "feature 1 only"  # dense: keep the more important one
    assert PHASES[theory_phase(5.0, 1.0)[0]] == "feature 2 only"
    assert PHASES[theory_phase(1.0, 0.01)[0]] == "superposition"  # sparse and equally important: both
    W = torch.tensor([[[1.0, -1.0]], [[1.0, 0.1]], [[0.0, 0.9]], [[0.1, 0.1]]])
    assert [PHASES[int(v)] for v in phase_of(W)] == ["superposition", "feature 1 only", "feature 2 only", "neither"]
