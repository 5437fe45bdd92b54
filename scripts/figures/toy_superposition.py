"""Figure: the toy model of superposition, 5 features in 2 dimensions, from dense to sparse features.

Reads the `pentagon` sweep of the toy-models artifact (scripts/toy/train.py: the paper's schedule, AdamW lr
1e-3, batch 1024, 10,000 steps; five seeds per setting) at importance decay 0.9. Verdicts (declared in
figures/superposition.yml): dense features -> the two most important kept, orthogonal; sparse features -> all
five at the corners of a regular pentagon. Each seed gives one exact distance from that answer (`dense_error`,
`pentagon_error`); the verdict decides the mean over the seeds, with a t-interval over them. The figure
shows seed 0.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.stats import exact
from scripts.analysis.superposition import (
    dense_error,
    feature_norms,
    interference,
    pentagon_error,
    represented_angles,
)
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import instances, load_sweep

RUN = "training run"


def _within(errors: np.ndarray, tol: float) -> str:
    """How many seeds lie within `tol` of the answer, with the count at half and double the tolerance."""
    k = lambda t: int((errors < t).sum())
    if k(tol / 2) == k(2 * tol):
        return f"{k(tol)} of {len(errors)}, and the same at half and at double the tolerance"
    return f"{k(tol)} of {len(errors)}; {k(tol / 2)} at half the tolerance, {k(2 * tol)} at double it"


def compute(params: dict) -> Result:
    sw = load_sweep("pentagon")
    probs = torch.tensor(params["show"], dtype=torch.float32)
    W = torch.stack([sw["W"][instances(sw, decay=params["decay"], p=float(p))[0]] for p in probs])  # seed 0 of each
    dense_idx, sparse_idx = instances(sw, decay=params["decay"], p=params["dense_p"]), instances(sw, decay=params["decay"], p=params["sparse_p"])
    seeds = [f"seed {int(s)}" for s in sw["seed"][dense_idx]]
    norms, interf = feature_norms(W), interference(W)
    represented = (norms > 0.5).sum(-1).tolist()
    dense_err = dense_error(sw["W"][dense_idx]).numpy()
    sparse_err = pentagon_error(sw["W"][sparse_idx]).numpy()
    sparse_angles = represented_angles(W[list(params["show"]).index(params["sparse_p"])])
    dense_angles = represented_angles(W[list(params["show"]).index(params["dense_p"])])
    tol = params["tolerance"]
    return Result(
        data={"W": W.numpy(), "norms": norms.numpy(), "interference": interf.numpy(), "probs": probs.numpy(),
              "dense_errors": dense_err, "sparse_errors": sparse_err},
        values={
            "dense_k": represented[0], "sparse_k": represented[-1],
            "dense_angle": f"{dense_angles[0]:.0f}°" if len(dense_angles) == 2 else "n/a",
            "sparse_angle_min": f"{min(sparse_angles):.0f}°", "sparse_angle_max": f"{max(sparse_angles):.0f}°",
            "sparse_interference": f"{interf[-1].max():.1f}", "seeds": len(seeds), "decay": params["decay"],
            "tolerance": tol, "dense_p": params["dense_p"], "sparse_p": params["sparse_p"],
            "dense_within": _within(dense_err, tol), "sparse_within": _within(sparse_err, tol),
            "sparse_worst": f"{sparse_err.max():.2f}", "dense_worst": f"{dense_err.max():.2f}",
        },
        verdicts={
            "dense-orthogonal-pair": {s: exact(float(v), n=1, unit=RUN) for s, v in zip(seeds, dense_err)},
            "sparse-pentagon": {s: exact(float(v), n=1, unit=RUN) for s, v in zip(seeds, sparse_err)},
        },
    )


def plot(result: Result, theme: str):
    W, norms, interf, probs = (result.data[k] for k in ("W", "norms", "interference", "probs"))
    k = len(probs)
    fig, axes = style.subplots(theme, 2, k, width=1.0, height=3.9, gridspec_kw={"height_ratios": [1.25, 1]},
                               phone_cols=3)
    top = 1.1 * max(norms.max(), interf.max())
    colors = style.palette(theme)[: W.shape[-1]]
    grey = style.MUTED[theme]
    for j in range(k):
        ax = axes[0, j]
        for i in range(W.shape[-1]):
            ax.plot([0, W[j, 0, i]], [0, W[j, 1, i]], color=colors[i], linewidth=1.6)
            ax.plot(W[j, 0, i], W[j, 1, i], "o", color=colors[i], markersize=3)
        style.hover_points(ax, W[j, 0], W[j, 1], [f"feature {i}: ‖Wᵢ‖ = {norms[j, i]:.2f}, interference "
                                                  f"{interf[j, i]:.2f}" for i in range(W.shape[-1])])
        ax.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), aspect="equal", xticks=[], yticks=[])
        ax.set_title(f"sparsity {1 - probs[j]:.2f}", fontsize=style.FONT["small"])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bx = axes[1, j]
        x = np.arange(W.shape[-1])
        nb = bx.bar(x - 0.2, norms[j], width=0.4, color=colors)
        ib = bx.bar(x + 0.2, interf[j], width=0.4, color=grey)
        bx.set(ylim=(0, top), xticks=x, xlabel="feature")
        bx.grid(axis="x", visible=False)
        bx.set_axisbelow(True)
        style.hover_bars(bx, list(nb) + list(ib), [f"feature {i}: ‖Wᵢ‖ = {v:.2f}" for i, v in enumerate(norms[j])]
                         + [f"feature {i}: interference {v:.2f}" for i, v in enumerate(interf[j])])
        if style.row_start(j, 3):
            bx.set_ylabel("‖Wᵢ‖ (colour)\ninterference (grey)")
        else:
            bx.set_yticklabels([])
    return fig
