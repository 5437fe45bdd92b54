"""The grokking model and its Fourier measures against slow references and known answers; training resumes
exactly after an interruption."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from scripts.analysis import fourier
from scripts.grokking import model as gmodel
from scripts.grokking import train as gtrain
from scripts.grokking.task import make_split


@pytest.fixture(scope="module")
def perturbed():
    """An untrained model with non-zero biases (the trained ones are not zero either)."""
    m = gmodel.build_model(gmodel.GrokConfig(), seed=1)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in m.original_model.named_parameters():
            if name.endswith("bias"):
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    return m


def test_split_is_the_papers_and_seeded():
    s = make_split(0)
    assert len(s.train) == 3830 and len(s.test) == 12769 - 3830
    assert not set(s.train.tolist()) & set(s.test.tolist())
    assert torch.equal(make_split(0).train, s.train) and not torch.equal(make_split(1).train, s.train)
    assert s.tokens(s.train[:2])[:, 2].tolist() == [113, 113]


def test_fast_logits_equal_the_bridge_forward_on_every_pair(perturbed):
    s = make_split(0)
    fast = gmodel.fast_logits(perturbed, s.a, s.b)
    slow = gmodel.bridge_logits(perturbed, s.tokens())
    assert fast.shape == (12769, 113)
    torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-5)


def test_fast_logits_give_the_bridge_gradients(perturbed):
    s = make_split(0)
    idx = s.train[:512]
    params = list(perturbed.original_model.parameters())

    def grads(logits):
        loss = torch.nn.functional.cross_entropy(logits.double(), s.labels[idx])
        return torch.autograd.grad(loss, params, allow_unused=True)

    fast = grads(gmodel.fast_logits(perturbed, s.a[idx], s.b[idx]))
    slow = grads(gmodel.bridge_logits(perturbed, s.tokens(idx)))
    scale = max(float(g.abs().max()) for g in slow)
    for (name, _), f, r in zip(perturbed.original_model.named_parameters(), fast, slow):
        if "k._original" in name and name.endswith("bias"):
            continue  # a key bias shifts every score of a query equally: its true gradient is 0, both are noise
        torch.testing.assert_close(f, r, rtol=0, atol=2e-5 * scale, msg=name)


def test_fourier_basis_is_orthonormal():
    B = fourier.fourier_basis(113)
    torch.testing.assert_close(B @ B.T, torch.eye(113, dtype=torch.float64), atol=1e-10, rtol=0)


def test_key_frequencies_of_a_built_embedding_and_of_noise():
    p, d = 113, 128
    x = torch.arange(p, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    built = sum(torch.outer(torch.cos(2 * math.pi * k * x / p), torch.randn(d, generator=g, dtype=torch.float64))
                + torch.outer(torch.sin(2 * math.pi * k * x / p), torch.randn(d, generator=g, dtype=torch.float64))
                for k in (14, 35, 41))
    spectrum = fourier.embedding_spectrum(built + 0.05 * torch.randn(p, d, generator=g, dtype=torch.float64))
    assert fourier.key_frequencies(spectrum) == [14, 35, 41]
    noise = fourier.embedding_spectrum(torch.randn(p, d, generator=g, dtype=torch.float64))
    assert fourier.key_frequencies(noise) == []  # an even spread has no key frequencies
    assert abs(spectrum.sum() - 1) < 1e-12


def test_gini_known_values():
    assert fourier.gini(np.ones(10)) == pytest.approx(0.0)
    assert fourier.gini(np.r_[np.zeros(9), 1.0]) == pytest.approx(0.9)


def test_restricted_and_excluded_loss_on_logits_made_of_the_algorithm():
    """Logits cos(w(a+b-c)) summed over key frequencies: restricting to those frequencies changes nothing;
    excluding them leaves a constant, whose loss is ln p."""
    p, keys = 113, [5, 17, 40]
    a = torch.arange(p, dtype=torch.float64)
    phase = a[:, None, None] + a[None, :, None] - a[None, None, :]
    logits = 6.0 * sum(torch.cos(2 * math.pi * k * phase / p) for k in keys)
    everything = torch.arange(p * p)
    full = fourier.loss_on(logits, everything)
    assert fourier.loss_on(fourier.restricted_logits(logits, keys), everything) == pytest.approx(full, rel=1e-9)
    assert fourier.loss_on(fourier.excluded_logits(logits, keys), everything) == pytest.approx(math.log(p), rel=1e-9)
    # removing a frequency the model does not use changes nothing; keeping only one it uses costs loss
    assert fourier.loss_on(fourier.excluded_logits(logits, [3]), everything) == pytest.approx(full, rel=1e-9)
    assert fourier.loss_on(fourier.restricted_logits(logits, keys[:1]), everything) > full + 0.5


def test_training_resumes_exactly_after_an_interruption(tmp_path, monkeypatch):
    params = {"seed": 3, "max_epochs": 30, "log_every": 5, "save_every": 10, "snapshot_epochs": [10]}
    gtrain.train(params, tmp_path / "straight", tmp_path / "cache-a", progress=False)

    calls = {"n": 0}
    real = gtrain.fast_logits

    def interrupting(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 40:  # forward passes include the logging ones: this is mid-training, after a save
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(gtrain, "fast_logits", interrupting)
    monkeypatch.setattr(gtrain, "SAVE_SECONDS", 0.0)  # state after every epoch: resuming must be exact anywhere
    with pytest.raises(KeyboardInterrupt):
        gtrain.train(params, tmp_path / "resumed", tmp_path / "cache-b", progress=False)
    assert not (tmp_path / "resumed").exists()  # nothing written until training has finished
    monkeypatch.setattr(gtrain, "fast_logits", real)
    gtrain.train(params, tmp_path / "resumed", tmp_path / "cache-b", progress=False)
    for name in ("model.safetensors", "snapshots/epoch-00010.safetensors"):
        a, b = load_file(str(tmp_path / "straight" / name)), load_file(str(tmp_path / "resumed" / name))
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert (tmp_path / "straight" / "metrics.json").read_text() == (tmp_path / "resumed" / "metrics.json").read_text()


def test_a_later_stopping_rule_continues_the_same_run(tmp_path):
    """Raising max_epochs resumes the saved run rather than starting over, and ends where a straight run does."""
    base = {"seed": 4, "log_every": 5, "save_every": 5, "snapshot_epochs": []}
    gtrain.train({**base, "max_epochs": 30}, tmp_path / "straight", tmp_path / "a", progress=False)
    gtrain.train({**base, "max_epochs": 20}, tmp_path / "short", tmp_path / "b", progress=False)
    gtrain.train({**base, "max_epochs": 30}, tmp_path / "longer", tmp_path / "b", progress=False)
    a, b = (load_file(str(tmp_path / run / "model.safetensors")) for run in ("straight", "longer"))
    assert all(torch.equal(a[k], b[k]) for k in a)
