"""Direct logit attribution: what each component writes straight into the logits, and what a head's direct
output does to the logits of the tokens it attends to.

Context: in an attention-only model the final stream is a sum — token and positional embedding, every head's
output `z W_O`, the output biases — and the logits read it through the final LayerNorm and W_U. With that
LayerNorm's scale frozen at its actual value (per position) the read is linear, so each component has a
*direct* contribution to each logit and the contributions add up to the logit exactly. Logits are measured
against the mean logit over the vocabulary (W_U and b_U centred over the vocabulary), the part softmax sees.
The LayerNorm bias and b_U go to the component "bias", with the output biases b_O.

- `direct_logit_attribution`: every component's contribution to the logit of the correct next token, per
  position (`components`: "embed", "L{l}H{h}", "bias").
- `attended_token_effect`: for each head asked for, per query position, the attention-weighted direct effect
  of its output on the logits of the tokens it attends to, Σ_j A_ij · u_i · W_U[:, t_j]; with `baseline_tokens`, the
  same with the tokens of another sequence at the same source positions — a baseline with the same attention
  and the same token frequencies, for the "negative copying" reading of negative OV eigenvalues.
- `second_copy_share` and `attended_minus_baseline`: those two per unit (sequence or window), as the causal
  note's verdicts bootstrap them.

Direct effects only: what a layer-0 head does through layer 1 is not here (that is path patching). Tests:
the contributions add up to the model's logits (`tests/test_attribution.py`), and the attended-token effect
matches a per-example loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model


def _centred_unembed(model: Model) -> tuple[Float[Tensor, "d_model d_vocab"], Float[Tensor, " d_vocab"]]:
    W_U, b_U = model.W_U.detach(), model.b_U.detach()
    return W_U - W_U.mean(-1, keepdim=True), b_U - b_U.mean()


@torch.no_grad()
def head_outputs(model: Model, tokens: Int[Tensor, "batch pos"]) -> dict[str, Tensor]:
    """One forward pass: every head's output `z W_O` ("out": [batch, pos, layer, head, d_model]), its attention
    patterns ("pattern": [batch, layer, head, q, k]) and the final stream ("final": [batch, pos, d_model])."""
    L = model.cfg.n_layers
    cache: dict[str, Tensor] = {}

    def keeper(name):  # keyed by the name asked for (a hook's own `.name` may be an alias)
        return lambda x, hook: cache.__setitem__(name, x.detach())
    names = [f"blocks.{l}.attn.hook_{k}" for l in range(L) for k in ("z", "pattern")] + [f"blocks.{L - 1}.hook_resid_post"]
    hooks = [(n, keeper(n)) for n in names]
    with model.hooks(fwd_hooks=hooks):
        model(tokens)
    W_O = model.W_O.detach()
    out = torch.stack([torch.einsum("bphe,hed->bphd", cache[f"blocks.{l}.attn.hook_z"], W_O[l]) for l in range(L)], 2)
    pattern = torch.stack([cache[f"blocks.{l}.attn.hook_pattern"] for l in range(L)], 1)
    return {"out": out, "pattern": pattern, "final": cache[f"blocks.{L - 1}.hook_resid_post"]}


def _final_read(model: Model, final: Float[Tensor, "batch pos d_model"]) -> tuple[Tensor, Tensor, Tensor | None]:
    """How the unembedding reads a part of the final stream: (1 / frozen scale, LayerNorm gain, LayerNorm bias)."""
    kind = model.cfg.normalization_type
    if kind is None:
        return torch.ones(*final.shape[:-1], 1), torch.tensor(1.0), None
    if kind not in ("LN", "LNPre"):
        raise NotImplementedError(f"direct logit attribution through normalization {kind!r}")
    c = final - final.mean(-1, keepdim=True)
    inv = (c.pow(2).mean(-1, keepdim=True) + model.cfg.eps).rsqrt()
    ln = model.ln_final
    return inv, (ln.weight.detach() if kind == "LN" else torch.tensor(1.0)), (ln.bias.detach() if kind == "LN" else None)


def _read(part: Tensor, inv: Tensor, w: Tensor) -> Tensor:
    return (part - part.mean(-1, keepdim=True)) * inv * w


@torch.no_grad()
def direct_logit_attribution(model: Model, tokens: Int[Tensor, "batch pos"], *,
                             chunk: int = 64) -> tuple[list[str], Float[Tensor, "batch pos-1 component"]]:
    """(component names, contributions): each component's direct contribution to the logit of the correct
    next token minus the mean logit, at every position but the last; they add up to that logit exactly."""
    L, H = model.cfg.n_layers, model.cfg.n_heads
    names = ["embed", *(f"L{l}H{h}" for l in range(L) for h in range(H)), "bias"]
    W_U, b_U = _centred_unembed(model)
    b_O = model.b_O.detach().sum(0)
    rows = []
    for i in range(0, tokens.shape[0], chunk):
        t = tokens[i:i + chunk]
        r = head_outputs(model, t)
        inv, w, b = _final_read(model, r["final"])
        n = t.shape[1]
        embed = model.W_E.detach()[t] + model.W_pos.detach()[:n]
        parts = torch.cat([embed[:, :, None], r["out"].flatten(2, 3)], 2)  # [batch pos 1+L*H d_model]
        Wc = W_U.T[t[:, 1:]]  # the correct token's unembedding, [batch pos-1 d_model]
        heads = torch.einsum("bpcd,bpd->bpc", _read(parts[:, :-1], inv[:, :-1, None], w), Wc)
        bias = (_read(b_O.expand_as(embed[:, :-1]), inv[:, :-1], w) * Wc).sum(-1) + b_U[t[:, 1:]]
        if b is not None:
            bias = bias + Wc @ b
        rows.append(torch.cat([heads, bias[..., None]], -1))
    return names, torch.cat(rows)


@torch.no_grad()
def attended_token_effect(model: Model, tokens: Int[Tensor, "batch pos"], heads: Sequence[tuple[int, int]], *,
                          baseline_tokens: Int[Tensor, "batch pos"] | None = None,
                          chunk: int = 64) -> dict[tuple[int, int, str], Float[Tensor, "batch pos"]]:
    """Per head in `heads` and query position i, Σ_j A_ij · d_i(t_j): the head's direct effect d_i (its output
    at i read by the unembedding, final LayerNorm scale frozen, logits minus their mean) on the logit of each
    token t_j it attends to, weighted by its attention — under the key (layer, head, "attended"). With
    `baseline_tokens`, also (layer, head, "baseline"): the same with t_j replaced by baseline_tokens[:, j] (the
    attention and the head's output stay those of `tokens`). One forward pass per chunk for every head."""
    W_U, _ = _centred_unembed(model)
    sets = {"attended": tokens, **({} if baseline_tokens is None else {"baseline": baseline_tokens})}
    rows: dict[tuple[int, int, str], list[Tensor]] = {}
    for i in range(0, tokens.shape[0], chunk):
        r = head_outputs(model, tokens[i:i + chunk])
        inv, w, _ = _final_read(model, r["final"])
        for layer, head in heads:
            u = _read(r["out"][:, :, layer, head], inv, w)  # [batch q d_model]
            a = r["pattern"][:, layer, head]
            for name, t in sets.items():
                d = u @ W_U[:, t[i:i + chunk]].permute(1, 0, 2)  # d_i(t_j): [batch q k]
                rows.setdefault((layer, head, name), []).append((a * d).sum(-1))
    return {k: torch.cat(v) for k, v in rows.items()}


# -- the causal note's two statistics, per unit ----------------------------------------------------------

def second_copy_share(model: Model, rep: Int[Tensor, "batch pos"], component: str) -> tuple[np.ndarray, np.ndarray]:
    """Per sequence `[BOS] r r`: the mean direct contribution of `component` ("L1H0", "embed", ...) to the
    correct-token logit over the predictions of the second copy (as per_unit.repeat_halves), and the mean total
    over every component — their ratio of means is the component's share."""
    names, dla = direct_logit_attribution(model, rep)
    seq_len = (rep.shape[1] - 1) // 2
    second = dla[:, seq_len + 1:].double()
    return second[..., names.index(component)].mean(1).numpy(), second.sum(-1).mean(1).numpy()


def attended_minus_baseline(model: Model, text: Int[Tensor, "batch pos"], heads: Sequence[tuple[int, int]], *,
                            baseline_tokens: Int[Tensor, "batch pos"] | None = None) -> dict[tuple[int, int], np.ndarray]:
    """Per sequence and head: the attended-token effect minus its baseline, mean over query positions 1..n-1
    (position 0 attends only to itself). The baseline tokens default to the next sequence's (`roll`): another
    window's tokens at the same positions, so the same token frequencies."""
    other = text.roll(1, 0) if baseline_tokens is None else baseline_tokens
    e = attended_token_effect(model, text, heads, baseline_tokens=other)
    return {(l, h): (e[(l, h, "attended")] - e[(l, h, "baseline")])[:, 1:].mean(1).double().numpy() for l, h in heads}
