"""Figure: computation in superposition — a model that must output |x| for 100 sparse features with 40 ReLU
neurons, from dense to sparse features (the toy models paper's absolute-value experiment).

Reads the `computation` sweep of the toy-models artifact (scripts/toy/train.py: h = ReLU(W_in x), y' =
ReLU(W_out h + b), importance 0.9**i, five feature probabilities, five seeds each). A neuron without a bias
answers a feature on one sign only, so a feature's |x| needs two neurons, and a model whose neurons each serve
one feature computes at most m/2 = 20 (scripts/analysis/superposition.py). Verdicts (figures/toy-models.yml),
one exact value per training seed, decided over the five seeds:
- `computes-in-superposition`: at feature probability 0.01 more than 20 features' |x| are computed (lone-response
  R² above 0.5, the rule; above 0.8, a stricter variant; and, added after the first result, the same setting
  trained three times as long, the `computation-long` sweep);
- `dense-computes-without-superposition`: with dense features at most 20 are;
- `neurons-serve-several`: at 0.01 the neurons in use serve more than 1.5 computed features on average (and,
  added after the first result, counting features answered on one sign only, `one_sided_fit`).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.stats import exact
from scripts.analysis.superposition import computed_features, features_per_neuron, one_sided_fit
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import axis, instances, load_sweep

RUN = "training run"


def compute(params: dict) -> Result:
    sw = load_sweep("computation")
    m, n = sw["W_in"].shape[1], sw["W_in"].shape[2]
    probs, seeds = axis(sw, "p", descending=True), [int(s) for s in axis(sw, "seed")]
    weights = lambda sweep, idx: (sweep["W_in"][idx], sweep["W_out"][idx], sweep["b"][idx])
    sparse, dense = instances(sw, p=params["sparse_p"]), instances(sw, p=1.0)
    counts = {}  # the verdict's variants: how strict the fit, and how long the training
    for name, v in params["variants"].items():
        sweep = sw if v["sweep"] == "computation" else load_sweep(v["sweep"])
        counts[name] = computed_features(*weights(sweep, instances(sweep, p=params["sparse_p"])),
                                         threshold=v["threshold"])
    dense_count = computed_features(*weights(sw, dense))
    per_p = torch.stack([computed_features(*weights(sw, instances(sw, p=p))) for p in probs])  # [p seed]
    one_sided = torch.stack([(one_sided_fit(*weights(sw, instances(sw, p=p))) > 0.5).sum(-1) for p in probs])

    def sharing(idx, one_sided: bool):  # per seed: mean features per neuron, over the neurons serving at least one
        fpn = features_per_neuron(*weights(sw, idx), one_sided=one_sided)
        return torch.stack([row[row > 0].mean() if (row > 0).any() else torch.tensor(0.0) for row in fpn])

    share = {"whole |x| computed": sharing(sparse, False), "answered on one sign counts too": sharing(sparse, True)}
    shown = {p: instances(sw, p=p)[0] for p in (1.0, params["sparse_p"])}
    label = lambda s: f"seed {s}"
    main, long = counts[next(iter(counts))], counts[list(counts)[-1]]
    return Result(
        data={"probs": probs, "counts": per_p.numpy(), "one_sided": one_sided.numpy(), "long": long.numpy(),
              "m": m, "n": n, "W_in": {f"{p:g}": sw["W_in"][i].numpy() for p, i in shown.items()}},
        values={"m": m, "n": n, "half": m // 2, "seeds": len(seeds), "sparse_p": params["sparse_p"],
                "counts_by_p": ", ".join(f"{c:g}" for c in per_p.double().mean(1).tolist()),
                "one_sided_by_p": ", ".join(f"{c:g}" for c in one_sided.double().mean(1).tolist()),
                "probs": ", ".join(f"{p:g}" for p in probs),
                "sparse_min": int(main.min()), "sparse_max": int(main.max()),
                "long_min": int(long.min()), "long_max": int(long.max()),
                "dense_min": int(dense_count.min()), "dense_max": int(dense_count.max()),
                "share_whole": f"{share['whole |x| computed'].mean():.2f}",
                "share_one_sided": f"{share['answered on one sign counts too'].mean():.2f}"},
        verdicts={
            "computes-in-superposition": {name: {label(s): exact(float(v), n=n, unit=RUN) for s, v in zip(seeds, c)}
                                          for name, c in counts.items()},
            "dense-computes-without-superposition": {label(s): exact(float(v), n=n, unit=RUN)
                                                     for s, v in zip(seeds, dense_count)},
            "neurons-serve-several": {name: {label(s): exact(float(v), n=m, unit=RUN) for s, v in zip(seeds, c)}
                                      for name, c in share.items()},
        },
    )


def plot(result: Result, theme: str):
    d = result.data
    probs, counts, m = d["probs"], d["counts"], d["m"]
    pal, muted = style.palette(theme), style.MUTED[theme]
    phone = style.phone()  # the two weight maps one under the other
    fig = style.figure(theme, width=1.0, height=9.2 if phone else 5.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.4 if phone else 1, 2.6 if phone else 1.25])
    ax = top.subplots()
    x = np.arange(len(probs))
    for k in range(counts.shape[1]):
        ax.plot(x + (k - 2) * 0.04, counts[:, k], "o", ms=3.5, color=pal[0], alpha=0.8,
                label="a training seed" if k == 0 else None)
    ax.plot(x, counts.mean(1), "-", color=pal[0], lw=1.2, label="|x| computed (mean of the seeds)")
    one = d["one_sided"]
    for k in range(one.shape[1]):
        ax.plot(x + (k - 2) * 0.04, one[:, k], "s", ms=3, color=pal[1], alpha=0.8)
    ax.plot(x, one.mean(1), "-", color=pal[1], lw=1.2, label="answered on one sign only")
    long = d["long"]
    ax.plot(np.full(len(long), x[-1] + 0.22), long, "D", ms=3.5, mfc="none", color=pal[0],
            label="|x| computed, 3× longer training")
    ax.axhline(m / 2, color=muted, ls="--", lw=0.8)
    ax.axhline(m, color=muted, ls=":", lw=0.8)
    ax.text(x[0] - 0.3, m / 2 + 0.8, f"{m // 2}: two neurons per feature", color=muted, fontsize=style.FONT["small"])
    ax.text(x[0] - 0.3, m + 0.8, f"{m}: the neurons", color=muted, fontsize=style.FONT["small"])
    ax.set_xticks(x, [f"{p:g}" for p in probs])
    ax.set(xlabel="feature probability (sparser to the right)", ylabel="features",
           xlim=(-0.4, len(probs) - 0.5))
    style.legend_above(ax, ncols=2)
    ax.set_ylim(0, max(m + 6, float(one.max()) + 6))
    style.hover_points(ax, np.repeat(x, counts.shape[1]), counts.ravel(),
                       [f"p = {probs[i]:g}, seed {k}: |x| computed for {counts[i, k]:g} features, "
                        f"{one[i, k]:g} answered on one sign" for i in range(len(probs)) for k in range(counts.shape[1])])
    axes = style.grid(bottom, 1, 2, sharey=True)
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
