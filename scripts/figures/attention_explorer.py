"""Interactive figure: every head's attention on a real code snippet, for the 2-layer model. The browser
shows where the chosen head looks from the token under the pointer, with the weights as numbers
(docs/assets/javascripts/widgets.js); the static image is the strongest induction head's pattern, for print
and as an overview.

`explorer_data` builds the widget's JSON for any model; scripts/figures/minilm_explorer.py uses it for a
bidirectional encoder."""

from __future__ import annotations

import numpy as np

from scripts.analysis.induction import attention_patterns, previous_token_scores
from scripts.engine import style
from scripts.engine.api import Result, visible_whitespace
from scripts.zoo.load import load_model

SCALE = 1000  # weights are stored in thousandths: three decimals, as the widget shows them


def round_row(row: np.ndarray, scale: int = SCALE) -> list[float]:
    """Round a probability row to 1/scale so that it still sums to exactly 1 (largest remainder), so the
    numbers the widget shows add up."""
    exact = np.asarray(row, dtype=np.float64) / max(float(np.sum(row)), 1e-12) * scale
    units = np.floor(exact).astype(int)
    short = scale - int(units.sum())
    if short > 0:
        units[np.argsort(-(exact - units), kind="stable")[:short]] += 1
    return [int(u) / scale for u in units]


def explorer_data(model, tokens, labels: list[str], *, causal: bool, sinks: list[int], sink_label: str,
                  model_name: str) -> dict:
    """The widget's JSON: per head (`L{layer}H{head}`), one row per query token of rounded weights over the
    tokens it can see (causal: row i has i + 1 entries; bidirectional: all). `sinks` are the positions the
    widget can leave out and renormalise without (BOS; [CLS] and [SEP]), named by `sink_label`. The caller
    sets `head` and `query`, what the widget shows first."""
    patterns = attention_patterns(model, tokens)  # per layer [1 head q k]
    heads, mats = [], []
    for layer, p in enumerate(patterns):
        for h in range(p.shape[1]):
            full = p[0, h].double().numpy()
            heads.append(f"L{layer}H{h}")
            mats.append([round_row(full[i, : i + 1] if causal else full[i]) for i in range(len(full))])
    return {"tokens": labels, "heads": heads, "patterns": mats, "model": model_name, "causal": causal,
            "sinks": sinks, "sink_label": sink_label, "layers": len(patterns), "heads_per_layer": int(patterns[0].shape[1])}


def dense(rows: list[list[float]], n: int) -> np.ndarray:
    return np.array([r + [0.0] * (n - len(r)) for r in rows])


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    tokens = model.to_tokens(params["text"])
    if tokens.shape[1] > model.cfg.n_ctx:
        raise ValueError(f"the snippet is {tokens.shape[1]} tokens; the model's context is {model.cfg.n_ctx}")
    labels = [model.tokenizer.decode([int(t)]) for t in tokens[0]]
    widget = explorer_data(model, tokens, labels, causal=True, sinks=[0], sink_label="BOS", model_name=params["model"])
    heads, mats = widget["heads"], widget["patterns"]
    # The most induction-like head on this snippet: attention to the token after an earlier copy of the current one.
    ids = tokens[0].tolist()
    score = {}
    for k, head in enumerate(heads):
        m = dense(mats[k], len(ids))
        hits = [m[i, j + 1] for i in range(len(ids)) for j in range(i - 1) if ids[j] == ids[i]]
        score[head] = float(np.mean(hits)) if hits else 0.0
    best = max(score, key=score.get)
    m = dense(mats[heads.index(best)], len(ids))  # first shown: the query where that head copies most
    copies = [(m[i, j + 1], i) for i in range(len(ids)) for j in range(i - 1) if ids[j] == ids[i]]
    widget.update(head=best, query=int(max(copies)[1]) if copies else len(ids) - 1)
    prev = previous_token_scores(model, tokens)
    bos = np.mean([row[0] for m in mats for row in m[1:]])  # every head, every query but BOS itself
    return Result(
        data={"pattern": dense(mats[heads.index(best)], len(ids)), "labels": labels, "head": best},
        values={"n_tokens": len(labels), "induction_head": best, "induction_attention": f"{score[best]:.2f}",
                "prev_head": f"L0H{int(prev[0].argmax())}", "prev_score": f"{prev[0].max():.2f}",
                "bos_share": f"{bos:.2f}"},
        widget_data=widget,
    )


def plot(result: Result, theme: str):
    m, labels = result.data["pattern"], result.data["labels"]
    return attention_heatmap(theme, m, [visible_whitespace(t) for t in labels], title=f"{result.data['head']} attention",
                             xlabel="source token", ylabel="destination token")


def attention_heatmap(theme: str, m: np.ndarray, labels: list[str], *, title: str, xlabel: str, ylabel: str):
    """An attention pattern at column width: every k-th token labelled (as many as fit at >= 11 px), every
    cell's weight and tokens on hover. Shared with scripts/figures/minilm_explorer.py."""
    fig, ax = style.subplots(theme, width=1.0, height=min(6.9, 0.2 * len(labels) + 1.9))
    ax.imshow(m, cmap="magma" if theme == "dark" else "Blues", vmin=0, vmax=1)
    n = len(labels)
    step = style.tick_step(n, 5.0)
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=90, family="monospace")
    ax.set_yticks(ticks, [labels[i] for i in ticks], family="monospace")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    shade = "dark: 0, bright: 1" if theme == "dark" else "white: 0, dark: 1"
    ax.set_title(f"{title} ({shade}; every {step}{'nd' if step == 2 else 'rd' if step == 3 else 'th'} token "
                 "labelled)" if step > 1 else f"{title} ({shade})", loc="left")
    ax.grid(False)
    style.hover_grid(ax, m, [f"{i}: {t}" for i, t in enumerate(labels)], [f"{j}: {t}" for j, t in enumerate(labels)],
                     fmt="{:.3f}", template="{row} → {col}: {v}")
    return fig
