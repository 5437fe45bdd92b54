"""Known answers for the channel analysis (scripts/analysis/channel.py): the probe's bits on streams where the
mutual information is known (the token itself: H(token); its parity: 1 bit; noise: 0), the participation
ratio of isotropic clouds, the bootstrap's shortcut against a direct computation, and the ablation and
component arithmetic against forward passes."""

from __future__ import annotations

import math

import pytest
import torch
from model_fixtures import random_folded_pair

from scripts.analysis import channel

G = lambda seed=0: torch.Generator().manual_seed(seed)


def _bits(x_tr, y_tr, x_ev, y_ev, k):
    probe = channel.fit_probe(x_tr, y_tr, k, iterations=50)
    return channel.entropy_bits(y_ev, k) - probe.bits(x_ev, y_ev).mean().item()


def _labels(n, k, seed):
    p = torch.tensor([2.0 ** -(i % 4) for i in range(k)])  # not uniform: H(token) below log2 k
    return torch.multinomial(p / p.sum(), n, replacement=True, generator=G(seed))


@pytest.mark.parametrize("k", [8, 32])
def test_a_stream_that_holds_the_token_gives_its_entropy(k):
    y_tr, y_ev = _labels(6000, k, 0), _labels(3000, k, 1)
    emb = torch.randn(k, 24, generator=G(2))  # the token's vector, in a 24-dim stream with noise
    x = lambda y, s: emb[y] + 0.05 * torch.randn(len(y), 24, generator=G(s))
    H = channel.entropy_bits(y_ev, k)
    assert H < math.log2(k) - 0.1
    assert _bits(x(y_tr, 3), y_tr, x(y_ev, 4), y_ev, k) == pytest.approx(H, abs=0.03)


def test_noise_gives_no_bits():
    k = 16
    y_tr, y_ev = _labels(6000, k, 0), _labels(3000, k, 1)
    b = _bits(torch.randn(6000, 24, generator=G(5)), y_tr, torch.randn(3000, 24, generator=G(6)), y_ev, k)
    # a bound can come out below zero: the probe fits noise in training, about (d k) / (2 N ln 2) = 0.05 bits here
    assert -0.08 < b < 0.01


def test_parity_gives_one_bit():
    k = 8
    y_tr, y_ev = torch.randint(0, k, (6000,), generator=G(0)), torch.randint(0, k, (3000,), generator=G(1))
    x = lambda y, s: torch.cat([(y % 2).float()[:, None] * 4, torch.randn(len(y), 7, generator=G(s))], 1)
    assert _bits(x(y_tr, 2), y_tr, x(y_ev, 3), y_ev, k) == pytest.approx(1.0, abs=0.03)


def test_class_map_keeps_the_commonest_tokens():
    tokens = torch.tensor([[5, 5, 5, 2, 2, 7, 1, 1, 1, 1]])
    cmap = channel.class_map(tokens, 3, 10)
    assert cmap[1] == 0 and cmap[5] == 1 and all(cmap[t] == 2 for t in (0, 2, 3, 7, 9))
    assert channel.entropy_bits(torch.tensor([0, 1, 2, 3]), 4) == pytest.approx(2.0)


def test_participation_ratio_of_isotropic_clouds():
    for k in (1, 10, 40):
        x = torch.zeros(20000, 64)
        x[:, :k] = torch.randn(20000, k, generator=G(k))
        assert channel.participation_ratio(x) == pytest.approx(k, rel=0.03)
    x = torch.randn(20000, 64, generator=G(0)) * torch.tensor([10.0] * 9 + [0.1] * 55)
    assert channel.dims_for_variance(x, 0.9) == 9


def test_pr_ratio_shortcut_matches_the_direct_ratio():
    a = torch.randn(12, 20, 6, generator=G(0))
    b = a * torch.tensor([1.0, 1, 1, 3, 3, 0.2])
    est = channel.pr_ratio(a, b, unit="windows")
    flat = lambda x: x[:, channel.FIRST_POS:].reshape(-1, 6)
    ratio = channel.participation_ratio(flat(b)) / channel.participation_ratio(flat(a))
    assert est.value == pytest.approx(ratio, rel=1e-9)
    assert est.low <= est.value <= est.high and est.n == 12


@pytest.fixture(scope="module")
def folded():
    _, model = random_folded_pair()
    tokens = torch.randint(0, 50, (6, 24), generator=G(9))
    return model, tokens


def test_last_layer_ablation_arithmetic_matches_a_forward_pass(folded):
    model, tokens = folded
    heads = [(layer, h) for layer in range(2) for h in range(2)]
    means = channel.mean_z(model, torch.randint(0, 50, (5, 24), generator=G(10)), [0, 1])
    clean = channel.stream_points(model, tokens, keep_z=True)
    fast = channel.ablated_final(model, tokens, heads, means, clean=clean)
    slow = channel.ablated_final(model, tokens, heads, means, chunk=7)  # every head by a forward pass, odd chunks
    assert torch.allclose(fast, slow, atol=1e-4)
    assert not torch.allclose(slow[0], clean["L1"], atol=1e-3)  # the ablation does something
    one = channel.stream_points(model, tokens, ablate=[(0, 1)], mean_z=means)["L1"]  # unbatched, one head
    assert torch.allclose(slow[1], one, atol=1e-5)


def test_components_add_up_to_each_layer(folded):
    model, tokens = folded
    s = channel.stream_points(model, tokens, keep_z=True)
    comps = dict(channel.cumulative_components(model, s))
    assert torch.allclose(comps["L0H1"], s["L0"], atol=1e-5) and torch.allclose(comps["L1H1"], s["L1"], atol=1e-5)
    assert list(comps) == ["embed", "L0H0", "L0H1", "L1H0", "L1H1"]
