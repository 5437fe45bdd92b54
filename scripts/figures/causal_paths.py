"""Figure: path patching of the 2-layer model's induction circuit — which layer-0 heads each layer-1 head needs
in its query, key and value inputs — and the verdicts that follow, on every training seed.

Per seed, the induction head (highest induction score) and the previous-token head (highest previous-token
score in layer 0) are found on the same repeated random sequences, never fixed by name. The analysis is
`scripts/analysis/causal.py` on top of `scripts/analysis/patching.py`; this script only picks heads, builds
estimates and draws. Verdicts (figures/causal.yml): keys-need-layer0, prev-head-alone, value-not-from-prev,
query-from-token, necessary-sufficient.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis import causal
from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.patching import Path, reference_z
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.engine.drawing import seed_dots
from scripts.zoo.load import load_model, seed_label, seed_variants

SEQS = "random sequences"
ROBUSTNESS = ("zero", "resample")  # the other two ablations, for the table
# Every verdict is decided under each way of removing a head a reviewer would try (figures/causal.yml,
# `variants:`); the first, mean ablation, is the headline. They disagree on some: the verdict then says so.
VARIANTS = {"mean ablation": "mean", "zero ablation": "zero", "resample ablation": "resample"}


def run_seed(name: str, params: dict, *, full: bool) -> dict:
    """Every verdict's estimate on one seed; with `full`, also the repeat-gain heatmap (every layer-0 head out of
    every input of the induction head) and the other two ablations (the headline seed only: each is a run)."""
    m = load_model(name, fold=True)
    bos, V, H = m.tokenizer.bos_token_id, m.cfg.d_vocab, m.cfg.n_heads
    rep = repeated_random_tokens(params["sequences"], params["seq_len"], V, bos, seed=params["seed"])
    ref = reference_z(m, repeated_random_tokens(params["sequences"], params["seq_len"], V, bos,
                                                seed=params["reference_seed"]), [0])  # layer-0 heads' z, once
    pairs = [(h, kind) for h in range(H) for kind in causal.INPUTS] if full else None
    r = causal.induction_verdicts(m, rep, ablation=params["ablation"], reference=ref,
                                  necessary_below=params["necessary_below"], gain_pairs=pairs, unit=SEQS)
    by_variant = {a: r["est"] if a == params["ablation"] else causal.induction_verdicts(
        m, rep, ablation=a, reference=ref, necessary_below=params["necessary_below"], unit=SEQS)["est"]
        for a in VARIANTS.values()}
    clean, ind, prev, sweep = r["clean"], r["ind"], r["prev"], r["sweep"]
    c_ind = clean["ind"][:, ind]
    out = {"ind": ind, "prev": prev, "ind_score": float(c_ind.mean()), "prev_score": float(clean["prev"][:, prev].mean()),
           "gain": float(causal.gain(clean).mean()), "est": r["est"], "single": r["single"], "necessary": r["necessary"],
           "ind_scores": clean["ind"].mean(0), "variants": by_variant}
    if full:
        paths = {"prev_k": [Path((0, prev), (1, ind, "k"))], "all_k": r["groups"]["all_k"], "all_q": r["groups"]["all_q"]}
        out["other"] = {a: {g: causal.ratio_of_means(
            causal.measure(m, rep, p, ablation=a, reference=ref, loss=False)["ind"][:, ind], c_ind) for g, p in paths.items()}
            for a in ROBUSTNESS}
        out |= {"kept_q": causal.kept_matrix(sweep, clean, "q"), "kept_k": causal.kept_matrix(sweep, clean, "k"),
                "gain_kept": causal.gain_matrix(r["gains"], clean)}
    return out


def _paths_text(paths) -> str:
    return ", ".join(f"L0H{h} → {kind.upper()}" for h, kind in paths) or "none"


def compute(params: dict) -> Result:
    runs = {seed_label(n): run_seed(n, params, full=i == 0)
            for i, n in enumerate(seed_variants(params["model"], params["seeds"]))}
    s0 = runs["seed 0"]
    rows = []
    for label, r in runs.items():
        e = r["est"]
        rows.append([label, f"L0H{r['prev']} ({r['prev_score']:.2f})", f"L1H{r['ind']} ({r['ind_score']:.2f})",
                     e["prev-head-alone"].text, e["keys-need-layer0"].text, e["query-from-token"].text,
                     e["value-not-from-prev"].text, _paths_text(r["necessary"]), e["necessary-sufficient"].text])
    robust = [[a, f"{s0['other'][a]['prev_k']:.2f}", f"{s0['other'][a]['all_k']:.2f}", f"{s0['other'][a]['all_q']:.2f}"]
              for a in ROBUSTNESS]
    verdict_keys = list(s0["est"])
    # the layer-0 head other than the previous-token head whose removal from the keys costs most (seed 0)
    second = min((h for h in range(len(s0["kept_k"])) if h != s0["prev"]),
                 key=lambda h: (round(s0["single"][(h, "k")].value, 6), h))
    return Result(
        data={"ind_scores": s0["ind_scores"], "kept_q": s0["kept_q"], "kept_k": s0["kept_k"], "gain_kept": s0["gain_kept"], "ind": s0["ind"],
              "prev": s0["prev"], "keys": verdict_keys,
              "seeds": {label: {k: (e.value, e.low, e.high) for k, e in r["est"].items()} for label, r in runs.items()}},
        values={"sequences": params["sequences"], "seq_len": params["seq_len"],
                "ind_head": f"L1H{s0['ind']}", "prev_head": f"L0H{s0['prev']}", "ind_score": f"{s0['ind_score']:.2f}",
                "gain": f"{s0['gain']:.1f}", "necessary": _paths_text(s0["necessary"]),
                "second_k_head": f"L0H{second}", "second_k": s0["single"][(second, "k")].text,
                "prev_k_zero": f"{s0['other']['zero']['prev_k']:.2f}", "prev_k_resample": f"{s0['other']['resample']['prev_k']:.2f}",
                "all_q_zero": f"{s0['other']['zero']['all_q']:.2f}", "all_q_resample": f"{s0['other']['resample']['all_q']:.2f}",
                "necessary_below": params["necessary_below"]},
        verdicts={k: {name: {label: r["variants"][a][k] for label, r in runs.items()} for name, a in VARIANTS.items()}
                  for k in verdict_keys},
        tables={
            "per-seed": Table(["seed", "previous-token head", "induction head", "prev. head out of K",
                               "all L0 out of K", "all L0 out of Q", "prev. head out of V (gain)", "necessary paths",
                               "only those kept"], rows,
                              caption="Fraction of the induction head's score (or, for V, of the repeat gain) kept, "
                                      "mean ablation, 95 % intervals in the verdicts; heads' scores in brackets."),
            "variants": Table(["kept (fraction)", *VARIANTS], [
                [ROW_LABELS[k], *(" / ".join(r["variants"][a][k].text for r in runs.values()) for a in VARIANTS.values())]
                for k in verdict_keys],
                caption="Each verdict's statistic under each ablation, per seed (" + " / ".join(runs) + "); the "
                        "verdicts above decide each with its rule, and say inconclusive where the ablations disagree."),
            "ablations": Table(["ablation (seed 0)", "prev. head out of K", "all L0 out of K", "all L0 out of Q"], robust,
                               caption="The same interventions with the head's output set to zero or taken from "
                                       "another sequence (resample): fraction of the induction score kept."),
        },
    )


ROW_LABELS = {"prev-head-alone": "previous-token head out of K", "keys-need-layer0": "all layer-0 heads out of K",
              "necessary-sufficient": "only the necessary paths kept", "query-from-token": "all layer-0 heads out of Q",
              "value-not-from-prev": "previous-token head out of V (gain)"}
THRESHOLDS = {"prev-head-alone": 0.5, "keys-need-layer0": 0.5, "necessary-sufficient": 0.8, "query-from-token": 0.8,
              "value-not-from-prev": 0.9}


def _heatmap(ax, m, title, xlabels, ylabels, xlabel):
    ax.imshow(m, vmin=0, vmax=1.1, cmap=style.CMAP["sequential"], aspect="auto")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=style.FONT["small"],
                color="#ffffff" if v < 0.6 else "#1f2328")
    ax.set_xticks(range(len(xlabels)), xlabels)
    ax.set_yticks(range(len(ylabels)), ylabels)
    ax.set_title(title, fontsize=style.FONT["text"])
    ax.set_xlabel(xlabel)
    ax.grid(False)


def plot(result: Result, theme: str):
    d = result.data
    phone = style.phone()  # the three heatmaps one under the other, each with its row labels
    fig = style.figure(theme, width=1.0, height=9.6 if phone else 5.6)
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.9 if phone else 1.05, 1])
    axes = style.grid(top, 1, 3, gridspec_kw={"width_ratios": [4, 4, 3]})
    L0 = [f"L0H{h}" for h in range(len(d["kept_k"]))]
    L1 = [f"H{h}\n{v:.2f}" for h, v in enumerate(d["ind_scores"])]  # with its induction score
    inner = L0 if phone else [""] * len(L0)
    _heatmap(axes[0], d["kept_q"], "induction kept: out of Q", L1, L0, "layer-1 head (its score)")
    _heatmap(axes[1], d["kept_k"], "induction kept: out of K", L1, inner, "layer-1 head (its score)")
    _heatmap(axes[2], d["gain_kept"], f"repeat gain kept: L1H{d['ind']}", ["Q", "K", "V"], inner,
             "input")
    if not phone:
        axes[1].set_yticks([])
        axes[2].set_yticks([])
    ax = bottom.subplots()
    keys = ["prev-head-alone", "keys-need-layer0", "necessary-sufficient", "query-from-token", "value-not-from-prev"]
    seed_dots(ax, theme, d["seeds"], keys, ROW_LABELS, THRESHOLDS, xlim=(-0.05, 1.35),
              xlabel="fraction kept, mean ablation" + ("\n" if phone else " ") + "(dotted: the rule's threshold)")
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    return fig
