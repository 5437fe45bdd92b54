"""Figure: Q-, K- and V-composition between layer-0 and layer-1 heads of the 2-layer model, minus the
score of random matrices of the same shapes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.circuits import composition_scores, random_composition_scores
from scripts.analysis.induction import previous_token_scores
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model


def compute(params: dict) -> Result:
    m = load_model(params["model"], fold=True)
    base = random_composition_scores(m.cfg.d_model, m.cfg.d_head, samples=params["samples"],
                                     generator=torch.Generator().manual_seed(params["seed"]))
    with torch.no_grad():
        comp = {mode: (composition_scores(m, mode) - base).numpy() for mode in "QKV"}
        prev = previous_token_scores(load_model(params["model"]), held_out_text(m, 64))[0].numpy()
    i, j = np.unravel_index(comp["K"].argmax(), comp["K"].shape)
    best = {mode: float(c.max()) for mode, c in comp.items()}
    return Result(
        data={"comp": comp},
        values={"baseline": f"{base:.3f}", "k_excess_pct": f"{100 * best['K'] / base:.0f} %", "k_best_pair": f"L0H{i} → L1H{j}", "k_best": f"{best['K']:.3f}",
                "q_best": f"{best['Q']:.3f}", "v_best": f"{best['V']:.3f}",
                "prev_head": f"L0H{int(prev.argmax())}", "prev_score": f"{prev.max():.2f}",
                "k_source_is_prev": "yes" if int(prev.argmax()) == i else "no",
                "verdict": ("K-composition dominates, from the previous-token head" if best["K"] > max(best["Q"], best["V"])
                            and int(prev.argmax()) == i else "not the paper's pattern")},
    )


def plot(result: Result, theme: str):
    comp = result.data["comp"]
    vmax = max(np.abs(c).max() for c in comp.values())
    fig, axes = plt.subplots(1, 3, figsize=(8.4, 3.0))
    for ax, (mode, c) in zip(axes, comp.items()):
        im = ax.imshow(c, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set(title=f"{mode}-composition", xlabel="layer-1 head", ylabel="layer-0 head",
               xticks=range(c.shape[1]), yticks=range(c.shape[0]))
        ax.grid(False)
        for (a, b), v in np.ndenumerate(c):
            ax.text(b, a, f"{v:+.3f}", ha="center", va="center", fontsize=6,
                    color="white" if abs(v) > 0.6 * vmax else "black")
    fig.colorbar(im, ax=axes, fraction=0.02, label="score − random baseline")
    return fig
