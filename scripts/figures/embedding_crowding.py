"""Figure: how crowded are the zoo's token embeddings? Pairwise cosines of W_E rows vs. random vectors.

Verdict (declared in figures/superposition.yml): the spread of the 2-layer model's embedding cosines over
that of random unit vectors of the same shape (`crowding_ratio`: bootstrap over tokens, each resample
divided by one of 200 draws of the random null), on every training seed of the 2-layer recipe.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.crowding import crowding_ratio
from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.engine import style
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
    show = lambda t: repr(top_model.tokenizer.decode([int(t) + 2]))
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
    # small multiples: each model against the same random baseline, named in its colour (no legend)
    models = [k for k in result.data["cos"] if k != "random"]
    fig, axes = style.subplots(theme, 1, len(models), width=1.0, height=2.7, sharey=True)
    bins = np.linspace(-1, 1, 161)
    t = result.data["threshold"]
    for ax, k in zip(np.atleast_1d(axes), models):
        ax.hist(result.data["cos"]["random"], bins=bins, density=True, histtype="step", linewidth=1.2,
                color=style.MUTED[theme], linestyle="--")
        color = style.color_for(k)
        ax.hist(result.data["cos"][k], bins=bins, density=True, histtype="step", linewidth=1.4, color=color)
        for s in (-t, t):
            ax.axvline(s, color=style.MUTED[theme], linestyle=":", linewidth=1)
        ax.set(xlabel="cosine between two\ntoken embeddings", yscale="log", xlim=(-1, 1), xticks=[-1, -0.5, 0, 0.5, 1],
               xticklabels=["−1", "", "0", "", "1"])
        ax.set_title(k.replace("attn-only-", "").replace("l", "-layer model"), loc="left",
                     color=style.text_color(color, theme), fontsize=style.FONT["text"])
    axes[0].set_ylabel("density")
    style.decade_ticks(axes[0], "y")
    axes[0].text(0.02, 0.42, "dashed:\nrandom\nvectors", transform=axes[0].transAxes, ha="left", va="top",
                 fontsize=style.FONT["small"], color=style.MUTED[theme])
    return fig
