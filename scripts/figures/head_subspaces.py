"""Figure: each head reads and writes a low-dimensional subspace — effective ranks of its QK and OV
circuits, and how much what each layer-0 head writes overlaps what each layer-1 head reads.

Verdict (declared in figures/residual-stream.yml), per training seed: the largest overlap among the 48
(layer-0 output, layer-1 input) pairs as a z-score against the overlap of a random subspace of the same
dimension (Bonferroni threshold for 48 pairs).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.composition import ov, qk
from scripts.analysis.linalg import effective_rank, head_overlaps, strongest_cell, subspace_overlap_null
from scripts.engine import style
from scripts.engine.api import Result, threshold_moved
from scripts.zoo.load import load_model, seed_label, seed_variants


def compute(params: dict) -> Result:
    g = torch.Generator().manual_seed(params["seed"])
    verdict, best_by_seed, figure = {}, {}, None
    for name in seed_variants(params["model"], params["seeds"]):
        model = load_model(name, fold=True)
        L, H, d, dh = model.cfg.n_layers, model.cfg.n_heads, model.cfg.d_model, model.cfg.d_head
        overlap, _, reads = head_overlaps(model)
        if figure is None:  # folded reads and writes are orthogonal to all-ones: random subspaces of its complement
            null = subspace_overlap_null(d - 1, dh, dh, draws=params["draws"], generator=g).numpy()
        (i, j), verdict[seed_label(name)] = strongest_cell(overlap, null, list(np.ndindex(overlap.shape)))
        best_by_seed[seed_label(name)] = (f"L0H{i} out → {reads[j]}", float(overlap[i, j]))
        if figure is None:
            labels = [f"L{l}H{h}" for l in range(L) for h in range(H)]
            with torch.no_grad():
                ov_ranks = [effective_rank(ov(model, l, h)) for l in range(L) for h in range(H)]
                qk_ranks = [effective_rank(qk(model, l, h)) for l in range(L) for h in range(H)]
            z = (overlap - null.mean()) / null.std(ddof=1)
            figure = {"labels": labels, "ov": ov_ranks, "qk": qk_ranks, "overlap": overlap, "reads": reads, "chance": float(null.mean())}
            values = {
                "d_head": dh, "ov_min": f"{min(ov_ranks):.1f}", "ov_max": f"{max(ov_ranks):.1f}",
                "qk_min": f"{min(qk_ranks):.1f}", "qk_max": f"{max(qk_ranks):.1f}", "chance": f"{null.mean():.2f}", "null_sd": f"{null.std(ddof=1):.3f}",
                "n_pairs": overlap.size, "n_sig": int((z > params["z_cells"]).sum()),
                "n_sig_range": threshold_moved(int((z > 1.1 * params["z_cells"]).sum()), int((z > 0.9 * params["z_cells"]).sum())),
                "draws": params["draws"],
            }
    head = next(iter(best_by_seed.values()))
    values.update({"best_pair": head[0], "best_overlap": f"{head[1]:.2f}",
                   "pairs_by_seed": "; ".join(f"{s}: {p} ({o:.2f})" for s, (p, o) in best_by_seed.items())})
    return Result(data=figure, values=values, verdicts={"overlap-above-chance": verdict})


def plot(result: Result, theme: str):
    fig = style.figure(theme, width=1.0, height=5.0)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.05])
    a1 = top.subplots()
    pal = style.palette(theme)
    labels = result.data["labels"]
    x = np.arange(len(labels))
    qk = a1.bar(x - 0.2, result.data["qk"], width=0.4, color=pal[0])
    ov = a1.bar(x + 0.2, result.data["ov"], width=0.4, color=pal[1])
    a1.set_xticks(x, labels)
    a1.set(ylabel="effective rank\n(of 32 possible)", xlim=(-0.6, len(labels) + 0.4))
    a1.grid(axis="x", visible=False)
    a1.set_axisbelow(True)
    for bars, name, color in ((qk, "QK circuit", pal[0]), (ov, "OV circuit", pal[1])):  # named at the last pair
        b = bars[-1]
        a1.annotate(name, (len(labels) - 0.45, b.get_height()), xytext=(0, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=style.FONT["small"], color=style.text_color(color, theme))
    style.hover_bars(a1, list(qk) + list(ov), [f"{h} QK circuit: effective rank {v:.1f}" for h, v in zip(labels, result.data["qk"])]
                     + [f"{h} OV circuit: effective rank {v:.1f}" for h, v in zip(labels, result.data["ov"])])
    a2 = bottom.subplots()
    m = result.data["overlap"]
    im = a2.imshow(m, vmin=0, vmax=max(0.6, m.max()), cmap=style.CMAP["sequential"], aspect="auto")
    a2.set_xticks(range(m.shape[1]), result.data["reads"], rotation=90)
    rows = [f"L0H{h} out" for h in range(m.shape[0])]
    a2.set_yticks(range(m.shape[0]), rows)
    a2.grid(False)
    bottom.colorbar(im, ax=a2, label=f"subspace overlap\n(chance {result.data['chance']:.2f})", fraction=0.05, pad=0.02)
    style.hover_grid(a2, m, rows, result.data["reads"], template="{row} → {col}: overlap {v}")
    return fig
