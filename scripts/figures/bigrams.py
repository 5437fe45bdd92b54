"""Figure: a zero-layer transformer is a bigram table — its held-out loss against the corpus's bigram and
unigram tables, and its predictions against the corpus's bigram statistics.

Verdict (declared in figures/circuits.yml): the fraction of the unigram -> bigram cross-entropy gap the
0-layer model closes on every non-overlapping held-out window, bootstrapped over windows. The 0-layer model
has no replicate (it has no circuit to vary between seeds).
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.circuit_evidence import gap_closed, table_nll, unigram_log_probs
from scripts.analysis.circuits import bigram_log_probs, direct_path_log_probs
from scripts.analysis.induction import per_token_loss
from scripts.analysis.stats import bootstrap_mean
from scripts.engine import style
from scripts.engine.api import Result, Table, visible_whitespace
from scripts.zoo.load import corpus_tokens, held_out_text, load_model

UNIT = "held-out windows"


def compute(params: dict) -> Result:
    raw = load_model(params["model"])
    model = load_model(params["model"], fold=True)
    tokens, train_end = corpus_tokens(model)
    train = np.asarray(tokens[:train_end])
    empirical, counts = bigram_log_probs(train, model.cfg.d_vocab)
    unigram = unigram_log_probs(train, model.cfg.d_vocab)

    # Held-out cross-entropy, every non-overlapping window; the first prediction (from BOS) is left out,
    # since the corpus tables have no BOS row.
    windows = held_out_text(model, None)
    nll = {"0-layer model": per_token_loss(raw, windows)[:, 1:].double().numpy(),
           "bigram table": table_nll(empirical, windows.numpy())[:, 1:],
           "unigram table": table_nll(unigram, windows.numpy())[:, 1:]}
    ce = {k: bootstrap_mean(v.mean(1), unit=UNIT) for k, v in nll.items()}
    closed = gap_closed(nll["0-layer model"], nll["bigram table"], nll["unigram table"], unit=UNIT)

    # Descriptive: the table itself, for tokens seen at least min_count times.
    with torch.no_grad():
        predicted = direct_path_log_probs(model).double().numpy()
    frequent = np.where(counts >= params["min_count"])[0]
    frequent = frequent[frequent >= 2]  # not the special tokens
    seen = np.zeros_like(empirical, dtype=bool)
    np.add.at(seen, (train[:-1].astype(np.int64), train[1:].astype(np.int64)), True)
    cells = seen[frequent]
    x, y = empirical[frequent][cells], predicted[frequent][cells]
    r_seen = float(np.corrcoef(x, y)[0, 1])
    rng = np.random.default_rng(params["seed"])
    sample = rng.choice(len(x), size=min(params["points"], len(x)), replace=False)
    tok = model.tokenizer
    examples = []
    for word in params["examples"]:
        t = tok.convert_tokens_to_ids(tok.tokenize(word))[0]
        top_model = np.argsort(-predicted[t], kind="stable")[:3]
        top_data = np.argsort(-empirical[t], kind="stable")[:3]
        examples.append((word, [tok.decode([int(i)]) for i in top_data], [tok.decode([int(i)]) for i in top_model]))
    agree = int((predicted[frequent].argmax(1) == empirical[frequent].argmax(1)).sum())
    vis = lambda ts: " · ".join(visible_whitespace(t) for t in ts)
    table = Table(["current token", "corpus: top 3 next", "0-layer model: top 3 next"],
                  [[visible_whitespace(w), vis(d), vis(m)] for w, d, m in examples],
                  caption="The likeliest next tokens after five tokens, by the corpus and by the model "
                          "(␣ a space, ↵ a newline)")
    return Result(
        data={"x": x[sample], "y": y[sample], "examples": examples,
              "ce": {k: (e.value, e.low, e.high) for k, e in ce.items()}},
        values={"n_tokens": len(frequent), "min_count": params["min_count"], "windows": len(windows),
                "top1_agree": f"{agree} of {len(frequent)}", "top1_pct": f"{100 * agree / len(frequent):.0f} %",
                "r_seen": f"{r_seen:.2f}", "n_seen": int(cells.sum()),
                "ce_model": ce["0-layer model"].text, "ce_bigram": ce["bigram table"].text,
                "ce_unigram": ce["unigram table"].text, "gap_closed": closed.text},
        verdicts={"approximates-bigrams": closed},
        tables={"examples": table},
    )


def plot(result: Result, theme: str):
    fig, (ax, bx) = style.subplots(theme, 1, 2, width=1.0, height=3.0, gridspec_kw={"width_ratios": [1.35, 1]})
    x, y = result.data["x"], result.data["y"]
    blue, orange = style.palette(theme)[:2]
    ax.plot(x, y, ".", markersize=2, alpha=0.3, color=blue, markeredgewidth=0)
    lo = min(x.min(), y.min())
    ax.plot([lo, 0], [lo, 0], ":", color=style.MUTED[theme], linewidth=1)
    ax.set(xlabel="corpus log P(next | current)", ylabel="0-layer model log P (nats)")
    ax.set_title("bigrams seen in training", loc="left")
    style.rasterize_dense(fig)  # 20,000 points: an embedded PNG, not 3 MB of SVG circles
    order = ["unigram table", "0-layer model", "bigram table"]
    vals = [result.data["ce"][k] for k in order]
    ypos = np.arange(len(vals))
    colors = [style.MUTED[theme], blue, orange]
    bars = bx.barh(ypos, [v[0] for v in vals], color=colors, height=0.6,
                   xerr=[[v[0] - v[1] for v in vals], [v[2] - v[0] for v in vals]], capsize=2,
                   error_kw={"ecolor": style.INK[theme], "elinewidth": 0.8})
    for yy, v in zip(ypos, vals):
        bx.text(v[2] + 0.15, yy, f"{v[0]:.2f}", va="center", fontsize=style.FONT["small"])
    bx.set_yticks(ypos, order)
    bx.set(xlabel="held-out loss (nats/token)", xlim=(0, max(v[2] for v in vals) * 1.25))
    bx.grid(axis="y", visible=False)
    bx.set_axisbelow(True)
    bx.invert_yaxis()
    style.hover_bars(bx, bars, [f"{k}: {v[0]:.3f} nats/token [{v[1]:.3f}, {v[2]:.3f}]" for k, v in zip(order, vals)])
    return fig
