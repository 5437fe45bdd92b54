"""Known answers for direct logit attribution (scripts/analysis/attribution.py).

- The components' contributions add up to the model's correct-token logit minus its mean logit, through a
  final LayerNorm with non-trivial gain and bias, folded or not.
- The attended-token effect matches a per-example, per-position loop over the head's output and pattern.
- A hand-built copying head has a positive attended-token effect, and the same head with its output negated
  a negative one.
"""

from __future__ import annotations

import pytest
import torch
from model_fixtures import one_hot_attn_only, random_folded_pair

from scripts.analysis import attribution as at

G = lambda seed=0: torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("folded", [False, True])
def test_contributions_add_up_to_the_logit(folded):
    model = random_folded_pair()[int(folded)]
    tokens = torch.randint(0, 50, (5, 20), generator=G(1))
    names, dla = at.direct_logit_attribution(model, tokens, chunk=2)
    assert names[0] == "embed" and names[-1] == "bias" and len(names) == 2 + 2 * 2
    with torch.no_grad():
        logits = model(tokens)[:, :-1]
    want = logits.gather(-1, tokens[:, 1:, None])[..., 0] - logits.mean(-1)
    assert torch.allclose(dla.sum(-1), want, atol=1e-4)


def test_attended_token_effect_matches_a_loop():
    model, _ = random_folded_pair()
    tokens = torch.randint(0, 50, (3, 12), generator=G(2))
    other = torch.randint(0, 50, (3, 12), generator=G(3))
    r = at.head_outputs(model, tokens)
    W_U = model.W_U.detach() - model.W_U.detach().mean(-1, keepdim=True)
    ln = model.ln_final
    effects = at.attended_token_effect(model, tokens, [(0, 1), (1, 0)], baseline_tokens=other, chunk=2)
    for layer, head in ((0, 1), (1, 0)):
        fast, base = effects[(layer, head, "attended")], effects[(layer, head, "baseline")]
        for b in range(3):
            for i in range(12):
                x = r["final"][b, i]
                s = ((x - x.mean()).pow(2).mean() + model.cfg.eps).sqrt()
                o = r["out"][b, i, layer, head]
                d = ((o - o.mean()) / s * ln.weight.detach()) @ W_U  # direct effect on every logit
                a = r["pattern"][b, layer, head, i]
                assert fast[b, i] == pytest.approx(sum(a[j] * d[tokens[b, j]] for j in range(i + 1)).item(), abs=1e-5)
                assert base[b, i] == pytest.approx(sum(a[j] * d[other[b, j]] for j in range(i + 1)).item(), abs=1e-5)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_copying_head_raises_and_a_negated_one_lowers_the_attended_token(sign):
    V, N = 8, 12
    model, raw = one_hot_attn_only(V, N, V + N, n_heads=1, d_head=V)
    with torch.no_grad():
        raw.layers[0].attn.v.weight[:V, :V] = torch.eye(V)  # attends uniformly, copies the token it reads
        raw.layers[0].attn.o.weight[:V, :V] = sign * torch.eye(V)
        raw.head.weight[:, :V] = torch.eye(V)
    tokens = torch.randint(0, V, (16, N), generator=G(4))
    e = at.attended_token_effect(model, tokens, [(0, 0)], baseline_tokens=tokens.roll(1, 0))
    effect, base = e[(0, 0, "attended")][:, 1:].mean(), e[(0, 0, "baseline")][:, 1:].mean()
    assert sign * (effect - base) > 0.1
