"""Figure: how much the channel note's bit counts depend on the probe, and what layer 0's heads carry together —
two checks added after an independent recomputation of channel-bits (seed 0 of the 2-layer model).

Left: previous-token bits at each stream point as the probe gets more training windows and is fitted to
convergence, next to the verdicts' fast probe. Right: the share of the previous-token gain (embeddings to
final stream) lost when layer-0 heads are mean-ablated together, probe retrained, with the verdicts' probe
settings. The analysis is `scripts/analysis/channel.py` (`previous_bits`); this script picks the windows and
the heads and draws. No verdicts: the numbers qualify channel-bits' sizes, not its rules.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis import channel
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.zoo.load import held_out_text, load_model

POINTS = {"embed": "embeddings", "L0": "after layer 0"}  # the verdict layer0-writes-prev is their difference


def compute(params: dict) -> Result:
    m = load_model(params["model"], fold=True)
    tokens, fast = held_out_text(m, None), params["fast"]
    curves = {p: [] for p in POINTS}
    for n in params["windows"]:
        train, evaluation = channel.split_windows(tokens, n, params["eval_windows"])
        bits = channel.previous_bits(m, train, evaluation, classes=params["classes"], points=tuple(POINTS),
                                     **params["converged"])
        for p in POINTS:
            curves[p].append(bits[p])
    train, evaluation = channel.split_windows(tokens, fast["train_windows"], params["eval_windows"])
    fit = dict(classes=params["classes"], weight_decay=fast["weight_decay"], iterations=fast["iterations"])
    clean = channel.previous_bits(m, train, evaluation, points=(*POINTS, "L1"), **fit)
    order = [int(h) for h in np.argsort(-np.round(channel.previous_token_scores(
        channel.stream_points(m, evaluation, keep_z=True)["pattern0"]).numpy(), 6), kind="stable")]
    groups = {f"L0H{order[0]}": order[:1], f"L0H{order[0]} + L0H{order[1]}": order[:2], "all of layer 0": order}
    gain = clean["L1"] - clean["embed"]
    lost = {name: (clean["L1"] - channel.previous_bits(m, train, evaluation, points=("L1",),
                                                        ablate=[(0, h) for h in heads], **fit)["L1"]) / gain
            for name, heads in groups.items()}
    big = {p: curves[p][-1] for p in POINTS}
    rows = [[f"{n} windows, converged"] + [f"{curves[p][i]:.2f}" for p in POINTS] + [f"{curves['L0'][i] - curves['embed'][i]:.2f}"]
            for i, n in enumerate(params["windows"])]
    rows.append([f"{fast['train_windows']} windows, {fast['iterations']} iterations (the verdicts' probe)"]
                + [f"{clean[p]:.2f}" for p in POINTS] + [f"{clean['L0'] - clean['embed']:.2f}"])
    return Result(
        data={"windows": params["windows"], "curves": curves, "fast": clean, "fast_windows": fast["train_windows"],
              "lost": lost},
        values={"most_windows": params["windows"][-1], "conv_embed": f"{big['embed']:.2f}", "conv_L0": f"{big['L0']:.2f}",
                "conv_gain": f"{big['L0'] - big['embed']:.2f}", "fast_gain": f"{clean['L0'] - clean['embed']:.2f}",
                "conv_weight_decay": f"{params['converged']['weight_decay']:g}",
                "conv_iterations": params["converged"]["iterations"],
                "lost_one": f"{list(lost.values())[0]:.2f}", "lost_pair": f"{list(lost.values())[1]:.2f}",
                "lost_layer0": f"{list(lost.values())[2]:.2f}", "pair": list(groups)[1]},
        tables={"probes": Table(columns=["probe", *POINTS.values(), "gain after layer 0"], rows=rows)},
    )


def plot(result: Result, theme: str):
    d = result.data
    fig, (ax, bx) = style.subplots(theme, 1, 2, width=1.0, aspect=0.42, gridspec_kw={"width_ratios": [1.3, 1]})
    muted = style.MUTED[theme]
    for i, (p, label) in enumerate(POINTS.items()):
        color = style.palette(theme)[i]
        ax.plot(d["windows"], d["curves"][p], color=color, marker="o", markersize=4, linewidth=1.4, label=label)
        ax.plot([d["fast_windows"]], [d["fast"][p]], color=color, marker="x", markersize=7, linestyle="none")
        style.hover_points(ax, d["windows"], d["curves"][p], [f"{label}, {n} windows: {v:.2f} bits"
                                                              for n, v in zip(d["windows"], d["curves"][p])])
    style.label_lines(ax, theme)
    ax.set_xscale("log", base=2)
    ax.set_xticks(d["windows"], [str(n) for n in d["windows"]])
    ax.minorticks_off()
    ax.set_xlabel("probe training windows")
    ax.set_ylabel("previous-token bits")
    ax.set_ylim(0, max(max(v) for v in d["curves"].values()) + 0.8)
    ax.set_title("previous token: probe data and fit", fontsize=style.FONT["text"])
    ax.text(d["fast_windows"], 0.15, "× verdicts' probe", color=muted, fontsize=style.FONT["small"])
    names, shares = list(d["lost"]), list(d["lost"].values())
    bars = bx.barh(range(len(names)), shares, color=style.OKABE_ITO[2], height=0.6)
    style.hover_bars(bx, bars, [f"{n}: {v:.2f} of the gain" for n, v in zip(names, shares)])
    style.label_bars(bx, bars, "{:.2f}")
    bx.set_yticks(range(len(names)), names)
    bx.invert_yaxis()
    bx.axvline(0.5, color=muted, linewidth=1, linestyle=":")
    bx.set_xlim(0, 1.15)
    bx.set_xlabel("share of the gain lost")
    bx.set_title("heads removed together", fontsize=style.FONT["text"])
    return fig
