"""Figure: loss by token position on held-out text for the 0-, 1- and 2-layer models, and their ICL scores."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.induction import icl_score, per_token_loss
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model


def compute(params: dict) -> Result:
    curves, icl = {}, {}
    for name in params["models"]:
        m = load_model(name)
        loss = per_token_loss(m, held_out_text(m, params["batch"]))
        curves[name] = loss.mean(0).numpy()
        icl[name] = icl_score(loss)
    names = params["models"]
    return Result(
        data={"curves": curves},
        values={**{f"icl_{n[-2:]}": f"{v:.2f}" for n, v in icl.items()},
                "verdict": ("the 2-layer model gains most from context" if icl[names[-1]] < icl[names[1]] - 0.1
                            else "no clear difference between one and two layers")},
    )


def plot(result: Result, theme: str):
    fig, ax = plt.subplots(figsize=(6.6, 3.3))
    for name, c in result.data["curves"].items():
        x = np.arange(1, len(c) + 1)
        smooth = np.convolve(c, np.ones(5) / 5, mode="valid")
        ax.plot(x[2:-2], smooth, linewidth=1.4, label=name)
    ax.set(xscale="log", xlabel="token position in the context", ylabel="loss (nats, 5-position mean)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
