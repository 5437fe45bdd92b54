"""Figure: the toy model of superposition, 5 features in 2 dimensions, from dense to sparse features."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.superposition import feature_norms, interference, represented_angles, train_toy_models
from scripts.engine.api import Result


def compute(params: dict) -> Result:
    probs = torch.tensor(params["feature_probability"], dtype=torch.float32)
    seeds = params["instances_per_probability"]
    W, b, loss = train_toy_models(probs.repeat_interleave(seeds), steps=params["steps"], seed=params["seed"])
    best = [int(k * seeds + loss[k * seeds:(k + 1) * seeds].argmin()) for k in range(len(probs))]
    W = W[best]
    norms, interf = feature_norms(W), interference(W)
    represented = (norms > 0.5).sum(-1).tolist()
    sparse_angles = represented_angles(W[-1])
    dense_angles = represented_angles(W[0])
    return Result(
        data={"W": W.numpy(), "norms": norms.numpy(), "interference": interf.numpy(), "probs": probs.numpy()},
        values={
            "dense_k": represented[0], "sparse_k": represented[-1],
            "dense_angle": f"{dense_angles[0]:.0f}°" if len(dense_angles) == 2 else "n/a",
            "sparse_angle_min": f"{min(sparse_angles):.1f}°", "sparse_angle_max": f"{max(sparse_angles):.1f}°",
            "sparse_interference": f"{interf[-1].max():.2f}",
            "steps": params["steps"], "instances": len(probs) * seeds,
            "verdict": ("dense: two orthogonal features; sparse: a pentagon" if represented[0] == 2 and
                        represented[-1] == 5 and max(abs(a - 72) for a in sparse_angles) < 5 else "not as reported"),
        },
    )


def plot(result: Result, theme: str):
    W, norms, interf, probs = (result.data[k] for k in ("W", "norms", "interference", "probs"))
    k = len(probs)
    fig, axes = plt.subplots(2, k, figsize=(1.7 * k, 3.9), gridspec_kw={"height_ratios": [1.25, 1]})
    top = 1.1 * max(norms.max(), interf.max())
    colors = [f"C{i}" for i in range(W.shape[-1])]
    for j in range(k):
        ax = axes[0, j]
        for i in range(W.shape[-1]):
            ax.plot([0, W[j, 0, i]], [0, W[j, 1, i]], color=colors[i], linewidth=1.6)
            ax.plot(W[j, 0, i], W[j, 1, i], "o", color=colors[i], markersize=3)
        ax.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), aspect="equal", xticks=[], yticks=[],
               title=f"sparsity {1 - probs[j]:.2f}")
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bx = axes[1, j]
        x = np.arange(W.shape[-1])
        bx.bar(x - 0.2, norms[j], width=0.4, color=colors, label="‖W_i‖")
        bx.bar(x + 0.2, interf[j], width=0.4, color="0.6", label="interference")
        bx.set(ylim=(0, top), xticks=x, xlabel="feature")
        if j == 0:
            bx.set_ylabel("norm / interference")
            bx.legend(fontsize=6, loc="upper left")
        else:
            bx.set_yticklabels([])
    fig.tight_layout()
    return fig
