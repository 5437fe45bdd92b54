"""Figure: superposition in the wild — how crowded MiniLM-L6's 30,522 token embeddings are in 384 dimensions.

Verdict (declared in figures/minilm.yml): the spread of the cosines between a random sample of its token
embeddings over that of as many random unit vectors in 384 dimensions (`crowding_ratio`: bootstrap over the
sampled tokens, each resample divided by one draw of the random null). One pretrained checkpoint: no seeds.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.crowding import crowding_ratio
from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    W_E = model.W_E.detach().numpy()
    rng = np.random.default_rng(params["seed"])
    sample = np.sort(rng.choice(W_E.shape[0], size=params["sample"], replace=False))
    cos = pairwise_cosines(W_E[sample])
    rand = pairwise_cosines(random_unit_vectors(params["sample"], W_E.shape[1], rng))
    est, null = crowding_ratio(W_E[sample], null_draws=params["null_draws"], resamples=params["resamples"],
                               seed=params["seed"])
    t = params["threshold"]
    frac, frac_r = float(np.mean(np.abs(cos) > t)), float(np.mean(np.abs(rand) > t))
    return Result(
        data={"cos": cos, "rand": rand, "threshold": t},
        values={"vocab": W_E.shape[0], "d": W_E.shape[1], "ratio": f"{W_E.shape[0] / W_E.shape[1]:.0f}",
                "sample": params["sample"], "n_pairs": len(cos), "std": f"{cos.std():.3f}",
                "std_random": f"{null.mean():.4f}", "std_random_spread": f"{null.std(ddof=1):.1e}",
                "null_draws": params["null_draws"], "spread_ratio": est.text, "threshold": t,
                "frac": f"{100 * frac:.1f} %", "frac_random": f"{100 * frac_r:.3f} %"},
        verdicts={"wider-than-random": est},
    )


def plot(result: Result, theme: str):
    fig, ax = style.subplots(theme, width=1.0, height=3.0)
    bins = np.linspace(-1, 1, 161)
    color = style.color_for("minilm")
    ax.hist(result.data["cos"], bins=bins, density=True, histtype="step", linewidth=1.4, color=color)
    ax.hist(result.data["rand"], bins=bins, density=True, histtype="step", linewidth=1.2, color=style.MUTED[theme],
            linestyle="--")
    for s in (-result.data["threshold"], result.data["threshold"]):
        ax.axvline(s, color=style.MUTED[theme], linestyle=":", linewidth=1)
    ax.set(xlabel="cosine similarity between two token embeddings", ylabel="density", yscale="log", xlim=(-1, 1))
    style.decade_ticks(ax, "y")
    ax.set_title("MiniLM-L6 token embeddings (solid)" + ("\n" if style.phone() else " ") +
                 "and random vectors of the same shape (dashed)", loc="left",
                 fontsize=style.FONT["small"], color=style.text_color(color, theme))
    return fig
