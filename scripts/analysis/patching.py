"""Ablation and path patching through TransformerBridge hooks: take one head's output away everywhere, or only
where one later component reads it.

Context: weights and attention patterns suggest a circuit; an intervention tests it. Two interventions, both
one forward pass with hooks, batched over sequences (no per-example Python loop):

- **Ablation** of a head (`heads=[(layer, head)]`): its output `z W_O` is replaced everywhere — by zero, by
  its mean over a reference batch at the same position ("mean", the usual default), or by its value on a
  different input ("resample": row i of the reference batch; with no reference, row i + 1 of the batch
  itself, so that every sequence gets another sequence's output).
- **Path patching** (`paths=[Path(...)]`): the same replacement, seen by one reader only. A `Path` goes from
  a sender head to the query, key or value input of one later head, or straight to the logits (the direct
  path). The receiver reads `LN(x + Δ)`, where x is the stream it reads in this run and Δ the sender's
  replaced output minus its actual output; every other component reads x. LayerNorm's scale is recomputed
  on `x + Δ`, as it would be if the sender really wrote something else.

Intuition: in an induction circuit, the previous-token head's output matters to the induction head through
its *keys* (where the head looks) and not its *values* (what it copies). Path patching asks each question
separately; `tests/test_patching.py` checks the answers on a hand-built induction model, where they are
known, and against a slow per-example forward pass written from the weights.

Works on any attention-only TransformerBridge (zoo models folded or not, and models without LayerNorm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model

Ablation = Literal["zero", "mean", "resample"]
Input = Literal["q", "k", "v"]
ABLATIONS: tuple[str, ...] = ("zero", "mean", "resample")


@dataclass(frozen=True)
class Path:
    """One path out of a head: `sender` (layer, head) to `receiver` (layer, head, "q" | "k" | "v"), or to
    the logits directly when `receiver` is None."""

    sender: tuple[int, int]
    receiver: tuple[int, int, str] | None = None  # str, not Input: __post_init__ rejects others with a ValueError

    def __post_init__(self):
        if self.receiver is not None:
            layer, _, kind = self.receiver
            if kind not in ("q", "k", "v"):
                raise ValueError(f"receiver input {kind!r}: one of 'q', 'k', 'v'")
            if layer <= self.sender[0]:
                raise ValueError(f"{self.label}: the receiver must read after the sender writes")

    @property
    def label(self) -> str:
        s = f"L{self.sender[0]}H{self.sender[1]}"
        if self.receiver is None:
            return f"{s} → logits"
        layer, head, kind = self.receiver
        return f"{s} → L{layer}H{head}.{kind}"


class StopForward(Exception):
    """Raised by a hook to end a forward pass once everything asked for has been seen (every early stop of the
    project's hooks: here, `channel.py`, `decompose.py`)."""


# -- what replaces a head's output ---------------------------------------------------------------------------

def reference_z(model: Model, tokens: Int[Tensor, "batch pos"], layers: Sequence[int], *,
                chunk: int = 256) -> dict[int, Float[Tensor, "batch pos head d_head"]]:
    """Every head's `z` (its output before W_O) in `layers` on a reference batch (each forward pass stops at
    the last of those layers). Compute it once and pass it to `run_patched` for many interventions."""
    out: dict[int, list[Tensor]] = {layer: [] for layer in layers}
    last = max(layers, default=None)

    def keep(z, hook):
        layer = int(hook.name.split(".")[1])
        out[layer].append(z.detach().clone())
        if layer == last:
            raise StopForward
        return z

    with torch.no_grad(), model.hooks(fwd_hooks=[(f"blocks.{layer}.attn.hook_z", keep) for layer in layers]):
        for i in range(0, tokens.shape[0], chunk):
            try:
                model(tokens[i:i + chunk])
            except StopForward:
                pass
    return {layer: torch.cat(v) for layer, v in out.items()}


def replacement(z: Float[Tensor, "batch pos d_head"], ablation: Ablation,
                reference: Float[Tensor, "ref pos d_head"] | None) -> Float[Tensor, "batch pos d_head"]:
    """What replaces one head's `z`: zeros; the reference batch's mean at each position; or, row by row, the
    reference batch's rows (`resample`; the reference must have as many rows as z). With `reference=None`,
    mean and resample use z's own batch (resample: row i gets row i + 1, never itself)."""
    b, n = z.shape[:2]
    if ablation == "zero":
        return torch.zeros_like(z)
    if ablation == "mean":
        ref = z if reference is None else reference
        return ref[:, :n].mean(0, keepdim=True).expand_as(z)
    if ablation == "resample":
        if reference is None:
            return z.roll(-1, dims=0)
        if reference.shape[0] != b:
            raise ValueError(f"resample ablation: the reference has {reference.shape[0]} rows for a batch of {b}")
        return reference[:, :n]
    raise ValueError(f"ablation {ablation!r}: one of {ABLATIONS}")


# -- hooks ---------------------------------------------------------------------------------------------------

def _norm(model: Model, module, x: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
    """`module`'s LayerNorm applied to x without firing its hooks (a cache of this run stays the run's own)."""
    kind = model.cfg.normalization_type
    if kind is None:
        return x
    if kind not in ("LN", "LNPre"):
        raise NotImplementedError(f"path patching through normalization {kind!r}")
    x = x - x.mean(-1, keepdim=True)
    x = x / (x.pow(2).mean(-1, keepdim=True) + model.cfg.eps).sqrt()
    return x * module.weight + module.bias if kind == "LN" else x


def patch_hooks(model: Model, *, heads: Sequence[tuple[int, int]] = (), paths: Sequence[Path] = (),
                ablation: Ablation = "mean", reference: dict[int, Tensor] | None = None) -> list[tuple[str, object]]:
    """Forward hooks that ablate `heads` everywhere and patch `paths`, for `model.hooks(fwd_hooks=...)` or
    `model.run_with_hooks`. `reference` maps a layer to the reference batch's z there (`reference_z`); it
    must cover every sender's layer for mean or resample ablation from a reference (None: the batch itself)."""
    W_O = model.W_O.detach()
    state: dict = {}  # this run's sender deltas and receiver inputs (the hooks' scratch space, per call)
    hooks: list[tuple[str, object]] = []

    def ref(layer, head):
        return None if reference is None else reference[layer][:, :, head]

    for layer in sorted({h[0] for h in heads}):
        ablated = [h for (lay, h) in heads if lay == layer]

        def ablate_z(z, hook, layer=layer, ablated=ablated):
            z = z.clone()
            for h in ablated:
                z[:, :, h] = replacement(z[:, :, h], ablation, ref(layer, h))
            return z
        hooks.append((f"blocks.{layer}.attn.hook_z", ablate_z))

    senders = sorted({p.sender for p in paths})
    for layer in sorted({s[0] for s in senders}):
        mine = [h for (lay, h) in senders if lay == layer]

        def sender_delta(z, hook, layer=layer, mine=mine):  # Δ = (replaced z - z) W_O, per sender
            for h in mine:
                state[(layer, h)] = torch.einsum("bpe,ed->bpd", replacement(z[:, :, h], ablation, ref(layer, h)) - z[:, :, h],
                                                 W_O[layer, h])
            return z
        hooks.append((f"blocks.{layer}.attn.hook_z", sender_delta))

    return hooks + _receiver_hooks(model, paths, state)


def _receiver_hooks(model: Model, paths: Sequence[Path], state: dict) -> list[tuple[str, object]]:
    """The receivers' side of `paths`: each receiving head's q, k or v (or the logits) recomputed from its input
    plus the senders' deltas that `patch_hooks` left in `state`."""
    W = {"q": model.W_Q.detach(), "k": model.W_K.detach(), "v": model.W_V.detach()}
    b = {"q": model.b_Q.detach(), "k": model.b_K.detach(), "v": model.b_V.detach()}
    last = model.cfg.n_layers - 1
    hooks: list[tuple[str, object]] = []
    into: dict[tuple, list[tuple[int, int]]] = {}
    for p in paths:
        into.setdefault(p.receiver, []).append(p.sender)
    for layer in sorted({r[0] for r in into if r is not None}):
        def keep_input(x, hook, layer=layer):
            state[("x", layer)] = x
            return x
        hooks.append((f"blocks.{layer}.hook_resid_pre", keep_input))
        for kind in "qkv":
            targets = {r[1]: s for r, s in into.items() if r is not None and r[0] == layer and r[2] == kind}
            if not targets:
                continue

            def patch_input(act, hook, layer=layer, kind=kind, targets=targets):
                act = act.clone()
                for head, sources in targets.items():
                    x = state[("x", layer)] + sum(state[s] for s in sources)
                    h = _norm(model, model.blocks[layer].ln1, x)
                    act[:, :, head] = h @ W[kind][layer, head] + b[kind][layer, head]
                return act
            hooks.append((f"blocks.{layer}.attn.hook_{kind}", patch_input))
    if None in into:
        def patch_logits(x, hook, sources=into[None]):
            return x + sum(state[s] for s in sources)
        hooks.append((f"blocks.{last}.hook_resid_post", patch_logits))
    return hooks


# -- a patched run and what it measures ----------------------------------------------------------------------

def run_patched(model: Model, tokens: Int[Tensor, "batch pos"], *, heads: Sequence[tuple[int, int]] = (),
                paths: Sequence[Path] = (), ablation: Ablation = "mean",
                reference: Int[Tensor, "ref pos"] | dict[int, Tensor] | None = None,
                pattern_layers: Sequence[int] = (), loss: bool = True, chunk: int = 128) -> dict[str, Tensor]:
    """Next-token loss at every position (`"loss"`: [batch, pos-1]) and the attention patterns of
    `pattern_layers` (`"pattern<layer>"`: [batch, head, q, k]) with `heads` ablated and `paths` patched,
    `chunk` sequences at a time. `reference`: tokens of a reference batch (same length) or their z from
    `reference_z`; None uses each chunk itself. `loss=False` stops each forward pass at the last pattern
    asked for (no unembedding: several times cheaper) and returns patterns only."""
    if not loss and not pattern_layers:
        raise ValueError("run_patched(loss=False) needs pattern_layers: there would be nothing to return")
    layers = sorted({h[0] for h in heads} | {p.sender[0] for p in paths})
    if isinstance(reference, Tensor):
        reference = reference_z(model, reference, layers)
    out: dict[str, list[Tensor]] = {**({"loss": []} if loss else {}), **{f"pattern{layer}": [] for layer in pattern_layers}}
    last_pattern = max(pattern_layers, default=None)

    def capture(pattern, hook):
        layer = int(hook.name.split(".")[1])
        out[f"pattern{layer}"].append(pattern.detach().clone())
        if not loss and layer == last_pattern:
            raise StopForward
        return pattern

    with torch.no_grad():
        for i in range(0, tokens.shape[0], chunk):
            t = tokens[i:i + chunk]
            ref = None if reference is None else {k: v[i:i + chunk] if ablation == "resample" else v
                                                  for k, v in reference.items()}
            hooks = patch_hooks(model, heads=heads, paths=paths, ablation=ablation, reference=ref)
            hooks += [(f"blocks.{layer}.attn.hook_pattern", capture) for layer in pattern_layers]
            with model.hooks(fwd_hooks=hooks):
                try:
                    logits = model(t)[:, :-1]
                except StopForward:
                    continue
            # loss = logsumexp - correct logit (cheaper than a full log_softmax)
            out["loss"].append(logits.logsumexp(-1) - logits.gather(-1, t[:, 1:, None])[..., 0])
    return {k: torch.cat(v) for k, v in out.items()}


def induction_per_sequence(pattern: Float[Tensor, "batch head q k"]) -> Float[Tensor, "batch head"]:
    """Each sequence's induction score per head on `[BOS] r r` (as induction.induction_scores: the diagonal at
    offset 1 - seq_len, its first two rows skipped)."""
    seq_len = (pattern.shape[-1] - 1) // 2
    return pattern.diagonal(offset=1 - seq_len, dim1=-2, dim2=-1)[..., 2:].mean(-1)
