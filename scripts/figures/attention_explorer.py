"""Interactive figure: every head's attention on a real code snippet, for the 2-layer model. The browser
shows where the chosen head looks from the token under the pointer, with the weights as numbers
(docs/assets/javascripts/widgets.js); the static image is the strongest induction head's pattern, for print
and as an overview.

`explorer_data` builds the widget's JSON for any model; scripts/figures/minilm_explorer.py uses it for a
bidirectional encoder."""

from __future__ import annotations

import numpy as np

from scripts.analysis.induction import explorer_data, previous_token_scores
from scripts.engine.api import Result, visible_whitespace
from scripts.engine.drawing import attention_heatmap, dense
from scripts.zoo.load import load_model


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
    return attention_heatmap(theme, m, [visible_whitespace(t) for t in labels], title=f"Static view, {result.data['head']}",
                             xlabel="source token", ylabel="destination token")
