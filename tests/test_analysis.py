"""Analysis functions against known answers and slow references (no trained model needed)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from model_fixtures import random_folded_pair

from scripts.analysis.basis import coordinate_kurtosis
from scripts.analysis.circuits import bigram_log_probs, eigenvalue_positivity
from scripts.analysis.composition import composition_score, composition_scores
from scripts.analysis.geometry import max_abs_cosine, pairwise_cosines, random_unit_vectors
from scripts.analysis.induction import icl_score, stripe_score
from scripts.analysis.linalg import effective_rank, subspace_overlap
from scripts.analysis.residual import forward, rotate, weights_of
from scripts.analysis.rotations import random_orthogonal, random_orthogonal_fixing_ones
from scripts.analysis.superposition import feature_norms, interference, represented_angles
from scripts.toy.model import train_toy_models

G = lambda seed=0: torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def random_folded_model():
    """An untrained 2-layer zoo-architecture model with its LayerNorms folded (gains and biases made non-trivial)."""
    return random_folded_pair()


def test_forward_from_weights_matches_transformerlens(random_folded_model):
    model, folded = random_folded_model
    tokens = torch.randint(0, 50, (3, 24), generator=G())
    with torch.no_grad():
        ours = forward(weights_of(folded), tokens)
        assert (ours - folded(tokens)).abs().max() < 1e-4
        assert (ours.log_softmax(-1) - model(tokens).log_softmax(-1)).abs().max() < 1e-4


def test_rotation_invariance_and_what_breaks_it(random_folded_model):
    _, folded = random_folded_model
    w = weights_of(folded)
    tokens = torch.randint(0, 50, (3, 24), generator=G(1))
    with torch.no_grad():
        base = forward(w, tokens)
        fix = random_orthogonal_fixing_ones(32, G(2))
        generic = random_orthogonal(32, G(3))
        assert (forward(rotate(w, fix), tokens) - base).abs().max() < 1e-4
        assert (forward(rotate(w, generic), tokens, center=False) - base).abs().max() < 1e-4
        assert (forward(rotate(w, generic), tokens) - base).abs().max() > 1e-2
        gelu = torch.nn.functional.gelu
        assert (forward(rotate(w, fix), tokens, stream_fn=gelu) - forward(w, tokens, stream_fn=gelu)).abs().max() > 1e-2


def test_random_orthogonal_matrices():
    r = random_orthogonal(16, G())
    f = random_orthogonal_fixing_ones(16, G(1))
    assert torch.allclose(r @ r.T, torch.eye(16), atol=1e-5) and torch.allclose(f @ f.T, torch.eye(16), atol=1e-5)
    assert torch.allclose(torch.ones(16) @ f, torch.ones(16), atol=1e-5)
    assert not torch.allclose(f, torch.eye(16), atol=0.1)


def test_kurtosis_known_values():
    x = torch.randn(200_000, 3, generator=G())
    u = torch.rand(200_000, 1, generator=G(1))
    k = coordinate_kurtosis(torch.cat([x, u], 1).double().numpy())
    assert np.allclose(k[:3], 3.0, atol=0.1)  # Gaussian
    assert abs(k[3] - 1.8) < 0.05  # uniform: 9/5


def test_composition_score_of_known_matrices():
    e = torch.eye(6)
    assert composition_score(e[:1], e[:, :1]) == pytest.approx(1.0)  # writes exactly where it is read
    assert composition_score(e[:1], e[:, 1:2]) == pytest.approx(0.0)  # orthogonal
    assert composition_score(e[:4], e[:, :4]) == pytest.approx(0.5)  # ‖I_4‖ / (‖I_4‖‖I_4‖) = 1/2


def test_effective_rank_and_subspace_overlap():
    assert effective_rank(torch.diag(torch.tensor([1.0, 1.0, 0.0, 0.0]))) == pytest.approx(2.0)
    assert effective_rank(torch.eye(5)) == pytest.approx(5.0)
    a = torch.randn(20, 4, generator=G())
    assert subspace_overlap(a, a @ torch.randn(4, 4, generator=G(1))) == pytest.approx(1.0, abs=1e-5)
    e = torch.eye(20)
    assert subspace_overlap(e[:, :4], e[:, 4:8]) == pytest.approx(0.0, abs=1e-6)
    rand = np.mean([subspace_overlap(torch.randn(64, 8, generator=G(s)), torch.randn(64, 8, generator=G(s + 100)))
                    for s in range(30)])
    assert rand == pytest.approx(8 / 64, rel=0.15)


def test_pairwise_cosines_against_a_loop():
    v = np.random.default_rng(0).standard_normal((7, 5))
    slow = [float(v[i] @ v[j] / np.linalg.norm(v[i]) / np.linalg.norm(v[j])) for i, j in itertools.combinations(range(7), 2)]
    assert np.allclose(pairwise_cosines(v), slow)
    u = random_unit_vectors(50, 3, np.random.default_rng(1))
    assert np.allclose(np.linalg.norm(u, axis=1), 1) and 0 < max_abs_cosine(u) <= 1


def test_stripe_and_icl_scores_on_constructed_inputs():
    n = 6
    prev = torch.zeros(1, 1, n, n)
    prev[0, 0, 0, 0] = 1
    for i in range(1, n):
        prev[0, 0, i, i - 1] = 1  # a perfect previous-token head
    assert stripe_score([prev], offset=-1).item() == pytest.approx(1.0)
    assert stripe_score([prev], offset=0).item() == pytest.approx(0.0)
    loss = torch.cat([torch.full((2, 60), 3.0), torch.full((2, 67), 1.0)], 1)
    assert icl_score(loss) == pytest.approx(-2.0)


def test_toy_model_dense_keeps_two_orthogonal_sparse_makes_a_pentagon():
    probs = torch.tensor([1.0] * 3 + [0.01] * 3)
    W, _, loss = train_toy_models(probs, steps=6000, seed=1)
    dense, sparse = W[int(loss[:3].argmin())], W[3 + int(loss[3:].argmin())]
    assert (feature_norms(dense[None]) > 0.5).sum() == 2
    assert represented_angles(dense) == pytest.approx([90, 270], abs=5) or represented_angles(dense) == pytest.approx([270, 90], abs=5)
    assert (feature_norms(sparse[None]) > 0.5).sum() == 5
    assert represented_angles(sparse) == pytest.approx([72] * 5, abs=5)
    assert interference(dense[None])[0, :2].max() < 0.05  # orthogonal features do not interfere


# -- circuits (notes, part 3) -------------------------------------------------------------------------------


def test_eigenvalue_positivity_against_dense_eigenvalues():
    A = torch.randn(40, 6, generator=G())
    B = torch.randn(6, 40, generator=G(1))
    ev = torch.linalg.eigvals((A @ B).double())  # the slow 40 x 40 reference
    assert eigenvalue_positivity(A, B) == pytest.approx((ev.real.sum() / ev.abs().sum()).item(), abs=1e-6)
    U = torch.randn(40, 6, generator=G(2))
    assert eigenvalue_positivity(U, torch.linalg.pinv(U)) == pytest.approx(1.0)  # a projection copies
    assert eigenvalue_positivity(U, -torch.linalg.pinv(U)) == pytest.approx(-1.0)


def test_composition_scores_match_transformerlens(random_folded_model):
    _, folded = random_folded_model
    for mode in "QKV":
        tl = folded.all_composition_scores(mode)
        tl = torch.as_tensor(getattr(tl, "scores", tl))[0, :, 1, :]
        assert torch.allclose(composition_scores(folded, mode), tl, atol=1e-5)


def test_bigram_log_probs_of_a_constructed_stream():
    stream = np.array([0, 1, 0, 1, 0, 2, 0, 1])  # after 0: 1 three times, 2 once
    logp, counts = bigram_log_probs(stream, d_vocab=3, alpha=0.0 + 1e-12)
    assert counts[0] == 4
    assert np.exp(logp[0, 1]) == pytest.approx(0.75) and np.exp(logp[0, 2]) == pytest.approx(0.25)


def test_path_terms_reconstruct_the_model_exactly(random_folded_model):
    from scripts.analysis.paths import frozen_loss, path_terms, term_importance

    _, folded = random_folded_model
    w = weights_of(folded)
    tokens = torch.randint(0, 50, (4, 24), generator=G(5))
    with torch.no_grad():
        terms, scale = path_terms(w, tokens)
        assert len(terms) == 1 + 2 + 2 + 2 * 2  # direct, L0 heads, L1 heads, virtual heads
        stream = sum(terms.values())
        logits = (stream - stream.mean(-1, keepdim=True)) / scale @ w.W_U + w.b_U
        assert (logits - forward(w, tokens)).abs().max() < 1e-4
        ti = term_importance(w, tokens)
        assert ti["by_order"][2] == pytest.approx(ti["full"]) == pytest.approx(frozen_loss(w, stream, scale, tokens))


def hand_built_induction_model():
    """A 2-layer attention-only model with an induction circuit set by hand (no LayerNorm, one head a layer).

    Residual layout (d_model 32): token one-hot [0, 8) | position one-hot [8, 24) | "previous token" slot [24, 32).
    L0H0 attends from position i to i-1 (QK on positions) and copies the token there into the slot (OV).
    L1H0 attends from token t to positions whose slot holds t (K-composition with L0H0) and copies the token.
    """
    from tests.model_fixtures import one_hot_attn_only

    V, N, D, c = 8, 16, 32, 12.0
    model, raw = one_hot_attn_only(V, N, D, n_heads=1, d_head=16)
    with torch.no_grad():
        a0, a1 = raw.layers[0].attn, raw.layers[1].attn
        for p in range(N):  # query at position p matches key at position p - 1
            a0.q.weight[p, V + p] = c
            if p + 1 < N:
                a0.k.weight[p + 1, V + p] = c
        a0.v.weight[:V, :V] = torch.eye(V)
        a0.o.weight[V + N:, :V] = torch.eye(V)  # write the attended token into the slot
        a1.q.weight[:V, :V] = c * torch.eye(V)  # query: current token
        a1.k.weight[:V, V + N:] = c * torch.eye(V)  # key: the slot (token before the source)
        a1.v.weight[:V, :V] = torch.eye(V)
        a1.o.weight[:V, :V] = 10 * torch.eye(V)  # a confident copy: logit 10 for the predicted token
        raw.head.weight[:, :V] = torch.eye(V)
    return model.eval()


def test_scores_on_a_hand_built_induction_head():
    from scripts.analysis.induction import induction_scores, previous_token_scores, repeat_halves_loss

    model = hand_built_induction_model()
    perms = torch.stack([torch.randperm(7, generator=G(s))[:7] + 1 for s in range(16)])  # distinct tokens 1..7
    tokens = torch.cat([torch.zeros(16, 1, dtype=torch.long), perms, perms], 1)  # [BOS] r r, length 15
    ind, prev = induction_scores(model, tokens), previous_token_scores(model, tokens)
    assert prev[0, 0] > 0.95 and ind[1, 0] > 0.95
    assert ind[0, 0] < 0.1 and prev[1, 0] < 0.2
    first, second = repeat_halves_loss(model, tokens)
    assert second < 0.2 * first  # it predicts the repeat
    comp = composition_scores(model, "K")[0, 0].item()
    assert comp > composition_scores(model, "Q")[0, 0].item() and comp > composition_scores(model, "V")[0, 0].item()


def test_skip_trigram_count_against_a_loop():
    from scripts.analysis.circuits import skip_trigram_count

    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 5, 400)
    for a, b, c in [(0, 1, 2), (3, 3, 4), (1, 0, 0)]:
        slow = sum(1 for i in range(len(tokens) - 1) if tokens[i] == b and tokens[i + 1] == c
                   and a in tokens[max(0, i - 7):i])
        assert skip_trigram_count(tokens, a, b, c, window=7) == slow
