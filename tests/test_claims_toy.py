"""Every verdict of the note on Toy Models of Superposition can fail: each statistic, computed with the analysis
function its figure uses (scripts/analysis/superposition.py), on models built so the claim is false, is not
"supported" by the declared rule — and is where the claim holds."""

from __future__ import annotations

import numpy as np
import torch
from claims_helpers import decide

from scripts.analysis.stats import exact
from scripts.analysis.superposition import (
    computed_features,
    dense_error,
    feature_dimensionality,
    features_per_neuron,
    phase_agreement,
    polytope_excess,
    represented,
    theory_phase,
)
from tests.test_toy_models import ring


def one(v: float):
    return exact(float(v), n=1, unit="training run")


def pca_like(n: int = 20, m: int = 5) -> torch.Tensor:
    W = torch.zeros(1, m, n)
    W[0, torch.arange(m), torch.arange(m)] = 1.0  # the m most important features, one dimension each
    return W


def superposed(n: int = 20, m: int = 5, k: int = 10) -> torch.Tensor:
    """k features at unit norm in m dimensions: pairs of antipodal features share each dimension."""
    W = torch.zeros(1, m, n)
    for i in range(k):
        W[0, i % m, i] = 1.0 if i < m else -1.0
    return W


def test_dense_like_pca_fails_when_the_model_superposes():
    assert decide("toy-sparsity.dense-like-pca", one(dense_error(pca_like(), kept=5))) == "supported"
    assert decide("toy-sparsity.dense-like-pca", one(dense_error(superposed(), kept=5))) == "contradicted"
    wrong = pca_like()[:, :, torch.arange(20).roll(3)]  # five features kept, but not the most important
    assert decide("toy-sparsity.dense-like-pca", one(dense_error(wrong, kept=5))) == "contradicted"


def test_superposition_counts_fail_on_the_other_geometry():
    assert decide("toy-sparsity.sparse-superposes", one(represented(superposed()))) == "supported"
    assert decide("toy-sparsity.sparse-superposes", one(represented(pca_like()))) != "supported"  # 5: on the line
    assert decide("toy-sparsity.sparse-superposes", one(represented(pca_like(m=3)))) == "contradicted"
    assert decide("toy-sparsity.linear-never-superposes", one(represented(pca_like()))) == "supported"
    assert decide("toy-sparsity.linear-never-superposes", one(represented(superposed(k=7)))) == "contradicted"


def test_phase_agreement_fails_when_trained_models_ignore_the_loss():
    rs, ps = [0.2, 1.0, 5.0], [1.0, 0.1, 0.01]
    predicted = torch.tensor([[theory_phase(r, p)[0] for p in ps] for r in rs], dtype=torch.float64)
    assert len(set(predicted.flatten().tolist())) == 3  # the grid crosses all three phases
    faithful = predicted.expand(5, -1, -1)
    always_first = torch.zeros(5, 3, 3, dtype=torch.float64)  # every model keeps feature 1, whatever the loss says
    for s in range(5):
        assert decide("toy-phase.phase-matches-theory", one(phase_agreement(faithful, predicted)[s])) == "supported"
        assert decide("toy-phase.phase-matches-theory", one(phase_agreement(always_first, predicted)[s])) == "contradicted"


def test_polytope_verdict_fails_without_spikes_at_the_polytope_values():
    rng = np.random.default_rng(0)
    spikes = torch.tensor(rng.choice([0.75, 2 / 3, 0.5, 0.4, 0.375], 400) + rng.normal(0, 0.005, 400))
    obs, expected, k = polytope_excess(spikes)
    assert decide("toy-geometry.features-form-polytopes", exact(obs - expected, n=k, unit="features")) == "supported"
    smooth = torch.tensor(rng.uniform(0.3, 0.9, 400))
    obs, expected, k = polytope_excess(smooth)
    assert decide("toy-geometry.features-form-polytopes", exact(obs - expected, n=k, unit="features")) == "contradicted"
    # and through the dimensionality function: random directions in 20 dimensions sit at no polytope value
    W = torch.randn(1, 20, 100, generator=torch.Generator().manual_seed(0))
    obs, expected, k = polytope_excess(feature_dimensionality(W).flatten())
    assert decide("toy-geometry.features-form-polytopes", exact(obs - expected, n=max(k, 1), unit="features")) != "supported"


def test_other_polytopes_fails_when_only_antipodal_pairs_sit_at_a_polytope_value():
    rng = np.random.default_rng(1)
    not_half = tuple(v for v in (0.75, 2 / 3, 0.5, 0.4, 0.375) if v != 0.5)
    pairs = torch.tensor(np.r_[np.full(300, 0.5), rng.uniform(0.3, 0.9, 100)] + rng.normal(0, 0.003, 400))
    obs, expected, k = polytope_excess(pairs, targets=not_half)
    assert decide("toy-geometry.other-polytopes", exact(obs - expected, n=k, unit="features")) == "contradicted"
    solids = torch.tensor(rng.choice([0.75, 2 / 3, 0.4, 0.375], 400) + rng.normal(0, 0.004, 400))
    obs, expected, k = polytope_excess(solids, targets=not_half)
    assert decide("toy-geometry.other-polytopes", exact(obs - expected, n=k, unit="features")) == "supported"


def monosemantic(n: int = 100, m: int = 40, k: int = 20) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """k features' |x| computed by a pair of neurons each (k <= m/2): no neuron serves two features."""
    W_in, W_out = torch.zeros(1, m, n), torch.zeros(1, n, m)
    for i in range(k):
        W_in[0, 2 * i, i], W_in[0, 2 * i + 1, i] = 1.0, -1.0
        W_out[0, i, 2 * i], W_out[0, i, 2 * i + 1] = 1.0, 1.0
    return W_in, W_out, torch.zeros(1, n)


def test_computation_verdicts_fail_without_sharing_neurons():
    mono, shared = monosemantic(), ring(40, n=100, m=40)  # 40 features over 40 neurons, each neuron serving two
    for rule in ("toy-computation.computes-in-superposition",):
        assert decide(rule, one(computed_features(*shared))) == "supported"
        assert decide(rule, one(computed_features(*mono))) != "supported"  # 20: exactly m/2 is not more
        assert decide(rule, one(computed_features(*monosemantic(k=12)))) == "contradicted"
    assert decide("toy-computation.dense-computes-without-superposition", one(computed_features(*mono))) == "supported"
    assert decide("toy-computation.dense-computes-without-superposition", one(computed_features(*shared))) == "contradicted"
    per = lambda W: features_per_neuron(*W)[0][features_per_neuron(*W)[0] > 0].mean()
    assert decide("toy-computation.neurons-serve-several", one(per(shared))) == "supported"
    assert decide("toy-computation.neurons-serve-several", one(per(mono))) == "contradicted"
