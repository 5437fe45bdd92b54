"""Can-fail tests for the in-context-learning verdicts (figure icl-by-position).

The same statistic as the figure (per-window ICL score, bootstrapped over windows) and the declared rule,
on models where the claim is false: it must not come out "supported".
"""

from __future__ import annotations

import pytest
import torch
from claims_helpers import decide

from scripts.analysis.induction import icl_per_window, per_token_loss
from scripts.analysis.stats import bootstrap_mean
from scripts.zoo.load import held_out_text, load_model
from scripts.zoo.model import ModelConfig, build_model

pytestmark = pytest.mark.slow
UNIT = "held-out windows"


@pytest.fixture(scope="module")
def windows():
    return held_out_text(load_model("attn-only-0l"), 256)


def icl(model, text):
    return icl_per_window(per_token_loss(model, text)).numpy()


def test_a_random_model_does_not_use_its_context(windows):
    random_2l = build_model(ModelConfig(n_layers=2), seed=123)
    assert decide("icl-by-position.one-layer-gains", bootstrap_mean(icl(random_2l, windows), unit=UNIT)) != "supported"


def test_two_layers_gain_more_flips_when_the_two_layer_model_is_swapped_for_a_one_layer_one(windows):
    one, two = icl(load_model("attn-only-1l"), windows), icl(load_model("attn-only-2l"), windows)
    assert decide("icl-by-position.two-layers-gain-more", bootstrap_mean(two - one, unit=UNIT)) == "supported"
    # the claim is false for "a 1-layer model vs itself" and for "the 0-layer model vs a 1-layer one"
    zero = icl(load_model("attn-only-0l"), windows)
    assert decide("icl-by-position.two-layers-gain-more", bootstrap_mean(one - one, unit=UNIT)) != "supported"
    assert decide("icl-by-position.two-layers-gain-more", bootstrap_mean(zero - one, unit=UNIT)) == "contradicted"


def test_zero_layer_rule_flips_on_a_constructed_position_effect():
    flat = torch.full((200, 127), 3.0) + 0.1 * torch.randn(200, 127, generator=torch.Generator().manual_seed(0))
    late_better = flat.clone()
    late_better[:, 100:] -= 0.2
    late_worse = flat.clone()
    late_worse[:, 100:] += 0.2
    outcome = lambda loss: decide("icl-by-position.zero-layer-gains", bootstrap_mean(icl_per_window(loss), unit=UNIT))
    assert (outcome(late_better), outcome(late_worse)) == ("supported", "contradicted")
    assert outcome(flat) != "supported"
