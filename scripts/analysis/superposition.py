"""The toy model of superposition (Elhage et al., 2022): n sparse features squeezed into d < n dimensions.

    h = W x            x: features, each uniform in [0, 1) with probability p and 0 otherwise
    x' = ReLU(Wᵀ h + b)
    loss = mean over the batch of Σ_i importance_i (x_i - x'_i)²

The models are trained by scripts/toy/model.py (an artifact, models/toy-models); this module reads them,
and the absolute-value models of the paper's computation-in-superposition experiment (`abs_fit` and below).
Dense features: the model keeps d of them, orthogonal (like PCA). Sparse features: it stores all of them
at the cost of interference; with 5 features in 2 dimensions they sit at the corners of a pentagon.
"""

from __future__ import annotations

import torch
from jaxtyping import Float
from torch import Tensor


def feature_norms(W: Float[Tensor, "inst d n"]) -> Float[Tensor, "inst n"]:
    """‖W_i‖: how strongly each feature is represented (1: fully, 0: dropped)."""
    return W.norm(dim=1)


def interference(W: Float[Tensor, "inst d n"]) -> Float[Tensor, "inst n"]:
    """Σ_{j≠i} (W_i · W_j)²: how much of the other features reaches feature i's output (before the ReLU);
    0 for a feature that is not represented, and for features stored orthogonally."""
    dots = torch.einsum("idn,idm->inm", W, W).pow(2)
    return dots.sum(-1) - torch.diagonal(dots, dim1=-2, dim2=-1)


def superposition_share(W: Float[Tensor, "inst d n"], eps: float = 1e-6) -> Float[Tensor, "inst n"]:
    """Σ_{j≠i} (Ŵ_i · W_j)²: how much of the other features lies along feature i's direction (0: feature i has
    its dimension to itself; the paper colours its norm bars by this). `interference` with unit rows."""
    dots = torch.einsum("idn,idm->inm", W / W.norm(dim=1, keepdim=True).clamp_min(eps), W).pow(2)
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


# -- reading a sweep: how many features, in how many dimensions, in which geometry -----------------------------

def represented(W: Float[Tensor, "inst d n"], threshold: float = 0.5) -> Float[Tensor, " inst"]:
    """How many features each model represents: ‖W_i‖ above `threshold` (a dropped feature's norm is ~0, a
    represented one's ~1)."""
    return (feature_norms(W) > threshold).sum(-1).float()


def dims_per_feature(W: Float[Tensor, "inst d n"]) -> Float[Tensor, " inst"]:
    """m / ‖W‖²_F: hidden dimensions per represented feature (1: one feature per dimension, as in PCA; 1/2: two
    features share each dimension, as antipodal pairs do)."""
    return W.shape[1] / W.pow(2).sum((1, 2))


def feature_dimensionality(W: Float[Tensor, "inst d n"], eps: float = 1e-6) -> Float[Tensor, "inst n"]:
    """D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)²: the fraction of a dimension feature i has to itself (1: a dimension of
    its own; 1/2: one of an antipodal pair; 2/5: a pentagon's corner). 0 for a feature with no norm. The sum
    over j includes i itself, ‖W_i‖², so the denominator is ‖W_i‖² plus `superposition_share`."""
    sq = W.pow(2).sum(1)
    return torch.where(sq > eps, sq / (sq + superposition_share(W, eps)).clamp_min(eps), torch.zeros_like(sq))


POLYTOPES = {3 / 4: "tetrahedron", 2 / 3: "triangle", 1 / 2: "antipodal pair", 2 / 5: "pentagon",
             3 / 8: "square antiprism"}  # feature dimensionalities of the paper's uniform polytopes (1: a dimension alone)


def polytope_excess(D: Float[Tensor, " k"], *, tol: float = 0.02, band: tuple[float, float] = (0.3, 0.9),
                    bandwidth: float = 0.05, targets: tuple[float, ...] = tuple(POLYTOPES)) -> tuple[float, float, int]:
    """Do feature dimensionalities sit *at* the polytope values, or merely near them? Of the features in
    superposition (D in `band`: shared, but not dropped and not alone in a dimension), the fraction within
    `tol` of a polytope value, and the fraction expected if the same features were spread smoothly (their own
    distribution blurred by a Gaussian of `bandwidth`, wider than `tol`, which keeps where they are but not
    spikes). `targets`: the values to test (default every polytope's). Returns (observed, smooth expectation,
    number of features)."""
    d = D[(D >= band[0]) & (D <= band[1])].double()
    if len(d) == 0:
        return 0.0, 0.0, 0
    targets = torch.tensor(list(targets), dtype=torch.float64)
    observed = float(((d[:, None] - targets).abs() <= tol).any(-1).double().mean())
    grid = torch.linspace(band[0], band[1], 2001, dtype=torch.float64)
    density = torch.exp(-0.5 * ((grid[:, None] - d) / bandwidth) ** 2).sum(-1)
    density = density / torch.trapezoid(density, grid)
    near = ((grid[:, None] - targets).abs() <= tol).any(-1).double()
    expected = float(torch.trapezoid(density * near, grid))
    return observed, expected, len(d)


# -- two features in one dimension: the phase diagram ------------------------------------------------------------

PHASES = ("feature 1 only", "feature 2 only", "superposition", "neither")


def phase_of(W: Float[Tensor, "inst 1 2"], threshold: float = 0.5) -> Float[Tensor, " inst"]:
    """Each 2-feature, 1-dimension model's phase, as an index into PHASES: which features it represents
    (‖W_i‖ > threshold); both represented is superposition (they share the one dimension)."""
    rep = feature_norms(W) > threshold
    return torch.where(rep[:, 0] & rep[:, 1], 2, torch.where(rep[:, 0], 0, torch.where(rep[:, 1], 1, 3))).float()


def expected_loss(params, r: float, p: float, cells: int = 64) -> float:
    """The exact expected loss of a 2-feature, 1-dimension ReLU model (w1, w2, b1, b2), importances (1, r), both
    features uniform on [0, 1) with probability p: the four activity patterns weighted by their probability,
    each integrated by the midpoint rule on `cells` cells per active feature."""
    import numpy as np

    w1, w2, b1, b2 = params
    u = (np.arange(cells) + 0.5) / cells
    relu = lambda z: np.maximum(z, 0.0)
    uu, vv = np.meshgrid(u, u, indexing="ij")
    none = relu(b1) ** 2 + r * relu(b2) ** 2
    first = np.mean((u - relu(w1 * w1 * u + b1)) ** 2 + r * relu(w1 * w2 * u + b2) ** 2)
    second = np.mean(relu(w1 * w2 * u + b1) ** 2 + r * (u - relu(w2 * w2 * u + b2)) ** 2)
    both = np.mean((uu - relu(w1 * w1 * uu + w1 * w2 * vv + b1)) ** 2
                   + r * (vv - relu(w1 * w2 * uu + w2 * w2 * vv + b2)) ** 2)
    q = 1 - p
    return float(q * q * none + p * q * (first + second) + p * p * both)


def theory_phase(r: float, p: float) -> tuple[int, tuple[float, float, float, float], float]:
    """The phase the loss itself prefers: the global minimum of `expected_loss`, searched from each phase's
    ideal solution (feature 1 alone, feature 2 alone, an antipodal pair; biases at the mean a dropped feature
    is guessed by), classified like a trained model (`phase_of`). Returns (phase, params, loss). This is the
    paper's comparison of candidate solutions, done by quadrature and optimisation instead of by hand."""
    import numpy as np
    from scipy.optimize import minimize

    starts = [(1.0, 0.0, 0.0, p / 2), (0.0, 1.0, p / 2, 0.0), (1.0, -1.0, 0.0, 0.0)]
    best = min((minimize(expected_loss, np.array(s), args=(r, p), method="Nelder-Mead",
                         options={"xatol": 1e-5, "fatol": 1e-9, "maxiter": 4000}) for s in starts),
               key=lambda res: res.fun)
    w = torch.tensor([[[float(best.x[0]), float(best.x[1])]]])
    return int(phase_of(w)[0]), tuple(float(v) for v in best.x), float(best.fun)


def stays_in_phase(params, r: float, p: float) -> bool:
    """From a trained 2-in-1 model's weights (w1, w2, b1, b2), descend the exact expected loss locally (a
    Nelder-Mead simplex of side 0.02 around them) and say whether it stays in its phase: a model in the wrong
    phase either sits in a local minimum of its own phase (True) or was still on its way out (False). A
    higher loss than the global minimum would say nothing: every other point has one."""
    import numpy as np
    from scipy.optimize import minimize

    x0 = np.asarray(params, dtype=float)
    simplex = np.vstack([x0] + [x0 + 0.02 * np.eye(4)[i] for i in range(4)])
    res = minimize(expected_loss, x0, args=(r, p), method="Nelder-Mead",
                   options={"initial_simplex": simplex, "xatol": 1e-6, "fatol": 1e-11, "maxiter": 6000})
    before = phase_of(torch.tensor([[[float(x0[0]), float(x0[1])]]]))[0]
    after = phase_of(torch.tensor([[[float(res.x[0]), float(res.x[1])]]]))[0]
    return bool(before == after)


def phase_agreement(trained: Float[Tensor, "seed r p"], predicted: Float[Tensor, "r p"]) -> Float[Tensor, " seed"]:
    """Per seed, the fraction of the grid's cells where the trained model is in the predicted phase."""
    return (torch.as_tensor(trained) == torch.as_tensor(predicted)).double().mean((1, 2))


# Computation in superposition: h = ReLU(W_in x), y' = ReLU(W_out h + b) trained to output |x| (scripts/toy/model.py).
# With no hidden bias a neuron answers feature i on one sign of x_i only (the sign of W_in[j, i]), so computing |x_i|
# takes at least two neurons; a model whose neurons each serve one feature computes at most m/2 of them.


def abs_response(W_in: Float[Tensor, "inst m n"], W_out: Float[Tensor, "inst n m"], b: Float[Tensor, "inst n"],
                 t: Float[Tensor, " k"]) -> Float[Tensor, "inst n k"]:
    """y'_i(t e_i): each feature's output when it alone is active, with value t (the others 0)."""
    h = (W_in[..., None] * t).relu()  # [inst m n k]: neuron j's activation when feature i alone is t
    return (torch.einsum("inm,imnk->ink", W_out, h) + b[..., None]).relu()


def _r2(response: Float[Tensor, "inst n k"], target: Float[Tensor, " k"]) -> Float[Tensor, "inst n"]:
    return 1 - (response - target).pow(2).sum(-1) / (target - target.mean()).pow(2).sum()


def abs_fit(W_in: Float[Tensor, "inst m n"], W_out: Float[Tensor, "inst n m"], b: Float[Tensor, "inst n"],
            points: int = 201) -> Float[Tensor, "inst n"]:
    """R² of each feature's lone response against |t| for t evenly spaced on [-1, 1] (1: it computes |x_i|; a
    response on one sign only stays below 0.5; a constant output is at most 0)."""
    t = torch.linspace(-1, 1, points, dtype=W_in.dtype)
    return _r2(abs_response(W_in, W_out, b, t), t.abs())


def one_sided_fit(W_in: Float[Tensor, "inst m n"], W_out: Float[Tensor, "inst n m"], b: Float[Tensor, "inst n"],
                  points: int = 201) -> Float[Tensor, "inst n"]:
    """R² of each feature's lone response against half of |t|, ReLU(t) or ReLU(-t), whichever fits better: 1 for a
    feature the model answers on one sign only (its |x| computed for half the inputs)."""
    t = torch.linspace(-1, 1, points, dtype=W_in.dtype)
    response = abs_response(W_in, W_out, b, t)
    return torch.maximum(_r2(response, t.relu()), _r2(response, (-t).relu()))


def computed_features(W_in: Float[Tensor, "inst m n"], W_out: Float[Tensor, "inst n m"], b: Float[Tensor, "inst n"],
                      threshold: float = 0.5) -> Float[Tensor, " inst"]:
    """How many features' |x_i| the model computes: lone-response R² above `threshold` (0.5 needs both signs)."""
    return (abs_fit(W_in, W_out, b) > threshold).sum(-1).to(W_in.dtype)


def features_per_neuron(W_in: Float[Tensor, "inst m n"], W_out: Float[Tensor, "inst n m"], b: Float[Tensor, "inst n"],
                        threshold: float = 0.5, share: float = 0.2, one_sided: bool = False) -> Float[Tensor, "inst m"]:
    """For each neuron, how many computed features use it: neuron j's slope on feature i's output,
    max(W_out[i, j], 0) · |W_in[j, i]|, is at least `share` of the largest neuron's slope for that feature.
    `one_sided`: features answered on one sign only (`one_sided_fit` above `threshold`) count as computed too."""
    slope = W_out.clamp_min(0) * W_in.abs().transpose(1, 2)  # [inst n m]
    used = slope >= share * slope.amax(-1, keepdim=True).clamp_min(1e-9)
    computed = abs_fit(W_in, W_out, b) > threshold
    if one_sided:
        computed |= one_sided_fit(W_in, W_out, b) > threshold
    return (used & computed[..., None]).sum(1).to(W_in.dtype)
