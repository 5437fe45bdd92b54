"""The grokking paper's model as a TransformerBridge, and a forward pass that exploits the task's structure.

One layer, d_model 128, 4 heads of 32, a ReLU MLP of 512, no LayerNorm, learned positions, inputs `a b =`
(vocabulary p + 1, outputs p). The model is a native TransformerBridge (`boot_native`), so every analysis
reads it with TransformerLens names and hooks; `fast_logits` computes the same last-position logits from the
same parameter tensors, and is what training runs. Why it is faster, and exact (tests/test_grokking.py
compares it with the bridge's own forward on every pair, values and gradients):

- Only the last position's output is read, and in one layer nothing at positions 0 and 1 reaches it except
  through attention's keys and values. So the MLP runs at one position, not three.
- The query comes from `=` at position 2 for every input: one vector per head.
- Keys and values at positions 0 and 1 are lookups: a table of p rows per position (the first layer's reads
  of a token are the 114 rows of W_E, shifted by W_pos).
- Pushed through W_O, W_in and W_U, each head's value rows become tables too: the MLP's pre-activation and
  the direct path to the logits are attention-weighted sums of table rows. What remains per input is one
  product with the MLP's output side, folded with the unembedding (512 x 113).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor
from transformer_lens import TransformerBridge, TransformerBridgeConfig

from scripts.grokking.task import P


@dataclass(frozen=True)
class GrokConfig:
    p: int = P
    d_model: int = 128
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512

    def bridge_config(self, seed: int) -> TransformerBridgeConfig:
        return TransformerBridgeConfig(
            n_layers=1, d_model=self.d_model, n_heads=self.n_heads, d_head=self.d_head, d_mlp=self.d_mlp,
            n_ctx=3, d_vocab=self.p + 1, d_vocab_out=self.p, act_fn="relu", normalization_type=None,
            positional_embedding_type="standard", attn_only=False, seed=seed, init_mode="gpt2",
        )

    def as_dict(self) -> dict:
        return asdict(self)


def build_model(cfg: GrokConfig, seed: int) -> TransformerBridge:
    """A freshly initialised model (TransformerLens's gpt2 initialisation, seeded)."""
    return TransformerBridge.boot_native(cfg.bridge_config(seed))


def fast_logits(model: TransformerBridge, a: Int[Tensor, " n"], b: Int[Tensor, " n"]) -> Float[Tensor, "n p"]:
    """Last-position logits of `a b =`, equal to `model(tokens)[:, -1]` up to float rounding (see module)."""
    pre, direct, neuron_logits = last_position(model, a, b)
    return direct + torch.relu(pre) @ neuron_logits.T


def mlp_activations(model: TransformerBridge, a: Int[Tensor, " n"], b: Int[Tensor, " n"]) -> Float[Tensor, "n d_mlp"]:
    """The MLP's neurons (after the ReLU) at `=`: what the paper clusters by frequency."""
    return torch.relu(last_position(model, a, b)[0])


def last_position(model: TransformerBridge, a: Int[Tensor, " n"], b: Int[Tensor, " n"]
                  ) -> tuple[Float[Tensor, "n d_mlp"], Float[Tensor, "n p"], Float[Tensor, "p d_mlp"]]:
    """At `=`: the MLP's pre-activations, the logits' direct path (everything but the MLP), and the
    neuron-to-logit map W_U W_out."""
    m = model.original_model
    attn, mlp = m.layers[0].attn, m.layers[0].mlp
    E, Pos = m.tok_embed.weight, m.pos.weight
    n_heads, d_head = attn.n_heads, attn.d_head
    p = m.head.weight.shape[0]
    W_U, b_U = m.head.weight, m.head.bias  # [p, d], [p]
    W_in, b_in = mlp.fc_in.weight, mlp.fc_in.bias  # [d_mlp, d]
    W_out, b_out = mlp.fc_out.weight, mlp.fc_out.bias  # [d, d_mlp]

    x_eq = E[p] + Pos[2]  # the residual at `=`, before the layer
    rows = torch.stack([E[:p] + Pos[0], E[:p] + Pos[1]])  # [2, p, d]: position 0 (a) and 1 (b)
    q = attn.q(x_eq).view(n_heads, d_head)
    k_rows = attn.k(rows).view(2, p, n_heads, d_head)
    k_eq = attn.k(x_eq).view(n_heads, d_head)
    v_rows = attn.v(rows).view(2, p, n_heads, d_head)
    v_eq = attn.v(x_eq).view(n_heads, d_head)
    scale = 1.0 / attn.scale
    s_rows = torch.einsum("tphe,he->tph", k_rows, q) * scale  # [2, p, heads]
    s_eq = (k_eq * q).sum(-1) * scale  # [heads]

    W_O = attn.o.weight.view(-1, n_heads, d_head)  # [d, heads, d_head]
    o_rows = torch.einsum("tphe,dhe->tphd", v_rows, W_O)  # each head's write, per table row
    o_eq = torch.einsum("he,dhe->hd", v_eq, W_O)
    # one table: every head's write pushed on into the MLP's input and into the logits (the direct path);
    # rows: (a, head) for a < p, then (b, head), then (=, head)
    reads = torch.cat([W_in, W_U]).T  # [d, d_mlp + p]
    table = torch.cat([o_rows.reshape(2 * p * n_heads, -1), o_eq]) @ reads
    heads = torch.arange(n_heads)
    index = torch.cat([a[:, None] * n_heads + heads, (p + b[:, None]) * n_heads + heads,
                       (2 * p * n_heads + heads).expand(len(a), -1)], dim=1)  # [n, 3 * heads]
    pattern = torch.softmax(torch.stack([s_rows[0][a], s_rows[1][b], s_eq.expand(len(a), -1)], dim=1), dim=1)
    mixed = F.embedding_bag(index, table, per_sample_weights=pattern.reshape(len(a), -1), mode="sum")
    const = (x_eq + attn.o.bias) @ reads + torch.cat([b_in, b_U + b_out @ W_U.T])
    pre, direct = (mixed + const).split([W_in.shape[0], p], dim=1)
    return pre, direct, W_U @ W_out


def bridge_logits(model: TransformerBridge, tokens: Int[Tensor, "n 3"]) -> Float[Tensor, "n p"]:
    """The plain forward, last position: the reference `fast_logits` is tested against."""
    return model(tokens)[:, -1]


def n_parameters(model: TransformerBridge) -> int:
    return sum(p.numel() for p in model.original_model.parameters())


__all__ = ["GrokConfig", "build_model", "fast_logits", "mlp_activations", "bridge_logits", "n_parameters", "math"]
