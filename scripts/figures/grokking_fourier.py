"""Figure: the trained models read in the Fourier basis. Left: each seed's embedding spectrum (share of W_E
per frequency k, key frequencies marked). Right: seed 0's MLP neurons, each placed by the frequency that best
explains its activation over (a, b) and by how much of it that frequency explains.

Verdicts (figures/grokking.yml), on each seed: a handful of frequencies carry the embedding; the logits are
mostly a sum of cos(w(a + b − c)) terms at the key frequencies; most neurons are explained by one key
frequency (scripts/analysis/grokking.py, `algorithm_estimates`).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.fourier import KEY_SHARE_FACTOR
from scripts.analysis.grokking import NEURON_SHARE, TOP, algorithm_estimates
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.grokking.load import load
from scripts.grokking.model import fast_logits, mlp_activations


def compute(params: dict) -> Result:
    spectra, keys, verdicts, rows, neurons = {}, {}, {}, [], None
    for seed in params["seeds"]:
        t = load(seed)
        label, p = f"seed {seed}", t.split.p
        with torch.no_grad():
            logits = fast_logits(t.model, t.split.a, t.split.b).view(p, p, p)
            acts = mlp_activations(t.model, t.split.a, t.split.b).view(p, p, -1)
        reading = algorithm_estimates(t.model.original_model.tok_embed.weight[:p], logits, acts, t.key_frequencies)
        for key, est in reading.estimates.items():
            verdicts.setdefault(key, {})[label] = est
        spectra[label], keys[label] = reading.spectrum, t.key_frequencies
        est = reading.estimates
        rows.append([label, ", ".join(map(str, t.key_frequencies)), _nearest_miss(reading.spectrum, t.key_frequencies),
                     f"{est['few-frequencies'].value:.2f}",
                     f"{est['logits-are-cosines'].value:.2f}",
                     f"{round(est['neurons-cluster'].value * len(reading.best))} of {len(reading.best)}"])
        if neurons is None:
            neurons = {"best": reading.best, "share": reading.share, "keys": t.key_frequencies}
    return Result(
        data={"spectra": spectra, "keys": keys, "neurons": neurons},
        values={"keys_seed0": rows[0][1], "top": TOP, "neuron_share": NEURON_SHARE,
                "fewest_keys": min(map(len, keys.values())), "most_keys": max(map(len, keys.values()))},
        verdicts=verdicts,
        tables={"frequencies": Table(columns=["seed", "key frequencies k",
                                              f"strongest other k: its share (key if ≥ {KEY_SHARE_FACTOR / 56:.4f})",
                                              f"share of the top {TOP} (squared norm)",
                                              "logit variance explained", "neurons on one key frequency"],
                                     rows=rows)},
    )


def _nearest_miss(spectrum: np.ndarray, keys: list[int]) -> str:
    """The strongest frequency that is not a key one, with its share: how close the key set came to another
    member (the threshold is KEY_SHARE_FACTOR / 56 = 3/56 of the embedding's squared norm)."""
    others = [(float(spectrum[k - 1]), k) for k in range(1, len(spectrum) + 1) if k not in keys]
    share, k = max(others)
    return f"{k}: {share:.4f}"


def plot(result: Result, theme: str):
    spectra, keys, nd = result.data["spectra"], result.data["keys"], result.data["neurons"]
    phone = style.phone()  # the neurons' panel under the spectra instead of beside them
    fig = style.figure(theme, width=1.0, aspect=0.62, height=6.8 if phone else None)
    grid = (fig.add_gridspec(len(spectra) + 2, 1) if phone else fig.add_gridspec(len(spectra), 2, width_ratios=[1.5, 1]))
    colors = style.palette(theme)
    k = np.arange(1, len(next(iter(spectra.values()))) + 1)
    first = None
    for i, (label, spec) in enumerate(spectra.items()):
        ax = fig.add_subplot(grid[i, 0], sharex=first, sharey=first)
        first = first or ax
        is_key = np.isin(k, keys[label])
        ax.bar(k[~is_key], spec[~is_key], width=0.8, color=style.MUTED[theme])
        bars = ax.bar(k[is_key], spec[is_key], width=0.8, color=colors[0])
        style.hover_bars(ax, bars, [f"k = {x}: {v:.3f}" for x, v in zip(k[is_key], spec[is_key])])
        ax.set_ylim(0, max(s.max() for s in spectra.values()) * 1.45)
        # the key frequencies are named in the panel's label: adjacent ones (19, 20, 22) leave no room above bars
        ax.text(0.99, 0.95, f"{label}: k = {', '.join(str(x) for x in k[is_key])}", transform=ax.transAxes,
                ha="right", va="top", fontsize=style.FONT["small"], color=style.text_color(colors[0], theme))
        if i < len(spectra) - 1:
            ax.tick_params(labelbottom=False)
        if i == len(spectra) // 2:
            ax.set_ylabel("share of W_E")
    ax.set_xlabel("frequency k")
    nx = fig.add_subplot(grid[len(spectra):, 0] if phone else grid[:, 1])
    nx.scatter(nd["best"], nd["share"], s=9, color=colors[0], alpha=0.6, lw=0)
    for kk in nd["keys"]:
        nx.axvline(kk, color=style.GRID[theme], lw=0.8, zorder=0)
    nx.axhline(0.5, color=style.MUTED[theme], lw=0.8, ls="--")
    nx.set(xlim=(0, k[-1] + 1), ylim=(0, 1.02), xlabel="best frequency k", ylabel="variance it explains")
    nx.set_title(f"seed 0: {len(nd['best'])} active neurons", fontsize=style.FONT["small"])
    style.hover_points(nx, nd["best"], nd["share"], [f"k = {b}: {s:.2f}" for b, s in zip(nd["best"], nd["share"])])
    return fig
