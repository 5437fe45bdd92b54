"""Figure: OV-circuit eigenvalue positivity per head — which heads copy the token they attend to."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.circuits import copying_score, random_copying_baseline
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    scores = {}
    for name in params["models"]:
        m = load_model(name, fold=True)
        scores[name] = {f"L{l}H{h}": copying_score(m, l, h) for l in range(m.cfg.n_layers) for h in range(m.cfg.n_heads)}
    base = random_copying_baseline(m.cfg.d_vocab, m.cfg.d_model, m.cfg.d_head, samples=params["samples"],
                                   generator=torch.Generator().manual_seed(params["seed"]))
    hi = float(np.abs(base).max())
    one = scores[params["models"][0]]
    copying_1l = sum(v > hi for v in one.values())
    total = sum(len(v) for v in scores.values())
    copying_all = sum(v > hi for s in scores.values() for v in s.values())
    return Result(
        data={"scores": scores, "baseline": base},
        values={"copying_1l": copying_1l, "heads_1l": len(one), "copying_all": copying_all, "heads_all": total,
                "baseline_max": f"{hi:.2f}", "samples": params["samples"],
                "best_1l": f"{max(one.values()):.2f}",
                "verdict": "most heads copy, as in the paper" if copying_all > total / 2 else "few heads copy"},
    )


def plot(result: Result, theme: str):
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    labels, vals, colors = [], [], []
    for k, (name, s) in enumerate(result.data["scores"].items()):
        for head, v in s.items():
            labels.append(f"{name.removeprefix('attn-only-')} {head}")
            vals.append(v)
            colors.append(f"C{k}")
    x = np.arange(len(vals))
    ax.bar(x, vals, color=colors)
    hi = np.abs(result.data["baseline"]).max()
    ax.axhspan(-hi, hi, color="0.6", alpha=0.3, linewidth=0, label="random matrices (range)")
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set_xticks(x, labels, rotation=90, fontsize=7)
    ax.set(ylabel="Σλ / Σ|λ| of the OV circuit", ylim=(-1.05, 1.05))
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
