"""Figure: how much the channel note's bit counts depend on the probe, and what layer 0's heads carry together —
two checks on channel-bits (seed 0 of the 2-layer model).

Left: previous-token bits at the embeddings and after layer 0 as converged probes get more training windows,
next to the fast probe earlier verdicts used, and what the current token alone determines (a count
table over the training text: its in-sample plug-in information and its held-out bits). Right: the share of the
previous-token gain (embeddings to final stream) lost when layer-0 heads are mean-ablated together, converged
probe retrained. The analysis is `scripts/analysis/channel.py` (`previous_bits`, `token_reference`); this script
picks the windows and the heads and draws. No verdicts: the numbers qualify channel-bits' sizes.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis import channel
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.zoo.load import corpus_tokens, held_out_text, load_model

POINTS = {"embed": "embeddings", "L0": "after layer 0"}


def compute(params: dict) -> Result:
    m = load_model(params["model"], fold=True)
    tokens, conv, early = held_out_text(m, None), params["converged"], params["earlier"]
    curves = {p: [] for p in POINTS}
    for n in params["windows"]:
        train, evaluation = channel.split_windows(tokens, n, params["eval_windows"])
        bits = channel.previous_bits(m, train, evaluation, classes=params["classes"], points=tuple(POINTS), **conv)
        for p in POINTS:
            curves[p].append(bits[p])
    train, evaluation = channel.split_windows(tokens, early["train_windows"], params["eval_windows"])
    old = channel.previous_bits(m, train, evaluation, classes=params["classes"], points=tuple(POINTS),
                                weight_decay=early["weight_decay"], iterations=early["iterations"])
    train, evaluation = channel.split_windows(tokens, params["ablation_windows"], params["eval_windows"])
    cmap = channel.class_map(train[:, channel.FIRST_POS:], params["classes"], m.cfg.d_vocab)
    corpus, end = corpus_tokens(m)
    text = torch.from_numpy(np.asarray(corpus[:end]).astype(np.int64))
    ref = channel.token_reference(text[1:], text[:-1], evaluation, cmap, int(cmap.max()) + 1)
    half = text[:len(text) // 2]  # how far the table is from converged: counted on half the text
    ref_half = channel.token_reference(half[1:], half[:-1], evaluation, cmap, int(cmap.max()) + 1)
    H = channel.entropy_bits(channel.targets(evaluation, cmap)["previous"], int(cmap.max()) + 1)
    fit = dict(classes=params["classes"], **conv)
    clean = channel.previous_bits(m, train, evaluation, points=(*POINTS, "L1"), **fit)
    order = [int(h) for h in np.argsort(-np.round(channel.previous_token_scores(
        channel.stream_points(m, evaluation, keep_z=True)["pattern0"]).numpy(), 6), kind="stable")]
    groups = {f"L0H{order[0]}": order[:1], f"L0H{order[0]} + L0H{order[1]}": order[:2], "all of layer 0": order}
    gain = clean["L1"] - clean["embed"]
    lost = {name: (clean["L1"] - channel.previous_bits(m, train, evaluation, points=("L1",),
                                                        ablate=[(0, h) for h in heads], **fit)["L1"]) / gain
            for name, heads in groups.items()}
    big = {p: curves[p][-1] for p in POINTS}
    rows = [[f"{n} windows, converged"] + [f"{curves[p][i]:.2f}" for p in POINTS] for i, n in enumerate(params["windows"])]
    rows.append([f"{early['train_windows']} windows, {early['iterations']} iterations (the probe this note used before its correction)"]
                + [f"{old[p]:.2f}" for p in POINTS])
    table_bits = H - float(ref.heldout_ce.mean())
    return Result(
        data={"windows": params["windows"], "curves": curves, "old": old, "old_windows": early["train_windows"],
              "lost": lost, "table": table_bits},
        values={"most_windows": params["windows"][-1], "conv_embed": f"{big['embed']:.2f}", "conv_L0": f"{big['L0']:.2f}",
                "first_windows": params["windows"][0], "first_embed": f"{curves['embed'][0]:.2f}",
                "old_embed": f"{old['embed']:.2f}", "old_L0": f"{old['L0']:.2f}",
                "old_gain": f"{old['L0'] - old['embed']:.2f}",
                "table_bits": f"{table_bits:.2f}", "ref_tokens": f"{ref.n / 1e6:.1f} million",
                "table_half": f"{H - float(ref_half.heldout_ce.mean()):.2f}",
                "ceiling": f"{ref.heldout_ce.mean():.2f}", "H": f"{H:.2f}",
                "lost_one": f"{list(lost.values())[0]:.2f}", "lost_pair": f"{list(lost.values())[1]:.2f}",
                "lost_layer0": f"{list(lost.values())[2]:.2f}", "pair": list(groups)[1]},
        tables={"probes": Table(columns=["probe", *POINTS.values()], rows=rows)},
    )


def plot(result: Result, theme: str):
    d = result.data
    fig, (ax, bx) = style.subplots(theme, 1, 2, width=1.0, aspect=0.42, gridspec_kw={"width_ratios": [1.3, 1]})
    muted = style.MUTED[theme]
    for i, (p, label) in enumerate(POINTS.items()):
        color = style.palette(theme)[i]
        ax.plot(d["windows"], d["curves"][p], color=color, marker="o", markersize=4, linewidth=1.4, label=label)
        ax.plot([d["old_windows"]], [d["old"][p]], color=color, marker="x", markersize=7, linestyle="none")
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
    ax.text(d["old_windows"] * 1.12, 0.15, "× the probe used before", color=muted, fontsize=style.FONT["small"])
    ax.axhline(d["table"], color=muted, linewidth=1, linestyle=":")
    ax.text(d["windows"][-1], d["table"] + 0.08, "current token's count table", color=muted,
            fontsize=style.FONT["small"], ha="right", va="bottom")
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
