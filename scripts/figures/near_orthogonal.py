"""Figure: random unit vectors become nearly orthogonal as the dimension grows (std of cosine = 1/√d)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from scripts.analysis.geometry import pairwise_cosines, random_unit_vectors
from scripts.engine.api import Result


def compute(params: dict) -> Result:
    rng = np.random.default_rng(params.get("seed", 0))
    dims, n = params["dims"], params["n_vectors"]
    cosines = {d: pairwise_cosines(random_unit_vectors(n, d, rng)) for d in dims}
    stds = {d: float(c.std()) for d, c in cosines.items()}
    worst = max(abs(stds[d] * np.sqrt(d) - 1) for d in dims)
    return Result(
        data={"cosines": cosines, "stds": stds},
        values={
            "n_pairs": n * (n - 1) // 2,
            "std_largest_d": f"{stds[dims[-1]]:.4f}",
            "inv_sqrt_largest_d": f"{1 / np.sqrt(dims[-1]):.4f}",
            "largest_d": dims[-1],
            "worst_rel_error": f"{100 * worst:.1f} %",
            "verdict": "matches 1/√d" if worst < 0.05 else "does not match 1/√d",
        },
    )


def plot(result: Result, theme: str):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(7.2, 3.2), gridspec_kw={"width_ratios": [3, 2]})
    bins = np.linspace(-1, 1, 81)
    for d, c in result.data["cosines"].items():
        ax.hist(c, bins=bins, density=True, histtype="step", linewidth=1.4, label=f"d = {d}")
    ax.set(xlabel="cosine similarity of two random unit vectors", ylabel="density", yscale="log")
    ax.legend(fontsize=8)
    dims = np.array(sorted(result.data["stds"]))
    ax2.loglog(dims, [result.data["stds"][d] for d in dims], "o", label="measured std")
    ax2.loglog(dims, 1 / np.sqrt(dims), "-", linewidth=1, label="1/√d")
    ax2.set(xlabel="dimension d", ylabel="std of cosine")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig
