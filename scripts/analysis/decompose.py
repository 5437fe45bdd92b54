"""Attention scores split by what the query and the key read: the token embedding, the positional embedding
and (after layer 0) what earlier heads wrote.

Context: our positions live in the residual stream (W_pos is added to W_E), so a layer-0 head's score
`(LN(x_q) W_Q + b_Q)(LN(x_k) W_K + b_K)ᵀ / sqrt(d_head)` with `x = tok + pos` is one bilinear form, and it
splits into position·position, token·position, position·token and token·token terms (query part first). The
split needs two decisions, both fixed here:

- **LayerNorm** is linear once its scale is fixed: `LN(x) = centre(x) / s(x) · w + b`. Each part is centred
  and divided by the scale of the *whole* stream at its position (frozen, as in direct logit attribution),
  so the parts add up exactly to what the head reads. The LayerNorm bias `b` is a constant.
- **Biases** (`b_Q`, `b_K` and LayerNorm's `b` read through W_Q, W_K) do not depend on the token, so they are
  counted with the part named `bias_to` (default "pos": "position" then means "everything at this position
  that is not its token"). The key bias adds the same amount to every score of a query row, so it cannot
  change an attention pattern; the query bias can (it is a query that every position shares).

`split_scores` returns the terms for one head; `pattern_of` turns any sum of terms into an attention pattern,
so a term's effect is read as "the pattern the head would have if its scores were only these terms".
`score_shares` says how much of each row's score variance over keys each term explains (covariance with the
full score over its variance: the shares add up to 1). `previous_token_by_term` and `induction_by_query_part`
are what the causal note measures with these, batched over sequences. Tests: the terms add up to the model's own scores
(`tests/test_decompose.py`), and a head built to read positions only has everything in position·position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import torch
from jaxtyping import Float, Int
from torch import Tensor

from scripts.analysis.model import Model
from scripts.analysis.patching import StopForward, induction_per_sequence

Parts = Mapping[str, Float[Tensor, "batch pos d_model"]]
TERMS = [("pos", "pos"), ("tok", "pos"), ("pos", "tok"), ("tok", "tok")]  # (query part, key part) of layer 0
TERM_LABEL = {("pos", "pos"): "pos·pos", ("tok", "pos"): "tok·pos", ("pos", "tok"): "pos·tok", ("tok", "tok"): "tok·tok"}


def embedding_parts(model: Model, tokens: Int[Tensor, "batch pos"]) -> dict[str, Float[Tensor, "batch pos d_model"]]:
    """What layer 0 reads, split: the token embedding and the positional embedding (they add up to the stream)."""
    n = tokens.shape[1]
    return {"tok": model.W_E.detach()[tokens], "pos": model.W_pos.detach()[:n].expand(tokens.shape[0], n, -1)}


@torch.no_grad()
def stream_parts(model: Model, tokens: Int[Tensor, "batch pos"], layer: int) -> dict[str, Float[Tensor, "batch pos d_model"]]:
    """What `layer` reads, split: token embedding, positional embedding and, for layer > 0, what the earlier
    layers wrote: their output biases ("biases", the same at every position; in a folded model they hold the
    value biases too) and the rest, their heads' outputs ("heads"), from one forward pass stopped there."""
    parts = embedding_parts(model, tokens)
    if layer == 0:
        return parts
    seen: dict[str, Tensor] = {}

    def keep(x, hook):
        seen["x"] = x.detach().clone()
        raise StopForward

    with model.hooks(fwd_hooks=[(f"blocks.{layer}.hook_resid_pre", keep)]):
        try:
            model(tokens)
        except StopForward:
            pass
    biases = model.b_O.detach()[:layer].sum(0).expand_as(parts["tok"])
    return {**parts, "heads": seen["x"] - parts["tok"] - parts["pos"] - biases, "biases": biases}


def _ln_pieces(model: Model, layer: int, parts: Parts) -> tuple[dict[str, Tensor], Tensor | None]:
    """Each part as the head reads it (centred, over the whole stream's frozen scale, times the LayerNorm
    gain), and LayerNorm's bias (None without one)."""
    kind = model.cfg.normalization_type
    if kind is None:
        return dict(parts), None
    if kind not in ("LN", "LNPre"):
        raise NotImplementedError(f"score split through normalization {kind!r}")
    x = sum(parts.values())
    centre = lambda v: v - v.mean(-1, keepdim=True)
    scale = (centre(x).pow(2).mean(-1, keepdim=True) + model.cfg.eps).sqrt()
    ln = model.blocks[layer].ln1
    w = ln.weight.detach() if kind == "LN" else 1.0
    b = ln.bias.detach() if kind == "LN" else None
    return {k: centre(v) / scale * w for k, v in parts.items()}, b


@torch.no_grad()
def split_reads(model: Model, layer: int, head: int, parts: Parts, kind: str, *,
                bias_to: str = "pos") -> dict[str, Float[Tensor, "batch pos d_head"]]:
    """The `kind` ("q", "k" or "v") input of one head, split by part: each part read through LayerNorm (scale
    frozen) and W; the biases go to the part `bias_to` (a part's name, or a new name: a part of their own).
    The values add up to the head's actual input."""
    W = {"q": model.W_Q, "k": model.W_K, "v": model.W_V}[kind].detach()[layer, head]
    bW = {"q": model.b_Q, "k": model.b_K, "v": model.b_V}[kind].detach()[layer, head]
    pieces, ln_bias = _ln_pieces(model, layer, parts)
    out = {k: v @ W for k, v in pieces.items()}
    out[bias_to] = out.get(bias_to, 0) + bW + (0 if ln_bias is None else ln_bias @ W)
    return out


@torch.no_grad()
def split_scores(model: Model, layer: int, head: int, parts: Parts, *,
                 bias_to: str = "pos") -> dict[tuple[str, str], Float[Tensor, "batch q k"]]:
    """Attention scores of one head (before the causal mask), split into a term per (query part, key part);
    they add up to the head's scores."""
    q = split_reads(model, layer, head, parts, "q", bias_to=bias_to)
    k = split_reads(model, layer, head, parts, "k", bias_to=bias_to)
    d = model.cfg.d_head ** 0.5
    return {(a, b): qa @ kb.transpose(-1, -2) / d for a, qa in q.items() for b, kb in k.items()}


def total(terms: Mapping[tuple[str, str], Tensor], keep: Iterable[tuple[str, str]] | None = None) -> Tensor:
    """The sum of the terms in `keep` (default: all of them)."""
    keys = list(terms) if keep is None else list(keep)
    return sum(terms[k] for k in keys)


def pattern_of(scores: Float[Tensor, "batch q k"]) -> Float[Tensor, "batch q k"]:
    """The attention pattern a head with these scores would have (causal mask, softmax over keys)."""
    n = scores.shape[-1]
    mask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1)


def diagonal_attention(pattern: Float[Tensor, "batch q k"], offset: int = -1, skip_first: int = 1) -> Float[Tensor, " batch"]:
    """Per sequence, the mean attention on one diagonal (offset -1, first row skipped: the previous-token score
    of `per_unit.PREV`)."""
    return pattern.diagonal(offset=offset, dim1=-2, dim2=-1)[..., skip_first:].mean(-1)


def score_shares(terms: Mapping[tuple[str, str], Float[Tensor, "batch q k"]], *,
                 first_row: int = 1) -> dict[tuple[str, str], Float[Tensor, " batch"]]:
    """Per sequence, the share of the score variance over keys that each term explains: the covariance of the
    term with the full score over the full score's variance, each taken over the keys a query may attend to
    (key <= query; the score's mean per row is removed, as softmax ignores it), pooled over rows from
    `first_row` on. The shares add up to 1."""
    full = total(terms)
    n = full.shape[-1]
    allowed = torch.tril(torch.ones(n, n, dtype=torch.bool))[first_row:]
    counts = allowed.sum(-1, keepdim=True)

    def centred(s):
        s = s[..., first_row:, :].masked_fill(~allowed, 0)
        return (s - s.sum(-1, keepdim=True) / counts).masked_fill(~allowed, 0)

    f = centred(full)
    var = f.pow(2).sum((-1, -2))
    return {k: (centred(v) * f).sum((-1, -2)) / var for k, v in terms.items()}


@torch.no_grad()
def scores_with_query_from(model: Model, layer: int, head: int, parts: Parts, query_from: Iterable[str]) -> Float[Tensor, "batch q k"]:
    """One head's scores when its query is read from the parts `query_from` alone (LayerNorm scale frozen at
    the whole stream's, the query bias kept) and its key from the whole stream."""
    q = split_reads(model, layer, head, parts, "q", bias_to="bias")
    k = total_read(split_reads(model, layer, head, parts, "k", bias_to="bias"))
    qs = q["bias"] + sum(q[p] for p in query_from)
    return qs @ k.transpose(-1, -2) / model.cfg.d_head ** 0.5


def total_read(reads: Mapping[str, Tensor]) -> Tensor:
    """The sum of a split input (`split_reads`): the head's actual input."""
    return sum(reads.values())


# -- what the causal note measures with them -----------------------------------------------------------------

def previous_token_by_term(model: Model, text: Int[Tensor, "batch pos"], *,
                           chunk: int = 128) -> dict[str, Float[np.ndarray, "batch head"]]:
    """Per sequence and layer-0 head: previous-token attention (`diagonal_attention`) with the full scores
    (`full`), with each term of TERMS alone (`pos·pos`, ...) and with position·position removed (`no pos·pos`),
    and each term's share of the score variance (`share pos·pos`, ...)."""
    H = model.cfg.n_heads
    rows: dict[str, list] = {}
    for i in range(0, text.shape[0], chunk):
        t = text[i:i + chunk]
        parts = stream_parts(model, t, 0)
        per_head: dict[str, list] = {}
        for h in range(H):
            terms = split_scores(model, 0, h, parts)
            prev = lambda keep, terms=terms: diagonal_attention(pattern_of(total(terms, keep)))
            got = {"full": prev(None), "no pos·pos": prev([k for k in TERMS if k != ("pos", "pos")]),
                   **{TERM_LABEL[k]: prev([k]) for k in TERMS},
                   **{f"share {TERM_LABEL[k]}": v for k, v in score_shares(terms).items()}}
            for k, v in got.items():
                per_head.setdefault(k, []).append(v)
        for k, v in per_head.items():
            rows.setdefault(k, []).append(torch.stack(v, 1))
    return {k: torch.cat(v).double().numpy() for k, v in rows.items()}  # [windows, head]


def induction_by_query_part(model: Model, rep: Int[Tensor, "batch pos"], query_from: Mapping[str, Sequence[str]], *,
                            layer: int = 1) -> dict[str, Float[np.ndarray, "batch head"]]:
    """Per sequence `[BOS] r r` and head of `layer`: the induction score (`full`), and under each name of
    `query_from` the score with the query read from those parts alone (`scores_with_query_from`: keys from the
    whole stream, LayerNorm scale frozen, query bias kept)."""
    parts = stream_parts(model, rep, layer)
    out: dict[str, list] = {}
    for h in range(model.cfg.n_heads):
        full = total(split_scores(model, layer, h, parts))
        out.setdefault("full", []).append(induction_per_sequence(pattern_of(full)[:, None])[:, 0])
        for name, keep in query_from.items():
            s = scores_with_query_from(model, layer, h, parts, keep)
            out.setdefault(name, []).append(induction_per_sequence(pattern_of(s)[:, None])[:, 0])
    return {k: torch.stack(v, 1).double().numpy() for k, v in out.items()}  # [sequences, head]
