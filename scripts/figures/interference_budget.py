"""Figure: the worst interference among N random directions grows slowly with N and falls with d.

Verdict (declared in figures/geometry.yml): at the largest N and d of the grid, the mean largest |cosine|
over independent draws stays below the leading-order estimate √(4 ln N / d); their ratio, bootstrapped over
the draws (`scripts.analysis.orthogonality.jl_ratio`).
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.geometry import random_unit_vectors
from scripts.analysis.orthogonality import jl_estimate, jl_ratio, max_abs_cosine_gram
from scripts.engine import style
from scripts.engine.api import Result


def compute(params: dict) -> Result:
    rng = np.random.default_rng(params.get("seed", 0))
    dims, counts, trials = params["dims"], params["counts"], params["trials"]
    cells = [(d, n) for d in dims for n in counts]
    # Independent draws per cell; the largest N (whose Gram matrices cost the most) gets fewer.
    draws = [np.array([max_abs_cosine_gram(random_unit_vectors(n, d, rng))
                       for _ in range(params["trials_largest"] if n == counts[-1] else trials)]) for d, n in cells]
    predicted = np.array([jl_estimate(n, d) for d, n in cells])
    headline = cells.index((dims[-1], counts[-1]))
    ratio = jl_ratio([draws[headline]], predicted[headline:headline + 1])
    mean = np.array([w.mean() for w in draws])
    worst = {d: [float(mean[cells.index((d, n))]) for n in counts] for d in dims}
    ratios = mean / predicted
    d_big, n_big = dims[-1], counts[-1]
    return Result(
        data={"worst": worst, "counts": counts},
        values={
            "d": d_big, "n": n_big, "ratio": f"{n_big / d_big:.0f}", "trials": trials, "trials_largest": params["trials_largest"],
            "worst": f"{worst[d_big][-1]:.2f}",
            "angle": f"{np.degrees(np.arccos(worst[d_big][-1])):.0f}°",
            "jl": f"{jl_estimate(n_big, d_big):.2f}",
            "ratio_min": f"{ratios.min():.2f}", "ratio_max": f"{ratios.max():.2f}",
        },
        verdicts={"worst-below-estimate": ratio},
    )


def plot(result: Result, theme: str):
    fig, ax = style.subplots(theme, width=1.0, height=3.1)
    counts = np.array(result.data["counts"])
    lines = []
    for (d, w), color in zip(result.data["worst"].items(), style.palette(theme)):
        line, = ax.semilogx(counts, w, "o-", markersize=3, color=color, label=f"d = {d}")
        ax.semilogx(counts, [jl_estimate(n, d) for n in counts], ":", color=line.get_color(), linewidth=1)
        lines.append(line)
        style.hover_points(ax, counts, w, [f"d = {d}, N = {n:,}: largest |cos| {v:.3f} (estimate {jl_estimate(n, d):.3f})"
                                           for n, v in zip(counts, w)])
    ax.set(xlabel="number of random directions N", ylabel="largest |cosine| among them", ylim=(0, 1.05),
           xlim=(counts.min() / 1.3, counts.max() * 2.2))
    ax.set_title("solid: measured   dotted: √(4 ln N / d)", loc="left", fontsize=style.FONT["small"],
                 color=style.MUTED[theme])
    style.plain_log_ticks(ax, "x", fmt="%d")
    style.label_lines(ax, theme, lines)
    return fig
