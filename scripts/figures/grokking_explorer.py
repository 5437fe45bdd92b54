"""Interactive figure: a slider over the logged epochs of training, showing where the loss curves are and
what the embedding's Fourier spectrum looks like at that epoch (docs/assets/javascripts/training-slider.js).
The static image — the curves and the final spectrum of seed 0 — is the overview and the print copy.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.drawing import decades
from scripts.analysis.grokking import phases
from scripts.engine import style
from scripts.engine.api import Result
from scripts.grokking.load import load


def _round(xs, digits=4) -> list[float]:
    return [float(f"{x:.{digits}g}") for x in xs]


def compute(params: dict) -> Result:
    seeds = {}
    for seed in params["seeds"]:
        t = load(seed)
        log, ph = t.log[::params["every"]], phases(t.log)
        seeds[f"seed {seed}"] = {
            "epoch": [r["epoch"] for r in log],
            "train": _round(r["train_loss"] for r in log), "test": _round(r["test_loss"] for r in log),
            "restricted": _round(r["restricted_loss"] for r in log),
            "test_acc": _round((r["test_acc"] for r in log), 3),
            "spectrum": [_round(r["spectrum"], 3) for r in log],
            "keys": t.key_frequencies,
            "phases": [ph.memorised.epoch, ph.generalising.epoch] + ([ph.cleaned.epoch] if ph.cleaned else []),
        }
    return Result(data={"seed0": seeds["seed 0"]}, widget_data={"seeds": seeds},
                  values={"every": params["every"] * 100})


def plot(result: Result, theme: str):
    d = result.data["seed0"]
    fig, (ax, bx) = style.subplots(theme, 1, 2, width=1.0, aspect=0.36, gridspec_kw={"width_ratios": [1.2, 1]})
    colors = style.palette(theme)
    for key, c in (("train", colors[0]), ("test", colors[1]), ("restricted", colors[2])):
        ax.plot(d["epoch"], d[key], color=c, lw=1.3, label=key)
    ax.set_yscale("log")
    decades(ax)
    ax.set(xlabel="epoch (thousands)", ylabel="loss (nats)", xlim=(0, d["epoch"][-1] * 1.35))
    ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}")
    style.label_lines(ax, theme)
    spec = np.array(d["spectrum"][-1])
    k = np.arange(1, len(spec) + 1)
    is_key = np.isin(k, d["keys"])
    bx.bar(k, spec, width=0.8, color=np.where(is_key, colors[0], style.MUTED[theme]))
    bx.set(xlabel="frequency k", ylabel="share of W_E", ylim=(0, spec.max() * 1.2))
    bx.set_title(f"spectrum at epoch {d['epoch'][-1]:,}", fontsize=style.FONT["small"])
    return fig
