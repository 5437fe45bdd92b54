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
    abs_fit,
    abs_response,
    computed_features,
    dims_per_feature,
    expected_loss,
    feature_dimensionality,
    features_per_neuron,
    one_sided_fit,
    phase_of,
    polytope_excess,
    represented,
    superposition_share,
    theory_phase,
)
from scripts.toy.model import abs_features, abs_loss, toy_features, toy_loss, train_abs_models, train_toy_models


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


# -- computation in superposition: the absolute-value model ------------------------------------------------------


def ring(k: int = 3, n: int | None = None, m: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """k features over k neurons (of n features and m neurons, default k each), each neuron shared by two features:
    neuron j is +x_j and -x_{j+1}, and output i adds neurons i and i-1, so every feature alone gets exactly |x_i|
    (more than m/2 features, by sharing)."""
    n, m = n or k, m or k
    W_in, W_out = torch.zeros(1, m, n), torch.zeros(1, n, m)
    for j in range(k):
        W_in[0, j, j], W_in[0, j, (j + 1) % k] = 1.0, -1.0
        W_out[0, j, j], W_out[0, (j + 1) % k, j] = 1.0, 1.0
    return W_in, W_out, torch.zeros(1, n)


def test_abs_loss_equals_a_per_example_reference():
    g = torch.Generator().manual_seed(0)
    W_in, W_out, b = torch.randn(2, 3, 4, generator=g), torch.randn(2, 4, 3, generator=g), torch.randn(2, 4, generator=g)
    x = abs_features(np.random.default_rng(1), torch.full((2, 1, 1), 0.6), 5, 4)
    imp = torch.rand(2, 1, 4, generator=g)
    got = abs_loss(W_in, W_out, b, x, imp)
    for k in range(2):
        total = 0.0
        for e in range(5):
            h = [max(sum(float(W_in[k, j, i] * x[k, e, i]) for i in range(4)), 0.0) for j in range(3)]
            for i in range(4):
                out = max(sum(float(W_out[k, i, j]) * h[j] for j in range(3)) + float(b[k, i]), 0.0)
                total += float(imp[k, 0, i]) * (abs(float(x[k, e, i])) - out) ** 2
        assert float(got[k]) == pytest.approx(total / 5, rel=1e-5)


def test_abs_features_are_sparse_and_signed_uniform():
    x = abs_features(np.random.default_rng(0), torch.tensor([1.0, 0.1])[:, None, None], 20000, 10)
    assert (x[0] != 0).float().mean() == pytest.approx(1.0, abs=1e-3)
    assert (x[1] != 0).float().mean() == pytest.approx(0.1, abs=0.005)
    active = x[1][x[1] != 0]
    assert active.mean() == pytest.approx(0.0, abs=0.02) and active.abs().mean() == pytest.approx(0.5, abs=0.01)
    assert active.min() >= -1 and active.max() < 1


def test_batched_abs_training_equals_training_each_model_alone():
    probs, steps, n, m = torch.tensor([1.0, 0.05]), 40, 6, 3
    rng = np.random.default_rng(7)
    batches = [abs_features(rng, probs[:, None, None], 16, n) for _ in range(steps)]
    imp = (0.9 ** torch.arange(n).float()).expand(2, -1)
    together = train_abs_models(probs, n_features=n, d_hidden=m, importance=imp, steps=steps, batch=16,
                                data=lambda s: batches[s])
    for k in range(2):
        alone = train_abs_models(probs[k:k + 1], n_features=n, d_hidden=m, importance=imp[k:k + 1], steps=steps,
                                 batch=16, seeds=torch.tensor([k]), data=lambda s, k=k: batches[s][k:k + 1])
        for a, b in zip(together[:3], alone[:3]):
            torch.testing.assert_close(a[k], b[0], rtol=1e-5, atol=1e-6)


def test_training_learns_abs_of_a_dense_feature():
    """One feature, four neurons, eight initialisations: most runs compute |x| (R² near 1). Some end with every
    neuron on one sign (R² 0.2, a ReLU's best fit to |x|) or dead (-3): initialisation decides, as in the sweep."""
    W_in, W_out, b, _ = train_abs_models(torch.ones(8), n_features=1, d_hidden=4, importance=torch.ones(8, 1),
                                         steps=2000, batch=64, lr=1e-2, seed=0)
    fit = abs_fit(W_in, W_out, b)[:, 0]
    assert int((fit > 0.95).sum()) >= 6, fit


def test_abs_response_is_the_model_run_on_a_lone_feature():
    g = torch.Generator().manual_seed(2)
    W_in, W_out, b = torch.randn(1, 3, 4, generator=g), torch.randn(1, 4, 3, generator=g), torch.randn(1, 4, generator=g)
    t = torch.tensor([-0.7, 0.0, 0.4])
    got = abs_response(W_in, W_out, b, t)
    for i in range(4):
        for q, v in enumerate(t):
            x = torch.zeros(4)
            x[i] = v
            out = (W_out[0] @ (W_in[0] @ x).relu() + b[0]).relu()
            assert float(got[0, i, q]) == pytest.approx(float(out[i]), abs=1e-6)


def test_abs_fit_and_counts_on_models_known_by_hand():
    pair_in, pair_out = torch.zeros(1, 2, 2), torch.zeros(1, 2, 2)  # feature 0: a neuron per sign; feature 1: none
    pair_in[0, 0, 0], pair_in[0, 1, 0], pair_out[0, 0, 0], pair_out[0, 0, 1] = 1.0, -1.0, 1.0, 1.0
    fit = abs_fit(pair_in, pair_out, torch.zeros(1, 2))[0]
    assert float(fit[0]) == pytest.approx(1.0) and float(fit[1]) == pytest.approx(-3.0, abs=0.05)  # 0 for all t
    one_sign_in, one_sign_out = pair_in.clone(), pair_out.clone()
    one_sign_in[0, 1, 0] = 0.0  # only the positive side: at best R² 0.5, whatever the bias
    for bias in (0.0, 0.25, 0.5):
        assert float(abs_fit(one_sign_in, one_sign_out, torch.full((1, 2), bias))[0, 0]) < 0.5
    assert computed_features(pair_in, pair_out, torch.zeros(1, 2)).tolist() == [1.0]
    W_in, W_out, b = ring(3)
    torch.testing.assert_close(abs_fit(W_in, W_out, b), torch.ones(1, 3))
    assert computed_features(W_in, W_out, b).tolist() == [3.0]  # 3 features with 3 neurons: more than m/2
    assert features_per_neuron(W_in, W_out, b).tolist() == [[2.0, 2.0, 2.0]]
    assert features_per_neuron(pair_in, pair_out, torch.zeros(1, 2)).tolist() == [[1.0, 1.0]]
    # one sign: neuron 0 answers x_0 > 0 and x_1 < 0, each output reads it; neither feature's |x| is computed
    half_in, half_out = torch.tensor([[[1.0, -1.0], [0.0, 0.0]]]), torch.tensor([[[1.0, 0.0], [1.0, 0.0]]])
    torch.testing.assert_close(one_sided_fit(half_in, half_out, torch.zeros(1, 2)), torch.ones(1, 2))
    assert computed_features(half_in, half_out, torch.zeros(1, 2)).tolist() == [0.0]
    assert features_per_neuron(half_in, half_out, torch.zeros(1, 2)).tolist() == [[0.0, 0.0]]
    assert features_per_neuron(half_in, half_out, torch.zeros(1, 2), one_sided=True).tolist() == [[2.0, 0.0]]
    assert float(one_sided_fit(pair_in, pair_out, torch.zeros(1, 2))[0, 0]) < 0.5  # |x| is not half of |x|
