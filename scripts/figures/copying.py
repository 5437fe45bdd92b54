"""Figure: OV-circuit eigenvalue positivity per head — which heads copy the token they attend to — against a
null that keeps each head's spectrum (its output rotated at random before the unembedding reads it).

Verdict (declared in figures/circuits.yml), on every training seed of the 1-layer model: the fraction of its
heads whose positivity lies above the null at a Bonferroni-corrected level (the 4 heads are the family).
The 2-layer model (seed 0) is shown and counted descriptively, its 8 heads a family of their own.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import to_rgba

from scripts.analysis.circuit_evidence import critical_z, significant_fraction
from scripts.analysis.nulls import haar_blocks, ov_copying_null
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import load_model, seed_label, seed_variants


def _heads(name: str, blocks) -> tuple[dict, dict]:
    m = load_model(name, fold=True)
    scores, nulls = {}, {}
    with torch.no_grad():
        for l in range(m.cfg.n_layers):
            for h in range(m.cfg.n_heads):
                scores[f"L{l}H{h}"], nulls[f"L{l}H{h}"] = ov_copying_null(m, l, h, blocks)
    return scores, nulls


def compute(params: dict) -> Result:
    one, two = params["models"]
    probe = load_model(one)
    blocks = haar_blocks(probe.cfg.d_model, probe.cfg.d_head, params["samples"], params["seed"])  # shared by all heads
    # The claim is about 1-layer models: per seed, its heads form one family of tests.
    runs = {}
    for name in seed_variants(one, params["seeds"]):
        scores, nulls = _heads(name, blocks)
        frac, zs = significant_fraction(list(scores.values()), list(nulls.values()), tests=len(scores))
        runs[seed_label(name)] = {"frac": frac, "z": dict(zip(scores, zs)), "scores": scores, "nulls": nulls}
    h1 = next(iter(runs.values()))
    # The 2-layer model (seed 0), descriptive: its 8 heads are a family of their own.
    s2, n2 = _heads(two, blocks)
    _, z2 = significant_fraction(list(s2.values()), list(n2.values()), tests=len(s2))
    z2 = dict(zip(s2, z2))
    zc1, zc2 = critical_z(len(h1["z"])), critical_z(len(z2))
    count = lambda zs, zc, pred=lambda k: True, end="value": sum(getattr(z, end) > zc for k, z in zs.items() if pred(k))
    layer = lambda p: (lambda k: k.startswith(p))
    neg = [k for k, z in z2.items() if z.value < -zc2]
    null_all = np.concatenate(list(h1["nulls"].values()) + list(n2.values()))
    values = {
        "samples": params["samples"], "z_crit_1l": f"{zc1:.2f}", "z_crit_2l": f"{zc2:.2f}",
        "copying_1l": count(h1["z"], zc1), "heads_1l": len(h1["z"]),
        "per_seed_1l": ", ".join(f"{count(r['z'], zc1)} of {len(r['z'])}" for r in runs.values()),
        "copying_2l_l0": count(z2, zc2, layer("L0")), "copying_2l_l1": count(z2, zc2, layer("L1")),
        "heads_2l_layer": sum(k.startswith("L0") for k in z2),
        "copying_2l_range": f"{count(z2, zc2, end='low')}–{count(z2, zc2, end='high')}",
        "copying_2l": count(z2, zc2), "heads_2l": len(z2),
        "negative": ", ".join(f"{k} ({s2[k]:.2f}, z = {z2[k].value:.0f})" for k in neg) or "none",
        "null_spread": f"{np.quantile(np.abs(null_all), 0.99):.2f}",
        "best_1l": f"{max(h1['scores'].values()):.2f}",
        "z_1l": ", ".join(f"{k} {z.value:.1f}" for k, z in h1["z"].items()),
        "z_2l": ", ".join(f"{k} {z.value:.1f}" for k, z in z2.items()),
    }
    data = {"scores": {one: h1["scores"], two: s2},
            "sig": {one: {k: abs(z.value) > zc1 for k, z in h1["z"].items()}, two: {k: abs(z.value) > zc2 for k, z in z2.items()}},
            "null_lo": float(np.quantile(null_all, 0.005)), "null_hi": float(np.quantile(null_all, 0.995))}
    return Result(data=data, values=values, verdicts={"most-heads-copy": {k: r["frac"] for k, r in runs.items()}})


def plot(result: Result, theme: str):
    fig, ax = style.subplots(theme, width=1.0, height=3.0)
    labels, vals, colors, sig, names = [], [], [], [], []
    x, pos, groups = 0.0, [], []
    for name, s in result.data["scores"].items():
        start = x
        for head, v in s.items():
            labels.append(head)
            vals.append(v)
            colors.append(style.color_for(name))
            sig.append(result.data["sig"][name][head])
            names.append(name)
            pos.append(x)
            x += 1
        groups.append((name, start, x - 1))
        x += 0.8  # a gap between the models
    bars = ax.bar(pos, vals, color=colors, width=0.75)
    for b, s, c in zip(bars, sig, colors):
        if not s:  # faded, with a full-colour outline so it still reads on a dark page
            b.set_facecolor(to_rgba(c, 0.3))
            b.set_edgecolor(c)
            b.set_linewidth(1.0)
    lo, hi = result.data["null_lo"], result.data["null_hi"]
    ax.axhspan(lo, hi, color=style.MUTED[theme], alpha=0.22, linewidth=0, zorder=0)
    ax.annotate("rotated heads:\n99 % of the null", (pos[-1] + 0.5, hi), xytext=(4, -2), textcoords="offset points",
                ha="left", va="top", fontsize=style.FONT["small"], color=style.MUTED[theme])
    ax.axhline(0, color=style.MUTED[theme], linewidth=0.8)
    ax.set_xticks(pos, labels, rotation=90 if style.phone() else 0)  # a phone has no room for them side by side
    ax.set(ylabel="Σλ / Σ|λ| of the OV circuit", ylim=(-1.05, 1.18), xlim=(-0.6, pos[-1] + 3.4),
           yticks=[-1, -0.5, 0, 0.5, 1])
    ax.grid(axis="x", visible=False)
    ax.set_axisbelow(True)
    for name, a, b in groups:  # the model's name over its bars, in its colour
        ax.text((a + b) / 2, 1.06, name.replace("attn-only-", "").replace("l", "-layer model"), ha="center",
                va="bottom", fontsize=style.FONT["small"], color=style.text_color(style.color_for(name), theme))
    style.hover_bars(ax, bars, [f"{n.replace('attn-only-', '')} {h}: {v:.3f}" + ("" if s else " (within the null at the Bonferroni level)")
                                for n, h, v, s in zip(names, labels, vals, sig)])
    return fig
