"""Known answers for ablation and path patching (scripts/analysis/patching.py).

- On the hand-built induction model of test_analysis (previous-token head L0H0 writes the previous token into
  a slot that only L1H0's keys read), removing L0H0 from L1H0's key input must destroy induction, and
  removing it from the query input, the value input or the direct path to the logits must change nothing.
- Against a slow reference: a per-example forward pass written from the weights (LayerNorm with non-trivial
  gains and biases), for every ablation kind and a mix of paths into queries, keys, values and logits.
- Against the older key-path ablation of scripts/analysis/circuit_evidence.py, which it generalises.
"""

from __future__ import annotations

import pytest
import torch
from model_fixtures import random_folded_pair
from test_analysis import hand_built_induction_model

from scripts.analysis import patching as pt
from scripts.analysis.induction import per_token_loss
from scripts.analysis.per_unit import repeat_halves

G = lambda seed=0: torch.Generator().manual_seed(seed)


def _perms(n: int, seed: int) -> torch.Tensor:
    """`[BOS] r r` with r a random order of the distinct tokens 1..7 (the hand-built model's vocabulary)."""
    perms = torch.stack([torch.randperm(7, generator=G(seed + s)) + 1 for s in range(n)])
    return torch.cat([torch.zeros(n, 1, dtype=torch.long), perms, perms], 1)


@pytest.fixture(scope="module")
def hand_built():
    return hand_built_induction_model(), _perms(32, 0), _perms(32, 1000)


def _measure(model, tokens, **kw):
    out = pt.run_patched(model, tokens, pattern_layers=[1], **kw)
    first, second = repeat_halves(out["loss"])
    return pt.induction_per_sequence(out["pattern1"])[:, 0].mean().item(), second.mean().item(), first.mean().item()


@pytest.mark.parametrize("ablation", pt.ABLATIONS)
def test_hand_built_key_path_is_necessary_and_value_query_logit_paths_are_not(hand_built, ablation):
    model, tokens, other = hand_built
    ref = other if ablation != "zero" else None
    ind, second, first = _measure(model, tokens)
    assert ind > 0.95 and second < 0.2 * first
    k_ind, k_second, _ = _measure(model, tokens, paths=[pt.Path((0, 0), (1, 0, "k"))], ablation=ablation, reference=ref)
    assert k_ind < 0.3 and k_second > 5 * second  # induction destroyed, the repeat no longer predicted
    for path in (pt.Path((0, 0), (1, 0, "v")), pt.Path((0, 0), (1, 0, "q")), pt.Path((0, 0))):
        p_ind, p_second, _ = _measure(model, tokens, paths=[path], ablation=ablation, reference=ref)
        assert p_ind == pytest.approx(ind, abs=1e-6) and p_second == pytest.approx(second, abs=1e-5), path.label
    a_ind, a_second, _ = _measure(model, tokens, heads=[(0, 0)], ablation=ablation, reference=ref)
    assert a_ind < 0.3 and a_second > 5 * second  # ablating the head everywhere does it too
    _, l1_second, _ = _measure(model, tokens, heads=[(1, 0)], ablation=ablation, reference=ref)
    assert l1_second > 5 * second  # without the induction head, no induction


def test_nothing_patched_is_the_model_itself():
    model, _ = random_folded_pair()
    tokens = torch.randint(0, 50, (5, 24), generator=G(1))
    out = pt.run_patched(model, tokens, chunk=2)
    assert torch.allclose(out["loss"], per_token_loss(model, tokens), atol=1e-5)


# -- a slow reference: one example at a time, from the weights -----------------------------------------------

def _ln(x, w, b, eps):
    x = x - x.mean(-1, keepdim=True)
    return x / (x.pow(2).mean(-1, keepdim=True) + eps).sqrt() * w + b


def _slow(model, tokens, *, heads=(), paths=(), ablation="mean", ref_z=None):
    """Loss per position and layer-1 patterns; an explicit loop over examples and heads."""
    sd = {k: v.detach() for k, v in model.state_dict().items()}
    W = {"q": model.W_Q.detach(), "k": model.W_K.detach(), "v": model.W_V.detach()}
    B = {"q": model.b_Q.detach(), "k": model.b_K.detach(), "v": model.b_V.detach()}
    W_O, b_O, eps = model.W_O.detach(), model.b_O.detach(), model.cfg.eps
    L, H, n = model.cfg.n_layers, model.cfg.n_heads, tokens.shape[1]
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
    losses, patterns, zs = [], [], []
    for i in range(tokens.shape[0]):
        t = tokens[i]
        x = model.W_E.detach()[t] + model.W_pos.detach()[:n]
        deltas, z_all, pat1 = {}, {}, []
        for layer in range(L):
            zl = []
            for h in range(H):
                ins = {}
                for kind in "qkv":
                    xin = x + sum((deltas[p.sender] for p in paths if p.receiver == (layer, h, kind)), torch.zeros_like(x))
                    ln = _ln(xin, sd[f"blocks.{layer}.ln1.weight"], sd[f"blocks.{layer}.ln1.bias"], eps)
                    ins[kind] = ln @ W[kind][layer, h] + B[kind][layer, h]
                s = (ins["q"] @ ins["k"].T / W["q"].shape[-1] ** 0.5).masked_fill(mask, float("-inf"))
                a = s.softmax(-1)
                if layer == 1:
                    pat1.append(a)
                zl.append(a @ ins["v"])
            z = torch.stack(zl, 1)  # [pos head d_head]
            z_all[layer] = z.clone()
            for (lay, h) in {p.sender for p in paths}:
                if lay == layer:
                    repl = _slow_replacement(z[:, h], ablation, ref_z, layer, h, i, tokens.shape[0])
                    deltas[(lay, h)] = (repl - z[:, h]) @ W_O[lay, h]
            for (lay, h) in heads:
                if lay == layer:
                    z[:, h] = _slow_replacement(z[:, h], ablation, ref_z, layer, h, i, tokens.shape[0])
            x = x + sum(z[:, h] @ W_O[layer, h] for h in range(H)) + b_O[layer]
        xf = x + sum((deltas[p.sender] for p in paths if p.receiver is None), torch.zeros_like(x))
        logits = _ln(xf, sd["ln_final.weight"], sd["ln_final.bias"], eps) @ model.W_U.detach() + model.b_U.detach()
        losses.append(-logits[:-1].log_softmax(-1).gather(-1, t[1:, None])[:, 0])
        patterns.append(torch.stack(pat1))
        zs.append(z_all)
    return torch.stack(losses), torch.stack(patterns), {lay: torch.stack([z[lay] for z in zs]) for lay in range(L)}


def _slow_replacement(z, ablation, ref_z, layer, h, i, batch):
    if ablation == "zero":
        return torch.zeros_like(z)
    if ablation == "mean":
        return ref_z[layer][:, :, h].mean(0)
    return ref_z[layer][i, :, h]  # resample: the reference's row i


@pytest.mark.parametrize("ablation", pt.ABLATIONS)
def test_path_patching_matches_a_slow_reference(ablation):
    model, _ = random_folded_pair()  # unfolded LayerNorms with non-trivial gains and biases
    tokens = torch.randint(0, 50, (6, 20), generator=G(2))
    other = torch.randint(0, 50, (6, 20), generator=G(3))
    _, _, ref_z = _slow(model, other)
    cases = [dict(paths=[pt.Path((0, 0), (1, 1, "k"))]),
             dict(paths=[pt.Path((0, 1), (1, 0, "q")), pt.Path((0, 0), (1, 0, "q")), pt.Path((0, 1), (1, 1, "v"))]),
             dict(paths=[pt.Path((0, 0)), pt.Path((1, 1))]),
             dict(heads=[(0, 1)]),
             dict(heads=[(1, 0)], paths=[pt.Path((0, 0), (1, 1, "k"))])]
    for case in cases:
        fast = pt.run_patched(model, tokens, ablation=ablation, reference=other, pattern_layers=[1], chunk=4, **case)
        loss, pattern, _ = _slow(model, tokens, ablation=ablation, ref_z=ref_z, **case)
        assert torch.allclose(fast["loss"], loss, atol=1e-4), case
        assert torch.allclose(fast["pattern1"], pattern, atol=1e-5), case
        clean = per_token_loss(model, tokens)
        assert not torch.allclose(fast["loss"], clean, atol=1e-3), case  # the patch did something


def test_generalises_the_key_path_ablation_of_circuit_evidence():
    from scripts.analysis.circuit_evidence import key_path_ablated_induction
    from scripts.analysis.induction import repeated_random_tokens
    from scripts.analysis.residual import weights_of

    _, folded = random_folded_pair()
    tokens = repeated_random_tokens(8, 11, 50, bos=0, seed=4)
    w = weights_of(folded)
    for ablate in ([0], [0, 1]):
        old = key_path_ablated_induction(w, tokens, 1, ablate)
        out = pt.run_patched(folded, tokens, paths=[pt.Path((0, h), (1, 1, "k")) for h in ablate], ablation="mean",
                             pattern_layers=[1], chunk=8)
        assert pt.induction_per_sequence(out["pattern1"])[:, 1].mean().item() == pytest.approx(old, abs=1e-5)


def test_path_rejects_backward_paths():
    with pytest.raises(ValueError):
        pt.Path((1, 0), (0, 0, "k"))
    with pytest.raises(ValueError):
        pt.Path((0, 0), (1, 0, "o"))
