"""Known answers for the attention-score split (scripts/analysis/decompose.py).

- The terms add up to the model's own attention scores (hook_attn_scores), in layer 0 (token and position)
  and layer 1 (token, position and layer 0's writes), through LayerNorms with non-trivial gains and biases.
- The variance shares add up to 1, and a term equal to the whole score takes all of it.
- On a hand-built model whose layer-0 head reads positions only, everything is in position·position; with a
  query from the token alone, a head that reads its query from the token keeps its pattern.
"""

from __future__ import annotations

import pytest
import torch
from model_fixtures import one_hot_attn_only, random_folded_pair

from scripts.analysis import decompose as dc

G = lambda seed=0: torch.Generator().manual_seed(seed)


def _pattern(model, tokens, layer):
    """The model's own attention pattern (the bridge's hook_attn_scores already holds it, softmaxed)."""
    seen = {}
    keep = lambda p, hook: seen.__setitem__("p", p.detach())
    with model.hooks(fwd_hooks=[(f"blocks.{layer}.attn.hook_pattern", keep)]):
        model(tokens)
    return seen["p"]


@pytest.mark.parametrize("folded", [False, True])
@pytest.mark.parametrize("layer", [0, 1])
def test_terms_add_up_to_the_models_scores(folded, layer):
    model = random_folded_pair()[int(folded)]
    tokens = torch.randint(0, 50, (3, 20), generator=G(1))
    actual = _pattern(model, tokens, layer)
    parts = dc.stream_parts(model, tokens, layer)
    assert set(parts) == ({"tok", "pos"} if layer == 0 else {"tok", "pos", "heads", "biases"})
    mask = torch.tril(torch.ones(20, 20, dtype=torch.bool))
    for head in range(model.cfg.n_heads):
        terms = dc.split_scores(model, layer, head, parts)
        assert len(terms) == len(parts) ** 2
        assert torch.allclose(dc.pattern_of(dc.total(terms)), actual[:, head], atol=1e-5)
        q_all = dc.scores_with_query_from(model, layer, head, parts, list(parts))
        assert torch.allclose(q_all[:, mask], dc.total(terms)[:, mask], atol=1e-4)
        q_tok = dc.scores_with_query_from(model, layer, head, parts, ["tok"])
        assert not torch.allclose(dc.pattern_of(q_tok), actual[:, head], atol=1e-3)  # the query did change


def test_shares_add_up_to_one_and_a_whole_score_takes_all():
    model, _ = random_folded_pair()
    tokens = torch.randint(0, 50, (4, 16), generator=G(2))
    terms = dc.split_scores(model, 0, 1, dc.stream_parts(model, tokens, 0))
    shares = dc.score_shares(terms)
    assert torch.allclose(sum(shares.values()), torch.ones(4), atol=1e-5)
    whole = {("a", "b"): dc.total(terms), ("c", "d"): torch.zeros_like(dc.total(terms))}
    s = dc.score_shares(whole)
    assert torch.allclose(s[("a", "b")], torch.ones(4)) and torch.allclose(s[("c", "d")], torch.zeros(4))


def test_a_positional_previous_token_head_is_all_position_position():
    V, N, C = 8, 16, 12.0
    model, raw = one_hot_attn_only(V, N, V + N, n_heads=1, d_head=N)
    with torch.no_grad():
        for p in range(N):
            raw.layers[0].attn.q.weight[p, V + p] = C
            if p + 1 < N:
                raw.layers[0].attn.k.weight[p + 1, V + p] = C
    tokens = torch.randint(0, V, (5, N), generator=G(3))
    terms = dc.split_scores(model, 0, 0, dc.stream_parts(model, tokens, 0))
    for k, v in terms.items():
        if k != ("pos", "pos"):
            assert v.abs().max() < 1e-6, k
    prev = dc.diagonal_attention(dc.pattern_of(terms[("pos", "pos")]))
    assert prev.min() > 0.99
    assert dc.diagonal_attention(dc.pattern_of(dc.total(terms, [("tok", "tok")]))).max() < 0.2  # uniform
