"""Every verdict of the superposition and MiniLM notes can fail: each statistic, computed with the analysis
function its figure script uses, on data where the claim is false, is not "supported" by the declared rule
(and, where cheap, is "supported" where the claim is true). Plus known answers for the analysis functions
behind them (scripts/analysis/superposition.py, crowding.py, privileged.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from claims_helpers import decide

from scripts.analysis.basis import coordinate_kurtosis
from scripts.analysis.crowding import cosine_spread, crowding_ratio, resampled_spreads
from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.analysis.privileged import (
    commutation_estimate,
    commutator_errors,
    float32_commutator_bound,
    float_count_estimate,
    kurtosis_resampled,
    outlier_estimate,
    weighted_median_resampled,
)
from scripts.analysis.rotations import random_orthogonal, random_orthogonal_fixing_ones
from scripts.analysis.stats import exact
from scripts.analysis.superposition import dense_error, pentagon_error
from scripts.toy.model import train_toy_models


def G(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# -- toy model of superposition ------------------------------------------------------------------------------

def polygon(n: int = 5, radius: float = 1.0, turn: float = 0.3) -> torch.Tensor:
    a = turn + 2 * torch.pi * torch.arange(n) / n
    return radius * torch.stack([torch.cos(a), torch.sin(a)])  # [2 n]


def test_geometry_errors_known_answers():
    ideal_dense = torch.zeros(1, 2, 5)
    ideal_dense[0, 0, 0] = ideal_dense[0, 1, 1] = 1.0
    assert dense_error(ideal_dense).item() == pytest.approx(0, abs=1e-6)
    assert dense_error(ideal_dense.flip(1)).item() == pytest.approx(0, abs=1e-6)  # a reflection is the same answer
    shuffled = polygon(radius=0.8)[:, [3, 0, 4, 1, 2]]  # order and radius do not matter
    assert pentagon_error(shuffled[None]).item() == pytest.approx(0, abs=1e-6)
    assert dense_error(polygon()[None]).item() > 1  # a pentagon is not the dense answer
    assert pentagon_error(ideal_dense).item() > 0.9  # three features dropped: corners missing
    off = polygon()
    a = 0.3 + 2 * torch.pi / 5 + torch.deg2rad(torch.tensor(5.0))
    off[:, 1] = torch.stack([torch.cos(a), torch.sin(a)])  # one corner 5° off its place
    assert pentagon_error(off[None]).item() == pytest.approx(0.07, abs=0.02)
    dropped = polygon().clone()
    dropped[:, 2] = 0.01  # one feature dropped
    assert pentagon_error(dropped[None]).item() > 0.7


def test_toy_verdicts_fail_on_the_wrong_sparsity():
    """Dense-trained models are no pentagon, sparse-trained ones not the dense answer: each seed's exact value,
    decided by the declared rule (the figure decides the mean over seeds the same way)."""
    probs = torch.tensor([1.0] * 4 + [0.01] * 4)
    W, _, _ = train_toy_models(probs, steps=400, seed=3)
    dense, sparse = W[:4], W[4:]
    for v in pentagon_error(dense):
        assert decide("toy-superposition.sparse-pentagon", exact(float(v), n=1, unit="training run")) != "supported"
    for v in dense_error(sparse):
        assert decide("toy-superposition.dense-orthogonal-pair", exact(float(v), n=1, unit="training run")) != "supported"


def test_toy_verdicts_supported_near_the_answers():
    noise = lambda k: 0.01 * torch.randn(8, 2, 5, generator=G(k))
    dense = torch.zeros(8, 2, 5)
    dense[:, 0, 0] = dense[:, 1, 1] = 1.0
    for v in dense_error(dense + noise(0)):
        assert decide("toy-superposition.dense-orthogonal-pair", exact(float(v), n=1, unit="training run")) == "supported"
    pent = polygon()[None].repeat(8, 1, 1)
    for v in pentagon_error(pent + noise(1)):
        assert decide("toy-superposition.sparse-pentagon", exact(float(v), n=1, unit="training run")) == "supported"


# -- crowding of embeddings ----------------------------------------------------------------------------------

def test_cosine_spread_and_resamples_match_a_slow_reference():
    v = np.random.default_rng(0).standard_normal((40, 6))
    assert cosine_spread(v) == pytest.approx(pairwise_cosines(v).std(), rel=1e-5)
    rng = np.random.default_rng(1)
    fast = resampled_spreads(v, 3, rng)
    rng = np.random.default_rng(1)
    w = rng.multinomial(40, np.full(40, 1 / 40), size=3)
    for k in range(3):
        rows = np.repeat(np.arange(40), w[k])
        u = v[rows] / np.linalg.norm(v[rows], axis=1, keepdims=True)
        c = u @ u.T
        i, j = np.triu_indices(len(rows), k=1)
        keep = rows[i] != rows[j]  # a token paired with its own copy is not a pair
        assert fast[k] == pytest.approx(c[i, j][keep].std(), rel=1e-4)
    # random unit vectors: spread 1/sqrt(d)
    assert cosine_spread(random_unit_vectors(2000, 64, np.random.default_rng(2))) == pytest.approx(1 / 8, rel=0.02)


def test_random_unit_vectors_are_not_crowded():
    v = random_unit_vectors(400, 32, np.random.default_rng(5))
    est, _ = crowding_ratio(v, null_draws=50, resamples=300, seed=1)
    assert est.low < 1 < est.high
    for verdict in ("embedding-crowding.wider-than-random", "minilm-crowding.wider-than-random"):
        assert decide(verdict, est) != "supported"


def test_a_randomly_initialised_model_has_uncrowded_embeddings():
    from scripts.zoo.model import ModelConfig, build_model

    W_E = build_model(ModelConfig(n_layers=0), seed=0).W_E.detach().numpy()[2:]
    est, _ = crowding_ratio(W_E, null_draws=50, resamples=300, seed=0)
    assert decide("embedding-crowding.wider-than-random", est) != "supported"


def test_clustered_directions_are_crowded():
    rng = np.random.default_rng(6)
    centres = random_unit_vectors(40, 32, rng)
    v = centres[rng.integers(0, 40, 400)] + 0.15 * rng.standard_normal((400, 32))  # 40 families of similar tokens
    est, _ = crowding_ratio(v, null_draws=50, resamples=300, seed=1)
    assert decide("embedding-crowding.wider-than-random", est) == "supported"


# -- privileged basis (MiniLM) -------------------------------------------------------------------------------

def stream_with_outlier(n_sent: int = 60, per: int = 10, d: int = 24, seed: int = 0):
    """Gaussian coordinates, except coordinate 5: rare large values (an outlier dimension)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_sent * per, d))
    x[:, 5] = rng.standard_normal(n_sent * per) * np.where(rng.random(n_sent * per) < 0.03, 8.0, 0.5)
    return torch.from_numpy(x).float(), np.repeat(np.arange(n_sent), per)


def test_kurtosis_resampled_matches_kurtosis():
    x, sentence = stream_with_outlier()
    once = np.ones((1, sentence.max() + 1), dtype=int)
    assert np.allclose(kurtosis_resampled(x.numpy(), sentence, once)[0], coordinate_kurtosis(x.double().numpy()), rtol=1e-4)
    twice = once.copy()
    twice[0, :30] = 2  # sentences 0-29 drawn twice, 30-59 once
    rows = np.concatenate([np.arange(300), np.arange(600)])
    assert np.allclose(kurtosis_resampled(x.numpy(), sentence, twice)[0], coordinate_kurtosis(x[rows].double().numpy()), rtol=1e-4)


def test_outlier_dimension_verdict_flips_under_a_random_rotation():
    x, sentence = stream_with_outlier()
    est, points = outlier_estimate([x, x], sentence, rotations=5, resamples=200)
    assert points[0]["top"] == 5
    assert decide("minilm-basis.outlier-dimension", est) == "supported"
    rotated = x @ random_orthogonal(x.shape[1], G(9))  # the same data in a basis the data cannot know
    est, _ = outlier_estimate([rotated, x], sentence, rotations=5, resamples=200)
    assert decide("minilm-basis.outlier-dimension", est) != "supported"


def test_weighted_median_resampled_matches_repetition():
    rng = np.random.default_rng(3)
    values, sentence = rng.random(50), np.repeat(np.arange(10), 5)
    counts = rng.multinomial(10, np.full(10, 0.1), size=4)
    for k in range(4):
        rep = np.repeat(values, counts[k][sentence])
        assert weighted_median_resampled(values, sentence, counts[k:k + 1])[0] == np.sort(rep)[(len(rep) - 1) // 2]


# -- post-LayerNorm and rotations (MiniLM) ------------------------------------------------------------------

def ln_inputs(d: int = 64, n_sent: int = 20, per: int = 8):
    x = 3 * torch.randn(n_sent * per, d, generator=G(4)) + 1.0
    return x, np.repeat(np.arange(n_sent), per)


def test_bare_layer_norm_commutes_only_with_rotations_fixing_ones():
    d = 64
    x, _ = ln_inputs(d)
    t = float32_commutator_bound(d)
    fix = np.array([[commutator_errors(x, random_orthogonal_fixing_ones(d, G(k)), None, None, 1e-12).median().item()]
                    for k in range(4)])
    gen = np.array([[commutator_errors(x, random_orthogonal(d, G(k)), None, None, 1e-12).median().item()]
                    for k in range(4)])
    assert decide("minilm-post-ln.bare-ln-commutes", float_count_estimate(fix, t)) == "supported"
    assert decide("minilm-post-ln.bare-ln-commutes", float_count_estimate(gen, t)) == "contradicted"


def test_learned_layer_norm_verdict_needs_a_non_uniform_gain():
    d = 64
    x, sentence = ln_inputs(d)
    rots = [random_orthogonal_fixing_ones(d, G(k)) for k in range(3)]

    def errors(gamma, beta):
        return np.stack([commutator_errors(x, R, gamma, beta, 1e-12).numpy()[None] for R in rots])  # [K 1 tokens]

    uniform, _ = commutation_estimate(errors(torch.full((d,), 1.7), torch.zeros(d)), sentence, resamples=200)
    assert decide("minilm-post-ln.learned-ln-blocks-rotation", uniform) != "supported"  # a uniform gain folds away
    gamma = 1 + 0.3 * torch.randn(d, generator=G(5))
    varied, _ = commutation_estimate(errors(gamma, 0.1 * torch.randn(d, generator=G(6))), sentence, resamples=200)
    assert decide("minilm-post-ln.learned-ln-blocks-rotation", varied) == "supported"
