"""Can-fail tests for the verdicts of the causal note (figures/causal.yml), with the analysis each figure uses,
on models where each claim is false, built by hand or left untrained.

causal-paths (`causal.induction_verdicts`):

- an untrained model: no layer-0 head matters to anything, so nothing in the keys is needed;
- induction models whose induction head also reads the previous-token head in its *values* (to lower the
  logit of the current token), or reads its *query* from layer 0 (the previous token, matched against keys
  that hold the token two back);
- a redundant model: two identical previous-token heads, so neither alone is necessary and the necessary set
  (empty) is not sufficient.
And the hand-built induction model of test_analysis, where the claims are true.

causal-decomposition (`decompose.previous_token_by_term`, `decompose.induction_by_query_part`): a layer-0 head
that finds the previous token by token (a query for token c matching keys of token c - 1, on counting
sequences) fails both position claims; an induction head whose query reads layer 0 fails the query claim.
causal-dla (`attribution.second_copy_share`, `attribution.attended_minus_baseline`): a second induction head
that writes most of the answer fails the share claim; a head whose OV eigenvalues are negative on balance but
only on tokens the text never uses fails the negative-copying claim. Each also has a model where it holds.
causal-over-training: tests/test_over_training.py.
"""

from __future__ import annotations

import copy

import pytest
import torch
from claims_helpers import decide
from test_analysis import hand_built_induction_model

from scripts.analysis import causal
from scripts.analysis.induction import repeated_random_tokens
from scripts.zoo.model import ModelConfig, build_model

pytestmark = pytest.mark.slow
G = lambda seed=0: torch.Generator().manual_seed(seed)
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
    for key in ("keys-need-layer0", "prev-head-alone", "value-not-from-prev", "query-from-token",
                "necessary-sufficient"):
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


# -- causal-decomposition: which score term makes the previous-token head, what the induction query reads -----

def _prev_estimates(model, tokens):
    """The decomposition verdicts' estimates as causal_decomposition.py makes them (previous-token head = the
    layer-0 head with the highest previous-token attention)."""
    from scripts.analysis import decompose as dc
    from scripts.analysis.stats import bootstrap_statistic

    r = dc.previous_token_by_term(model, tokens)
    prev = int(r["full"].mean(0).argmax())
    kept = lambda a: bootstrap_statistic(causal.ratio_of_means, a[:, prev], r["full"][:, prev], unit="sequences")
    return prev, {"prev-from-position": kept(r["pos·pos"]), "prev-needs-position": kept(r["no pos·pos"]),
                  "score": float(r["full"][:, prev].mean())}


def _token_chain_model():
    """Layer-0 head 0 finds the previous token by *token*: its query for token c matches keys of token c - 1
    (mod 7, tokens 1..7), with no positional term at all; head 1 attends uniformly. On sequences that count up
    through the tokens, that is the previous token."""
    from tests.model_fixtures import one_hot_attn_only

    model, raw = one_hot_attn_only(V, N, V + N, n_heads=2, d_head=V)
    with torch.no_grad():
        a0 = raw.layers[0].attn
        for c in range(1, V):
            before = (c - 2) % (V - 1) + 1
            a0.q.weight[c, c] = C
            a0.k.weight[c, before] = 1.0
    return model.eval()


def _counting(n: int, seed: int) -> torch.Tensor:
    starts = torch.randint(0, V - 1, (n, 1), generator=G(seed))
    return torch.cat([torch.zeros(n, 1, dtype=torch.long), (starts + torch.arange(N - 1)) % (V - 1) + 1], 1)


def test_positional_previous_token_head_supports_the_decomposition_claims():
    model = built(second="two-back")  # L0H0 attends to i - 1 by position only
    prev, est = _prev_estimates(model, _counting(48, 0))
    assert prev == 0 and est["score"] > 0.9
    assert decide("causal-decomposition.prev-from-position", est["prev-from-position"]) == "supported"
    assert decide("causal-decomposition.prev-needs-position", est["prev-needs-position"]) == "supported"


def test_a_token_driven_previous_token_head_fails_the_position_claims():
    model = _token_chain_model()
    tokens = _counting(48, 0)
    prev, est = _prev_estimates(model, tokens)
    assert prev == 0 and est["score"] > 0.5  # a real previous-token head, by token
    assert decide("causal-decomposition.prev-from-position", est["prev-from-position"]) != "supported"
    assert decide("causal-decomposition.prev-needs-position", est["prev-needs-position"]) != "supported"


def _query_estimate(model, tokens):
    from scripts.analysis import decompose as dc
    from scripts.analysis.stats import bootstrap_statistic

    r = dc.induction_by_query_part(model, tokens, {"token": ["tok"]})
    ind = int(r["full"].mean(0).argmax())
    return ind, bootstrap_statistic(causal.ratio_of_means, r["token"][:, ind], r["full"][:, ind], unit="sequences")


def test_induction_query_from_the_token_holds_when_it_reads_the_token(tokens):
    ind, est = _query_estimate(hand_built_induction_model(), tokens[0])
    assert ind == 0
    assert decide("causal-decomposition.induction-query-token", est) == "supported"


def test_induction_query_from_layer0_fails_induction_query_token(tokens):
    model = built(second="two-back", query="prev", key="two-back", value="token")  # query from slot A (layer 0)
    ind, est = _query_estimate(model, tokens[0])
    assert ind == 0
    assert decide("causal-decomposition.induction-query-token", est) != "supported"


# -- causal-dla: who writes the answer, and does a negative-eigenvalue head copy negatively -------------------

def _share_estimate(model, tokens):
    from scripts.analysis import attribution as at
    from scripts.analysis.patching import induction_per_sequence
    from scripts.analysis.stats import bootstrap_statistic

    ind = int(induction_per_sequence(at.head_outputs(model, tokens)["pattern"][:, 1]).mean(0).argmax())
    share, total = at.second_copy_share(model, tokens, f"L1H{ind}")
    return ind, bootstrap_statistic(causal.ratio_of_means, share, total, unit="sequences")


def test_an_induction_head_that_writes_the_answer_supports_the_share_claim(tokens):
    ind, est = _share_estimate(built(second="two-back"), tokens[0])
    assert ind == 0
    assert decide("causal-dla.induction-head-writes-answer", est) == "supported"


def test_a_second_head_writing_most_of_the_answer_fails_the_share_claim(tokens):
    model = built(second="two-back")
    with torch.no_grad():  # L1H1: the same circuit, attending less sharply but writing three times as much
        a1, dh = model.original_model.layers[1].attn, 16
        a1.q.weight[dh:dh + V] = 0.5 * a1.q.weight[:V]
        a1.k.weight[dh:dh + V] = a1.k.weight[:V]
        a1.v.weight[dh:dh + V] = a1.v.weight[:V]
        a1.o.weight[:, dh:dh + V] = 3 * a1.o.weight[:, :V]
    ind, est = _share_estimate(model, tokens[0])
    assert ind == 0  # still the sharper induction head
    assert decide("causal-dla.induction-head-writes-answer", est) != "supported"


def _negative_copying_estimate(model, text):
    from scripts.analysis import attribution as at
    from scripts.analysis.circuits import copying_score
    from scripts.analysis.stats import bootstrap_mean

    copy = [copying_score(model, 0, h) for h in range(model.cfg.n_heads)]
    neg = int(torch.tensor(copy).argmin())
    attended = at.attended_minus_baseline(model, text, [(0, neg)])[(0, neg)]
    return neg, copy[neg], bootstrap_mean(attended, unit="sequences")


def _ov_model(diagonal):
    """Layer-0 head 0 attends to the previous token (by position) and moves token a to the logit of a with weight
    `diagonal[a]`; head 1 attends uniformly and copies (+1). The unembedding reads the token slot."""
    from tests.model_fixtures import one_hot_attn_only

    model, raw = one_hot_attn_only(V, N, 2 * V + N, n_heads=2, d_head=N)
    with torch.no_grad():
        a0 = raw.layers[0].attn
        for p in range(N - 1):
            a0.q.weight[p, V + p + 1] = C
            a0.k.weight[p, V + p] = 1.0
        a0.v.weight[:V, :V] = torch.eye(V)
        a0.o.weight[V + N:, :V] = torch.diag(torch.as_tensor(diagonal, dtype=torch.float32))
        a0.v.weight[N:N + V, :V] = torch.eye(V)
        a0.o.weight[V + N:, N:N + V] = 0.5 * torch.eye(V)
        raw.head.weight[:, V + N:] = torch.eye(V)
    return model.eval()


def test_a_head_that_lowers_what_it_attends_to_supports_negative_copying():
    model = _ov_model([-1.0] * V)
    text = torch.cat([torch.zeros(48, 1, dtype=torch.long), torch.randint(1, V, (48, N - 1), generator=G(5))], 1)
    neg, copy, est = _negative_copying_estimate(model, text)
    assert neg == 0 and copy < -0.5
    assert decide("causal-dla.negative-copying", est) == "supported"


def test_negative_eigenvalues_on_tokens_the_text_never_uses_fail_negative_copying():
    """Strongly negative on tokens 4..7, positive on 1..3, and the text uses only 1..3: the eigenvalues are
    negative on balance, yet on this text the head raises the tokens it attends to."""
    model = _ov_model([0.0, 1.0, 1.0, 1.0, -3.0, -3.0, -3.0, -3.0])
    text = torch.cat([torch.zeros(48, 1, dtype=torch.long), torch.randint(1, 4, (48, N - 1), generator=G(6))], 1)
    neg, copy, est = _negative_copying_estimate(model, text)
    assert neg == 0 and copy < 0
    assert decide("causal-dla.negative-copying", est) != "supported"


def test_the_mechanism_diagram_is_drawn_from_the_path_patching_results():
    """The diagram of the causal note labels its arrows with what the causal-paths figure measures: its
    parameters must stay the same, and its committed numbers must equal that figure's seed-0 estimates."""
    import json
    import pathlib

    import yaml

    root = pathlib.Path(__file__).parents[1]
    decl = yaml.safe_load((root / "figures" / "causal.yml").read_text())
    diagram, paths = decl["induction-mechanism"]["params"], decl["causal-paths"]["params"]
    assert {k: paths[k] for k in diagram if k != "model"} == {k: v for k, v in diagram.items() if k != "model"}
    assert paths["ablation"] == "mean" and diagram["model"] == paths["model"] and 0 in paths["seeds"]
    drawn = json.loads((root / "figures" / "out" / "induction-mechanism.json").read_text())["values"]
    decided = json.loads((root / "figures" / "out" / "causal-paths.json").read_text())
    seed0 = {k: v["seeds"][0] for k, v in decided["verdicts"].items()}
    assert all(v["label"] == "seed 0" for v in seed0.values())
    assert float(drawn["prev_k"]) == pytest.approx(float(seed0["prev-head-alone"]["estimate"]), abs=0.006)
    assert float(drawn["all_k"]) == pytest.approx(float(seed0["keys-need-layer0"]["estimate"]), abs=0.006)
    assert (drawn["ind_head"], drawn["prev_head"]) == (decided["values"]["ind_head"], decided["values"]["prev_head"])
