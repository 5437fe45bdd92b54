"""Figure: 20 features in 5 dimensions, from dense to sparse, with a ReLU output and with a linear one — the
toy models paper's first result (which features a model keeps, and when it stores more than it has room for).

Reads the `sparsity` sweep of the toy-models artifact (scripts/toy/train.py: importance 0.7**i, six
sparsities, five seeds each, ReLU and linear). Verdicts (figures/toy-models.yml), one exact value per
training seed, decided over the five seeds:
- `dense-like-pca`: dense ReLU models keep the five most important features, orthogonally (distance of
  WᵀW from that answer);
- `sparse-superposes`: at sparsity 0.99 the ReLU model represents more features than its 5 dimensions;
- `linear-never-superposes`: the linear model represents at most 5 features at every sparsity.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.stats import exact
from scripts.analysis.superposition import dense_error, feature_norms, represented, superposition_share
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import axis, instances, load_sweep

RUN = "training run"


def compute(params: dict) -> Result:
    sw = load_sweep("sparsity")
    W, m = sw["W"], sw["W"].shape[1]
    probs = axis(sw, "p", descending=True)
    seeds = [int(s) for s in axis(sw, "seed")]
    label = lambda s: f"seed {s}"
    dense = dense_error(W[instances(sw, relu=1, p=1.0)], kept=m)
    sparse = represented(W[instances(sw, relu=1, p=params["sparse_p"])])
    linear_max = torch.stack([represented(W[instances(sw, relu=0, p=p)]) for p in probs]).amax(0)
    shown = {kind: [W[instances(sw, relu=flag, p=p)[0]] for p in probs] for kind, flag in (("ReLU", 1), ("linear", 0))}
    counts = {kind: [represented(W[instances(sw, relu=flag, p=p)]).mean().item() for p in probs]
              for kind, flag in (("ReLU", 1), ("linear", 0))}
    return Result(
        data={"probs": probs, "shown": {k: [w.numpy() for w in v] for k, v in shown.items()}, "m": m},
        values={"m": m, "n": W.shape[2], "seeds": len(seeds), "sparse_p": params["sparse_p"],
                "sparse_sparsity": f"{1 - params['sparse_p']:g}",
                "relu_counts": ", ".join(f"{c:g}" for c in counts["ReLU"]),
                "linear_counts": ", ".join(f"{c:g}" for c in counts["linear"]),
                "sparse_min": int(sparse.min()), "sparse_max": int(sparse.max()),
                "dense_worst": f"{dense.max():.2f}"},
        verdicts={
            "dense-like-pca": {label(s): exact(float(v), n=1, unit=RUN) for s, v in zip(seeds, dense)},
            "sparse-superposes": {label(s): exact(float(v), n=1, unit=RUN) for s, v in zip(seeds, sparse)},
            "linear-never-superposes": {label(s): exact(float(v), n=len(probs), unit=RUN)
                                        for s, v in zip(seeds, linear_max)},
        },
    )


def plot(result: Result, theme: str):
    d = result.data
    probs = d["probs"]
    k = len(probs)
    fig, axes = style.subplots(theme, 4, k, width=1.0, height=5.6,
                               gridspec_kw={"height_ratios": [1, 0.45, 1, 0.45]}, phone_cols=3)
    cmap = style.CMAP["diverging"]
    for row, kind in enumerate(("ReLU", "linear")):
        for j, W in enumerate(d["shown"][kind]):
            Wt = torch.as_tensor(W)
            ax, bx = axes[2 * row, j], axes[2 * row + 1, j]
            im = ax.imshow((Wt.T @ Wt).numpy(), cmap=cmap, vmin=-1, vmax=1)
            ax.set(xticks=[], yticks=[])
            ax.grid(False)
            if row == 0:
                ax.set_title(f"S = {1 - probs[j]:.3g}", fontsize=style.FONT["small"])
            if style.row_start(j, 3):
                ax.set_ylabel(f"{kind}\nWᵀW", fontsize=style.FONT["small"])
            norms = feature_norms(Wt[None])[0].numpy()
            share = superposition_share(Wt[None])[0].numpy()
            bx.bar(np.arange(len(norms)), norms, width=0.8,
                   color=[style.palette(theme)[1] if s > 0.1 else style.MUTED[theme] for s in share])
            bx.axhline(0.5, color=style.MUTED[theme], lw=0.6, ls=":")
            bx.set(ylim=(0, 1.25), xticks=[], yticks=[0, 1] if style.row_start(j, 3) else [])
            bx.grid(False)
            if style.row_start(j, 3):
                bx.set_ylabel("‖Wᵢ‖", fontsize=style.FONT["small"])
            style.hover_bars(bx, bx.patches, [f"{kind}, S = {1 - probs[j]:.3g}, feature {i}: ‖Wᵢ‖ = {v:.2f}, "
                                              f"shared {s:.2f}" for i, (v, s) in enumerate(zip(norms, share))])
    fig.colorbar(im, ax=axes[[0, 2], :].ravel().tolist(), shrink=0.8, label="Wᵢ · Wⱼ")
    return fig
