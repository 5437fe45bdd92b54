"""Interactive figure: every head's attention on a real code snippet, for the 2-layer model. The browser
shows where each head looks from the token under the pointer (docs/assets/javascripts/widgets.js); the
static image is the strongest induction head's pattern, for print and as an overview."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.induction import attention_patterns, previous_token_scores
from scripts.engine.api import Result
from scripts.zoo.load import load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    tokens = model.to_tokens(params["text"])
    if tokens.shape[1] > model.cfg.n_ctx:
        raise ValueError(f"the snippet is {tokens.shape[1]} tokens; the model's context is {model.cfg.n_ctx}")
    labels = [model.tokenizer.decode([int(t)]) for t in tokens[0]]
    patterns = attention_patterns(model, tokens)  # per layer [1 head q k]
    heads, mats = [], []
    for layer, p in enumerate(patterns):
        for h in range(p.shape[1]):
            heads.append(f"L{layer}H{h}")
            full = np.round(p[0, h].numpy(), 3)
            mats.append([full[i, : i + 1].tolist() for i in range(len(full))])  # causal: row i has i+1 entries
    # The most induction-like head on this snippet: attention to the token after an earlier copy of the current one.
    ids = tokens[0].tolist()
    score = {}
    for k, head in enumerate(heads):
        m = np.array([row + [0.0] * (len(ids) - len(row)) for row in mats[k]])
        hits = [m[i, j + 1] for i in range(len(ids)) for j in range(i - 1) if ids[j] == ids[i]]
        score[head] = float(np.mean(hits)) if hits else 0.0
    best = max(score, key=score.get)
    prev = previous_token_scores(model, tokens)
    return Result(
        data={"pattern": np.array([r + [0.0] * (len(ids) - len(r)) for r in mats[heads.index(best)]]),
              "labels": labels, "head": best},
        values={"n_tokens": len(labels), "induction_head": best, "induction_attention": f"{score[best]:.2f}",
                "prev_head": f"L0H{int(prev[0].argmax())}", "prev_score": f"{prev[0].max():.2f}"},
        widget_data={"tokens": labels, "heads": heads, "patterns": mats, "model": params["model"]},
    )


def plot(result: Result, theme: str):
    m, labels = result.data["pattern"], result.data["labels"]
    fig, ax = plt.subplots(figsize=(7.2, 6.4))
    ax.imshow(m, cmap="magma" if theme == "dark" else "Blues", vmin=0, vmax=1)
    shown = [repr(t)[1:-1] for t in labels]
    ax.set_xticks(range(len(labels)), shown, rotation=90, fontsize=5)
    ax.set_yticks(range(len(labels)), shown, fontsize=5)
    ax.set(title=f"{result.data['head']} attention (rows: destination token)", xlabel="source token",
           ylabel="destination token")
    ax.grid(False)
    fig.tight_layout()
    return fig
