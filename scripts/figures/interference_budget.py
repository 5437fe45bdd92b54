"""Figure: the worst interference among N random directions grows slowly with N and falls with d."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from scripts.analysis.geometry import jl_max_cosine, max_abs_cosine, random_unit_vectors
from scripts.engine.api import Result


def compute(params: dict) -> Result:
    rng = np.random.default_rng(params.get("seed", 0))
    dims, counts, trials = params["dims"], params["counts"], params["trials"]
    worst = {d: [float(np.mean([max_abs_cosine(random_unit_vectors(n, d, rng)) for _ in range(trials)]))
                 for n in counts] for d in dims}
    d_big, n_big = dims[-1], counts[-1]
    return Result(
        data={"worst": worst, "counts": counts},
        values={
            "d": d_big, "n": n_big, "ratio": f"{n_big / d_big:.0f}",
            "worst": f"{worst[d_big][-1]:.2f}",
            "angle": f"{np.degrees(np.arccos(worst[d_big][-1])):.0f}°",
            "jl": f"{jl_max_cosine(n_big, d_big):.2f}",
        },
    )


def plot(result: Result, theme: str):
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    counts = np.array(result.data["counts"])
    for d, w in result.data["worst"].items():
        line, = ax.semilogx(counts, w, "o-", markersize=3, label=f"d = {d}")
        ax.semilogx(counts, [jl_max_cosine(n, d) for n in counts], ":", color=line.get_color(), linewidth=1)
    ax.set(xlabel="number of random directions N", ylabel="largest |cosine| among them", ylim=(0, 1.05))
    ax.legend(fontsize=8, title="dotted: √(4 ln N / d)", title_fontsize=8)
    fig.tight_layout()
    return fig
