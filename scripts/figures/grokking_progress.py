"""Figure: the paper's progress measures over training — restricted loss (only the key frequencies kept),
excluded loss (key frequencies removed, on the training pairs), test and train loss, and the sum of squared
weights — for seed 0, phases marked as in the loss-curve figure.

Verdicts (figures/grokking.yml), on each seed (scripts/analysis/grokking.py, `timing_estimates`): restricted
loss falls below half the chance loss before the test loss does; excluded loss rises during circuit
formation; the weights shrink faster in clean-up than in circuit formation.
"""

from __future__ import annotations

import math

import numpy as np

from scripts.analysis.grokking import crossing, phase_spans, phases, timing_estimates
from scripts.engine import style
from scripts.engine.api import Result
from scripts.engine.drawing import decades
from scripts.grokking.load import load

KEYS = ("restricted-leads", "excluded-rises", "cleanup-shrinks")


def compute(params: dict) -> Result:
    verdicts, values, shown = {k: {} for k in KEYS}, {}, None
    for seed in params["seeds"]:
        t = load(seed)
        log, ph, label = t.log, phases(t.log), f"seed {seed}"
        est = timing_estimates(log, t.split.p)
        for key in KEYS:
            if est[key] is not None:
                verdicts[key][label] = est[key]
        half_chance = math.log(t.split.p) / 2
        at = {r["epoch"]: r for r in log}
        values[f"restricted_cross_{seed}"] = f"{crossing(log, 'restricted_loss', half_chance).epoch:,}"
        values[f"test_cross_{seed}"] = f"{crossing(log, 'test_loss', half_chance).epoch:,}"
        values[f"excluded_before_{seed}"] = f"{at[ph.memorised.epoch]['excluded_loss']:.2g}"
        values[f"excluded_after_{seed}"] = f"{at[ph.generalising.epoch]['excluded_loss']:.2g}"
        if shown is None:
            shown = {k: np.array([r[k] for r in log]) for k in
                     ("epoch", "train_loss", "test_loss", "restricted_loss", "excluded_loss", "weight_sq")}
            shown["spans"], shown["half_chance"] = phase_spans(ph), half_chance
    return Result(data=shown, values=values, verdicts=verdicts)


def plot(result: Result, theme: str):
    d = result.data
    fig, (ax, bx) = style.subplots(theme, 2, 1, width=1.0, aspect=0.75, sharex=True,
                                   gridspec_kw={"height_ratios": [2.2, 1]})
    colors = style.palette(theme)
    (s0, s1), (_, s2) = d["spans"][1], d["spans"][2]
    for a in (ax, bx):
        a.axvspan(s0, s1, color=style.GRID[theme], alpha=0.6, lw=0)
        for edge in (s0, s1, s2):
            if np.isfinite(edge):
                a.axvline(edge, color=style.MUTED[theme], lw=0.8, ls=":")
    for key, name, c in (("train_loss", "train", colors[0]), ("test_loss", "test", colors[1]),
                         ("restricted_loss", "restricted", colors[2]), ("excluded_loss", "excluded", colors[3])):
        ax.plot(d["epoch"], d[key], color=c, lw=1.4, label=name)
    ax.axhline(d["half_chance"], color=style.MUTED[theme], lw=0.8, ls="--")
    ax.set_yscale("log")
    decades(ax)
    ax.set_ylabel("loss (nats)")
    ax.set_xlim(0, d["epoch"][-1] * 1.18)
    style.label_lines(ax, theme)
    bx.plot(d["epoch"], d["weight_sq"], color=style.INK[theme], lw=1.4)
    bx.set_ylabel("Σ weights²")
    bx.set_xlabel("epoch (thousands)")
    bx.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}")
    ax.set_title("seed 0: dotted lines end memorisation," + ("\n" if style.phone() else " ") +
                 "circuit formation (shaded) and clean-up",
                 fontsize=style.FONT["small"], loc="left")
    return fig
