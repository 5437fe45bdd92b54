"""Figure: fold a change of basis into every read and write of the residual stream — what changes?"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.residual import (
    forward, random_orthogonal, random_orthogonal_fixing_ones, rotate, weights_of,
)
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model

CASES = {
    "fixes all-ones": "rotation fixing the all-ones direction",
    "generic": "generic rotation (LayerNorm centring sees it)",
    "generic, no centring": "generic rotation, centring dropped (writes are mean-zero)",
    "GELU on the stream": "rotation fixing all-ones, GELU applied to the stream",
}


def compute(params: dict) -> Result:
    model = load_model(params["model"], fold=True)
    w = weights_of(model)
    tokens = held_out_text(model, params["batch"])
    g = torch.Generator().manual_seed(params["seed"])
    gelu = torch.nn.functional.gelu
    changes = {k: [] for k in CASES}
    with torch.no_grad():
        base = forward(w, tokens)
        base_gelu = forward(w, tokens, stream_fn=gelu)
        for _ in range(params["rotations"]):
            r1 = random_orthogonal_fixing_ones(w.W_E.shape[1], g)
            r2 = random_orthogonal(w.W_E.shape[1], g)
            changes["fixes all-ones"].append((forward(rotate(w, r1), tokens) - base).abs().flatten())
            changes["generic"].append((forward(rotate(w, r2), tokens) - base).abs().flatten())
            changes["generic, no centring"].append((forward(rotate(w, r2), tokens, center=False) - base).abs().flatten())
            changes["GELU on the stream"].append(
                (forward(rotate(w, r1), tokens, stream_fn=gelu) - base_gelu).abs().flatten())
    changes = {k: torch.cat(v).numpy() for k, v in changes.items()}
    worst = {k: float(v.max()) for k, v in changes.items()}
    scale = float(base.abs().mean())
    invariant = worst["fixes all-ones"] < 1e-3 and worst["generic, no centring"] < 1e-3
    broken = worst["generic"] > 0.1 and worst["GELU on the stream"] > 0.1
    return Result(
        data={"changes": changes, "scale": scale},
        values={
            "n_logits": sum(len(v) for v in changes.values()) // len(changes),
            "rotations": params["rotations"],
            "fix1": f"{worst['fixes all-ones']:.0e}", "nocenter": f"{worst['generic, no centring']:.0e}",
            "generic": f"{worst['generic']:.2f}", "gelu": f"{worst['GELU on the stream']:.2f}",
            "median_generic": f"{np.median(changes['generic']):.3f}",
            "median_gelu": f"{np.median(changes['GELU on the stream']):.2f}",
            "scale": f"{scale:.1f}",
            "verdict": "invariant exactly when nothing reads coordinates" if invariant and broken else "not as predicted",
        },
    )


def plot(result: Result, theme: str):
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    bins = np.logspace(-9, 2, 67)
    for key, label in CASES.items():
        v = np.clip(result.data["changes"][key], 1e-9, None)
        ax.hist(v, bins=bins, histtype="step", linewidth=1.5, label=label, weights=np.full(len(v), 1 / len(v)))
    ax.axvline(result.data["scale"], color="0.5", linestyle=":", linewidth=1)
    ax.annotate("mean |logit|", (result.data["scale"], 1), xycoords=("data", "axes fraction"), fontsize=7,
                ha="right", va="top", rotation=90)
    ax.set(xscale="log", xlabel="|change in a logit| after the change of basis", ylabel="fraction of logits")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, frameon=False)
    fig.tight_layout()
    return fig
