"""The toy model of superposition (Elhage et al., 2022), trained many at once: one batched tensor program.

    h = W x            x: n features, each uniform on [0, 1) with probability p and 0 otherwise
    x' = ReLU(Wᵀ h + b)   (or linear: no ReLU)
    loss = mean over the batch of Σ_i importance_i (x_i - x'_i)²

and the paper's model of computation in superposition (`train_abs_models`): h = ReLU(W_in x), y' = ReLU(W_out h + b)
trained to output |x| for features uniform on [-1, 1) with probability p.

Every instance (a setting and a seed) is a slice of one [instances, m, n] weight tensor and autograd trains them
all in one backward pass. The data are drawn by NumPy's PCG64: the same stream on every machine, and twice as
fast as torch's generator here, where these small models are bound by memory traffic. A hand-written gradient
was tried and dropped: 0.9-1.2 times autograd's speed did not pay for itself. scripts/toy/train.py trains the
note's sweeps; scripts/analysis/superposition.py reads them; scripts/bench/toy.py times the batching.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor
from tqdm import tqdm


def toy_loss(W: Float[Tensor, "inst m n"], b: Float[Tensor, "inst n"], x: Float[Tensor, "inst batch n"],
             importance: Float[Tensor, "inst 1 n"], relu: Bool[Tensor, "inst 1 1"]) -> Float[Tensor, " inst"]:
    """Each instance's loss on its batch: x' = ReLU(Wᵀ W x + b) (or without the ReLU), importance-weighted."""
    pre = torch.baddbmm(b[:, None, :], torch.bmm(x, W.transpose(1, 2)), W)
    out = torch.where(relu, pre.relu(), pre)
    return ((out - x).pow(2) * importance).sum(-1).mean(-1)


def toy_features(rng: np.random.Generator, p: Float[Tensor, "inst 1 1"], batch: int, n: int) -> Float[Tensor, "inst batch n"]:
    """A batch of sparse features: each is uniform on [0, 1) with probability p, else 0. One uniform u per
    entry decides both (active if u < p, then u / p is uniform on [0, 1)); NumPy's PCG64 draws it, the same
    stream on every machine and twice as fast as torch's generator here."""
    u = torch.from_numpy(rng.random((p.shape[0], batch, n), dtype=np.float32))
    return u.div(p).masked_fill_(u >= p, 0.0)


def train_toy_models(feature_probability: Float[Tensor, " inst"], *, n_features: int = 5, d_hidden: int = 2,
                     importance: Float[Tensor, "inst n_features"] | None = None, importance_decay: float = 0.9,
                     relu: Bool[Tensor, " inst"] | bool = True, seeds: Int[Tensor, " inst"] | None = None,
                     steps: int = 10_000, batch: int = 1024, lr: float = 1e-3, weight_decay: float = 0.01,
                     seed: int = 0, data: Callable[[int], Tensor] | None = None, progress: str = "",
                     ) -> tuple[Float[Tensor, "inst d_hidden n_features"], Float[Tensor, "inst n_features"], Float[Tensor, " inst"]]:
    """Train one toy model per instance, all at once as one batched tensor program (the paper's setting:
    AdamW, lr 1e-3, batch 1024, 10,000 steps). Instance k has feature probability `feature_probability[k]`,
    importances `importance[k]` (default decay**i: with equal importances the dense optimum is degenerate, any
    rank-d projection will do), a ReLU output or a linear one (`relu`), and its own initialisation seed
    (`seeds[k]`, default k). The instances share nothing: the loss is a sum of their losses and AdamW is
    elementwise, so each trains as it would alone (tests/test_toy_models.py checks it against a loop).
    `data(step)`: the batch [inst batch n_features] to use instead of sampling (for that check); `progress`:
    a label for a progress bar. Returns W, b and each instance's loss on its last batch."""
    n_inst = len(feature_probability)
    seeds = torch.arange(n_inst) if seeds is None else seeds
    W = torch.nn.Parameter(torch.stack([torch.nn.init.xavier_normal_(
        torch.empty(d_hidden, n_features), generator=torch.Generator().manual_seed(int(s) + 1000 * seed))
        for s in seeds]))
    b = torch.nn.Parameter(torch.zeros(n_inst, n_features))
    p = feature_probability.float()[:, None, None]
    if importance is None:
        importance = (importance_decay ** torch.arange(n_features, dtype=torch.float32)).expand(n_inst, -1)
    imp = importance.float()[:, None, :].contiguous()
    is_relu = torch.as_tensor(relu).expand(n_inst)[:, None, None].contiguous()
    rng = np.random.Generator(np.random.PCG64(seed))
    draw = data or (lambda step: toy_features(rng, p, batch, n_features))
    loss = _fit([W, b], lambda x: toy_loss(W, b, x, imp, is_relu), draw, steps, lr, weight_decay, progress)
    return W.detach(), b.detach(), loss


def abs_loss(W_in: Float[Tensor, "inst m n"], W_out: Float[Tensor, "inst n m"], b: Float[Tensor, "inst n"],
             x: Float[Tensor, "inst batch n"], importance: Float[Tensor, "inst 1 n"]) -> Float[Tensor, " inst"]:
    """The paper's computation-in-superposition model: h = ReLU(W_in x) (m neurons, no bias), y' = ReLU(W_out h + b),
    trained to output |x|; each instance's importance-weighted squared error on its batch."""
    h = torch.bmm(x, W_in.transpose(1, 2)).relu()
    out = torch.baddbmm(b[:, None, :], h, W_out.transpose(1, 2)).relu()
    return ((out - x.abs()).pow(2) * importance).sum(-1).mean(-1)


def abs_features(rng: np.random.Generator, p: Float[Tensor, "inst 1 1"], batch: int, n: int) -> Float[Tensor, "inst batch n"]:
    """A batch of sparse signed features: each is uniform on [-1, 1) with probability p, else 0 (one uniform u per
    entry, as `toy_features`: active if u < p, then 2u/p - 1)."""
    u = torch.from_numpy(rng.random((p.shape[0], batch, n), dtype=np.float32))
    return u.div(p).mul_(2).sub_(1).masked_fill_(u >= p, 0.0)


def train_abs_models(feature_probability: Float[Tensor, " inst"], *, n_features: int, d_hidden: int,
                     importance: Float[Tensor, "inst n_features"], seeds: Int[Tensor, " inst"] | None = None,
                     steps: int = 10_000, batch: int = 1024, lr: float = 1e-3, weight_decay: float = 0.01,
                     seed: int = 0, data: Callable[[int], Tensor] | None = None, progress: str = "",
                     ) -> tuple[Float[Tensor, "inst d_hidden n_features"], Float[Tensor, "inst n_features d_hidden"],
                                Float[Tensor, "inst n_features"], Float[Tensor, " inst"]]:
    """Train one absolute-value model (`abs_loss`) per instance, all at once, as `train_toy_models` does (same
    optimiser, the same per-instance seeding). Returns W_in, W_out, b and each instance's loss on its last batch."""
    n_inst = len(feature_probability)
    seeds = torch.arange(n_inst) if seeds is None else seeds
    w_in, w_out = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(int(s) + 1000 * seed)
        w_in.append(torch.nn.init.xavier_normal_(torch.empty(d_hidden, n_features), generator=g))
        w_out.append(torch.nn.init.xavier_normal_(torch.empty(n_features, d_hidden), generator=g))
    W_in, W_out = torch.nn.Parameter(torch.stack(w_in)), torch.nn.Parameter(torch.stack(w_out))
    b = torch.nn.Parameter(torch.zeros(n_inst, n_features))
    p = feature_probability.float()[:, None, None]
    imp = importance.float()[:, None, :].contiguous()
    rng = np.random.Generator(np.random.PCG64(seed))
    draw = data or (lambda step: abs_features(rng, p, batch, n_features))
    loss = _fit([W_in, W_out, b], lambda x: abs_loss(W_in, W_out, b, x, imp), draw, steps, lr, weight_decay, progress)
    return W_in.detach(), W_out.detach(), b.detach(), loss


def _fit(params: list[torch.nn.Parameter], batch_loss: Callable[[Tensor], Tensor], draw: Callable[[int], Tensor],
         steps: int, lr: float, weight_decay: float, progress: str) -> Tensor:
    """The shared loop: AdamW on the sum of the instances' losses (each instance's gradient is its own loss's)."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    for step in tqdm(range(steps), desc=progress or "toy models", unit="step", disable=not progress, mininterval=2):
        loss = batch_loss(draw(step))
        loss.sum().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return loss.detach()
