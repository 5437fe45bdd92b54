"""Interactive figure: a slider over the logged epochs of training, showing where the loss curves are and
what the embedding's Fourier spectrum looks like at that epoch (docs/assets/javascripts/training-slider.js).
The static image does not repeat the slider: it shows what the slider steps through all at once — every
seed's spectrum over the whole of training, one row per frequency — so the key frequencies' rise can be read
without moving anything, and in print.
"""

from __future__ import annotations

import numpy as np

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
    return Result(data={"seeds": {k: {f: v[f] for f in ("epoch", "spectrum", "keys", "phases")} for k, v in seeds.items()}},
                  widget_data={"seeds": seeds},
                  values={"every": params["every"] * 100})


def plot(result: Result, theme: str):
    seeds = result.data["seeds"]
    fig, axes = style.subplots(theme, 1, len(seeds), width=1.0, aspect=0.42, sharey=True)
    top = max(max(max(row) for row in d["spectrum"]) for d in seeds.values())  # one colour scale for all
    for ax, (label, d) in zip(np.atleast_1d(axes), seeds.items()):
        spec = np.array(d["spectrum"]).T  # frequency x logged epoch
        epochs = np.array(d["epoch"])
        im = ax.imshow(spec, aspect="auto", origin="lower", cmap=style.CMAP["sequential"], vmin=0, vmax=top,
                       extent=(epochs[0] / 1000, epochs[-1] / 1000, 0.5, spec.shape[0] + 0.5), interpolation="nearest")
        for e in d["phases"]:
            ax.axvline(e / 1000, color="white", lw=0.8, ls=":")
        ax.set(xlabel="epoch (thousands)", title=f"{label}: keys {', '.join(map(str, d['keys']))}")
        ax.title.set_fontsize(style.FONT["small"])
        ax.grid(False)
    np.atleast_1d(axes)[0].set_ylabel("frequency k")
    fig.colorbar(im, ax=axes, label="share of W_E", shrink=0.9)
    return fig
