"""Figure: computation in superposition — a model that must output |x| for 100 sparse features with 40 ReLU
neurons, from dense to sparse features (the toy models paper's absolute-value experiment).

Reads the `computation` sweep of the toy-models artifact (scripts/toy/train.py: h = ReLU(W_in x), y' =
ReLU(W_out h + b), importance 0.9**i, five feature probabilities, five seeds each). A neuron without a bias
answers a feature on one sign only, so a feature's |x| needs two neurons, and a model whose neurons each serve
one feature computes at most m/2 = 20 (scripts/analysis/superposition.py). Verdicts (figures/toy-models.yml),
one exact value per training seed, decided over the five seeds:
- `computes-in-superposition`: at feature probability 0.01 more than 20 features' |x| are computed (lone-response
  R² above 0.5, the rule; above 0.8, a stricter variant);
- `dense-computes-without-superposition`: with dense features at most 20 are;
- `neurons-serve-several`: at 0.01 the neurons in use serve more than 1.5 computed features on average.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.stats import exact
from scripts.analysis.superposition import abs_fit, computed_features, features_per_neuron
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import axis, instances, load_sweep

RUN = "training run"


def compute(params: dict) -> Result:
    sw = load_sweep("computation")
    W_in, W_out, b = sw["W_in"], sw["W_out"], sw["b"]
    m, n = W_in.shape[1], W_in.shape[2]
    probs, seeds = axis(sw, "p", descending=True), [int(s) for s in axis(sw, "seed")]
    sparse, dense = instances(sw, p=params["sparse_p"]), instances(sw, p=1.0)
    weights = lambda idx: (W_in[idx], W_out[idx], b[idx])  # noqa: E731
    counts = {name: computed_features(*weights(sparse), threshold=t) for name, t in params["thresholds"].items()}
    main_t = next(iter(params["thresholds"].values()))
    dense_count = computed_features(*weights(dense), threshold=main_t)
    per_p = torch.stack([computed_features(*weights(instances(sw, p=p)), threshold=main_t) for p in probs])  # [p seed]

    def sharing(idx):  # per seed: mean computed features per neuron, over the neurons some computed feature uses
        fpn = features_per_neuron(*weights(idx), threshold=main_t)
        return torch.stack([row[row > 0].mean() if (row > 0).any() else torch.tensor(0.0) for row in fpn])

    share_sparse, share_dense = sharing(sparse), sharing(dense)
    shown = {p: instances(sw, p=p)[0] for p in (1.0, params["sparse_p"])}
    fit_shown = {p: abs_fit(*weights(i[None]))[0] for p, i in shown.items()}
    label = lambda s: f"seed {s}"  # noqa: E731
    return Result(
        data={"probs": probs, "counts": per_p.numpy(), "m": m, "n": n,
              "W_in": {f"{p:g}": W_in[i].numpy() for p, i in shown.items()},
              "fit": {f"{p:g}": f.numpy() for p, f in fit_shown.items()}},
        values={"m": m, "n": n, "half": m // 2, "seeds": len(seeds), "sparse_p": params["sparse_p"],
                "counts_by_p": ", ".join(f"{c:g}" for c in per_p.mean(1).tolist()),
                "probs": ", ".join(f"{p:g}" for p in probs),
                "sparse_min": int(counts[next(iter(counts))].min()), "sparse_max": int(counts[next(iter(counts))].max()),
                "strict_min": int(counts[list(counts)[-1]].min()), "strict_max": int(counts[list(counts)[-1]].max()),
                "dense_min": int(dense_count.min()), "dense_max": int(dense_count.max()),
                "share_dense": f"{share_dense.mean():.2f}", "share_sparse": f"{share_sparse.mean():.2f}"},
        verdicts={
            "computes-in-superposition": {name: {label(s): exact(float(v), n=n, unit=RUN) for s, v in zip(seeds, c)}
                                          for name, c in counts.items()},
            "dense-computes-without-superposition": {label(s): exact(float(v), n=n, unit=RUN)
                                                     for s, v in zip(seeds, dense_count)},
            "neurons-serve-several": {label(s): exact(float(v), n=m, unit=RUN) for s, v in zip(seeds, share_sparse)},
        },
    )


def plot(result: Result, theme: str):
    d = result.data
    probs, counts, m = d["probs"], d["counts"], d["m"]
    pal, muted = style.palette(theme), style.MUTED[theme]
    fig = style.figure(theme, width=1.0, height=5.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.25])
    ax = top.subplots()
    x = np.arange(len(probs))
    for k in range(counts.shape[1]):
        ax.plot(x + (k - 2) * 0.04, counts[:, k], "o", ms=3.5, color=pal[0], alpha=0.8,
                label="a training seed" if k == 0 else None)
    ax.plot(x, counts.mean(1), "-", color=pal[0], lw=1.2, label="mean of the seeds")
    ax.axhline(m / 2, color=muted, ls="--", lw=0.8)
    ax.axhline(m, color=muted, ls=":", lw=0.8)
    ax.text(x[0] - 0.3, m / 2 + 0.8, f"{m // 2}: two neurons per feature", color=muted, fontsize=style.FONT["small"])
    ax.text(x[0] - 0.3, m + 0.8, f"{m}: the neurons", color=muted, fontsize=style.FONT["small"])
    ax.set_xticks(x, [f"{p:g}" for p in probs])
    ax.set(xlabel="feature probability (sparser to the right)", ylabel="features whose |x|\nthe model computes",
           ylim=(0, max(m + 6, float(counts.max()) + 4)), xlim=(-0.4, len(probs) - 0.6))
    style.legend_above(ax, ncols=2)
    style.hover_points(ax, np.repeat(x, counts.shape[1]), counts.ravel(),
                       [f"p = {probs[i]:g}, seed {k}: {counts[i, k]:g} features" for i in range(len(probs))
                        for k in range(counts.shape[1])])
    axes = bottom.subplots(1, 2, sharey=True)
    cmap = style.CMAP["diverging"]
    for bx, (p, W) in zip(axes, d["W_in"].items()):
        order = np.lexsort((-np.abs(W).max(1), np.abs(W).argmax(1)))  # neurons by the feature they weigh most
        shown = W[order][:, :50]
        lim = float(np.abs(shown).max())
        im = bx.imshow(shown, cmap=cmap, vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
        bx.set_title(f"p = {p}: W_in, seed 0", fontsize=style.FONT["small"])
        bx.set_xlabel("feature (most important first)")
        bx.grid(False)
        style.hover_grid(bx, shown, [f"neuron {j}" for j in order], [f"feature {i}" for i in range(shown.shape[1])],
                         fmt="{:.2f}", template="{row}, {col}: weight {v}")
    axes[0].set_ylabel("neuron")
    cb = bottom.colorbar(im, ax=axes, shrink=0.9)
    cb.ax.tick_params(labelsize=style.FONT["small"])
    return fig
