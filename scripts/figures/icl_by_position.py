"""Figure: loss by token position on held-out text for the 0-, 1- and 2-layer models, and their ICL scores.

Verdicts (declared in figures/circuits.yml): the ICL score of each model, and the 2-layer minus 1-layer
difference, each bootstrapped over every non-overlapping held-out window (~1,700), for every training seed.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.induction import icl_per_window, per_token_loss
from scripts.analysis.stats import bootstrap_mean
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model, seed_label, seed_variants

UNIT = "held-out windows"


def compute(params: dict) -> Result:
    curves, per_window = {}, {}
    text = None
    zero, one, two = params["models"]  # the 0-layer model has no replicates: it has no circuit to vary
    for base in params["models"]:
        for name in ([base] if base == zero else seed_variants(base, params["seeds"])):
            m = load_model(name)
            text = held_out_text(m, None) if text is None else text  # one tokenizer for the whole zoo
            loss = per_token_loss(m, text)
            per_window[name] = icl_per_window(loss).numpy()
            if name == base:
                curves[name] = loss.mean(0).numpy()
    ones, twos = seed_variants(one, params["seeds"]), seed_variants(two, params["seeds"])
    icl = {name: bootstrap_mean(per_window[name], unit=UNIT) for name in (zero, one, two)}
    return Result(
        data={"curves": curves},
        values={"windows": len(text), **{f"icl_{n[-2:]}": e.text for n, e in icl.items()}},
        verdicts={
            "zero-layer-gains": {seed_label(zero): icl[zero]},
            "one-layer-gains": {seed_label(n): bootstrap_mean(per_window[n], unit=UNIT) for n in ones},
            "two-layers-gain-more": {seed_label(b): bootstrap_mean(per_window[b] - per_window[a], unit=UNIT)
                                     for a, b in zip(ones, twos)},
        },
    )


def plot(result: Result, theme: str):
    fig, ax = style.subplots(theme, width=1.0, height=3.0)
    for name, c in result.data["curves"].items():
        x = np.arange(1, len(c) + 1)
        smooth = np.convolve(c, np.ones(5) / 5, mode="valid")
        ax.plot(x[2:-2], smooth, linewidth=1.4, color=style.color_for(name),
                label=name.replace("attn-only-", "").replace("l", "-layer model"))
        every = range(0, len(smooth), 4)
        style.hover_points(ax, [x[2 + i] for i in every], [smooth[i] for i in every],
                           [f"{name}, position {x[2 + i]}: {smooth[i]:.2f} nats" for i in every])
    ax.set(xscale="log", xlabel="token position in the context", ylabel="loss (nats, 5-position mean)",
           xlim=(2.5, 270), xticks=[3, 10, 30, 100])
    style.plain_log_ticks(ax, "x")
    style.label_lines(ax, theme)
    return fig
