"""Figure: the 1-layer model's strongest skip-trigrams [a] ... [b] -> [c], read from its QK and OV circuits,
checked against the corpus; and a "bug": a triple a head boosts that never occurs, checked by a forward pass.

Verdicts (declared in figures/circuits.yml), on every training seed:
- `sources-match-corpus`: for the strongest non-copy triples (out != source), how much more often the triple
  occurs in the training text than the same destination and output with a random source (of the same 400
  tokens); bootstrapped over triples.
- `bug-boosts-crossed`: the crossed triple's output logit at the destination, with the source in the context
  minus without it, on held-out contexts (a real forward pass); bootstrapped over contexts.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.circuit_evidence import (
    BigramIndex,
    find_bug,
    ranked_skip_trigrams,
    source_counts,
    source_excess,
    source_logit_boost,
    triple_corpus_stats,
)
from scripts.analysis.stats import bootstrap_mean
from scripts.engine import style
from scripts.engine.api import Estimate, Result, Table, visible_whitespace
from scripts.zoo.load import corpus_tokens, held_out_text, load_model, seed_label, seed_variants


def _seed_run(name: str, params: dict) -> dict:
    model = load_model(name, fold=True)
    raw = load_model(name)
    tokens, train_end = corpus_tokens(model)
    text = np.asarray(tokens[:train_end]).astype(np.int64)
    counts = np.bincount(text, minlength=model.cfg.d_vocab)
    top = [int(t) for t in np.argsort(-counts, kind="stable") if t >= 2][: params["vocab"]]
    allowed = torch.tensor(top)
    index = BigramIndex(text, model.cfg.d_vocab)
    window = model.cfg.n_ctx - 1
    k_max = params["candidates"] + params["candidates"] // 10  # for the sensitivity of counts to the cut
    heads, triples = {}, []
    with torch.no_grad():
        for h in range(model.cfg.n_heads):
            ranked = ranked_skip_trigrams(model, 0, h, allowed, top=k_max)
            heads[h] = ranked
            triples += [(rank, h, s, a, b, c) for rank, (s, a, b, c) in enumerate(ranked)]
    sources = np.array(top)
    # Corpus counts and the random-source null for every distinct triple up to k_max.
    distinct = sorted({(a, b, c) for _, _, _, a, b, c in triples})
    cnt, nul = triple_corpus_stats(distinct, index, sources, window)
    seen, null = dict(zip(distinct, cnt.tolist())), dict(zip(distinct, nul.tolist()))
    K = params["candidates"]
    main = [(a, b, c) for rank, _, _, a, b, c in triples if rank < K]
    noncopy = [t for t in main if t[2] != t[0]]
    s_arr = np.array([seen[t] for t in noncopy])
    n_arr = np.array([null[t] for t in noncopy])
    excess = source_excess(s_arr, n_arr, unit="skip-trigrams (non-copy)")
    # Sensitivity of the published counts to the cut (top K per head, K ± 10 %).
    sens = []
    for k in range(K - K // 10, k_max + 1):
        sel = [(a, b, c) for rank, _, _, a, b, c in triples if rank < k and c != a]
        sens.append(100 * np.mean([seen[t] > 0 for t in sel]))
    # Baseline: uniform random triples over the same tokens (seeded).
    rng = np.random.default_rng(params["seed"])
    rand = rng.choice(sources, size=(params["random_triples"], 3))
    rand_seen = np.array([source_counts(index, int(b), int(c), np.array([int(a)]), window)[0] > 0 for a, b, c in rand])

    # The bug: per head, strongest crossed triple; the strongest over heads.
    bugs = []
    for h in range(model.cfg.n_heads):
        found = find_bug(model, 0, h, allowed, index, sources=params["bug_sources"], branch=params["bug_branch"],
                         min_count=params["bug_min_count"], window=window)
        if found:
            bugs.append((found[0], h, *found[1:]))
    bug = max(bugs, key=lambda x: (x[0], -x[1])) if bugs else None
    boost = {}
    if bug:
        _, h, a, b1, c1, b2, c2 = bug
        ctx = held_out_text(raw, params["contexts"] * 2)[:, : params["context_len"]]
        ctx = ctx[~(ctx == a).any(1)][: params["contexts"]]  # contexts without the source
        for key, (b, c) in {"crossed": (b1, c2), "real_1": (b1, c1), "real_2": (b2, c2)}.items():
            boost[key] = bootstrap_mean(source_logit_boost(raw, ctx, a, b, c).numpy(), unit="held-out contexts")
    return {"model": model, "heads": heads, "seen": seen, "null": null, "K": K, "main": main, "noncopy": noncopy,
            "excess": excess, "seen_arr": s_arr, "null_arr": n_arr, "sens": sens, "rand_seen": rand_seen,
            "bug": bug, "n_bug_heads": len(bugs), "boost": boost}


def compute(params: dict) -> Result:
    names = seed_variants(params["model"], params["seeds"])
    runs = {name: _seed_run(name, params) for name in names}
    head = runs[names[0]]
    model = head["model"]
    show = lambda t: repr(model.tokenizer.decode([t]))
    tri = lambda a, b, c: f"{show(a)} … {show(b)} → {show(c)}"
    K = head["K"]
    tok = lambda t: visible_whitespace(model.tokenizer.decode([t]))  # ␣ ↵ ⇥ for the HTML tables
    html_tables = {f"L0H{h}": Table(
        ["source a", "dest. b", "output c", "score", "in corpus", "copy"],
        [[tok(a), tok(b), tok(c), f"{s:.1f}", head["seen"][(a, b, c)], "yes" if a == c else ""]
         for s, a, b, c in ranked[: params["rows"]]],
        caption=f"L0H{h}: the strongest skip-trigrams [a] … [b] → [c]", align=["left", "left", "left", "right", "right", "left"])
        for h, ranked in head["heads"].items()}
    copies = len(head["main"]) - len(head["noncopy"])
    seen_nc = int((head["seen_arr"] > 0).sum())
    rand = bootstrap_mean(head["rand_seen"].astype(float), unit="random triples")
    values = {"total": len(head["main"]), "per_head": K, "copies": copies, "noncopy": len(head["noncopy"]),
              "seen": seen_nc, "seen_pct": f"{100 * seen_nc / len(head['noncopy']):.0f} %",
              "seen_range": f"{min(head['sens']):.0f}–{max(head['sens']):.0f} %",
              "null_pct": f"{100 * head['null_arr'].mean():.0f} %", "random_pct": f"{100 * rand.value:.0f} %",
              "random_n": len(head["rand_seen"]), "excess": head["excess"].text,
              "vocab": params["vocab"], "min_count": params["bug_min_count"], "n_bug_heads": head["n_bug_heads"],
              "seeds_with_bug": f"{sum(r['bug'] is not None for r in runs.values())} of {len(runs)}",
              "seed_excess": ", ".join(f"{r['excess'].text}" for r in runs.values())}
    if head["bug"]:
        _, h, a, b1, c1, b2, c2 = head["bug"]
        values.update({"bug_real_1": tri(a, b1, c1), "bug_real_2": tri(a, b2, c2), "bug": tri(a, b1, c2),
                       "bug_head": f"L0H{h}", "boost_crossed": head["boost"]["crossed"].text,
                       "boost_real_1": head["boost"]["real_1"].text, "boost_real_2": head["boost"]["real_2"].text,
                       "contexts": head["boost"]["crossed"].n})
    none = Estimate(0.0, 0.0, 0.0, 0, "held-out contexts", "no bug candidate found in this seed: nothing to test")
    return Result(
        values=values,
        tables=html_tables,
        verdicts={
            "sources-match-corpus": {seed_label(n): r["excess"] for n, r in runs.items()},
            "bug-boosts-crossed": {seed_label(n): r["boost"].get("crossed", none) for n, r in runs.items()},
        },
    )


def _short(label: str) -> str:
    """A run of more than three visible spaces as "␣×n" (indentation tokens), so labels stay short."""
    import re

    return re.sub("␣{4,}", lambda m: f"␣×{len(m.group(0))}", label)


def plot(result: Result, theme: str):
    # The triples themselves are HTML tables in the page ({{ table("skip-trigrams.L0H0") }} ...); this image
    # is their overview: each head's strongest triples by score, copies (output = source) in grey.
    tables = result.tables
    fig, axes = style.subplots(theme, 4, 1, width=1.0, height=style.rows_height(32, 1.6), sharex=True)
    top = max(float(r[3]) for t in tables.values() for r in t.rows)
    for ax, (head, table) in zip(axes.flat, tables.items()):
        rows = table.rows
        y = np.arange(len(rows))
        color = style.color_for(head)
        bars = ax.barh(y, [float(r[3]) for r in rows], color=[style.MUTED[theme] if r[5] else color for r in rows])
        ax.set_yticks(y, [_short(f"{a} … {b} → {c}") for a, b, c, *_ in rows], fontsize=style.FONT["small"],
                      family="monospace")
        ax.invert_yaxis()
        ax.set_title(head, color=style.text_color(color, theme), loc="left")
        ax.set_xlim(0, top * 1.05)
        ax.grid(axis="y", visible=False)
        style.hover_bars(ax, bars, [f"{a} … {b} → {c}: score {sc}, {n} in corpus" + (" (copy)" if cp else "")
                                    for a, b, c, sc, n, cp in rows])
    axes[-1].set_xlabel("score = QK z + OV z (grey: copies)")
    return fig
