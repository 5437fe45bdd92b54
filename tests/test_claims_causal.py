"""Can-fail tests for the verdicts of causal-paths (figures/causal.yml), with the analysis the figure uses
(`causal.induction_verdicts`) on models where each claim is false, built by hand or left untrained:

- an untrained model: no layer-0 head matters to anything, so nothing in the keys is needed;
- induction models whose induction head also reads the previous-token head in its *values* (to lower the
  logit of the current token), or reads its *query* from layer 0 (the previous token, matched against keys
  that hold the token two back);
- a redundant model: two identical previous-token heads, so neither alone is necessary and the necessary set
  (empty) is not sufficient.
And the hand-built induction model of test_analysis, where the claims are true.
"""

from __future__ import annotations

import copy

import pytest
import torch

from claims_helpers import decide
from scripts.analysis import causal
from scripts.analysis.induction import repeated_random_tokens
from scripts.zoo.model import ModelConfig, build_model
from test_analysis import hand_built_induction_model

pytestmark = pytest.mark.slow
G = lambda seed=0: torch.Generator().manual_seed(seed)  # noqa: E731
V, N, C = 8, 16, 12.0  # vocabulary, context, attention sharpness of the hand-built models


def _perms(n: int, seed: int) -> torch.Tensor:
    perms = torch.stack([torch.randperm(7, generator=G(seed + s)) + 1 for s in range(n)])
    return torch.cat([torch.zeros(n, 1, dtype=torch.long), perms, perms], 1)


def built(*, second: str, query: str = "token", key: str = "prev", value: str = "token", suppress: bool = False):
    """Two heads per layer, no LayerNorm. Stream: token one-hot | position one-hot | slot A | slot B (8 each).
    L0H0 attends to i-1 and writes that token into slot A. L0H1 attends to i-2 (`second="two-back"`) and
    writes into slot B, or is a copy of L0H0 writing half into slot A (`second="copy"`; L0H0 then writes half
    too). L1H0 reads its query from the token (`query="token"`) or slot A ("prev"), its key from slot B
    ("two-back") or slot A ("prev"), its value from the token ("token") or slot A ("prev"), and writes the
    value's token to the logits. With `suppress`, its value also reads slot A — the token before the one it
    attends to, which is the current token — and lowers that token's logit (in a permutation the next token is
    never the current one), while the copy itself is weaker: the previous-token head then matters to the
    induction head's *values*. L1H1 does nothing."""
    from tests.model_fixtures import one_hot_attn_only

    A, B = V + N, 2 * V + N
    D, dh = 2 * V + N + V, 16
    model, raw = one_hot_attn_only(V, N, D, n_heads=2, d_head=dh)
    slot = {"token": 0, "prev": A, "two-back": B}
    with torch.no_grad():
        a0, a1 = raw.layers[0].attn, raw.layers[1].attn
        back = {0: 1, 1: 2 if second == "two-back" else 1}
        share = 0.5 if second == "copy" else 1.0
        for h in (0, 1):
            for p in range(N):
                a0.q.weight[h * dh + p, V + p] = C
                if p + back[h] < N:
                    a0.k.weight[h * dh + p + back[h], V + p] = C
            a0.v.weight[h * dh:h * dh + V, :V] = torch.eye(V)
            out = B if (h == 1 and second == "two-back") else A
            a0.o.weight[out:out + V, h * dh:h * dh + V] = share * torch.eye(V) if second == "copy" else torch.eye(V)
        a1.q.weight[:V, slot[query]:slot[query] + V] = C * torch.eye(V)
        a1.k.weight[:V, slot[key]:slot[key] + V] = C * torch.eye(V) / share
        a1.v.weight[:V, slot[value]:slot[value] + V] = torch.eye(V) / share
        a1.o.weight[:V, :V] = (2 if suppress else 10) * torch.eye(V)
        if suppress:
            a1.v.weight[V:2 * V, A:A + V] = torch.eye(V)
            a1.o.weight[:V, V:2 * V] = -10 * torch.eye(V)
        raw.head.weight[:, :V] = torch.eye(V)
    return model.eval()


def _verdicts(model, tokens, reference):
    return causal.induction_verdicts(model, tokens, reference=reference)


@pytest.fixture(scope="module")
def tokens():
    return _perms(48, 0), _perms(48, 1000)


def test_claims_hold_on_the_hand_built_induction_model(tokens):
    r = _verdicts(hand_built_induction_model(), *tokens)
    assert (r["ind"], r["prev"]) == (0, 0)
    for key in ("keys-need-layer0", "prev-head-alone", "value-not-from-prev", "query-from-token", "necessary-sufficient"):
        assert decide(f"causal-paths.{key}", r["est"][key]) == "supported", key


def test_values_that_read_the_previous_token_head_fail_value_not_from_prev(tokens):
    model = built(second="two-back", suppress=True)
    r = _verdicts(model, *tokens)
    assert r["ind"] == 0 and r["prev"] == 0 and r["clean"]["ind"][:, 0].mean() > 0.9
    assert decide("causal-paths.value-not-from-prev", r["est"]["value-not-from-prev"]) != "supported"
    assert decide("causal-paths.prev-head-alone", r["est"]["prev-head-alone"]) == "supported"  # keys as usual


def test_query_from_layer0_fails_query_from_token(tokens):
    model = built(second="two-back", query="prev", key="two-back", value="token")  # attends to i + 1 - L via slots
    r = _verdicts(model, *tokens)
    assert r["ind"] == 0 and r["clean"]["ind"][:, 0].mean() > 0.8  # its first scored row has no previous match
    assert decide("causal-paths.query-from-token", r["est"]["query-from-token"]) != "supported"


def test_redundant_previous_token_heads_make_the_necessary_set_insufficient(tokens):
    model = built(second="copy", key="prev", value="token")
    r = _verdicts(model, *tokens)
    assert r["clean"]["ind"][:, 0].mean() > 0.9 and r["necessary"] == []
    assert decide("causal-paths.necessary-sufficient", r["est"]["necessary-sufficient"]) != "supported"
    assert decide("causal-paths.prev-head-alone", r["est"]["prev-head-alone"]) != "supported"


def test_untrained_model_needs_nothing_in_its_keys():
    model = copy.deepcopy(build_model(ModelConfig(n_layers=2), seed=123))
    model.process_weights()
    rep = repeated_random_tokens(24, 30, model.cfg.d_vocab, bos=0, seed=7)
    ref = repeated_random_tokens(24, 30, model.cfg.d_vocab, bos=0, seed=8)
    r = _verdicts(model, rep, ref)
    assert decide("causal-paths.keys-need-layer0", r["est"]["keys-need-layer0"]) != "supported"
    assert decide("causal-paths.prev-head-alone", r["est"]["prev-head-alone"]) != "supported"
