"""Figure: the residual stream's virtual weights — how strongly each writer feeds each later reader."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.linalg import composition_score, random_composition_baseline
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def writers_and_readers(model) -> tuple[dict, dict]:
    """(label -> (layer it writes after, W_out)), (label -> (layer it reads at, W_in)); -1 is the embedding."""
    writers = {"W_E": (-1, model.W_E), "W_pos": (-1, model.W_pos)}
    readers = {}
    for l in range(model.cfg.n_layers):
        for h in range(model.cfg.n_heads):
            writers[f"L{l}H{h} out"] = (l, model.W_O[l, h])
            for kind, W in (("Q", model.W_Q), ("K", model.W_K), ("V", model.W_V)):
                readers[f"L{l}H{h} {kind}"] = (l, W[l, h])
    readers["W_U"] = (model.cfg.n_layers, model.W_U)
    return writers, readers


def compute(params: dict) -> Result:
    g = torch.Generator().manual_seed(params["seed"])
    model = load_model(params["model"], fold=True)
    writers, readers = writers_and_readers(model)
    scores = np.full((len(writers), len(readers)), np.nan)
    baseline = np.full_like(scores, np.nan)
    cache: dict = {}
    with torch.no_grad():
        for i, (lw, Wo) in enumerate(writers.values()):
            for j, (lr, Wi) in enumerate(readers.values()):
                if lw < lr:
                    scores[i, j] = composition_score(Wo, Wi)
                    key = (tuple(Wo.shape), tuple(Wi.shape))
                    if key not in cache:
                        cache[key] = random_composition_baseline(key[0], key[1], samples=params["samples"], generator=g)
                    baseline[i, j] = cache[key]
    ratio = scores / baseline
    heads_only = [(i, j) for i, w in enumerate(writers) for j, r in enumerate(readers)
                  if w.startswith("L") and r.startswith("L") and not np.isnan(ratio[i, j])]
    bi, bj = max(heads_only, key=lambda ij: ratio[ij])
    return Result(
        data={"ratio": ratio, "writers": list(writers), "readers": list(readers)},
        values={
            "best_pair": f"{list(writers)[bi]} → {list(readers)[bj]}", "best_ratio": f"{ratio[bi, bj]:.1f}",
            "best_score": f"{scores[bi, bj]:.2f}", "baseline": f"{np.nanmean(baseline):.3f}",
            "wpos_max": f"{np.nanmax(ratio[1]):.1f}",
            "wpos_best": list(readers)[int(np.nanargmax(ratio[1]))],
            "samples": params["samples"],
        },
    )


def plot(result: Result, theme: str):
    ratio = result.data["ratio"]
    fig, ax = plt.subplots(figsize=(8.6, 3.4))
    im = ax.imshow(ratio, cmap="magma" if theme == "dark" else "viridis", vmin=0, vmax=np.nanmax(ratio), aspect="auto")
    ax.set_xticks(range(len(result.data["readers"])), result.data["readers"], rotation=90, fontsize=7)
    ax.set_yticks(range(len(result.data["writers"])), result.data["writers"], fontsize=7)
    ax.set(xlabel="reader", ylabel="writer")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="composition score / random baseline", fraction=0.03)
    fig.tight_layout()
    return fig
