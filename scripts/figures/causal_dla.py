"""Figure: direct logit attribution in the 2-layer model — each component's direct contribution to the correct
token's logit on held-out text and on repeated random sequences — and a test of the "negative copying"
reading of the layer-0 heads with negative OV eigenvalues, on every training seed.

Per seed, the induction head (highest induction score on the repeated sequences) and the layer-0 head with the
most negative OV eigenvalue positivity (`circuits.copying_score`, as the circuits note's copying figure) are
found, never fixed by name. The analysis is `scripts/analysis/attribution.py`; this script picks heads,
builds estimates and draws. Verdicts (figures/causal.yml): induction-head-writes-answer, negative-copying.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis import attribution as at
from scripts.analysis.causal import best_index, ratio_of_means
from scripts.analysis.circuits import copying_score
from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.patching import induction_per_sequence
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.engine.drawing import seed_dots
from scripts.zoo.load import held_out_text, load_model, seed_label, seed_variants

WINDOWS, SEQS = "held-out windows", "random sequences"


def run_seed(name: str, params: dict, *, full: bool) -> dict:
    """Every verdict's estimate on one seed; with `full` (the headline seed), the attended-token effect of
    every layer-0 head and of the induction head too, for the figure."""
    m = load_model(name, fold=True)
    H, n = m.cfg.n_heads, params["seq_len"]
    every = held_out_text(m, None)
    text = every[np.linspace(0, len(every) - 1, params["windows"]).round().astype(int)]
    rep = repeated_random_tokens(params["sequences"], n, m.cfg.d_vocab, m.tokenizer.bos_token_id, seed=params["seed"])
    ind_scores = induction_per_sequence(at.head_outputs(m, rep)["pattern"][:, 1]).double().numpy()
    ind = best_index(ind_scores.mean(0))
    names, dla_text = at.direct_logit_attribution(m, text)
    _, dla_rep = at.direct_logit_attribution(m, rep)
    second = dla_rep[:, n + 1:].double().numpy()  # predictions of the second copy (as per_unit.repeat_halves)
    per_text = dla_text.double().numpy()
    copy = np.array([copying_score(m, 0, h) for h in range(H)])
    neg = int(np.argmin(np.round(copy, 6)))
    heads = [(0, h) for h in range(H)] + [(1, ind)] if full else [(0, neg)]
    effects = at.attended_minus_baseline(m, text, heads)  # baseline: another window's tokens, same positions
    share, total = at.second_copy_share(m, rep, f"L1H{ind}")
    est = {"induction-head-writes-answer": bootstrap_statistic(ratio_of_means, share, total, unit=SEQS),
           "negative-copying": bootstrap_mean(effects[(0, neg)], unit=WINDOWS)}
    return {"ind": ind, "neg": neg, "copy": copy, "names": names, "est": est, "n_windows": len(text),
            "dla_text": per_text.mean((0, 1)), "dla_rep": second.mean((0, 1)),
            "correct_text": float(per_text.sum(-1).mean()), "correct_rep": float(second.sum(-1).mean()),
            "effects": {f"L{l}H{h}": bootstrap_mean(v, unit=WINDOWS) for (l, h), v in effects.items()}}


def compute(params: dict) -> Result:
    runs = {seed_label(n): run_seed(n, params, full=i == 0)
            for i, n in enumerate(seed_variants(params["model"], params["seeds"]))}
    s0 = runs["seed 0"]
    verdict_keys = list(s0["est"])
    names = s0["names"]
    rows = []
    for label, r in runs.items():
        e = r["est"]
        order = np.argsort(r["copy"])
        rows.append([label, ", ".join(f"L0H{h} {r['copy'][h]:+.2f}" for h in order), f"L0H{r['neg']}",
                     e["negative-copying"].text, f"L1H{r['ind']}", e["induction-head-writes-answer"].text,
                     f"{r['correct_rep']:.1f} / {r['correct_text']:.1f}"])
    l0 = [f"L0H{h}" for h in range(len(s0["copy"]))]
    top_text = sorted(zip(names, s0["dla_text"]), key=lambda x: -abs(x[1]))[:3]
    return Result(
        data={"names": names, "dla_text": list(s0["dla_text"]), "dla_rep": list(s0["dla_rep"]),
              "effects": {k: (e.value, e.low, e.high) for k, e in s0["effects"].items()}, "neg": s0["neg"],
              "ind": s0["ind"], "copy": list(s0["copy"]),
              "seeds": {label: {k: (e.value, e.low, e.high) for k, e in r["est"].items()} for label, r in runs.items()}},
        values={"windows": s0["n_windows"], "sequences": params["sequences"], "seq_len": params["seq_len"],
                "ind_head": f"L1H{s0['ind']}", "neg_head": f"L0H{s0['neg']}", "neg_copy": f"{s0['copy'][s0['neg']]:.2f}",
                "correct_text": f"{s0['correct_text']:.1f}", "correct_rep": f"{s0['correct_rep']:.1f}",
                "ind_rep": f"{s0['dla_rep'][names.index('L1H' + str(s0['ind']))]:.1f}",
                "ind_text": f"{s0['dla_text'][names.index('L1H' + str(s0['ind']))]:.2f}",
                "embed_text": f"{s0['dla_text'][0]:.2f}", "embed_rep": f"{s0['dla_rep'][0]:.2f}",
                "top_text": ", ".join(f"{k} {v:.2f}" for k, v in top_text),
                "ind_effect": s0["effects"][f"L1H{s0['ind']}"].text,
                "l0_effects": ", ".join(f"{h} {s0['effects'][h].text} {s0['effects'][h].interval}" for h in l0),
                "l0_copy": ", ".join(f"{h} {c:+.2f}" for h, c in zip(l0, s0["copy"]))},
        verdicts={k: {label: r["est"][k] for label, r in runs.items()} for k in verdict_keys},
        tables={"per-seed": Table(
            ["seed", "layer-0 OV eigenvalue positivity", "most negative", "its attended-token effect (logits)",
             "induction head", "its share of the correct logit (repeat)", "correct logit: repeat / text"], rows,
            caption="Per seed: the layer-0 heads' OV eigenvalue positivity (Σλ/Σ|λ|), the attended-token effect of "
                    "the most negative one minus its baseline, and the induction head's direct share of the "
                    "correct-token logit on the second copy of repeated random sequences; correct logits are "
                    "minus the mean logit, mean per token.")},
    )


ROW_LABELS = {"induction-head-writes-answer": "induction head's share of the\ncorrect logit (repeat, 2nd copy)",
              "negative-copying": "most negative L0 head: attended-\ntoken effect − baseline (text)"}


def plot(result: Result, theme: str):
    d = result.data
    phone = style.phone()  # every panel one under the other: side by side they do not fit 4.4 in
    fig = style.figure(theme, width=1.0, height=11.6 if phone else 6.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.6 if phone else 1.5, 1.6 if phone else 0.8])
    a1, a2 = style.grid(top, 1, 2, gridspec_kw={"width_ratios": [5, 4]})
    pal = style.palette(theme)
    names = d["names"]
    y = np.arange(len(names))
    for k, (key, label) in enumerate((("dla_text", "held-out text"), ("dla_rep", "repeat (2nd copy)"))):
        v = np.array(d[key])
        bars = a1.barh(y + (k - 0.5) * 0.38, v, height=0.36, color=pal[k])
        style.hover_bars(a1, bars, [f"{n}, {label}: {x:.2f}" for n, x in zip(names, v)])
        a1.text(0.98, 0.02 + 0.08 * (1 - k), label, transform=a1.transAxes, ha="right", va="bottom",
                color=style.text_color(pal[k], theme), fontsize=style.FONT["small"])
    a1.axvline(0, color=style.MUTED[theme], linewidth=0.8)
    a1.set_yticks(y, names)
    a1.set_ylim(len(names) - 0.5, -0.5)
    a1.set_xlabel("direct contribution to the\ncorrect logit (mean per token)")
    heads = list(d["effects"])
    for i, h in enumerate(heads):
        v, lo, hi = d["effects"][h]
        c = pal[2] if h.startswith("L0") else pal[3]
        a2.errorbar([v], [i], xerr=[[v - lo], [hi - v]], fmt="o", color=c, markersize=4, capsize=0, linewidth=1.2)
        style.hover_points(a2, [v], [i], [f"{h}: {v:.3f} [{lo:.3f}, {hi:.3f}]"])
    labels = [f"{h}\n(Σλ/Σ|λ| {d['copy'][int(h[3])]:+.2f})" if h.startswith("L0") else f"{h}\n(induction)" for h in heads]
    a2.set_yticks(range(len(heads)), labels)
    a2.set_ylim(len(heads) - 0.5, -0.5)
    a2.axvline(0, color=style.MUTED[theme], linewidth=0.8, linestyle=":")
    a2.set_xlabel("effect on the logits of the\nattended tokens − baseline")
    ax = style.grid(bottom, 1, 2)
    seeds = d["seeds"]
    seed_dots(ax[0], theme, seeds, ["induction-head-writes-answer"], ROW_LABELS,
              {"induction-head-writes-answer": 0.5}, xlim=(0, 1.2), xlabel="fraction")
    lo = min(min(v["negative-copying"][1] for v in seeds.values()), -0.05)
    hi = max(max(v["negative-copying"][2] for v in seeds.values()), 0.05)
    pad = 0.25 * (hi - lo)
    seed_dots(ax[1], theme, seeds, ["negative-copying"], ROW_LABELS, {"negative-copying": 0.0},
              xlim=(lo - pad, hi + pad), xlabel="logits")
    for a, k in zip(ax, ROW_LABELS):
        a.set_yticks([])
        a.set_title(ROW_LABELS[k], fontsize=style.FONT["text"])
    return fig
