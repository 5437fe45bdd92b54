"""Figure: each head reads and writes a low-dimensional subspace — effective ranks of its QK and OV
circuits, and how much what each layer-0 head writes overlaps what each layer-1 head reads."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.linalg import effective_rank, subspace_overlap
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"], fold=True)
    L, H, d, dh = model.cfg.n_layers, model.cfg.n_heads, model.cfg.d_model, model.cfg.d_head
    labels = [f"L{l}H{h}" for l in range(L) for h in range(H)]
    with torch.no_grad():
        ov = [effective_rank(model.W_V[l, h] @ model.W_O[l, h]) for l in range(L) for h in range(H)]
        qk = [effective_rank(model.W_Q[l, h] @ model.W_K[l, h].T) for l in range(L) for h in range(H)]
        reads = [f"L1H{h} {k}" for h in range(H) for k in "QKV"]
        overlap = np.array([[subspace_overlap(model.W_O[0, w].T, {"Q": model.W_Q, "K": model.W_K, "V": model.W_V}[k][1, h])
                             for h in range(H) for k in "QKV"] for w in range(H)])
    i, j = np.unravel_index(overlap.argmax(), overlap.shape)
    return Result(
        data={"labels": labels, "ov": ov, "qk": qk, "overlap": overlap, "reads": reads, "chance": dh / d},
        values={
            "d_head": dh, "ov_min": f"{min(ov):.1f}", "ov_max": f"{max(ov):.1f}", "qk_min": f"{min(qk):.1f}",
            "qk_max": f"{max(qk):.1f}", "chance": f"{dh / d:.2f}", "best_overlap": f"{overlap.max():.2f}",
            "best_pair": f"L0H{i} out → {reads[j]}",
        },
    )


def plot(result: Result, theme: str):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.6, 3.3), gridspec_kw={"width_ratios": [1, 1.6]})
    x = np.arange(len(result.data["labels"]))
    a1.bar(x - 0.2, result.data["qk"], width=0.4, label="QK circuit")
    a1.bar(x + 0.2, result.data["ov"], width=0.4, label="OV circuit")
    a1.set_xticks(x, result.data["labels"], rotation=90, fontsize=7)
    a1.set(ylabel="effective rank (of 32 possible)")
    a1.legend(fontsize=7)
    m = result.data["overlap"]
    im = a2.imshow(m, vmin=0, vmax=max(0.6, m.max()), cmap="magma" if theme == "dark" else "viridis", aspect="auto")
    a2.set_xticks(range(m.shape[1]), result.data["reads"], rotation=90, fontsize=7)
    a2.set_yticks(range(m.shape[0]), [f"L0H{h} out" for h in range(m.shape[0])], fontsize=7)
    a2.grid(False)
    fig.colorbar(im, ax=a2, label=f"subspace overlap (chance {result.data['chance']:.2f})", fraction=0.04)
    fig.tight_layout()
    return fig
