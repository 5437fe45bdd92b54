"""Figure: MiniLM-L6 (pretrained at scale with Adam) — kurtosis of its residual stream per layer in the
standard basis vs. random orthonormal bases, the test of a privileged basis on a real model.

Verdict (declared in figures/minilm.yml): at every point of the stream, the largest coordinate kurtosis in
the standard basis over the largest of 20 random orthonormal bases (the null); the statistic is the smallest
of these ratios over the 7 points, with a bootstrap interval over sentences (the same resamples at every
point). MiniLM is one pretrained checkpoint: there are no training seeds to vary, so the interval is over data.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.privileged import outlier_estimate, stream_by_layer
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.corpus import english_sentences
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    points, sentence = stream_by_layer(model, english_sentences(params["sentences"]))
    est, per_point = outlier_estimate(list(points.values()), sentence, rotations=params["rotations"],
                                      resamples=params["resamples"], seed=params["seed"])
    rows = [{"point": label, "max": float(r["kurtosis"].max()), "median": float(np.median(r["kurtosis"])),
             "rot": r["rot_max"].tolist(), "top": r["top"], "dead": r["dead"], "ratio": r["ratio"]}
            for label, r in zip(points, per_point)]
    tops = [r["top_resampled"] for r in per_point]
    worst = min(rows, key=lambda r: r["ratio"])
    peak = max(rows, key=lambda r: r["max"])
    top_dims = [row["top"] for row in rows]
    persistent = max(set(top_dims), key=lambda c: (top_dims.count(c), -c))
    everywhere = np.all(np.array(tops) == persistent, axis=0).mean()
    return Result(
        data={"rows": rows},
        values={"n_tokens": len(sentence), "sentences": params["sentences"], "rotations": params["rotations"],
                "worst_point": worst["point"], "worst_max": f"{worst['max']:.0f}",
                "worst_rot": f"{max(worst['rot']):.0f}", "peak_point": peak["point"], "peak_max": f"{peak['max']:.0f}",
                "peak_rot": f"{max(peak['rot']):.0f}", "persistent_dim": persistent,
                "persistent_points": top_dims.count(persistent), "n_points": len(rows),
                "persistent_resamples": f"{100 * everywhere:.0f} %", "dead_output": rows[-1]["dead"],
                "ratio_min": est.text},
        verdicts={"outlier-dimension": est},
    )


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    fig, ax = style.subplots(theme, width=1.0, height=3.1)
    x = np.arange(len(rows))
    grey = style.MUTED[theme]
    pal = style.palette(theme)
    ax.boxplot([r["rot"] for r in rows], positions=x, widths=0.5, whis=(0, 100), medianprops={"color": grey},
               boxprops={"color": grey}, whiskerprops={"color": grey}, capprops={"color": grey})
    ax.plot(x, [r["max"] for r in rows], "D", color=pal[0], zorder=3)
    ax.plot(x, [r["median"] for r in rows], "s", color=pal[2], zorder=3)
    ax.axhline(3, color=grey, linestyle=":", linewidth=1)
    ax.set_xticks(x, [r["point"] for r in rows])
    ax.set(yscale="log", ylabel="kurtosis", xlabel="point in MiniLM-L6's residual stream")
    lo, hi = ax.get_ylim()
    ax.set_yticks([t for t in (2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100) if lo <= t <= hi])
    style.plain_log_ticks(ax, "y")
    ax.grid(axis="x", visible=False)
    ax.set_title(f"◆ standard basis, largest coordinate   ■ its median coordinate{chr(10) if style.phone() else '   '}"
                 f"▯ {len(rows[0]['rot'])} random bases, largest", loc="left", fontsize=style.FONT["small"])
    style.hover_points(ax, list(x) + list(x), [r["max"] for r in rows] + [r["median"] for r in rows],
                       [f"{r['point']}: largest coordinate kurtosis {r['max']:.2f}; random bases {min(r['rot']):.2f}–"
                        f"{max(r['rot']):.2f}" for r in rows] + [f"{r['point']}: median coordinate kurtosis {r['median']:.2f}"
                                                                for r in rows])
    return fig
