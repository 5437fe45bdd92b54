"""Figure: the induction head's attention stripe on repeated random tokens, and every head placed by
QK (K-composition) positivity against OV (copying) positivity."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from scripts.analysis.circuits import copying_score, k_composition_positivity
from scripts.analysis.induction import attention_patterns, induction_scores, repeated_random_tokens
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    raw = load_model(params["model"])
    folded = load_model(params["model"], fold=True)
    rep = repeated_random_tokens(params["batch"], params["seq_len"], raw.cfg.d_vocab, raw.tokenizer.bos_token_id,
                                 seed=params["seed"])
    ind = induction_scores(raw, rep)
    layer, head = 1, int(ind[1].argmax())
    pattern = attention_patterns(raw, rep[:1])[layer][0, head].numpy()
    H = raw.cfg.n_heads
    with torch.no_grad():
        ov = [copying_score(folded, 1, h) for h in range(H)]
        qk = [k_composition_positivity(folded, h) for h in range(H)]
    corner = [h for h in range(H) if ov[h] > 0.8 and qk[h] > 0.8]
    return Result(
        data={"pattern": pattern, "ov": ov, "qk": qk, "ind": ind[1].numpy(), "head": head},
        values={"head": f"L1H{head}", "score": f"{ind[1].max():.2f}",
                "corner": ", ".join(f"L1H{h}" for h in corner) or "none",
                "n_corner": len(corner), "qk_head": f"{qk[head]:.2f}", "ov_head": f"{ov[head]:.2f}",
                "verdict": ("the induction heads sit in the positive corner" if head in corner else "not in the corner")},
    )


def plot(result: Result, theme: str):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.2, 3.6), gridspec_kw={"width_ratios": [1, 1.1]})
    a1.imshow(result.data["pattern"], cmap="magma" if theme == "dark" else "Blues", vmin=0, vmax=1)
    a1.set(title=f"L1H{result.data['head']} attention", xlabel="source position", ylabel="destination position")
    a1.grid(False)
    ov, qk, ind = result.data["ov"], result.data["qk"], result.data["ind"]
    sc = a2.scatter(qk, ov, c=ind, cmap="viridis", vmin=0, vmax=1, s=60, edgecolors="0.5")
    for h, (x, y) in enumerate(zip(qk, ov)):
        a2.annotate(f"L1H{h}", (x, y), textcoords="offset points", xytext=(6, 4), fontsize=7)
    a2.axhline(0, color="0.5", linewidth=0.8)
    a2.axvline(0, color="0.5", linewidth=0.8)
    a2.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), xlabel="QK positivity (K-composition path)",
           ylabel="OV positivity (copying)")
    fig.colorbar(sc, ax=a2, label="induction score")
    fig.tight_layout()
    return fig
