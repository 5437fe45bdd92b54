"""Can-fail tests for the verdicts of channel-bits (figures/channel.yml), with the analysis the figure uses
(`channel.channel_measures`) on hand-built models where each claim is true or false. Every model: two heads
in layer 0, layer 1 silent, no LayerNorm; stream = token one-hot | position one-hot | slot A (8 each);
tokens drawn independently, so the embeddings alone say nothing about the previous token.

- a previous-token head writing the previous token into slot A: every claim holds;
- a head attending to its own position instead (no previous-token head): layer 0 writes no previous token;
- two identical previous-token heads, each writing half: neither alone carries the bits (the retrained probe
  reads them from the other), so "the previous-token head carries most of them" fails — where a probe kept
  fixed would have lost bits;
- a head that erases the current token from the stream: the token is not kept, and the stream loses
  dimensions instead of gaining them.
"""

from __future__ import annotations

import pytest
import torch
from claims_helpers import decide

from scripts.analysis import channel

pytestmark = pytest.mark.slow
V, N, C = 8, 16, 12.0  # vocabulary, context, attention sharpness


def built(h0: str = "prev", h1: str = "none"):
    """L0H0: "prev" (attends to i-1) or "self" (attends to i), copying that token into slot A, or "none".
    L0H1: "none", "copy" (a second previous-token head; both then write half) or "erase" (attends to i and
    writes minus the token into the token dimensions)."""
    from tests.model_fixtures import one_hot_attn_only

    A, dh = V + N, 16
    model, raw = one_hot_attn_only(V, N, 2 * V + N, n_heads=2, d_head=dh)
    share = 0.5 if h1 == "copy" else 1.0
    with torch.no_grad():
        a0 = raw.layers[0].attn
        for h, kind in ((0, h0), (1, {"copy": "prev", "erase": "self"}.get(h1, "none"))):
            if kind == "none":
                continue
            back = 1 if kind == "prev" else 0
            for p in range(N):
                a0.q.weight[h * dh + p, V + p] = C
                if p + back < N:
                    a0.k.weight[h * dh + p + back, V + p] = C
            a0.v.weight[h * dh:h * dh + V, :V] = torch.eye(V)
            if h == 1 and h1 == "erase":
                a0.o.weight[:V, h * dh:h * dh + V] = -torch.eye(V)
            else:
                a0.o.weight[A:A + V, h * dh:h * dh + V] = share * torch.eye(V)
    return model.eval()


def _tokens(n: int, seed: int) -> torch.Tensor:
    r = torch.randint(1, V, (n, N - 1), generator=torch.Generator().manual_seed(seed))
    return torch.cat([torch.zeros(n, 1, dtype=torch.long), r], 1)


@pytest.fixture(scope="module")
def data():
    return _tokens(300, 0), _tokens(160, 1)


def _measure(model, data):
    return channel.channel_measures(model, *data, iterations=30)


def test_claims_hold_with_a_previous_token_head(data):
    r = _measure(built("prev"), data)
    assert r["prev"] == (0, 0)
    for key in ("layer0-writes-prev", "prev-head-carries", "current-token-kept", "layers-add-dimensions"):
        assert decide(f"channel-bits.{key}", r["est"][key]) == "supported", (key, r["est"][key])
    assert decide("channel-bits.layer0-writes-prev-1l", r["est"]["layer0-writes-prev"]) == "supported"


def test_no_previous_token_head_writes_no_previous_token(data):
    r = _measure(built("self"), data)
    assert r["est"]["layer0-writes-prev"].high < 0.2
    assert decide("channel-bits.layer0-writes-prev", r["est"]["layer0-writes-prev"]) == "contradicted"
    assert decide("channel-bits.layer0-writes-prev-1l", r["est"]["layer0-writes-prev"]) == "contradicted"


def test_redundant_previous_token_heads_fail_prev_head_carries(data):
    r = _measure(built("prev", "copy"), data)
    assert decide("channel-bits.layer0-writes-prev", r["est"]["layer0-writes-prev"]) == "supported"
    for verdict in ("channel-bits.prev-head-carries", "channel-bits.prev-head-carries-1l"):
        assert decide(verdict, r["est"]["prev-head-carries"]) == "contradicted"
    # the probe kept fixed does lose bits: the decision to retrain is what separates "the bits are gone"
    # from "the old read-out broke"
    assert r["cost_fixed"]["previous"][(0, 0)].mean() > r["cost_retrained"].mean() + 0.05


def test_erasing_the_token_fails_current_token_kept_and_dimensions(data):
    r = _measure(built("none", "erase"), data)
    assert decide("channel-bits.current-token-kept", r["est"]["current-token-kept"]) == "contradicted"
    assert decide("channel-bits.layers-add-dimensions", r["est"]["layers-add-dimensions"]) == "contradicted"


def test_removing_both_redundant_heads_removes_the_bits(data):
    """previous_bits with a group ablated: one of two redundant heads costs little, both together cost the
    bits layer 0 wrote; the one-head case agrees with channel_measures' retrained probe."""
    model = built("prev", "copy")
    r = _measure(model, data)
    fit = dict(classes=128, weight_decay=1e-3, iterations=30, points=("L1",))
    clean = r["H"]["previous"] - r["ce"]["previous"]["L1"].mean()
    one = channel.previous_bits(model, *data, ablate=[(0, 0)], **fit)["L1"]
    both = channel.previous_bits(model, *data, ablate=[(0, 0), (0, 1)], **fit)["L1"]
    assert clean - one == pytest.approx(r["cost_retrained"].mean(), abs=1e-4)
    assert clean - one < 0.2 * clean
    assert clean - both > 0.8 * clean
