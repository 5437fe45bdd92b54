"""Figure: how crowded are the zoo's token embeddings? Pairwise cosines of W_E rows vs. random vectors.

Verdict (declared in figures/superposition.yml): the spread of the 2-layer model's embedding cosines over
that of random unit vectors of the same shape (`crowding_ratio`: bootstrap over tokens, each resample
divided by one of 200 draws of the random null), on every training seed of the 2-layer recipe.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from scripts.analysis.crowding import crowding_ratio
from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.engine.api import Result
from scripts.zoo.load import load_model, seed_label, seed_variants


def embeddings(name: str):
    model = load_model(name)
    return model, model.W_E.detach().numpy()[2:]  # skip the two special tokens


def compute(params: dict) -> Result:
    cos, ratio = {}, {}
    deep = params["models"][-1]
    for name in params["models"]:
        model, W_E = embeddings(name)
        cos[name] = pairwise_cosines(W_E)
        ratio[name], null = crowding_ratio(W_E, null_draws=params["null_draws"], seed=params["seed"])
        if name == deep:
            top_model, top_W = model, W_E
    per_seed = {seed_label(deep): ratio[deep]}
    for name in seed_variants(deep, params["seeds"])[1:]:
        per_seed[seed_label(name)] = crowding_ratio(embeddings(name)[1], null_draws=params["null_draws"],
                                                    seed=params["seed"])[0]
    # The most aligned pairs of the 2-layer model, as readable tokens (ties broken by pair index).
    i, j = np.triu_indices(len(top_W), k=1)
    c = np.round(cos[deep], 6)
    top = np.lexsort((np.arange(len(c)), -c))[: params["top_pairs"]]
    show = lambda t: repr(top_model.tokenizer.decode([int(t) + 2]))  # noqa: E731
    top_pairs = "; ".join(f"{show(i[k])} / {show(j[k])} ({cos[deep][k]:.2f})" for k in top)
    n, d = top_W.shape
    cos["random"] = pairwise_cosines(random_unit_vectors(n, d, np.random.default_rng(params["seed"])))
    t = params["threshold"]
    frac = {k: float(np.mean(np.abs(v) > t)) for k, v in cos.items()}
    return Result(
        data={"cos": cos, "threshold": t},
        values={
            "n": n, "d": d, "ratio": f"{n / d:.0f}", "threshold": t, "top_pairs": top_pairs,
            "std_random": f"{null.mean():.4f}", "std_random_spread": f"{null.std(ddof=1):.1e}",
            "null_draws": params["null_draws"], "inv_sqrt_d": f"{d ** -0.5:.4f}",
            **{f"ratio_{k[-2:]}": e.text for k, e in ratio.items()},
            "frac_model": f"{100 * frac[deep]:.1f} %", "frac_random": f"{100 * frac['random']:.2f} %",
        },
        verdicts={"wider-than-random": per_seed},
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
