"""Plot helpers shared by several figures: a heatmap with its numbers in the cells, the verdicts' statistics per
training seed as dots with interval bars against the rule's threshold (causal note), log-axis decade labels and
an attention heatmap. Drawing only, no computation: beside style.py (whose sizes and colours they use) rather
than in it, so a figure's fingerprint includes them only if it draws with them; shared here because no figure
script may import another.
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
              xlim: tuple[float, float], xlabel: str) -> None:
    """One row per verdict key, one dot with its interval per seed (`seeds`: label -> key -> (value, low, high)),
    the rule's threshold dotted; above the first row, "seed" and each seed's number in its colour."""
    colors = style.palette(theme)
    n = len(seeds)
    step = min(0.22, 0.8 / max(n, 1))  # the seeds of one row stay inside it
    w = xlim[1] - xlim[0]
    xs = np.linspace(xlim[0] + 0.45 * w, xlim[1] - 0.06 * w, n)
    ax.text(xs[0] - 0.09 * w, -0.75, "seed", color=style.MUTED[theme], fontsize=style.FONT["small"], va="bottom",
            ha="right")
    for s, (label, est) in enumerate(seeds.items()):
        y = np.arange(len(keys)) + (s - (n - 1) / 2) * step
        v = np.array([est[k][0] for k in keys])
        lo, hi = np.array([est[k][1] for k in keys]), np.array([est[k][2] for k in keys])
        ax.errorbar(v, y, xerr=[v - lo, hi - v], fmt="o", color=colors[s], markersize=4, capsize=0, linewidth=1.2)
        style.hover_points(ax, v, y, [f"{label}, {labels[k]}: {a:.3f} [{b:.3f}, {c:.3f}]"
                                      for k, a, b, c in zip(keys, v, lo, hi)])
        ax.text(xs[s], -0.75, label.replace("seed ", ""), color=style.text_color(colors[s], theme),
                fontsize=style.FONT["small"], va="bottom", ha="center")
    for i, k in enumerate(keys):
        ax.plot([thresholds[k]] * 2, [i - 0.45, i + 0.45], color=style.MUTED[theme], linewidth=1, linestyle=":")
    ax.set_yticks(range(len(keys)), [labels[k] for k in keys])
    ax.set_ylim(len(keys) - 0.5, -1.05)  # top to bottom; room above the first row for the seed labels
    ax.set_xlim(*xlim)
    ax.set_xlabel(xlabel)


def decades(ax) -> None:
    """Log-axis labels as 1e-7 … 1e1 in the tick font (Matplotlib's 10^k draws the exponent too small)."""
    import matplotlib.ticker as mticker

    ax.yaxis.set_major_locator(mticker.LogLocator(base=10, numticks=6))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"1e{round(np.log10(v))}" if v > 0 else ""))
    ax.yaxis.set_minor_formatter(mticker.NullFormatter())


def dense(rows: list[list[float]], n: int) -> np.ndarray:
    """An explorer's ragged rows of weights (`induction.explorer_data`) as a square matrix, zero-padded."""
    return np.array([r + [0.0] * (n - len(r)) for r in rows])


def attention_heatmap(theme: str, m: np.ndarray, labels: list[str], *, title: str, xlabel: str, ylabel: str):
    """An attention pattern at column width: every k-th token labelled (as many as fit at >= 11 px), every
    cell's weight and tokens on hover (attention-explorer, minilm-explorer)."""
    fig, ax = style.subplots(theme, width=1.0, height=min(6.9, 0.2 * len(labels) + 1.9))
    ax.imshow(m, cmap="magma" if theme == "dark" else "Blues", vmin=0, vmax=1)
    n = len(labels)
    step = style.tick_step(n, 2.9 if style.phone() else 5.0)
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=90, family="monospace")
    ax.set_yticks(ticks, [labels[i] for i in ticks], family="monospace")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    shade = "dark: 0, bright: 1" if theme == "dark" else "white: 0, dark: 1"
    ax.set_title(f"{title}{chr(10) if style.phone() else ' '}({shade}; every {step}{'nd' if step == 2 else 'rd' if step == 3 else 'th'} token "
                 "labelled)" if step > 1 else f"{title} ({shade})", loc="left")
    ax.grid(False)
    style.hover_grid(ax, m, [f"{i}: {t}" for i, t in enumerate(labels)], [f"{j}: {t}" for j, t in enumerate(labels)],
                     fmt="{:.3f}", template="{row} → {col}: {v}")
    return fig
