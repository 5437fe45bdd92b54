"""Figure: positional or token attention? The layer-0 attention scores of the 2-layer model split into
position·position, token·position, position·token and token·token terms, which term makes the previous-token
head, and what the induction head's query is read from — on every training seed.

Per seed, the previous-token head (highest previous-token score in layer 0 on the held-out windows) and the
induction head (highest induction score on repeated random sequences) are found, never fixed by name. The
analysis is `scripts/analysis/decompose.py`; this script picks heads, builds estimates and draws.
Verdicts (figures/causal.yml): prev-from-position, prev-needs-position, induction-query-token.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis import decompose as dc
from scripts.analysis.causal import best_index, ratio_of_means
from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.stats import bootstrap_statistic
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.engine.drawing import heatmap, seed_dots
from scripts.zoo.load import held_out_text, load_model, seed_label, seed_variants

WINDOWS, SEQS = "held-out windows", "random sequences"
TERMS, TERM_LABEL = dc.TERMS, dc.TERM_LABEL
# The query read from parts of the stream (LayerNorm scale frozen at the actual one): "layer 0" is its whole output
# (heads and output bias); "token + position + bias" tests whether the collapse under zero ablation comes from
# layer 0's constant output bias left without the heads' outputs, rather than from LayerNorm's rescaling.
QUERY_FROM = {"token": ["tok"], "position": ["pos"], "layer 0": ["heads", "biases"], "token + position": ["tok", "pos"],
              "token + position + bias": ["tok", "pos", "biases"]}


def run_seed(name: str, params: dict) -> dict:
    m = load_model(name, fold=True)
    every = held_out_text(m, None)
    text = every[np.linspace(0, len(every) - 1, params["windows"]).round().astype(int)]
    rep = repeated_random_tokens(params["sequences"], params["seq_len"], m.cfg.d_vocab, m.tokenizer.bos_token_id,
                                 seed=params["seed"])
    l0, l1 = dc.previous_token_by_term(m, text), dc.induction_by_query_part(m, rep, QUERY_FROM)
    prev, ind = best_index(l0["full"].mean(0)), best_index(l1["full"].mean(0))
    kept = lambda a, b, unit: bootstrap_statistic(ratio_of_means, a, b, unit=unit)
    est = {"prev-from-position": kept(l0["pos·pos"][:, prev], l0["full"][:, prev], WINDOWS),
           "prev-needs-position": kept(l0["no pos·pos"][:, prev], l0["full"][:, prev], WINDOWS),
           "induction-query-token": kept(l1["token"][:, ind], l1["full"][:, ind], SEQS)}
    return {"prev": prev, "ind": ind, "est": est, "n_windows": len(text),
            "prev_attn": {k: l0[k].mean(0) for k in ["full", *TERM_LABEL.values(), "no pos·pos"]},
            "shares": np.stack([l0[f"share {TERM_LABEL[k]}"].mean(0) for k in TERMS], 1),  # [head, term]
            "query": {k: ratio_of_means(v[:, ind], l1["full"][:, ind]) for k, v in l1.items() if k != "full"},
            "ind_score": float(l1["full"][:, ind].mean())}


def compute(params: dict) -> Result:
    runs = {seed_label(n): run_seed(n, params) for n in seed_variants(params["model"], params["seeds"])}
    s0 = runs["seed 0"]
    verdict_keys = list(s0["est"])
    rows = []
    for label, r in runs.items():
        e, sh = r["est"], r["shares"][r["prev"]]
        rows.append([label, f"L0H{r['prev']} ({r['prev_attn']['full'][r['prev']]:.2f})",
                     *(f"{v:.2f}" for v in sh), e["prev-from-position"].text, e["prev-needs-position"].text,
                     f"L1H{r['ind']} ({r['ind_score']:.2f})", e["induction-query-token"].text,
                     f"{r['query']['token + position']:.2f}", f"{r['query']['token + position + bias']:.2f}",
                     f"{r['query']['layer 0']:.2f}"])
    p = s0["prev"]
    return Result(
        data={"shares": s0["shares"], "prev_attn": {k: list(v) for k, v in s0["prev_attn"].items()}, "prev": p,
              "keys": verdict_keys,
              "seeds": {label: {k: (e.value, e.low, e.high) for k, e in r["est"].items()} for label, r in runs.items()}},
        values={"windows": s0["n_windows"], "sequences": params["sequences"], "seq_len": params["seq_len"],
                "prev_head": f"L0H{p}", "ind_head": f"L1H{s0['ind']}",
                "prev_full": f"{s0['prev_attn']['full'][p]:.2f}", "prev_pp": f"{s0['prev_attn']['pos·pos'][p]:.2f}",
                "prev_tt": f"{s0['prev_attn']['tok·tok'][p]:.2f}", "prev_nopp": f"{s0['prev_attn']['no pos·pos'][p]:.2f}",
                **{f"share_{TERM_LABEL[k].replace('·', '_')}": f"{s0['shares'][p, j]:.2f}" for j, k in enumerate(TERMS)},
                **{f"query_{k.replace(' + ', '_').replace(' ', '')}": f"{v:.2f}" for k, v in s0["query"].items()}},
        verdicts={k: {label: r["est"][k] for label, r in runs.items()} for k in verdict_keys},
        tables={"per-seed": Table(
            ["seed", "previous-token head (its score)", *(f"share {TERM_LABEL[k]}" for k in TERMS), "pos·pos alone",
             "without pos·pos", "induction head (its score)", "query from token", "from token + position",
             "… + layer 0's output bias", "from layer 0"], rows,
            caption="Score-variance shares of the previous-token head (they add up to 1); previous-token attention "
                    "kept by the position·position term alone and without it, and the induction score kept with "
                    "the induction head's query read from the token (query bias kept, LayerNorm scale frozen), from "
                    "token and position, from those plus layer 0's output bias, or from layer 0's output alone — "
                    "fractions of the full scores' value.")},
    )


ROW_LABELS = {"prev-from-position": "prev. head: pos·pos alone", "prev-needs-position": "prev. head: without pos·pos",
              "induction-query-token": "induction head: query from token"}
THRESHOLDS = {"prev-from-position": 0.8, "prev-needs-position": 0.25, "induction-query-token": 0.8}


def plot(result: Result, theme: str):
    d = result.data
    phone = style.phone()  # the two heatmaps one under the other
    fig = style.figure(theme, width=1.0, height=8.4 if phone else 5.2)
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.3 if phone else 1.15, 0.8])
    a1, a2 = style.grid(top, 1, 2, gridspec_kw={"width_ratios": [4, 6]})
    H = len(d["shares"])
    heads = [f"L0H{h}" + (" (prev)" if h == d["prev"] else "") for h in range(H)]
    heatmap(a1, d["shares"], "share of score variance", [TERM_LABEL[k] for k in TERMS], heads, vmin=-0.1, vmax=1.0,
            xlabel="term (query·key)")
    cols = ["full", *TERM_LABEL.values(), "no pos·pos"]
    prev = np.array([d["prev_attn"][c] for c in cols]).T  # [head, column]
    heatmap(a2, prev, "attention on the previous token", ["full", "pos·\npos", "tok·\npos", "pos·\ntok", "tok·\ntok",
                                                          "without\npos·pos"], [""] * H, vmin=0, vmax=1.0,
            xlabel="scores used")
    a2.set_yticks([])
    ax = bottom.subplots()
    keys = ["prev-from-position", "prev-needs-position", "induction-query-token"]
    seed_dots(ax, theme, d["seeds"], keys, ROW_LABELS, THRESHOLDS, xlim=(-0.05, 1.1),
              xlabel="fraction kept (dotted: threshold)" if phone else "fraction kept (dotted: the rule's threshold)")
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    return fig
