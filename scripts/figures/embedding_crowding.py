"""Figure: how crowded are the zoo's token embeddings? Pairwise cosines of W_E rows vs. random vectors."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    cos = {}
    for name in params["models"]:
        model = load_model(name)
        W_E = model.W_E.detach().numpy()[2:]  # skip the two special tokens
        cos[name] = pairwise_cosines(W_E)
    # The most aligned pairs of the last model, as readable tokens.
    i, j = np.triu_indices(len(W_E), k=1)
    top = np.argsort(-cos[name])[: params["top_pairs"]]
    show = lambda t: repr(model.tokenizer.decode([int(t) + 2]))  # noqa: E731
    top_pairs = "; ".join(f"{show(i[k])} / {show(j[k])} ({cos[name][k]:.2f})" for k in top)
    n, d = W_E.shape
    cos["random"] = pairwise_cosines(random_unit_vectors(n, d, np.random.default_rng(params["seed"])))
    deep = params["models"][-1]
    std = {k: float(v.std()) for k, v in cos.items()}
    frac = {k: float(np.mean(np.abs(v) > params["threshold"])) for k, v in cos.items()}
    return Result(
        data={"cos": cos, "threshold": params["threshold"]},
        values={
            "n": n, "d": d, "ratio": f"{n / d:.0f}", "std_model": f"{std[deep]:.3f}", "std_random": f"{std['random']:.3f}",
            "frac_model": f"{100 * frac[deep]:.1f} %", "frac_random": f"{100 * frac['random']:.2f} %",
            "threshold": params["threshold"], "max_model": f"{np.abs(cos[deep]).max():.2f}",
            "mean_model": f"{cos[deep].mean():.3f}", "top_pairs": top_pairs,
            "excess": f"{frac[deep] / max(frac['random'], 1e-9):.0f}",
            "verdict": ("more crowded than random directions" if frac[deep] > 5 * frac["random"]
                        else "as spread as random directions"),
        },
    )


def plot(result: Result, theme: str):
    fig, ax = plt.subplots(figsize=(6.6, 3.3))
    bins = np.linspace(-1, 1, 161)
    for k, v in result.data["cos"].items():
        style = {"color": "0.55", "linestyle": "--"} if k == "random" else {}
        ax.hist(v, bins=bins, density=True, histtype="step", linewidth=1.4, label=k if k != "random" else "random, same shape", **style)
    t = result.data["threshold"]
    for s in (-t, t):
        ax.axvline(s, color="0.5", linestyle=":", linewidth=1)
    ax.set(xlabel="cosine similarity between two token embeddings", ylabel="density", yscale="log", xlim=(-1, 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
