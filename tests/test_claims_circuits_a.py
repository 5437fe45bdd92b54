"""Can-fail tests for the circuits note's verdicts on bigrams, skip-trigrams, copying and composition, and the
analysis functions behind them against known answers or slow references.

Each verdict's statistic is computed with the same function its figure script uses, on data where the claim
is false (a random-init model, a head that writes nothing, random triples, random matrices, a constructed
counterexample), and the declared rule must not say "supported"; where cheap, also on data where it is true.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from model_fixtures import random_folded_pair

from scripts.analysis.circuit_evidence import (
    BigramIndex,
    _rank,
    critical_z,
    gap_closed,
    key_path_ablated_induction,
    significant_fraction,
    source_counts,
    source_excess,
    source_logit_boost,
    table_nll,
    triple_corpus_stats,
    unigram_log_probs,
)
from scripts.analysis.circuits import bigram_log_probs, skip_trigram_count
from scripts.analysis.composition import composition_null
from scripts.analysis.induction import induction_scores, per_token_loss, repeated_random_tokens
from scripts.analysis.nulls import copying_positivity_null, haar_blocks, ov_copying_null
from scripts.analysis.residual import weights_of
from scripts.analysis.rotations import random_orthogonal
from scripts.analysis.stats import bonferroni_level, null_z
from scripts.zoo.model import ModelConfig, build_model
from tests.claims_helpers import decide

G = lambda seed=0: torch.Generator().manual_seed(seed)
COMPOSITION_TESTS = 3 * 16  # as in scripts/figures/composition.py
COPYING_TESTS = 4  # the 1-layer model's heads, as in scripts/figures/copying.py


def markov_stream(n: int, V: int, seed: int) -> np.ndarray:
    """Tokens from a sparse random Markov chain: each token is followed by one of 2 successors."""
    rng = np.random.default_rng(seed)
    succ = rng.integers(0, V, (V, 2))
    out = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        out[i] = succ[out[i - 1], rng.integers(0, 2)]
    return out


# -- bigrams ------------------------------------------------------------------------------------------------


def test_gap_closed_known_answers_and_a_random_model_fails():
    V, L = 12, 16
    train, held = markov_stream(20000, V, 0), markov_stream(200 * L, V, 1).reshape(200, L)
    big, uni = bigram_log_probs(train, V)[0], unigram_log_probs(train, V)
    b_nll, u_nll = table_nll(big, held), table_nll(uni, held)
    assert gap_closed(b_nll, b_nll, u_nll, unit="w").value == pytest.approx(1.0)  # the table itself
    assert gap_closed(u_nll, b_nll, u_nll, unit="w").value == pytest.approx(0.0)  # token frequencies only
    assert decide("bigrams.approximates-bigrams", gap_closed(b_nll * 0.99, b_nll, u_nll, unit="w")) == "supported"
    # A randomly initialised 0-layer zoo model, through the same per-token loss the figure uses.
    model = build_model(ModelConfig(n_layers=0, d_model=16, n_heads=1, d_head=16, n_ctx=L, d_vocab=V), seed=0)
    m_nll = per_token_loss(model.eval(), torch.from_numpy(held)).double().numpy()
    est = gap_closed(m_nll, b_nll, u_nll, unit="w")
    assert est.value < 0.5 and decide("bigrams.approximates-bigrams", est) != "supported"


# -- skip-trigrams ------------------------------------------------------------------------------------------


def test_source_counts_against_the_loop_reference():
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 6, 3000)
    index = BigramIndex(tokens, 6)
    for b, c in [(1, 2), (3, 3), (0, 5)]:
        fast = source_counts(index, b, c, np.array([0, 1, 2, 3, 4, 5, 2]), window=7, chunk=50)
        slow = [skip_trigram_count(tokens, a, b, c, 7) for a in [0, 1, 2, 3, 4, 5, 2]]
        assert fast.tolist() == slow


def test_ranking_is_robust_to_float_noise_and_breaks_ties_by_index():
    s = np.array([0.5, 1.0 + 1e-9, 1.0, 2.0, 1.0 - 1e-9])
    assert _rank(s).tolist() == [3, 1, 2, 4, 0]  # the three ~1.0 scores tie: kept in index order


def planted_stream(n: int, V: int, triples, window: int, seed: int) -> np.ndarray:
    """Uniform random tokens with [a] x [b] [c] planted; b -> c appears nowhere else."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(len(triples) * 3, V, n)
    for i in range(0, n - 4, 40):
        a, b, c = triples[rng.integers(len(triples))]
        tokens[i:i + 4] = [a, rng.integers(len(triples) * 3, V), b, c]
    return tokens


def test_sources_match_corpus_fails_for_random_triples_and_holds_for_planted_ones():
    V, window = 60, 6
    planted = [(3 * i, 3 * i + 1, 3 * i + 2) for i in range(5)]
    tokens = planted_stream(40000, V, planted, window, 0)
    index, sources = BigramIndex(tokens, V), np.arange(V)
    est = source_excess(*triple_corpus_stats(planted, index, sources, window))
    assert decide("skip-trigrams.sources-match-corpus", est) == "supported"
    rng = np.random.default_rng(1)  # triples unrelated to the text: a random source does as well
    random_triples = [tuple(int(t) for t in rng.integers(15, V, 3)) for _ in range(60)]
    est = source_excess(*triple_corpus_stats(random_triples, index, sources, window))
    assert decide("skip-trigrams.sources-match-corpus", est) != "supported"


def test_bug_boost_is_not_supported_when_the_head_writes_nothing():
    from scripts.analysis.stats import bootstrap_mean

    model = build_model(ModelConfig(n_layers=1, d_model=16, n_heads=2, d_head=8, n_ctx=16, d_vocab=20), seed=0)
    with torch.no_grad():
        for name, p in model.original_model.named_parameters():
            if ".attn._original_component.o." in name:
                p.zero_()
    windows = torch.randint(3, 20, (64, 12), generator=G())
    boost = source_logit_boost(model.eval(), windows, a=1, b=2, c=4)
    est = bootstrap_mean(boost.numpy(), unit="contexts")
    assert abs(est.value) < 1e-5 and decide("skip-trigrams.bug-boosts-crossed", est) != "supported"


# -- copying ------------------------------------------------------------------------------------------------


def test_copying_null_matches_explicit_rotations():
    W_O, N = torch.randn(6, 24, generator=G(1)), torch.randn(24, 6, generator=G(2))
    obs, null = copying_positivity_null(W_O, N, haar_blocks(24, 6, 3000, 3))
    ev = torch.linalg.eigvals(N.double() @ W_O.double())  # slow reference: the 24 x 24 product
    assert obs == pytest.approx((ev.real.sum() / ev.abs().sum()).item(), abs=1e-9)
    slow = []
    for s in range(400):
        e = torch.linalg.eigvals(W_O.double() @ random_orthogonal(24, G(100 + s)).double() @ N.double())
        slow.append((e.real.sum() / e.abs().sum()).item())
    assert null.mean() == pytest.approx(np.mean(slow), abs=0.03)
    assert null.std() == pytest.approx(np.std(slow), rel=0.15)
    assert copying_positivity_null(torch.linalg.pinv(N), N, haar_blocks(24, 6, 10, 0))[0] == pytest.approx(1.0)


def test_most_heads_copy_fails_on_a_random_model_and_holds_for_copying_heads():
    model = build_model(ModelConfig(n_layers=1, d_model=32, n_heads=4, d_head=8, n_ctx=16, d_vocab=64), seed=1)
    folded = copy.deepcopy(model)
    folded.process_weights()
    blocks = haar_blocks(32, 8, 1000, 0)
    with torch.no_grad():
        obs, nulls = zip(*(ov_copying_null(folded, 0, h, blocks) for h in range(4)))
    est, _ = significant_fraction(list(obs), list(nulls), tests=COPYING_TESTS)
    assert decide("copying.most-heads-copy", est) != "supported"
    # Heads whose W_O undoes what the unembedding reads (W_O = pinv(W_U E W_V)) copy perfectly.
    copying = [copying_positivity_null(torch.linalg.pinv(N), N, blocks)
               for N in (torch.randn(32, 8, generator=G(s)) for s in range(4))]
    est, _ = significant_fraction([o for o, _ in copying], [n for _, n in copying], tests=COPYING_TESTS)
    assert decide("copying.most-heads-copy", est) == "supported"


# -- composition --------------------------------------------------------------------------------------------


def _z(left, right, k=8, d=32):
    obs, null = composition_null(left, right, k, haar_blocks(d, k, 1000, 0))
    return null_z(obs, null, level=bonferroni_level(COMPOSITION_TESTS))


def test_composition_null_matches_explicit_rotations():
    left = torch.randn(32, 8, generator=G(1)) @ torch.randn(8, 32, generator=G(2))
    right = torch.randn(32, 8, generator=G(3)) @ torch.randn(8, 32, generator=G(4))
    obs, null = composition_null(left, right, 8, haar_blocks(32, 8, 3000, 5))
    norm = torch.linalg.matrix_norm(left) * torch.linalg.matrix_norm(right)
    assert obs == pytest.approx((torch.linalg.matrix_norm(left @ right) / norm).item(), rel=1e-6)
    slow = [(torch.linalg.matrix_norm(left @ random_orthogonal(32, G(100 + s)) @ right) / norm).item()
            for s in range(400)]
    assert null.mean() == pytest.approx(np.mean(slow), rel=0.02)
    assert null.std() == pytest.approx(np.std(slow), rel=0.15)


def aligned_pair(seed: int):
    """A layer-0 OV map writing into a subspace and a layer-1 QKᵀ whose key side reads exactly that subspace."""
    U = torch.linalg.qr(torch.randn(32, 8, generator=G(seed)))[0]
    left = torch.randn(32, 8, generator=G(seed + 1)) @ U.T  # writes into span(U)
    qk = torch.randn(32, 8, generator=G(seed + 2)) @ U.T  # W_Q W_Kᵀ with W_K reading span(U)
    return left, qk, U


def test_k_composition_rule_fails_on_random_heads_and_holds_when_keys_read_the_writer():
    for s in range(3):
        left = torch.randn(32, 8, generator=G(10 + s)) @ torch.randn(8, 32, generator=G(20 + s))
        qk = torch.randn(32, 8, generator=G(30 + s)) @ torch.randn(8, 32, generator=G(40 + s))
        assert decide("composition.k-from-prev-head", _z(left, qk.T)) != "supported"
    left, qk, U = aligned_pair(0)
    assert decide("composition.k-from-prev-head", _z(left, qk.T)) == "supported"


def test_one_k_source_is_contradicted_when_two_writers_feed_the_keys():
    left, qk, U = aligned_pair(0)
    second = torch.randn(32, 8, generator=G(9)) @ U.T  # another layer-0 head writing into the same subspace
    assert decide("composition.one-k-source", _z(second, qk.T)) == "contradicted"
    unrelated = torch.randn(32, 8, generator=G(11)) @ torch.randn(8, 32, generator=G(12))
    assert decide("composition.one-k-source", _z(unrelated, qk.T)) != "contradicted"


def test_only_k_is_contradicted_by_a_query_that_reads_the_writer():
    left, qk, U = aligned_pair(0)
    w_qk = qk.T  # = U Cᵀ: now W_Q = U reads the subspace layer 0 writes into (Q-composition)
    assert decide("composition.only-k", _z(left, w_qk)) == "contradicted"
    unrelated = torch.randn(32, 8, generator=G(13)) @ torch.randn(8, 32, generator=G(14))
    assert decide("composition.only-k", _z(left, unrelated)) != "contradicted"


def test_critical_z_is_the_bonferroni_quantile():
    assert critical_z(48) == pytest.approx(3.0781, abs=1e-3)
    assert critical_z(12) == pytest.approx(2.6383, abs=1e-3)


# -- key-path ablation --------------------------------------------------------------------------------------


def test_key_path_ablation_matches_the_model_without_ablation():
    model, folded = random_folded_pair()
    tokens = repeated_random_tokens(8, 10, 50, 0, seed=1)
    w = weights_of(folded)
    for h in range(2):
        assert key_path_ablated_induction(w, tokens, h, []) == pytest.approx(induction_scores(model, tokens)[1, h].item(), abs=1e-5)
    # Ablating every layer-0 head in the keys changes the pattern; ablating none does not.
    assert key_path_ablated_induction(w, tokens, 0, [0, 1]) != pytest.approx(key_path_ablated_induction(w, tokens, 0, []), abs=1e-6)
