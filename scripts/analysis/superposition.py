"""The toy model of superposition (Elhage et al., 2022): n sparse features squeezed into d < n dimensions.

    h = W x            x: features, each uniform in [0, 1) with probability p and 0 otherwise
    x' = ReLU(Wᵀ h + b)
    loss = mean over the batch of Σ_i importance_i (x_i - x'_i)²

Many instances (one per feature probability, several seeds each) train at once as one batched tensor.
Dense features: the model keeps d of them, orthogonal (like PCA). Sparse features: it stores all of them
at the cost of interference; with 5 features in 2 dimensions they sit at the corners of a pentagon.
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor


def train_toy_models(feature_probability: Float[Tensor, " inst"], *, n_features: int = 5, d_hidden: int = 2,
                     importance_decay: float = 0.9, steps: int = 5000, batch: int = 1024, lr: float = 1e-3,
                     seed: int = 0,
                     ) -> tuple[Float[Tensor, "inst d_hidden n_features"], Float[Tensor, "inst n_features"], Float[Tensor, " inst"]]:
    """Train one toy model per entry of `feature_probability`; feature i has importance decay**i (with equal
    importances the dense optimum is degenerate: any rank-d projection will do). Returns W, b, final loss."""
    g = torch.Generator().manual_seed(seed)
    n_inst = len(feature_probability)
    W = torch.nn.Parameter(torch.nn.init.xavier_normal_(torch.empty(n_inst, d_hidden, n_features), generator=g))
    b = torch.nn.Parameter(torch.zeros(n_inst, n_features))
    opt = torch.optim.Adam([W, b], lr=lr)
    p = feature_probability[:, None, None]  # [inst 1 1]
    importance = importance_decay ** torch.arange(n_features, dtype=torch.float32)
    for _ in range(steps):
        x = torch.rand(n_inst, batch, n_features, generator=g) * (torch.rand(n_inst, batch, n_features, generator=g) < p)
        h = torch.einsum("ihf,ibf->ibh", W, x)
        out = torch.relu(torch.einsum("ihf,ibh->ibf", W, h) + b[:, None, :])
        loss_per_inst = (importance * (x - out).pow(2)).sum(-1).mean(-1)
        loss_per_inst.sum().backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    return W.detach(), b.detach(), loss_per_inst.detach()


def feature_norms(W: Float[Tensor, "inst d n"]) -> Float[Tensor, "inst n"]:
    """‖W_i‖: how strongly each feature is represented (1: fully, 0: dropped)."""
    return W.norm(dim=1)


def interference(W: Float[Tensor, "inst d n"]) -> Float[Tensor, "inst n"]:
    """Σ_{j≠i} (W_i · W_j)²: how much of the other features reaches feature i's output (before the ReLU);
    0 for a feature that is not represented, and for features stored orthogonally."""
    dots = torch.einsum("idn,idm->inm", W, W).pow(2)
    return dots.sum(-1) - torch.diagonal(dots, dim1=-2, dim2=-1)


def represented_angles(W: Float[Tensor, "d n"], threshold: float = 0.5) -> list[float]:
    """Angles (degrees) between neighbouring represented features of a 2-D model, going round the circle."""
    norms = W.norm(dim=0)
    angles = sorted(torch.rad2deg(torch.atan2(W[1, i], W[0, i])).item() for i in range(W.shape[1]) if norms[i] > threshold)
    return [(angles[(k + 1) % len(angles)] - angles[k]) % 360 for k in range(len(angles))]


# -- how far a trained toy model is from the paper's two answers (one number per instance, 0 = exactly) -----

def dense_error(W: Float[Tensor, "inst d n"], kept: int = 2) -> Float[Tensor, " inst"]:
    """‖WᵀW − diag(1,…,1,0,…,0)‖_F: distance from the dense answer, the `kept` most important features
    (the first ones, importances decaying) at unit length and orthogonal, the rest dropped (PCA)."""
    n = W.shape[-1]
    target = torch.diag((torch.arange(n) < kept).to(W.dtype))
    return (torch.einsum("idn,idm->inm", W, W) - target).flatten(1).norm(dim=-1)


def pentagon_error(W: Float[Tensor, "inst 2 n"]) -> Float[Tensor, " inst"]:
    """Distance from a regular polygon with one corner per feature, relative to its radius: every feature
    counts (a dropped one, norm ~0, is a corner missing: error ~1). Features sorted by angle go round the
    polygon; the radius is their mean norm and the polygon's rotation the best fit (circular mean), and the
    error is the largest distance of a feature's vector from its corner over the radius (a corner 5° off
    its place: 0.087; a feature at 90 % of the radius: 0.1)."""
    n = W.shape[-1]
    z = torch.complex(W[:, 0, :].double(), W[:, 1, :].double())  # each feature as a point of the plane
    order = torch.argsort(torch.angle(z), dim=-1)
    z = torch.gather(z, -1, order)
    corners = torch.exp(2j * torch.pi * torch.arange(n, dtype=torch.float64) / n)  # [n] unit polygon
    radius = z.abs().mean(-1, keepdim=True)
    turn = (z * corners.conj()).sum(-1, keepdim=True)  # best rotation of the polygon (least squares)
    turn = turn / turn.abs().clamp_min(1e-12)
    return ((z - radius * turn * corners).abs().amax(-1) / radius.squeeze(-1).clamp_min(1e-12)).float()
