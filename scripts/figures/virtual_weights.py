"""Figure: the residual stream's virtual weights — how strongly each writer feeds each later reader, as a
z-score against a null that keeps every matrix's singular values and rotates where the writer writes.

Verdicts (declared in figures/residual-stream.yml), per training seed: the strongest head-to-head pair
(a layer-0 head's output into a layer-1 head's query, key or value input; 48 pairs, Bonferroni threshold),
and the strongest positional-embedding input of a layer-0 head (12 inputs).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.linalg import null_zscores, strongest_cell, virtual_weight_scores
from scripts.analysis.rotations import random_orthogonal_stack
from scripts.engine import style
from scripts.engine.api import Result, threshold_moved
from scripts.zoo.load import load_model, seed_label, seed_variants


def compute(params: dict) -> Result:
    g = torch.Generator().manual_seed(params["seed"])
    rotations = None
    verdict_pair, verdict_pos, pairs, figure = {}, {}, {}, None
    for name in seed_variants(params["model"], params["seeds"]):
        model = load_model(name, fold=True)
        if rotations is None:
            # every read and write of a folded model is orthogonal to all-ones: rotate within its complement
            rotations = random_orthogonal_stack(params["samples"], model.cfg.d_model, g, fix_ones=True)
        scores, null, writers, readers = virtual_weight_scores(model, rotations)
        head_pairs = [(i, j) for i, w in enumerate(writers) for j, r in enumerate(readers)
                      if w.startswith("L") and r.startswith("L") and not np.isnan(scores[i, j])]
        pos_inputs = [(writers.index("W_pos"), j) for j, r in enumerate(readers) if r.startswith("L0")]
        (bi, bj), verdict_pair[seed_label(name)] = strongest_cell(scores, null, head_pairs)
        (pi, pj), verdict_pos[seed_label(name)] = strongest_cell(scores, null, pos_inputs)
        pairs[seed_label(name)] = (f"{writers[bi]} → {readers[bj]}", f"W_pos → {readers[pj]}",
                                   scores[bi, bj] / null[:, bi, bj].mean(), scores[pi, pj] / null[:, pi, pj].mean())
        if figure is None:
            z = null_zscores(scores, null)
            n_sig = int(sum(z[ij] > params["z_cells"] for ij in head_pairs))
            figure = {"z": z, "writers": writers, "readers": readers}
            head_counts = {t: int(sum(z[ij] > t for ij in head_pairs)) for t in (params["z_cells"] * 0.9, params["z_cells"] * 1.1)}
            n_heads = len(head_pairs)
    head = next(iter(pairs.values()))
    return Result(
        data=figure,
        values={
            "best_pair": head[0], "best_ratio": f"{head[2]:.1f}", "wpos_best": head[1].removeprefix("W_pos → "),
            "wpos_ratio": f"{head[3]:.1f}", "samples": params["samples"],
            "n_head_pairs": n_heads, "n_sig_pairs": n_sig, "z_cells": params["z_cells"],
            "n_sig_range": threshold_moved(head_counts[params["z_cells"] * 1.1], head_counts[params["z_cells"] * 0.9]),
            "pairs_by_seed": "; ".join(f"{s}: {p[0]}" for s, p in pairs.items()),
            "pos_by_seed": "; ".join(f"{s}: {p[1].removeprefix('W_pos → ')}" for s, p in pairs.items()),
        },
        verdicts={"specific-head-pair": verdict_pair, "positions-feed-layer0": verdict_pos},
    )


def plot(result: Result, theme: str):
    z = result.data["z"]
    fig, ax = style.subplots(theme, width=1.0, height=style.rows_height(len(result.data["writers"]),
                                                                        2.4 if style.phone() else 1.7))
    lim = float(np.nanmax(np.abs(z)))
    im = ax.imshow(z, cmap=style.CMAP["diverging"], vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(len(result.data["readers"])), result.data["readers"], rotation=90)
    ax.set_yticks(range(len(result.data["writers"])), result.data["writers"])
    ax.set(xlabel="reader", ylabel="writer")
    ax.grid(False)
    if style.phone():  # the colour bar under the map: a phone's width goes to the 24 reader columns
        fig.colorbar(im, ax=ax, label="composition z vs. rotated writer", location="bottom", shrink=0.8)
    else:
        fig.colorbar(im, ax=ax, label="composition z vs.\nrotated writer", fraction=0.05, pad=0.02)
    style.hover_grid(ax, z, result.data["writers"], result.data["readers"], fmt="{:.1f}",
                     template="{row} → {col}: z = {v}")
    return fig
