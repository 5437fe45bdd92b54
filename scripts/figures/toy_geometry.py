"""Figure: the geometry of superposition in a model with many features (100 features in 20 dimensions, equal
importances): dimensions per feature across sparsity, and each feature's own dimensionality, against the
values of the paper's uniform polytopes (3/4 tetrahedron, 2/3 triangle, 1/2 antipodal pair, 2/5 pentagon,
3/8 square antiprism).

Reads the `geometry` sweep of the toy-models artifact (ten feature probabilities, five seeds). Verdicts
(figures/toy-models.yml): `features-form-polytopes`, per seed, of the features in superposition, the fraction
within 0.02 of a polytope value minus the fraction expected if the same features were spread smoothly
(`polytope_excess`), under two definitions of "in superposition" (dimensionality 0.3-0.9, the rule fixed first,
and 0.1-0.9, a reviewer's); `other-polytopes`, the same without 1/2 (added after a review showed the first
rests on antipodal pairs alone).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.stats import exact
from scripts.analysis.superposition import POLYTOPES, dims_per_feature, feature_dimensionality, polytope_excess
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import axis, load_sweep


def compute(params: dict) -> Result:
    sw = load_sweep("geometry")
    ps, seeds = axis(sw, "p", descending=True), [int(s) for s in axis(sw, "seed")]
    dpf = dims_per_feature(sw["W"])
    D = feature_dimensionality(sw["W"])
    excess: dict[str, dict] = {name: {} for name in params["bands"]}
    others, observed, expected, count = {}, [], [], []
    not_half = tuple(v for v in POLYTOPES if v != 0.5)
    for s in seeds:
        d = D[sw["seed"] == s].flatten()
        for name, band in params["bands"].items():  # the verdict's variants: which features count as shared
            o, e, k = polytope_excess(d, tol=params["tol"], band=tuple(band))
            excess[name][f"seed {s}"] = exact(o - e, n=k, unit="features in superposition")
            if band == params["bands"][next(iter(params["bands"]))]:
                observed.append(o), expected.append(e), count.append(k)
        o, e, k = polytope_excess(d, tol=params["tol"], targets=not_half)
        others[f"seed {s}"] = exact(o - e, n=k, unit="features in superposition")
    near = {name: float(((D - v).abs() <= params["tol"]).float().sum() / len(seeds))  # features per seed near each
            for v, name in POLYTOPES.items()}
    by_p = [(p, torch.isclose(sw["p"], torch.tensor(p))) for p in ps]
    mean_dpf = [float(dpf[mask].mean()) for _, mask in by_p]
    half = [p for p, v in zip(ps, mean_dpf) if abs(v - 0.5) <= params["tol"]]
    return Result(
        data={"ps": ps, "p": sw["p"].numpy(), "seed": sw["seed"].numpy(), "dpf": dpf.numpy(), "D": D.numpy()},
        values={"n": sw["W"].shape[2], "m": sw["W"].shape[1], "seeds": len(seeds), "tol": params["tol"],
                "observed": f"{np.mean(observed):.2f}", "expected": f"{np.mean(expected):.2f}",
                "features": f"{int(np.mean(count)):,}",
                "dpf_dense": f"{mean_dpf[0]:.2f}", "dpf_sparsest": f"{mean_dpf[-1]:.2f}",
                "half_at": ", ".join(f"{p:g}" for p in half) or "none of the sparsities",
                "near_each": "; ".join(f"{name} {v:.0f}" for name, v in near.items()),
                "near_half_share": f"{near['antipodal pair'] / max(sum(near.values()), 1):.0%}",
                "at_floor": f"{float(((D - sw['W'].shape[1] / sw['W'].shape[2]).abs() <= params['tol']).float().mean()):.0%}"},
        verdicts={"features-form-polytopes": excess, "other-polytopes": others},
    )


def plot(result: Result, theme: str):
    d = result.data
    x = 1 / d["p"]
    fig, (ax, bx) = style.subplots(theme, 1, 2, width=1.0, aspect=0.45)
    colors = style.palette(theme)
    muted = style.MUTED[theme]
    for s in sorted(set(d["seed"].tolist())):
        mask = d["seed"] == s
        order = np.argsort(x[mask])
        ax.plot(x[mask][order], d["dpf"][mask][order], "o-", color=colors[s % len(colors)], markersize=3, lw=0.8,
                label=f"seed {s}")
    for v, name in ((1.0, "1"), (0.5, "1/2")):
        ax.axhline(v, color=muted, ls=":", lw=0.8)
        ax.text(x.max() * 1.15, v, name, va="center", fontsize=style.FONT["small"], color=muted)
    ax.set(xscale="log", xlabel="1 / feature probability", ylabel="dimensions per feature, m / ‖W‖²",
           ylim=(0, 1.08))
    style.plain_log_ticks(ax, "x")
    rng = np.random.default_rng(0)
    xs = np.repeat(x, d["D"].shape[1]) * np.exp(rng.uniform(-0.12, 0.12, d["D"].size))
    bx.scatter(xs, d["D"].ravel(), s=2, color=colors[0], alpha=0.35, linewidths=0, rasterized=True)
    bx.set(xscale="log", xlabel="1 / feature probability", ylabel="feature dimensionality Dᵢ", ylim=(-0.02, 1.05))
    fig.canvas.draw()  # the axes' size decides how far apart the labels must be
    values = list(POLYTOPES)
    at = style.spread(values, style.data_per_pt(bx, style.FONT["small"] * 1.15))
    for v, y, name in zip(values, at, POLYTOPES.values()):
        bx.axhline(v, color=muted, ls=":", lw=0.7)
        bx.text(x.max() * 1.3, y, f"{name} ({v:.3g})", va="center", fontsize=style.FONT["small"], color=muted)
    style.plain_log_ticks(bx, "x")
    return fig
