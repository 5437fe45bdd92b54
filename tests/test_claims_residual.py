"""Every verdict of the residual-stream and geometry figures can fail: each declared rule (read from
figures/residual-stream.yml and figures/geometry.yml) is fed the statistic its figure computes — with the same
analysis function — on data where the claim is false, and must not say "supported"; where cheap, also on data
where it is true. Plus the new analysis functions against known answers. Small constructed inputs, seconds.
"""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest
import torch
from model_fixtures import random_folded_pair

from scripts.analysis.basis import (
    coordinate_kurtosis,
    float32_threshold,
    invariance_bound,
    kurtosis_null,
    largest_outlier_z,
    median_change,
)
from scripts.analysis.composition import composition_score, composition_scores_and_null
from scripts.analysis.geometry import random_unit_vectors
from scripts.analysis.linalg import (
    head_overlaps,
    strongest_cell,
    subspace_overlap,
    subspace_overlap_null,
    virtual_weight_scores,
)
from scripts.analysis.orthogonality import (
    cosine_std_ratios,
    jl_estimate,
    jl_ratio,
    max_abs_cosine_gram,
    resample_weights,
    worst_std_error,
)
from scripts.analysis.residual import forward, rotate, weights_of
from scripts.analysis.rotations import (
    haar_orthogonal,
    random_orthogonal,
    random_orthogonal_fixing_ones,
    random_orthogonal_stack,
)
from scripts.zoo.model import ModelConfig, build_model
from tests.claims_helpers import decide

G = lambda seed=0: torch.Generator().manual_seed(seed)
D = 32


@pytest.fixture(scope="module")
def folded():
    """An untrained 2-layer model of the zoo's architecture (small), LayerNorm gains perturbed, then folded."""
    return random_folded_pair(D)[1]


def _changes(w, tokens, rotations, **kw):
    with torch.no_grad():
        base = forward(w, tokens, stream_fn=kw.get("stream_fn"))
        return torch.stack([(forward(rotate(w, r), tokens, **kw) - base).abs() for r in rotations])


# -- rotation invariance -------------------------------------------------------------------------------------

def test_threshold_is_derived_from_the_models_magnitudes(folded):
    w = weights_of(folded)
    tokens = torch.randint(0, 50, (4, 24), generator=G())
    T, S = float32_threshold(w, tokens)
    assert T == pytest.approx(2 * (2 + 2) * D * 2 ** -24 * S)
    scaled = dataclasses.replace(w, W_U=10 * w.W_U, b_U=10 * w.b_U)
    assert float32_threshold(scaled, tokens)[0] == pytest.approx(10 * T, rel=1e-5)  # logits 10x larger, T too


def test_invariance_bound_on_a_power_of_ten_grid():
    est = invariance_bound(torch.full((1, 2, 3, 4), 3e-5), 1e-3)
    assert (est.value, est.low, est.high, est.n) == (0.1, 0.0, 0.1, 24)
    # float noise of tens of percent does not move the published bound
    assert invariance_bound(torch.full((1, 2, 3, 4), 4e-5), 1e-3).value == 0.1


def test_rotation_claims_supported_where_nothing_reads_coordinates(folded):
    w = weights_of(folded)
    tokens = torch.randint(0, 50, (4, 24), generator=G(1))
    T, _ = float32_threshold(w, tokens)
    fix = [random_orthogonal_fixing_ones(D, G(s)) for s in (2, 3)]
    generic = [random_orthogonal(D, G(s)) for s in (4, 5)]
    assert decide("rotation-invariance.rotation-invariant", invariance_bound(_changes(w, tokens, fix), T)) == "supported"
    assert decide("rotation-invariance.invariant-without-centring",
                  invariance_bound(_changes(w, tokens, generic, center=False), T)) == "supported"
    assert decide("rotation-invariance.centring-sees-generic-rotation",
                  median_change(_changes(w, tokens, generic), T)) == "supported"
    gelu = torch.nn.functional.gelu
    assert decide("rotation-invariance.elementwise-breaks-it",
                  median_change(_changes(w, tokens, fix, stream_fn=gelu), T)) == "supported"


def test_rotation_claims_fail_where_the_basis_is_seen(folded):
    w = weights_of(folded)
    tokens = torch.randint(0, 50, (4, 24), generator=G(1))
    T, _ = float32_threshold(w, tokens)
    fix = [random_orthogonal_fixing_ones(D, G(s)) for s in (2, 3)]
    gelu = torch.nn.functional.gelu
    # a GELU on the stream sees the basis: "rotation-invariant" must not be supported
    assert decide("rotation-invariance.rotation-invariant",
                  invariance_bound(_changes(w, tokens, fix, stream_fn=gelu), T)) != "supported"
    # writes that are not mean-zero: dropping the centring is no longer legal
    shifted = dataclasses.replace(w, b_O=w.b_O + 0.5)
    generic = [random_orthogonal(D, G(s)) for s in (4, 5)]
    assert decide("rotation-invariance.invariant-without-centring",
                  invariance_bound(_changes(shifted, tokens, generic, center=False), T)) != "supported"
    # a rotation that fixes all-ones is invisible to centring: no break to find
    assert decide("rotation-invariance.centring-sees-generic-rotation", median_change(_changes(w, tokens, fix), T)) != "supported"
    # an elementwise map that commutes with rotations (a scaling, undone by LayerNorm) breaks nothing
    assert decide("rotation-invariance.elementwise-breaks-it",
                  median_change(_changes(w, tokens, fix, stream_fn=lambda x: 2 * x), T)) != "supported"


# -- privileged basis ----------------------------------------------------------------------------------------

def _heavy_coordinate(seed=0, n=4000, d=32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    x[:, 5] = (rng.random(n) < 0.02) * rng.standard_normal(n) / math.sqrt(0.02)  # rare, large: an outlier dimension
    return x


def test_kurtosis_null_against_direct_rotation():
    x = _heavy_coordinate()
    standard, rotated = kurtosis_null(x, 3, np.random.default_rng(1), chunk=2)
    assert np.allclose(standard, coordinate_kurtosis(x))
    R = haar_orthogonal(np.random.default_rng(1).standard_normal((32, 32)))
    assert np.allclose(rotated[0], coordinate_kurtosis(x @ R), rtol=1e-4)
    assert abs(coordinate_kurtosis(np.random.default_rng(2).standard_normal((200_000, 2)))[0] - 3) < 0.05


def test_outlier_verdicts_flip_when_the_basis_is_rotated():
    x = _heavy_coordinate()
    rng = np.random.default_rng(0)
    points = {"after L0": kurtosis_null(x, 40, rng), "embed": kurtosis_null(np.random.default_rng(3).standard_normal((4000, 32)), 40, rng)}
    best, z = largest_outlier_z(points)
    assert best == "after L0"
    assert decide("privileged-basis.adamw-outlier-2l", z) == "supported"
    assert decide("privileged-basis.sgd-control", z) == "contradicted"  # an outlier is what the SGD claim denies
    # the same activations in a randomly rotated basis: no coordinate is special any more
    rotated = x @ haar_orthogonal(np.random.default_rng(9).standard_normal((32, 32)))
    _, z_rot = largest_outlier_z({"after L0": kurtosis_null(rotated, 40, rng)})
    for verdict in ("privileged-basis.adamw-outlier-2l", "privileged-basis.adamw-outlier-1l"):
        assert decide(verdict, z_rot) != "supported"
    assert decide("privileged-basis.sgd-control", z_rot) != "contradicted"


# -- virtual weights and head subspaces ----------------------------------------------------------------------

def test_composition_null_matches_direct_scores():
    A, B = torch.randn(8, 24, generator=G()), torch.randn(3, 24, 8, generator=G(1))
    R = random_orthogonal_stack(5, 24, G(2))
    obs, null = composition_scores_and_null(A, B, R)
    assert obs[1].item() == pytest.approx(composition_score(A, B[1]), rel=1e-5)
    assert null[3, 2].item() == pytest.approx(composition_score(A @ R[3].float(), B[2]), rel=1e-4)
    F = random_orthogonal_stack(4, 24, G(3), fix_ones=True)
    assert torch.allclose(F @ F.transpose(-1, -2), torch.eye(24, dtype=torch.float64).expand(4, 24, 24), atol=1e-10)
    assert torch.allclose(torch.ones(24, dtype=torch.float64) @ F, torch.ones(4, 24, dtype=torch.float64), atol=1e-10)


def test_subspace_null_has_the_known_mean():
    null = subspace_overlap_null(64, 8, 8, draws=400, generator=G())
    assert null.mean().item() == pytest.approx(8 / 64, rel=0.05)
    e = torch.eye(64, dtype=torch.float64)
    assert subspace_overlap(e[:, :8], e[:, :8]) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def random_zoo_model():
    """A randomly initialised model of the zoo's own shape (d_model 128, 4 heads of 32), folded."""
    model = build_model(ModelConfig(n_layers=2, d_model=128, n_heads=4, d_head=32, n_ctx=16, d_vocab=64), seed=11)
    model.process_weights()
    return model


def test_random_model_has_chance_virtual_weights_and_a_built_pair_does_not(random_zoo_model):
    m = random_zoo_model
    R = random_orthogonal_stack(100, 128, G(1), fix_ones=True)
    scores, null, writers, readers = virtual_weight_scores(m, R)
    heads = [(i, j) for i, w in enumerate(writers) for j, r in enumerate(readers)
             if w.startswith("L") and r.startswith("L") and not np.isnan(scores[i, j])]
    pos = [(writers.index("W_pos"), j) for j, r in enumerate(readers) if r.startswith("L0")]
    assert len(heads) == 48 and len(pos) == 12
    assert decide("virtual-weights.specific-head-pair", strongest_cell(scores, null, heads)[1]) != "supported"
    assert decide("virtual-weights.positions-feed-layer0", strongest_cell(scores, null, pos)[1]) != "supported"
    # make L1H2's key read exactly what L0H1 writes (K-composition by construction)
    scores2, null2, _, _ = virtual_weight_scores(_patched(m, 1, 2, "k", m.W_O[0, 1].detach().T), R)
    (i, j), z = strongest_cell(scores2, null2, heads)
    assert (writers[i], readers[j]) == ("L0H1 out", "L1H2 K")
    assert decide("virtual-weights.specific-head-pair", z) == "supported"


def _patched(model, layer: int, head: int, kind: str, W: torch.Tensor):
    """A copy of the model whose L{layer}H{head} `kind` ("q" | "k") weight is W [d_model d_head]."""
    m = copy.deepcopy(model)
    dh = m.cfg.d_head
    with torch.no_grad():
        getattr(m.original_model.layers[layer].attn, kind).weight[head * dh:(head + 1) * dh] = W.T
    assert torch.equal(getattr(m, f"W_{kind.upper()}")[layer, head], W)
    return m


def test_random_model_has_chance_subspace_overlap_and_a_shared_subspace_does_not(random_zoo_model):
    m = random_zoo_model
    null = subspace_overlap_null(127, 32, 32, draws=300, generator=G(2)).numpy()
    overlap, _, _ = head_overlaps(m)
    assert decide("head-subspaces.overlap-above-chance",
                  strongest_cell(overlap, null, list(np.ndindex(overlap.shape)))[1]) != "supported"
    # L1H3 queries read exactly L0H2's write subspace
    shared, _, reads = head_overlaps(_patched(m, 1, 3, "q", m.W_O[0, 2].detach().T))
    (i, j), z = strongest_cell(shared, null, list(np.ndindex(shared.shape)))
    assert (i, reads[j]) == (2, "L1H3 Q") and decide("head-subspaces.overlap-above-chance", z) == "supported"


# -- geometry ------------------------------------------------------------------------------------------------

def test_cosine_std_ratios_against_a_pair_list():
    v = np.random.default_rng(0).standard_normal((30, 8))
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    i, j = np.triu_indices(30, 1)
    point, boot = cosine_std_ratios(v, np.ones((2, 30)))
    assert point == pytest.approx((u @ u.T)[i, j].std() * math.sqrt(8)) and boot[0] == pytest.approx(point)
    w = resample_weights(30, 1, seed=4)[0]  # a resample with repeats: pairs of distinct draws of distinct vectors
    idx = np.repeat(np.arange(30), w.astype(int))
    a, b = np.triu_indices(len(idx), 1)
    keep = idx[a] != idx[b]
    c = (u[idx] @ u[idx].T)[a, b][keep]
    assert cosine_std_ratios(v, w[None])[1][0] == pytest.approx(c.std() * math.sqrt(8))


def test_near_orthogonality_holds_for_random_vectors_and_fails_for_correlated_ones():
    rng = np.random.default_rng(0)
    good = {d: random_unit_vectors(200, d, rng) for d in (16, 64)}
    assert decide("near-orthogonal.spread-is-inverse-sqrt-d", worst_std_error(good, resamples=300)[0]) == "supported"
    shared = {d: random_unit_vectors(200, d, rng) + 0.4 * np.ones(d) / math.sqrt(d) for d in (16, 64)}  # a common direction
    assert decide("near-orthogonal.spread-is-inverse-sqrt-d", worst_std_error(shared, resamples=300)[0]) != "supported"


def test_interference_below_estimate_for_random_directions_not_for_clustered_ones():
    rng = np.random.default_rng(0)
    n, d = 512, 64
    draws = [np.array([max_abs_cosine_gram(random_unit_vectors(n, d, rng)) for _ in range(4)])]
    assert decide("interference-budget.worst-below-estimate", jl_ratio(draws, np.array([jl_estimate(n, d)]))) == "supported"
    centres = random_unit_vectors(8, d, rng)  # directions clustered around 8 centres: some pairs nearly parallel
    clustered = [np.array([max_abs_cosine_gram(centres[rng.integers(0, 8, n)] + 0.05 * rng.standard_normal((n, d)))
                           for _ in range(4)])]
    assert decide("interference-budget.worst-below-estimate", jl_ratio(clustered, np.array([jl_estimate(n, d)]))) != "supported"
    v = rng.standard_normal((5, 3))
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    assert max_abs_cosine_gram(v) == pytest.approx(np.abs(u @ u.T - np.eye(5)).max(), rel=1e-6)
