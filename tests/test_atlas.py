"""The head atlas's scores (scripts/analysis/atlas.py) against a slow reference: each stripe read off the
attention patterns one query at a time."""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.atlas import composition_partners, head_scores, thumbnail
from scripts.analysis.composition import composition_scores
from scripts.analysis.induction import attention_patterns, repeated_random_tokens
from tests.model_fixtures import random_folded_pair


def _slow(pattern, pairs):
    """Mean over (query, key) pairs of the pattern, per head: [head]."""
    return np.mean([pattern[:, q, k].numpy() for q, k in pairs], axis=0)


def test_scores_equal_a_query_by_query_reference():
    _, model = random_folded_pair()
    L = 7
    text = torch.randint(2, 50, (3, 12), generator=torch.Generator().manual_seed(0))
    rep = repeated_random_tokens(4, L, 50, bos=0, seed=1)
    got = head_scores(model, text, rep)
    pt, pr = attention_patterns(model, text), attention_patterns(model, rep)
    for layer in range(2):
        for u in range(3):
            ref = _slow(pt[layer][u], [(q, q - 1) for q in range(2, 12)])  # BOS row skipped
            assert np.allclose(got["previous-token"][u, layer], ref, atol=1e-6)
        for u in range(4):
            second = range(L + 1, 2 * L + 1)  # the second copy
            ind = _slow(pr[layer][u], [(q, q - L + 1) for q in second])
            dup = _slow(pr[layer][u], [(q, q - L) for q in second])
            assert np.allclose(got["induction"][u, layer], ind, atol=1e-6)
            assert np.allclose(got["duplicate-token"][u, layer], dup, atol=1e-6)
            assert rep[u, L + 1] == rep[u, 1]  # the duplicate stripe reads the same token


def test_thumbnail_and_partners():
    assert thumbnail(torch.tensor([[1.0, 0.0], [0.25, 0.75]])) == "9027"
    _, model = random_folded_pair()
    partners = composition_partners(model)
    for mode in ("Q", "K", "V"):
        scores = composition_scores(model, mode)
        for h1, (h0, s) in enumerate(partners[mode]):
            assert s == float(scores[:, h1].max()) and h0 == int(scores[:, h1].argmax())


def test_sentence_scores_equal_a_query_by_query_reference():
    """Previous- and next-token scores of an encoder, [CLS] and [SEP] (first and last) left out."""
    from scripts.analysis.atlas import sentence_scores

    _, model = random_folded_pair()
    sentences = [torch.randint(2, 50, (1, n), generator=torch.Generator().manual_seed(n)) for n in (6, 9)]
    got = sentence_scores(model, sentences)
    for u, tokens in enumerate(sentences):
        n = tokens.shape[1]
        for layer, pattern in enumerate(attention_patterns(model, tokens)):
            prev = _slow(pattern[0], [(q, q - 1) for q in range(2, n - 1)])
            nxt = _slow(pattern[0], [(q, q + 1) for q in range(1, n - 2)])
            assert np.allclose(got["previous-token"][u, layer], prev, atol=1e-6)
            assert np.allclose(got["next-token"][u, layer], nxt, atol=1e-6)


def test_periodicity_of_known_maps():
    """Known answers: a wave in a plus a wave in b is additive, all on its frequencies; a product of waves
    has no additive part; noise spreads evenly."""
    from scripts.analysis.atlas import periodicity

    p = 13
    a = torch.arange(p, dtype=torch.float64)[:, None]
    b = torch.arange(p, dtype=torch.float64)[None, :]
    wave = lambda k, x: torch.cos(2 * np.pi * k * x / p)
    maps = torch.stack([
        wave(3, a) * 2 + wave(5, b),  # 4/5 of the variance along a, all at k = 3
        wave(3, a) * wave(5, b),  # interaction only
        torch.randn(p, p, generator=torch.Generator().manual_seed(0), dtype=torch.float64),
    ])
    got = periodicity(maps, keys=[3, 5])
    assert np.allclose(got["additive"][:2], [1.0, 0.0]) and np.allclose(got["key_share"][:2], 1.0)
    assert got["top"][0] == 3 and np.isclose(got["top_share"][0], 1.0) and np.isclose(got["spectrum"][0].sum(), 1)
    assert got["chance"] == 4 / 12 and 0 < got["key_share"][2] < 0.5  # noise: (1 + 4)² - 1 of 168 components
    assert got["top"][1] == 3  # the product's dependence on a is all at k = 3 (it also depends on b)
