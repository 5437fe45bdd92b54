"""Figure: which zoo models use a repeat — per-position loss on repeated random tokens, and the
previous-token and induction score of every head of the 2-layer model."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.induction import (
    induction_scores, per_token_loss, previous_token_scores, repeat_halves_loss, repeated_random_tokens,
)
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model


def compute(params: dict) -> Result:
    seq_len, batch = params["seq_len"], params["batch"]
    curves, halves = {}, {}
    for name in params["models"]:
        model = load_model(name)
        rep = repeated_random_tokens(batch, seq_len, model.cfg.d_vocab, bos=model.tokenizer.bos_token_id, seed=params["seed"])
        curves[name] = per_token_loss(model, rep).mean(0).numpy()
        halves[name] = repeat_halves_loss(model, rep)
    model = load_model(params["deep_model"])
    rep = repeated_random_tokens(batch, seq_len, model.cfg.d_vocab, bos=model.tokenizer.bos_token_id, seed=params["seed"])
    prev = previous_token_scores(model, held_out_text(model, batch)).numpy()
    ind = induction_scores(model, rep).numpy()
    (pl, ph), (il, ih) = np.unravel_index(prev.argmax(), prev.shape), np.unravel_index(ind.argmax(), ind.shape)
    deep, shallow = params["deep_model"], params["models"][:-1]
    drop = {n: halves[n][1] / halves[n][0] for n in params["models"]}
    ok = prev[0].max() >= 0.4 and ind[1:].max() >= 0.4 and drop[deep] < 0.3 and all(drop[n] > 0.7 for n in shallow)
    return Result(
        data={"curves": curves, "prev": prev, "ind": ind, "seq_len": seq_len},
        values={
            "prev_head": f"L{pl}H{ph}", "prev_score": f"{prev.max():.2f}",
            "ind_head": f"L{il}H{ih}", "ind_score": f"{ind.max():.2f}",
            **{f"first_{n[-2:]}": f"{halves[n][0]:.2f}" for n in params["models"]},
            **{f"second_{n[-2:]}": f"{halves[n][1]:.2f}" for n in params["models"]},
            "verdict": "the 2-layer model has both heads; only it uses the repeat" if ok else "criteria not met",
        },
    )


def plot(result: Result, theme: str):
    fig = plt.figure(figsize=(8.4, 3.2))
    gs = fig.add_gridspec(1, 3, width_ratios=[2.2, 1, 1], wspace=0.45)
    ax = fig.add_subplot(gs[0])
    for name, curve in result.data["curves"].items():
        ax.plot(np.arange(1, len(curve) + 1), curve, linewidth=1.2, label=name)
    ax.axvline(result.data["seq_len"] + 0.5, color="0.5", linestyle=":", linewidth=1)
    ax.set(xlabel="position (tokens)", ylabel="loss (nats)", title="repeated random tokens")
    ax.legend(fontsize=7)
    cmap = "magma" if theme == "dark" else "viridis"
    for k, (key, title) in enumerate((("prev", "previous-token score"), ("ind", "induction score"))):
        a = fig.add_subplot(gs[k + 1])
        m = result.data[key]
        im = a.imshow(m, vmin=0, vmax=1, cmap=cmap, aspect="auto")
        a.set(title=title, xlabel="head", ylabel="layer", xticks=range(m.shape[1]), yticks=range(m.shape[0]))
        a.grid(False)
        for (i, j), v in np.ndenumerate(m):
            a.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    fig.colorbar(im, ax=fig.axes[1:], fraction=0.05, pad=0.04)
    return fig
