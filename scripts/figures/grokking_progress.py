"""Figure: the paper's progress measures over training — restricted loss (only the key frequencies kept),
excluded loss (key frequencies removed, on the training pairs), test and train loss, and the sum of squared
weights — for seed 0, phases marked as in the loss-curve figure.

Verdicts (figures/grokking.yml), on each seed: restricted loss falls below half the chance loss before the
test loss does; excluded loss rises during circuit formation; the weights shrink faster in clean-up than
in circuit formation.
"""

from __future__ import annotations

import math

import numpy as np

from scripts.analysis.grokking import bounded, crossing, lead, phases, weight_fall_rate
from scripts.engine import style
from scripts.engine.api import Result
from scripts.figures.grokking_curves import phase_spans
from scripts.grokking.load import load


def compute(params: dict) -> Result:
    leads, rises, cleanup, shown = {}, {}, {}, None
    values = {}
    for seed in params["seeds"]:
        t = load(seed)
        log, ph = t.log, phases(t.log)
        step = log[1]["epoch"] - log[0]["epoch"]
        label = f"seed {seed}"
        half_chance = math.log(t.split.p) / 2
        r_cross = crossing(log, "restricted_loss", half_chance)
        t_cross = crossing(log, "test_loss", half_chance)
        leads[label] = lead(r_cross, t_cross, step)
        at = {r["epoch"]: r for r in log}
        before, after = at[ph.memorised.epoch]["excluded_loss"], at[ph.generalising.epoch]["excluded_loss"]
        rises[label] = bounded(math.log10(after / before), math.log10(after / before), math.log10(after / before),
                               step=step)
        if ph.cleaned is not None:
            formation = weight_fall_rate(log, ph.memorised.epoch, ph.generalising.epoch)
            clean = weight_fall_rate(log, ph.generalising.epoch, ph.cleaned.epoch)
            cleanup[label] = bounded(clean / formation, clean / formation, clean / formation, step=step)
        values[f"keys_{seed}"] = ", ".join(map(str, t.key_frequencies))
        values[f"restricted_cross_{seed}"] = f"{r_cross.epoch:,}"
        values[f"test_cross_{seed}"] = f"{t_cross.epoch:,}"
        values[f"excluded_before_{seed}"] = f"{before:.2g}"
        values[f"excluded_after_{seed}"] = f"{after:.2g}"
        if shown is None:
            shown = {k: np.array([r[k] for r in log]) for k in
                     ("epoch", "train_loss", "test_loss", "restricted_loss", "excluded_loss", "weight_sq")}
            shown["spans"], shown["half_chance"] = phase_spans(ph), half_chance
    return Result(data=shown, values=values,
                  verdicts={"restricted-leads": leads, "excluded-rises": rises, "cleanup-shrinks": cleanup})


def plot(result: Result, theme: str):
    d = result.data
    fig, (ax, bx) = style.subplots(theme, 2, 1, width=1.0, aspect=0.75, sharex=True,
                                   gridspec_kw={"height_ratios": [2.2, 1]})
    colors = style.palette(theme)
    for a in (ax, bx):
        (s0, s1), (s1b, s2) = d["spans"][1], d["spans"][2]
        a.axvspan(s0, s1, color=style.GRID[theme], alpha=0.6, lw=0)
        for edge in (s0, s1, s2):
            if np.isfinite(edge):
                a.axvline(edge, color=style.MUTED[theme], lw=0.8, ls=":")
    for key, name, c in (("train_loss", "train", colors[0]), ("test_loss", "test", colors[1]),
                         ("restricted_loss", "restricted", colors[2]), ("excluded_loss", "excluded", colors[3])):
        ax.plot(d["epoch"], d[key], color=c, lw=1.4, label=name)
    ax.axhline(d["half_chance"], color=style.MUTED[theme], lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_ylabel("loss (nats)")
    ax.set_xlim(0, d["epoch"][-1] * 1.18)
    style.label_lines(ax, theme)
    bx.plot(d["epoch"], d["weight_sq"], color=style.INK[theme], lw=1.4)
    bx.set_ylabel("Σ weights²")
    bx.set_xlabel("epoch (thousands)")
    bx.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}")
    ax.set_title("seed 0: dotted lines end memorisation, circuit formation (shaded) and clean-up",
                 fontsize=style.FONT["small"], loc="left")
    return fig
