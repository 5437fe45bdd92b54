"""Interactive figure: 5 features in 2 dimensions at every sparsity and importance decay of the `pentagon`
sweep (seed 0) — the features' directions in the plane and WᵀW, driven by a slider
(docs/assets/javascripts/superposition-explorer.js). The static image, the overview and the print copy,
shows the directions for every setting at once.
"""

from __future__ import annotations

from scripts.analysis.superposition import feature_norms
from scripts.engine import style
from scripts.engine.api import Result
from scripts.toy.load import axis, instances, load_sweep


def compute(params: dict) -> Result:
    sw = load_sweep("pentagon")
    decays, ps = axis(sw, "decay", descending=True), axis(sw, "p", descending=True)
    models: dict[str, list[dict]] = {}
    for decay in decays:
        models[f"{decay:g}"] = []
        for p in ps:
            k = int(instances(sw, seed=params["seed"], decay=decay, p=p)[0])
            W = sw["W"][k]
            models[f"{decay:g}"].append({"W": [[round(float(v), 4) for v in row] for row in W],
                                         "norms": [round(float(v), 4) for v in feature_norms(W[None])[0]],
                                         "WtW": [[round(float(v), 4) for v in row] for row in W.T @ W],
                                         "loss": round(float(sw["loss"][k]), 6)})
    data = {"decays": decays, "p": ps, "models": models, "seed": f"seed {params['seed']}"}
    return Result(data=data, widget_data=data, values={"settings": len(decays) * len(ps)})


def plot(result: Result, theme: str):
    d = result.data
    decays, ps = d["decays"], d["p"]
    fig, axes = style.subplots(theme, len(decays), len(ps), width=1.0, height=0.95 * len(decays) + 0.4, phone_cols=4)
    colors = style.palette(theme)[:5]
    for r, decay in enumerate(decays):
        for c, p in enumerate(ps):
            ax = axes[r, c]
            W = d["models"][f"{decay:g}"][c]["W"]
            for i in range(len(W[0])):
                ax.plot([0, W[0][i]], [0, W[1][i]], color=colors[i], lw=1.4)
            ax.set(xlim=(-1.25, 1.25), ylim=(-1.25, 1.25), aspect="equal", xticks=[], yticks=[])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if r == 0:
                ax.set_title(f"S = {1 - p:.3g}", fontsize=style.FONT["small"])
            if style.row_start(c, 4):
                ax.set_ylabel(f"decay {decay:g}", fontsize=style.FONT["small"])
    return fig
