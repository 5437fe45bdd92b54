"""Plot helpers shared by the causal note's figures: a heatmap with its numbers in the cells, and the verdicts'
statistics per training seed as dots with interval bars against the rule's threshold (as causal_paths.py draws
them). Drawing only; no computation.
"""

from __future__ import annotations

import numpy as np

from scripts.engine import style


def heatmap(ax, m, title: str, xlabels, ylabels, *, vmin: float = 0.0, vmax: float = 1.1, fmt: str = "{:.2f}",
            xlabel: str = "") -> None:
    """`m` as colour with its value written in each cell (white text on the dark end of the scale)."""
    m = np.asarray(m, dtype=float)
    ax.imshow(m, vmin=vmin, vmax=vmax, cmap=style.CMAP["sequential"], aspect="auto")
    mid = vmin + 0.55 * (vmax - vmin)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=style.FONT["small"],
                color="#ffffff" if v < mid else "#1f2328")
    ax.set_xticks(range(len(xlabels)), xlabels)
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.set_title(title, fontsize=style.FONT["text"])
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.grid(False)
    style.hover_grid(ax, m, list(ylabels), [str(x).replace("\n", " ") for x in xlabels])


def seed_dots(ax, theme: str, seeds: dict, keys: list[str], labels: dict[str, str], thresholds: dict[str, float], *,
              xlim: tuple[float, float], xlabel: str, label_x: list[float] | None = None) -> None:
    """One row per verdict key, one dot with its 95 % interval per seed (`seeds`: label -> key -> (value, low,
    high)), the rule's threshold dotted; the seeds' names in their colours above the first row."""
    colors = style.palette(theme)
    n = len(seeds)
    xs = label_x or list(np.linspace(xlim[0] + 0.55 * (xlim[1] - xlim[0]), xlim[1] - 0.1 * (xlim[1] - xlim[0]), n))
    for s, (label, est) in enumerate(seeds.items()):
        y = np.arange(len(keys)) + (s - (n - 1) / 2) * 0.22
        v = np.array([est[k][0] for k in keys])
        lo, hi = np.array([est[k][1] for k in keys]), np.array([est[k][2] for k in keys])
        ax.errorbar(v, y, xerr=[v - lo, hi - v], fmt="o", color=colors[s], markersize=4, capsize=0, linewidth=1.2)
        style.hover_points(ax, v, y, [f"{label}, {labels[k]}: {a:.3f} [{b:.3f}, {c:.3f}]"
                                      for k, a, b, c in zip(keys, v, lo, hi)])
        ax.text(xs[s], -0.75, label, color=style.text_color(colors[s], theme), fontsize=style.FONT["small"],
                va="bottom", ha="center")
    for i, k in enumerate(keys):
        ax.plot([thresholds[k]] * 2, [i - 0.4, i + 0.4], color=style.MUTED[theme], linewidth=1, linestyle=":")
    ax.set_yticks(range(len(keys)), [labels[k] for k in keys])
    ax.set_ylim(len(keys) - 0.5, -1.05)  # top to bottom; room above the first row for the seed labels
    ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel)
