"""Interactive figure: every head of MiniLM-L6 (a bidirectional encoder) on one English sentence, in the
same explorer as the zoo's (docs/assets/javascripts/widgets.js), in its bidirectional mode: a token attends
to the tokens after it too. The static image is the head that attends most to the *next* token — a pattern
a causal model cannot have."""

from __future__ import annotations

import numpy as np

from scripts.analysis.induction import explorer_data
from scripts.engine.api import Result
from scripts.engine.drawing import attention_heatmap, dense
from scripts.zoo.load import load_model


def display_labels(pieces: list[str]) -> list[str]:
    """WordPiece tokens as they read in the sentence: a word starts with a space, a `##` continuation
    joins the previous piece, punctuation sticks to the word before it."""
    out = []
    for i, piece in enumerate(pieces):
        if piece.startswith("##"):
            out.append(piece[2:])
        elif i == 0 or piece in {",", ".", ";", ":", "!", "?", ")", "'s"}:
            out.append(piece)
        else:
            out.append(" " + piece)
    return out


def diagonal_mean(m: np.ndarray, offset: int, inner: slice) -> float:
    """Mean attention from each inner token (no [CLS], no [SEP]) to the token `offset` away."""
    rows = range(len(m))[inner]
    return float(np.mean([m[i, i + offset] for i in rows if inner.start <= i + offset < len(m) + inner.stop]))


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    tokens = model.to_tokens(params["text"])
    pieces = model.tokenizer.convert_ids_to_tokens(tokens[0].tolist())
    n = len(pieces)
    sinks = [i for i, p in enumerate(pieces) if p in ("[CLS]", "[SEP]")]
    widget = explorer_data(model, tokens, display_labels(pieces), causal=False, sinks=sinks,
                           sink_label=" and ".join(dict.fromkeys(pieces[i] for i in sinks)), model_name=params["model"])
    heads, mats = widget["heads"], [np.array(m) for m in widget["patterns"]]
    inner = slice(1, -1)  # the sentence's own tokens
    nxt = {h: diagonal_mean(m, +1, inner) for h, m in zip(heads, mats)}
    prv = {h: diagonal_mean(m, -1, inner) for h, m in zip(heads, mats)}
    later = np.mean([m[i, i + 1:-1].sum() for m in mats for i in range(1, n - 1)])  # to later words, not [SEP]
    sink = np.mean([m[1:-1][:, sinks].sum(axis=1).mean() for m in mats])
    next_head, prev_head = max(nxt, key=nxt.get), max(prv, key=prv.get)
    m = mats[heads.index(next_head)]  # first shown: that head, from the word it looks ahead from most
    widget.update(head=next_head, query=max(range(1, n - 2), key=lambda i: m[i, i + 1]))
    return Result(
        data={"pattern": dense(widget["patterns"][heads.index(next_head)], n), "labels": pieces, "head": next_head},
        values={"n_tokens": n, "n_heads": len(heads), "next_head": next_head, "next_score": f"{nxt[next_head]:.2f}",
                "prev_head": prev_head, "prev_score": f"{prv[prev_head]:.2f}", "later_share": f"{later:.2f}",
                "sink_share": f"{sink:.2f}"},
        widget_data=widget,
    )


def plot(result: Result, theme: str):
    m, labels = result.data["pattern"], result.data["labels"]
    return attention_heatmap(theme, m, [t.strip() for t in labels], title=f"MiniLM-L6 {result.data['head']}",
                             xlabel="attended token (above the diagonal: later tokens)", ylabel="query token")
