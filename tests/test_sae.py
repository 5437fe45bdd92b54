"""Our sparse autoencoder (scripts/sae/model.py) against a brute-force reference and a known answer: the loss
written out one example and one feature at a time; the decoder's unit norm kept; dead features revived; and a
planted sparse dictionary recovered from its mixtures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scripts.sae.model import SparseAutoencoder, resample_dead, sae_loss, train_sae


def test_loss_equals_a_per_example_reference():
    sae = SparseAutoencoder(5, 7, seed=1)
    with torch.no_grad():
        sae.b_enc.copy_(torch.linspace(-0.2, 0.2, 7))
        sae.b_dec.copy_(torch.linspace(0.1, -0.1, 5))
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    loss, mse, sparsity, f = sae_loss(sae, x, l1=0.3)
    W_enc, W_dec, b_enc, b_dec = (t.detach().double() for t in (sae.W_enc, sae.W_dec, sae.b_enc, sae.b_dec))
    total_mse = total_l1 = 0.0
    for e in range(4):
        feats = []
        for j in range(7):
            pre = sum((float(x[e, i]) - float(b_dec[i])) * float(W_enc[i, j]) for i in range(5)) + float(b_enc[j])
            feats.append(max(pre, 0.0))
        for i in range(5):
            rec = sum(feats[j] * float(W_dec[j, i]) for j in range(7)) + float(b_dec[i])
            total_mse += (rec - float(x[e, i])) ** 2
        total_l1 += 0.3 * sum(abs(v) for v in feats)
    mse, sparsity, loss = mse.detach(), sparsity.detach(), loss.detach()
    assert float(mse) == pytest.approx(total_mse / 4, rel=1e-5)
    assert float(sparsity) == pytest.approx(total_l1 / 4, rel=1e-5)
    assert float(loss) == pytest.approx((total_mse + total_l1) / 4, rel=1e-5)


def planted(n: int, d: int = 16, k: int = 32, active: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n mixtures of `active` of k unit atoms in d dimensions, magnitudes uniform on [0.5, 1.5]; and the atoms."""
    g = torch.Generator().manual_seed(seed)
    atoms = torch.randn(k, d, generator=g)
    atoms /= atoms.norm(dim=1, keepdim=True)
    codes = torch.zeros(n, k)
    idx = torch.rand(n, k, generator=g).argsort(1)[:, :active]
    codes.scatter_(1, idx, 0.5 + torch.rand(n, active, generator=g))
    return codes @ atoms, atoms


def test_training_recovers_a_planted_dictionary_and_keeps_unit_rows():
    x, atoms = planted(200_000)
    batch = 256
    sae, log = train_sae(lambda s: x[(s * batch) % len(x):(s * batch) % len(x) + batch], 16, 64, l1=1.0, steps=3000,
                         lr=1e-3, seed=0, resample_at=(1000, 2000))
    torch.testing.assert_close(sae.W_dec.norm(dim=1), torch.ones(64), rtol=0, atol=1e-5)
    best = (atoms @ sae.W_dec.detach().T).amax(1)  # each true atom's closest learned direction
    assert float((best > 0.9).float().mean()) >= 0.9, best
    assert 2.0 < log["l0"][-1] < 8.0  # about the planted 3 features per example
    # and a random direction set does not pass the same check
    rand = torch.randn(64, 16, generator=torch.Generator().manual_seed(9))
    assert float(((atoms @ (rand / rand.norm(dim=1, keepdim=True)).T).amax(1) > 0.9).float().mean()) < 0.2


def test_resampling_revives_dead_features_along_badly_reconstructed_inputs():
    sae = SparseAutoencoder(4, 6, seed=0)
    opt = torch.optim.Adam(sae.parameters())
    x = torch.zeros(10, 4)
    x[3] = torch.tensor([0.0, 0.0, 5.0, 0.0])  # the only input with any error to speak of
    dead = torch.tensor([True, False, False, False, False, True])
    before = sae.W_dec.detach().clone()
    assert resample_dead(sae, opt, dead, x, np.random.default_rng(0)) == 2
    after = sae.W_dec.detach()
    torch.testing.assert_close(after[1:5], before[1:5])  # living features untouched
    for j in (0, 5):
        torch.testing.assert_close(after[j], torch.tensor([0.0, 0.0, 1.0, 0.0]))
        assert float(sae.W_enc[2, j]) > 0 and float(sae.b_enc[j]) == 0.0


def test_top_positions_equal_a_full_sort_and_token_share_is_known_by_hand():
    from scripts.analysis.sae_units import mean_difference, top_positions, top_token_share

    g = torch.Generator().manual_seed(3)
    acts, W = torch.randn(1000, 6, generator=g), torch.randn(6, 9, generator=g)
    values, positions = top_positions(acts, lambda x: x @ W, k=25, chunk=128)  # chunked, against one full sort
    full_v, full_i = (acts @ W).T.topk(25, dim=1)
    torch.testing.assert_close(values, full_v)
    assert torch.equal(positions, full_i)
    tokens = torch.arange(1000) % 5
    tokens[:20] = 7
    vals = torch.ones(3, 20)
    pos = torch.stack([torch.arange(20), torch.arange(20, 40), torch.arange(20)])
    vals[2, 5:] = 0.0  # only 5 active: too few to judge
    share = top_token_share(vals, pos, tokens)
    assert float(share[0]) == 1.0 and float(share[1]) == pytest.approx(4 / 20) and torch.isnan(share[2])
    # the reviewer's variants: over all k positions (5 active of 20, all one token: 5/20), at least k active
    assert float(top_token_share(vals, pos, tokens, min_active=5, over_all_k=True)[2]) == pytest.approx(5 / 20)
    assert torch.isnan(top_token_share(vals, pos, tokens, min_active=20)[2])
    a, b = torch.tensor([0.9, 0.8, 1.0, float("nan")]), torch.tensor([0.1, 0.3, 0.2])
    est = mean_difference(a, b, unit="units")
    assert est.value == pytest.approx(0.7) and est.low <= 0.7 <= est.high and est.n == 6


def test_best_match_correlation_against_a_slow_reference_and_children_by_hand():
    import numpy as np

    from scripts.analysis.sae_units import best_match_correlation, children

    g = torch.Generator().manual_seed(4)
    a, b = torch.randn(300, 7, generator=g), torch.randn(300, 5, generator=g)
    b[:, 2] = 3 * a[:, 4] + 1  # a perfect (affine) match for unit 4
    a[:, 6] = 2.0  # never varies
    got = best_match_correlation(a, b, chunk=3)
    for i in range(6):
        ref = max(np.corrcoef(a[:, i].numpy(), b[:, j].numpy())[0, 1] for j in range(5))
        assert float(got[i]) == pytest.approx(ref, abs=1e-9)
    assert float(got[4]) == pytest.approx(1.0) and torch.isnan(got[6])
    cos = torch.tensor([[0.9, 0.6, 0.1], [0.2, 0.3, 0.95], [0.1, 0.1, 0.1]])
    assert children(cos).tolist() == [2, 1, 0]


# -- what the feature browser shows (scripts/analysis/sae_browser.py) -------------------------------------------

def _random_sae(d_in: int = 6, d_sae: int = 9) -> SparseAutoencoder:
    sae = SparseAutoencoder(d_in, d_sae, seed=3)
    with torch.no_grad():
        sae.b_enc.copy_(torch.linspace(-0.5, 0.1, d_sae))  # some features fire rarely, one perhaps never
    return sae


def test_feature_profiles_equal_a_dense_reference():
    """Counts, top-k and histograms computed in chunks (two passes) equal those of the whole activation matrix:
    numpy's histogram over [0, max] of each feature's nonzero activations, and a full sort."""
    from scripts.analysis.sae_browser import feature_profiles

    sae = _random_sae()
    x = torch.randn(300, 6, generator=torch.Generator().manual_seed(1))
    prof = feature_profiles(sae, x, k=5, bins=4, chunk=37)
    with torch.no_grad():
        f = sae.encode(x).numpy()
    for j in range(f.shape[1]):
        col = f[:, j]
        assert prof["count"][j] == (col > 0).sum()
        order = np.argsort(-col, kind="stable")[:5]
        assert np.allclose(prof["top_values"][j].numpy(), col[order])
        if (col > 0).any():
            ref, _ = np.histogram(col[col > 0], bins=4, range=(0, col.max()))
            assert prof["hist"][j].tolist() == ref.tolist(), j
        else:
            assert prof["hist"][j].sum() == 0


def test_contexts_come_from_different_windows_and_match_the_encoder():
    from scripts.analysis.sae_browser import context_activations, spread_positions

    # windows of 10: positions 3 and 7 share window 0, 12 is window 1; a zero activation is never shown
    picked = spread_positions(torch.tensor([3, 7, 12, 25]), torch.tensor([5.0, 4.0, 3.0, 0.0]), window=10, n=3)
    assert picked == [3, 12]
    sae = _random_sae()
    acts = torch.randn(4, 10, 6, generator=torch.Generator().manual_seed(2))
    span, f = context_activations(sae, feature=2, acts=acts, window=1, pos=1, before=3, after=2)
    assert span == range(0, 4)  # clipped at the window's start
    with torch.no_grad():
        assert torch.allclose(f, sae.encode(acts[1, 0:4])[:, 2])


def test_direct_logit_effects_follow_the_decoder_row_through_layernorm_and_unembedding():
    """By hand for one feature: W_dec row -> W_out -> centred over d_model, times the LayerNorm's weight -> W_U
    centred over the vocabulary; a constant added to every logit changes nothing."""
    from scripts.analysis.sae_browser import direct_logit_effects

    g = torch.Generator().manual_seed(4)
    sae = _random_sae()
    W_out, W_U, w = torch.randn(6, 5, generator=g), torch.randn(5, 7, generator=g), torch.rand(5, generator=g) + 0.5
    got = direct_logit_effects(sae, W_out, W_U, w)
    with torch.no_grad():
        u = sae.W_dec[3] @ W_out
    u = (u - u.mean()) * w
    ref = u @ W_U
    assert torch.allclose(got[3], ref - ref.mean(), atol=1e-5)
    assert torch.allclose(direct_logit_effects(sae, W_out, W_U + 2.0, w), got, atol=1e-5)  # a shift softmax ignores


def test_family_correlations_against_numpy():
    from scripts.analysis.sae_units import family_correlations

    g = np.random.default_rng(5)
    members = torch.tensor(g.random((200, 4)))
    parents = torch.stack([members[:, 0] + members[:, 1] + 0.1 * torch.tensor(g.random(200)),
                           torch.tensor(g.random(200))], 1)
    covered, best = family_correlations(parents, members, [[0, 1], [2, 3]])
    ref_cov = np.corrcoef(parents[:, 0], members[:, 0] + members[:, 1])[0, 1]
    ref_best = max(np.corrcoef(parents[:, 1], members[:, j])[0, 1] for j in (2, 3))
    assert float(covered[0]) == pytest.approx(ref_cov) and float(best[1]) == pytest.approx(ref_best)
    assert float(covered[0]) > 0.95 > float(best[0])  # the sum tracks the parent better than either member
