"""Figure: do the autoencoder's features recur in a second model? (Towards Monosemanticity's universality.)

Two models trained by the same recipe from seeds 0 and 1 (mlp-1l, mlp-1l-seed1), each with a 2,048-feature
autoencoder trained the same way. On the same held-out text, each feature of the first is matched to its most
correlated feature of the second (`best_match_correlation`), and each neuron of the first to its most correlated
neuron of the second. Verdict (figures/monosemanticity.yml) `features-universal`: the features' mean best-match
correlation exceeds the neurons' by more than 0.1, with a bootstrap interval over units.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.sae import mlp_activations
from scripts.analysis.sae_units import best_match_correlation, mean_difference
from scripts.engine import style
from scripts.engine.api import Result
from scripts.sae.load import load_sae
from scripts.zoo.load import held_out_text, load_model


def compute(params: dict) -> Result:
    models = [load_model(name) for name in params["models"]]
    text = held_out_text(models[0], params["windows"])
    acts = [mlp_activations(m, text).reshape(-1, m.cfg.d_mlp) for m in models]
    saes = [load_sae(name, params["size"]) for name in params["models"]]
    feats = [sae.encode(a * scale).detach() for (sae, scale), a in zip(saes, acts)]
    f_best = best_match_correlation(feats[0], feats[1])
    n_best = best_match_correlation(acts[0], acts[1])
    est = mean_difference(f_best, n_best, unit="units (features and neurons)")
    f, n = f_best[~torch.isnan(f_best)], n_best[~torch.isnan(n_best)]
    return Result(
        data={"features": f.numpy(), "neurons": n.numpy(), "size": params["size"]},
        values={"feature_corr": f"{float(f.mean()):.2f}", "neuron_corr": f"{float(n.mean()):.2f}",
                "features_above": f"{float((f > 0.9).double().mean()):.0%}",
                "neurons_above": f"{float((n > 0.9).double().mean()):.0%}",
                "features_above_n": f"{int((f > 0.9).sum()):,} of {len(f):,}",
                "neurons_above_n": f"{int((n > 0.9).sum())} of {len(n)}",
                "features_judged": f"{len(f):,}", "tokens": f"{len(acts[0]):,}"},
        verdicts={"features-universal": est},
    )


def plot(result: Result, theme: str):
    d = result.data
    pal, muted = style.palette(theme), style.MUTED[theme]
    fig, ax = style.subplots(theme, 1, 1, width=1.0, aspect=0.42)
    bins = np.linspace(0, 1, 41)
    ax.hist(d["neurons"], bins=bins, density=True, color=muted, alpha=0.75, label="neurons (512)")
    ax.hist(d["features"], bins=bins, density=True, color=pal[0], alpha=0.75,
            label=f"autoencoder features ({len(d['features']):,} that fire)")
    for values, color in ((d["neurons"], muted), (d["features"], pal[0])):
        ax.axvline(float(np.mean(values)), color=color, ls="--", lw=1)
    ax.set(xlabel="best correlation with a unit of the other model", ylabel="density", yticks=[], xlim=(0, 1))
    style.legend_above(ax, ncols=2)
    return fig
