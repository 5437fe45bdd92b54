"""The Towards Monosemanticity note's verdicts can fail: each statistic, computed with the analysis function its
figure uses (scripts/analysis/sae.py) on the committed one-layer model, is "supported" by an autoencoder that
reconstructs the MLP exactly and not by one that does not."""

from __future__ import annotations

import pytest
import torch
from claims_helpers import decide

from scripts.analysis.sae import feature_stats, loss_recovered, mlp_activations, spliced_losses
from scripts.analysis.stats import exact
from scripts.sae.model import SparseAutoencoder
from scripts.zoo.load import held_out_text, load_model


@pytest.fixture(scope="module")
def model_and_text():
    model = load_model("mlp-1l")
    return model, held_out_text(model, 24)


def exact_copy(d: int) -> SparseAutoencoder:
    """2d features, +x_i and -x_i: decodes every input exactly (activations after a ReLU need only the first d)."""
    sae = SparseAutoencoder(d, 2 * d)
    eye = torch.eye(d)
    with torch.no_grad():
        sae.W_enc.copy_(torch.cat([eye, -eye], 1))
        sae.W_dec.copy_(torch.cat([eye, -eye], 0))
        sae.b_enc.zero_(), sae.b_dec.zero_()
    return sae


def recovered(model, sae, text) -> float:
    return loss_recovered(spliced_losses(model, sae, 1.0, text))


def test_loss_recovered_fails_for_an_autoencoder_that_loses_the_activations(model_and_text):
    model, text = model_and_text
    d = model.cfg.d_mlp
    assert recovered(model, exact_copy(d), text) == pytest.approx(1.0, abs=1e-4)
    assert decide("sae-reconstruction.loss-recovered", exact(recovered(model, exact_copy(d), text), n=1,
                                                             unit="windows")) == "supported"
    silent = exact_copy(d)
    with torch.no_grad():
        silent.b_enc.fill_(-1e3)  # every feature off: the reconstruction is b_dec = 0, zero-ablation itself
    scrambled = exact_copy(d)
    with torch.no_grad():
        scrambled.W_dec.copy_(scrambled.W_dec[:, torch.randperm(d, generator=torch.Generator().manual_seed(0))])
    for bad in (silent, scrambled):  # no information kept; every neuron's activity sent to another neuron
        assert decide("sae-reconstruction.loss-recovered", exact(recovered(model, bad, text), n=1,
                                                                 unit="windows")) == "contradicted"


def test_few_dead_fails_when_features_never_fire(model_and_text):
    model, text = model_and_text
    acts = mlp_activations(model, text).reshape(-1, model.cfg.d_mlp)
    silent = exact_copy(model.cfg.d_mlp)
    with torch.no_grad():
        silent.b_enc.fill_(-1e3)  # nothing reaches threshold
    dead = float((feature_stats(silent, acts)["density"] == 0).double().mean())
    assert decide("sae-reconstruction.few-dead", exact(dead, n=len(acts), unit="tokens")) == "contradicted"
    live = exact_copy(model.cfg.d_mlp)
    with torch.no_grad():
        live.b_enc.fill_(1.0)  # every feature fires on every token
    alive = float((feature_stats(live, acts)["density"] == 0).double().mean())
    assert decide("sae-reconstruction.few-dead", exact(alive, n=len(acts), unit="tokens")) == "supported"


def test_interpretability_proxy_fails_when_features_are_no_cleaner_than_neurons():
    from scripts.analysis.sae_units import mean_difference, top_positions, top_token_share

    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 50, (20_000,), generator=g)
    detectors = torch.nn.functional.one_hot(tokens, 50).float() * (1 + torch.rand(20_000, 1, generator=g))
    mixed = torch.rand(20_000, 50, generator=g)  # fires everywhere, on no token in particular

    def shares(acts):
        return top_token_share(*top_positions(acts, lambda x: x, k=50), tokens)

    clean = mean_difference(shares(detectors), shares(mixed), unit="units")
    same = mean_difference(shares(mixed[:, :25]), shares(mixed[:, 25:]), unit="units")
    assert decide("sae-interpretability.features-more-monosemantic", clean) == "supported"
    assert decide("sae-interpretability.features-more-monosemantic", same) == "contradicted"


def test_splitting_fails_when_the_larger_dictionary_only_copies_the_smaller():
    from scripts.analysis.sae_units import children, decoder_cosines

    d = 16
    small = SparseAutoencoder(d, d)
    with torch.no_grad():
        small.W_dec.copy_(torch.eye(d))
    split, copy = SparseAutoencoder(d, 2 * d), SparseAutoencoder(d, d)
    a = torch.tensor(0.5)  # each child leans 0.5 rad off its parent, towards the next axis: cosine 0.88
    with torch.no_grad():
        eye, nxt = torch.eye(d), torch.eye(d).roll(1, 1)
        split.W_dec.copy_(torch.cat([eye * a.cos() + nxt * a.sin(), eye * a.cos() - nxt * a.sin()]))
        copy.W_dec.copy_(torch.eye(d))
    frac = lambda large: float((children(decoder_cosines(small, large)) >= 2).double().mean())
    assert decide("sae-splitting.features-split", exact(frac(split), n=d, unit="features")) == "supported"
    assert decide("sae-splitting.features-split", exact(frac(copy), n=d, unit="features")) == "contradicted"



def test_universality_fails_when_features_recur_no_better_than_neurons():
    from scripts.analysis.sae_units import best_match_correlation, mean_difference

    g = torch.Generator().manual_seed(1)
    shared = torch.rand(5000, 64, generator=g).relu()
    neurons_a, neurons_b = torch.randn(5000, 32, generator=g), torch.randn(5000, 32, generator=g)
    neurons = best_match_correlation(neurons_a, neurons_b)
    recur = mean_difference(best_match_correlation(shared, shared[:, torch.randperm(64, generator=g)]), neurons,
                            unit="units")
    fresh = mean_difference(best_match_correlation(shared, torch.rand(5000, 64, generator=g)), neurons, unit="units")
    assert decide("sae-universality.features-universal", recur) == "supported"
    assert decide("sae-universality.features-universal", fresh) == "contradicted"
