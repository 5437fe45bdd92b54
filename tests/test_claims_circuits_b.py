"""Can-fail tests for the verdicts of induction-circuit, term-importance, phase-change and zoo-heads, and
known-answer tests for the per-unit analysis they use (scripts/analysis/per_unit.py).

Each verdict's statistic is computed with the same function the figure script uses, on data where the claim
is false (a randomly initialised model, the 1-layer model, a constructed counterexample), and the declared
rule must not say "supported"; where cheap, also on data where it is true.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from claims_helpers import decide
from test_analysis import hand_built_induction_model

from scripts.analysis import per_unit as pu
from scripts.analysis.induction import (
    attention_patterns,
    icl_per_window,
    induction_scores,
    per_token_loss,
    previous_token_scores,
    repeat_halves_loss,
    repeated_random_tokens,
)
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
from scripts.zoo.model import ModelConfig, build_model

pytestmark = pytest.mark.slow
SEQS, WINDOWS = "random sequences", "held-out windows"
G = lambda seed=0: torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def random_2l():
    """An untrained zoo-shaped 2-layer model, folded: no previous-token, induction or copying structure."""
    model = copy.deepcopy(build_model(ModelConfig(n_layers=2), seed=123))
    model.process_weights()
    return model


@pytest.fixture(scope="module")
def hand_built():
    """The hand-built induction model of test_analysis on `[BOS] r r` with distinct tokens 1..7."""
    model = hand_built_induction_model()
    perms = torch.stack([torch.randperm(7, generator=G(s)) + 1 for s in range(32)])
    tokens = torch.cat([torch.zeros(32, 1, dtype=torch.long), perms, perms], 1)
    return model, tokens


# -- known answers for the per-unit analysis -------------------------------------------------------------------

def test_unit_pass_matches_the_bridge_and_the_pooled_scores():
    model = copy.deepcopy(build_model(ModelConfig(n_layers=2, d_model=32, n_heads=2, d_head=16, n_ctx=24, d_vocab=50), seed=3))
    model.process_weights()
    rep = repeated_random_tokens(6, 11, 50, bos=0, seed=1)  # 23 tokens
    text = torch.randint(0, 50, (5, 24), generator=G(2))
    out = pu.unit_pass(weights_of(model), rep, stripes={"ind": pu.induction_stripe(11)}, chunk=4)
    assert torch.allclose(out["loss"], per_token_loss(model, rep), atol=1e-4)
    assert torch.allclose(out["ind"].mean(0), induction_scores(model, rep), atol=1e-6)
    first, second = pu.repeat_halves(out["loss"])
    assert (first.mean().item(), second.mean().item()) == pytest.approx(repeat_halves_loss(model, rep), abs=1e-4)
    prev = pu.unit_pass(weights_of(model), text, stripes={"prev": pu.PREV}, positions=[3, 7])
    assert torch.allclose(prev["prev"].mean(0), previous_token_scores(model, text), atol=1e-6)
    assert torch.allclose(prev["loss"], per_token_loss(model, text)[:, [3, 7]], atol=1e-4)


def test_seen_before_and_icl_split_against_loops():
    tokens = torch.tensor([[0, 5, 6, 5, 7, 6, 0, 8]])  # BOS 0; the second 0 is a target never seen before (BOS excluded)
    seen = pu.seen_before(tokens)[0].tolist()
    slow = [tokens[0, i + 1].item() in tokens[0, 1:i + 1].tolist() for i in range(7)]
    assert seen == slow == [False, False, True, False, True, False, False]
    loss = torch.rand(3, 127, generator=G())
    early, late = pu.icl_positions(127)
    assert (early[0], early[-1], late[0], late[-1]) == (10, 19, 100, 126)
    sub = loss[:, early + late]
    assert torch.allclose(sub[:, len(early):].mean(1) - sub[:, :len(early)].mean(1), icl_per_window(loss))
    rep = torch.rand(3, len(early) + len(late), generator=G(1)) > 0.5
    split = pu.icl_split(sub, rep, len(early))
    keys = ("late_sum", "late_n", "early_sum", "early_n")
    # the two classes together make up every token; each class's score is its late mean minus its early mean
    assert split["repeated_late_n"].sum() + split["new_late_n"].sum() == 3 * len(late)
    r = pu.icl_within(*(split[f"repeated_{k}"] for k in keys))
    assert r == pytest.approx((sub[:, len(early):][rep[:, len(early):]].mean() - sub[:, :len(early)][rep[:, :len(early)]].mean()).item(), abs=1e-6)


def test_term_importance_per_window_averages_to_the_pooled_analysis():
    from scripts.analysis.paths import term_importance

    model = copy.deepcopy(build_model(ModelConfig(n_layers=2, d_model=32, n_heads=2, d_head=16, n_ctx=24, d_vocab=50), seed=3))
    model.process_weights()
    w = weights_of(model)
    tokens = torch.randint(0, 50, (6, 24), generator=G(5))
    with torch.no_grad():
        pooled = term_importance(w, tokens)
        per = pu.term_importance_per_window(w, tokens, chunk=4)
    m = pu.term_marginals(per)
    assert per["full"].mean() == pytest.approx(pooled["full"], abs=1e-5)
    assert per["order<=0"].mean() == pytest.approx(pooled["by_order"][0], abs=1e-5)
    assert per["-virtual"].mean() == pytest.approx(pooled["by_order"][1], abs=1e-5)
    for term, v in pooled["marginal"].items():
        assert m[term].mean() == pytest.approx(v, abs=1e-5)


# -- zoo-heads ---------------------------------------------------------------------------------------------------

def test_head_verdicts_fail_on_a_random_model_and_hold_on_the_hand_built_one(random_2l, hand_built):
    rep = repeated_random_tokens(24, 50, random_2l.cfg.d_vocab, bos=0, seed=7)
    text = torch.randint(2, random_2l.cfg.d_vocab, (24, 64), generator=G(3))
    w = weights_of(random_2l)
    ind = pu.unit_pass(w, rep, stripes={"ind": pu.induction_stripe(50)})
    prev = pu.unit_pass(w, text, stripes={"prev": pu.PREV}, positions=[0])["prev"]
    assert decide("zoo-heads.induction-head", bootstrap_statistic(pu.best_head, ind["ind"][:, 1].numpy(), unit=SEQS)) != "supported"
    assert decide("zoo-heads.previous-token-head", bootstrap_statistic(pu.best_head, prev[:, 0].numpy(), unit=WINDOWS)) != "supported"
    gain = bootstrap_statistic(pu.repeat_gain, *[h.numpy() for h in pu.repeat_halves(ind["loss"])], unit=SEQS)
    assert decide("zoo-heads.two-layers-use-repeat", gain) != "supported"
    assert decide("zoo-heads.one-layer-does-not", gain) == "supported"  # no induction: no gain from the repeat
    model, tokens = hand_built  # the same statistics on the bridge's patterns of a model built to have the circuit
    patterns = attention_patterns(model, tokens)
    ind_h = pu.stripes_per_unit(patterns, *pu.induction_stripe(7))[:, 1].numpy()
    prev_h = pu.stripes_per_unit(patterns, *pu.PREV)[:, 0].numpy()
    assert decide("zoo-heads.induction-head", bootstrap_statistic(pu.best_head, ind_h, unit=SEQS)) == "supported"
    assert decide("zoo-heads.previous-token-head", bootstrap_statistic(pu.best_head, prev_h, unit=SEQS)) == "supported"
    halves = [h.numpy() for h in pu.repeat_halves(per_token_loss(model, tokens))]
    assert decide("zoo-heads.two-layers-use-repeat", bootstrap_statistic(pu.repeat_gain, *halves, unit=SEQS)) == "supported"
    assert decide("zoo-heads.one-layer-does-not", bootstrap_statistic(pu.repeat_gain, *halves, unit=SEQS)) == "contradicted"


def test_the_one_layer_model_has_no_induction_head():
    from scripts.zoo.load import load_model

    one = load_model("attn-only-1l", fold=True)
    rep = repeated_random_tokens(32, 50, one.cfg.d_vocab, bos=one.tokenizer.bos_token_id, seed=7)
    ind = pu.unit_pass(weights_of(one), rep, stripes={"ind": pu.induction_stripe(50)})["ind"]
    # its only layer has no previous-token head to compose with: the best head is far below the threshold
    assert decide("zoo-heads.induction-head", bootstrap_statistic(pu.best_head, ind[:, 0].numpy(), unit=SEQS)) == "contradicted"


# -- induction-circuit -------------------------------------------------------------------------------------------

def test_positivity_verdicts_fail_on_a_random_model(random_2l):
    from scripts.analysis.per_unit import find_induction_heads, positivity_z

    rep = repeated_random_tokens(16, 50, random_2l.cfg.d_vocab, bos=0, seed=7)
    per_seq = pu.unit_pass(weights_of(random_2l), rep, stripes={"ind": pu.induction_stripe(50)})["ind"][:, 1].numpy()
    heads, _ = find_induction_heads(per_seq)
    assert len(heads) == 1  # no head qualifies: the best one is only a candidate
    pos = positivity_z(random_2l, heads, draws=200, seed=0)
    assert decide("induction-circuit.qk-path-positive", pos["weakest"]["qk"]) != "supported"
    assert decide("induction-circuit.ov-positive", pos["weakest"]["ov"]) != "supported"


def test_positivity_verdicts_hold_for_the_trained_induction_head_and_fail_for_a_non_induction_head():
    from scripts.analysis.per_unit import positivity_z
    from scripts.zoo.load import load_model

    model = load_model("attn-only-2l", fold=True)
    pos = positivity_z(model, [0], draws=200, seed=0)  # L1H0, the trained model's induction head
    assert decide("induction-circuit.qk-path-positive", pos["weakest"]["qk"]) == "supported"
    assert decide("induction-circuit.ov-positive", pos["weakest"]["ov"]) == "supported"
    other = positivity_z(model, [3], draws=200, seed=0)  # L1H3 is no induction head: its QK path is not aligned
    assert decide("induction-circuit.qk-path-positive", other["weakest"]["qk"]) != "supported"


# -- term-importance ---------------------------------------------------------------------------------------------

def test_term_importance_rules_flip_when_virtual_heads_carry_the_loss():
    rng = np.random.default_rng(0)
    n = 64
    heads = 2.5 + 0.3 * rng.standard_normal(n)  # removing every single-head term
    small = 0.3 + 0.05 * rng.standard_normal(n)  # removing every virtual head: the trained model's picture
    big = 1.5 + 0.2 * rng.standard_normal(n)  # a model whose virtual heads do most of the work
    assert decide("term-importance.virtual-small-aggregate", bootstrap_statistic(pu.aggregate_ratio, small, heads, unit=WINDOWS)) == "supported"
    assert decide("term-importance.virtual-small-aggregate", bootstrap_statistic(pu.aggregate_ratio, big, heads, unit=WINDOWS)) == "contradicted"
    first = 0.15 + 0.03 * rng.standard_normal((n, 8))
    second = 0.02 + 0.01 * rng.standard_normal((n, 16))
    assert decide("term-importance.virtual-small-single", bootstrap_statistic(pu.single_gap, first, second, unit=WINDOWS)) == "supported"
    second[:, 3] += 0.4  # one virtual head that matters more than the weakest single head
    assert decide("term-importance.virtual-small-single", bootstrap_statistic(pu.single_gap, first, second, unit=WINDOWS)) == "contradicted"


# -- phase-change ------------------------------------------------------------------------------------------------

def test_phase_change_rules_flip_between_a_gain_that_waits_and_one_that_comes_early():
    rng = np.random.default_rng(1)
    n = 256
    start = 0.02 * rng.standard_normal(n)
    final = -0.3 + 0.5 * rng.standard_normal(n)
    waits = start + 0.1 * (final - start) + 0.05 * rng.standard_normal(n)  # 10 % of the gain before the jump
    early = start + 0.9 * (final - start) + 0.05 * rng.standard_normal(n)  # 90 % before it
    assert decide("phase-change.gain-waits-for-induction", bootstrap_statistic(pu.gain_fraction, waits, start, final, unit=WINDOWS)) == "supported"
    assert decide("phase-change.gain-waits-for-induction", bootstrap_statistic(pu.gain_fraction, early, start, final, unit=WINDOWS)) == "contradicted"
    after = waits + 0.0 * rng.standard_normal(n)
    assert decide("phase-change.icl-drops-at-crossing", bootstrap_mean(after - waits, unit=WINDOWS)) != "supported"
    assert decide("phase-change.icl-drops-at-crossing", bootstrap_mean(final - waits, unit=WINDOWS)) == "supported"
