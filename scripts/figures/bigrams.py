"""Figure: a zero-layer transformer is a bigram table — its predictions against the corpus's bigram statistics."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.circuits import bigram_log_probs, direct_path_log_probs
from scripts.engine.api import Result
from scripts.zoo.load import corpus_tokens, load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"], fold=True)
    tokens, train_end = corpus_tokens(model)
    empirical, counts = bigram_log_probs(np.asarray(tokens[:train_end]), model.cfg.d_vocab)
    with torch.no_grad():
        predicted = direct_path_log_probs(model).numpy()
    frequent = np.where(counts >= params["min_count"])[0]
    frequent = frequent[frequent >= 2]  # not the special tokens
    x, y = empirical[frequent].ravel(), predicted[frequent].ravel()
    r = float(np.corrcoef(x, y)[0, 1])
    rng = np.random.default_rng(params["seed"])
    sample = rng.choice(len(x), size=min(params["points"], len(x)), replace=False)
    examples = []
    tok = model.tokenizer
    for word in params["examples"]:
        t = tok.convert_tokens_to_ids(tok.tokenize(word))[0]
        top_model = np.argsort(-predicted[t])[:3]
        top_data = np.argsort(-empirical[t])[:3]
        examples.append((word, [tok.decode([int(i)]) for i in top_data], [tok.decode([int(i)]) for i in top_model]))
    agree = np.mean(predicted[frequent].argmax(1) == empirical[frequent].argmax(1))
    return Result(
        data={"x": x[sample], "y": y[sample], "examples": examples},
        values={"r": f"{r:.2f}", "n_tokens": len(frequent), "top1_agree": f"{100 * agree:.0f} %",
                "min_count": params["min_count"],
                "verdict": "the direct path approximates the bigram table" if r > 0.7 else "weak agreement"},
    )


def plot(result: Result, theme: str):
    fig, (ax, tx) = plt.subplots(1, 2, figsize=(8.6, 3.5), gridspec_kw={"width_ratios": [1.1, 1]})
    ax.plot(result.data["x"], result.data["y"], ".", markersize=1.5, alpha=0.4)
    lo = min(result.data["x"].min(), result.data["y"].min())
    ax.plot([lo, 0], [lo, 0], ":", color="0.5", linewidth=1)
    ax.set(xlabel="corpus bigram log P(next | current)", ylabel="0-layer model log P (nats)")
    tx.axis("off")
    rows = [[repr(w), ", ".join(map(repr, d)), ", ".join(map(repr, m))] for w, d, m in result.data["examples"]]
    table = tx.table(cellText=rows, colLabels=["current", "corpus top 3", "model top 3"], loc="center",
                     cellLoc="left", colWidths=[0.22, 0.39, 0.39])
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table.scale(1, 1.35)
    ink = plt.rcParams["text.color"]
    for cell in table.get_celld().values():
        cell.set_edgecolor(plt.rcParams["grid.color"])
        cell.set_facecolor("none")
        cell.get_text().set_color(ink)
    fig.tight_layout()
    return fig
