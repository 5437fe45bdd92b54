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
