"""Figure: the head atlas of the grokking models (scripts/analysis/atlas.py), the four heads of each of the three
seeds, on every input `a b =` (exact: the whole input space, so no interval): where `=` attends (a, b, itself),
the attention to a as a map over (a, b), how far that map is a sum of a part in a and a part in b, how much of
it lies on the model's key frequencies, and its strongest frequency in a. The zoo's scores (previous-token, induction) have no meaning on three-token inputs.

The still image shows seed 0: top, each head's attention to a over every (a, b); bottom, the map's power by
frequency in a, key frequencies in colour. Values `card.<seed>.<head>` and `thumb.<seed>.<head>` (the map over
a, b < 32, rescaled to its range) feed the head cards ({{ head("grokking-seed1.L0H2") }}).
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.atlas import grokking_head_scores, thumbnail
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.grokking.load import load

THUMB = 32  # the card's thumbnail: the map over a, b < THUMB


def compute(params: dict) -> Result:
    values, tables, still = {}, {}, None
    for s in params["seeds"]:
        t = load(s)
        p, keys = t.split.p, t.key_frequencies
        sc = grokking_head_scores(t.model, t.split.tokens(), p, keys)
        rows = []
        for h in range(len(sc["map"])):
            head = f"L0H{h}"
            to_a, to_b, to_eq = (float(x) for x in sc["to"][h])
            rows.append([head, f"{to_a:.3f}", f"{to_b:.3f}", f"{to_eq:.3f}", f"{sc['additive'][h]:.3f}",
                         f"{sc['key_share'][h]:.3f}", f"{sc['top'][h]} ({sc['top_share'][h]:.2f})"])
            values[f"card.{s}.{head}"] = (f"from = to a {to_a:.2f} · to b {to_b:.2f} · key-frequency share "
                                          f"{sc['key_share'][h]:.2f} (strongest k = {sc['top'][h]})")
            m = sc["map"][h][:THUMB, :THUMB]
            values[f"thumb.{s}.{head}"] = thumbnail(np.clip((m - m.min()) / max(np.ptp(m), 1e-9), 0, 1))
        tables[f"seed{s}"] = Table(columns=["head", "from = to a", "to b", "to =", "additive share",
                                            "key-frequency share", "strongest k in a (share)"], rows=rows,
                                   align=["left", "right", "right", "right", "right", "right", "right"],
                                   caption=f"Key frequencies {', '.join(map(str, keys))}; an even spread along a "
                                           f"and b would put {sc['chance']:.3f} of each map's variance on them.")
        values[f"keys.{s}"] = ", ".join(map(str, keys))
        values[f"chance.{s}"] = f"{sc['chance']:.3f}"
        values[f"min_key_share.{s}"] = f"{sc['key_share'].min():.2f}"
        values[f"min_additive.{s}"] = f"{sc['additive'].min():.2f}"
        if still is None:
            still = {"maps": sc["map"], "spectrum": sc["spectrum"], "keys": keys}
    values |= {"seeds": len(params["seeds"])}
    return Result(data=still, values=values, tables=tables)


def plot(result: Result, theme: str):
    d = result.data
    maps, spectrum, keys = np.asarray(d["maps"]), np.asarray(d["spectrum"]), d["keys"]
    H = len(maps)
    fig, axes = style.subplots(theme, 2, H, width=1.0, aspect=None, height=3.6, squeeze=False, phone_cols=2,
                               gridspec_kw={"height_ratios": [1.3, 1]})
    colors, muted = style.palette(theme), style.MUTED[theme]
    k = np.arange(1, spectrum.shape[1] + 1)
    for h in range(H):
        ax, bx = axes[0, h], axes[1, h]
        ax.imshow(maps[h], cmap=style.CMAP["sequential"], interpolation="nearest", origin="lower")
        ax.set_title(f"L0H{h}", fontsize=style.FONT["small"])
        ax.set(xticks=[], yticks=[])
        is_key = np.isin(k, keys)
        bx.bar(k[~is_key], spectrum[h][~is_key], width=1.0, color=muted)
        bars = bx.bar(k[is_key], spectrum[h][is_key], width=1.0, color=colors[0])
        style.hover_bars(bx, bars, [f"k = {x}: {v:.2f}" for x, v in zip(k[is_key], spectrum[h][is_key])])
        bx.set(ylim=(0, 1), xlim=(0, k[-1] + 1), xticks=[1, 28, 56] if k[-1] >= 56 else [1, k[-1]])
        bx.grid(axis="x", visible=False)
        if style.row_start(h, 2):
            ax.set_ylabel("a ↑, b →", fontsize=style.FONT["small"])
            bx.set_ylabel("share", fontsize=style.FONT["small"])
        else:
            bx.set_yticklabels([])
        bx.set_xlabel("frequency k in a", fontsize=style.FONT["small"])
    return fig
