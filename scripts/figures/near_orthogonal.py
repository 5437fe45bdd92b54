"""Figure: random unit vectors become nearly orthogonal as the dimension grows (std of cosine = 1/√d).

Verdict (declared in figures/geometry.yml): the worst relative error of std(cos) · √d over the dimensions,
bootstrapped over the random vectors (`scripts.analysis.orthogonality.worst_std_error`).
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.analysis.orthogonality import worst_std_error
from scripts.engine import style
from scripts.engine.api import Result


def compute(params: dict) -> Result:
    rng = np.random.default_rng(params.get("seed", 0))
    dims, n = params["dims"], params["n_vectors"]
    vectors = {d: random_unit_vectors(n, d, rng) for d in dims}
    cosines = {d: pairwise_cosines(v) for d, v in vectors.items()}
    stds = {d: float(c.std()) for d, c in cosines.items()}
    worst, ratios = worst_std_error(vectors)
    return Result(
        data={"cosines": cosines, "stds": stds},
        values={
            "n_pairs": n * (n - 1) // 2, "n_vectors": n,
            "std_largest_d": f"{stds[dims[-1]]:.4f}",
            "inv_sqrt_largest_d": f"{1 / np.sqrt(dims[-1]):.4f}",
            "largest_d": dims[-1],
            "worst_rel_error": f"{100 * worst.value:.1f} %",
            "ratios": ", ".join(f"{r:.3f}" for r in ratios.values()),
        },
        verdicts={"spread-is-inverse-sqrt-d": worst},
    )


def plot(result: Result, theme: str):
    # The shared style: column width, real text >= 11 px, direct labels.
    fig, (ax, ax2) = style.subplots(theme, 1, 2, width=1.0, height=4.0 if style.phone() else 3.3,
                                    gridspec_kw={"width_ratios": [3, 2]})
    bins = np.linspace(-1, 1, 81)
    colors = style.palette(theme)
    dims = sorted(result.data["cosines"])
    peaks = []
    for d, color in zip(dims, colors):
        density, _, _ = ax.hist(result.data["cosines"][d], bins=bins, density=True, histtype="step",
                                linewidth=1.4, color=color)
        peaks.append(float(density.max()))
    ax.set(xlabel="cosine similarity of two random unit vectors", ylabel="density", yscale="log",
           ylim=(1e-4, max(peaks) * 3))
    style.plain_log_ticks(ax, "y")
    # each histogram named just right of its shoulder (x = its std, y = its peak), in its colour: narrower
    # curves are inside that point and wider ones below it, so the name sits on no data
    for d, color, peak in zip(dims, colors, peaks):
        ax.annotate(f"d = {d}", (result.data["stds"][d], peak), xytext=(3, 1), textcoords="offset points",
                    ha="left", va="bottom", fontsize=style.FONT["small"], color=style.text_color(color, theme))
    stds = [result.data["stds"][d] for d in dims]
    for d, color, sd in zip(dims, colors, stds):
        ax2.loglog([d], [sd], "o", color=color)  # each dimension in its histogram's colour
    ax2.loglog(dims, 1 / np.sqrt(dims), "-", linewidth=1, color=style.MUTED[theme], zorder=0)
    ax2.set(xlabel="dimension d", ylabel="std of cosine", yticks=[0.03, 0.1, 0.3])
    style.plain_log_ticks(ax2)  # "10", "100", "1000": no 70 %-size exponents
    style.label_points(ax2, theme, [dims[2], dims[0]], [1 / np.sqrt(dims[2]), stds[0]], ["1/√d", "measured"],
                       color=[style.MUTED[theme], style.INK[theme]])
    return fig
