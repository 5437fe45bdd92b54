"""Figure: the causal measures of the note's first experiment at every training snapshot of the 2-layer model —
when each layer-0 path into the induction head starts to carry its induction score, and whether that lines up
with the phase change.

The induction head and the previous-token head are those of the final model (found on the same repeated
random sequences as in causal_paths.py), followed back through the snapshots of the same run; step 0 is the
untrained model, rebuilt from the training seed. The phase-change interval is found as in the zoo note's
phase_change.py: the snapshot interval in which the best layer-1 induction score first reaches the threshold.
Snapshots exist for the seed-0 run only, so these are single-seed verdicts. Verdicts (figures/causal.yml):
keys-with-phase-change, prev-key-with-phase-change.
"""

from __future__ import annotations

import json

import numpy as np

from scripts.analysis import causal
from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.over_training import CURVES, crossing, measure_snapshot, rise_fraction
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.zoo.initial import initial_model
from scripts.zoo.load import MODELS_DIR, load_model

SEQS = "random sequences"


def compute(params: dict) -> Result:
    name = params["model"]
    meta = json.loads((MODELS_DIR / name / "meta.json").read_text())
    snapshots = sorted(p.stem for p in (MODELS_DIR / name / "snapshots").glob("step-*.safetensors"))
    final = load_model(name, fold=True)
    V, bos = final.cfg.d_vocab, final.tokenizer.bos_token_id
    rep = repeated_random_tokens(params["sequences"], params["seq_len"], V, bos, seed=params["seed"])
    ref_rep = repeated_random_tokens(params["sequences"], params["seq_len"], V, bos, seed=params["reference_seed"])
    c = causal.measure(final, rep, loss=False)
    ind, prev = causal.best_index(c["ind"].mean(0)), causal.best_index(c["prev"].mean(0))
    steps = [0, *(int(s.split("-")[1]) for s in snapshots), meta["steps"]]
    models = [initial_model(name), *(load_model(name, snapshot=s, fold=True) for s in snapshots), final]
    rows = [measure_snapshot(m, rep, ref_rep, ind, prev) for m in models]
    best = [float(r["ind"].mean(0).max()) for r in rows]
    cross = crossing(best, params["threshold"])
    before, after = cross - 1, cross
    est = {"keys-with-phase-change": bootstrap_statistic(rise_fraction, rows[after]["all_k"], rows[before]["all_k"],
                                                         rows[-1]["all_k"], unit=SEQS),
           "prev-key-with-phase-change": bootstrap_statistic(rise_fraction, rows[after]["prev_k"],
                                                             rows[before]["prev_k"], rows[-1]["prev_k"], unit=SEQS)}
    curves = {k: [bootstrap_mean(r[k], unit=SEQS) for r in rows] for k in (*CURVES, "prev_v", "gain")}
    clean_ind = [bootstrap_mean(r["ind"][:, ind], unit=SEQS) for r in rows]
    tokens_per_step = final.cfg.n_ctx * params["batch_size"]
    table = [[f"{s:,} ({s * tokens_per_step / 1e6:.1f}M)", f"{best[i]:.2f}", clean_ind[i].text,
              *(curves[k][i].text for k in CURVES), curves["prev_v"][i].text, curves["gain"][i].text]
             for i, s in enumerate(steps)]
    trip = lambda e: (e.value, e.low, e.high)
    return Result(
        data={"x": [s * tokens_per_step / 1e6 for s in steps], "cross": cross, "threshold": params["threshold"],
              "clean": [trip(e) for e in clean_ind], "curves": {k: [trip(e) for e in v] for k, v in curves.items()},
              "ind": ind, "prev": prev},
        values={"ind_head": f"L1H{ind}", "prev_head": f"L0H{prev}", "n_snapshots": len(snapshots),
                "before_step": f"{steps[before]:,}", "after_step": f"{steps[after]:,}",
                "before_tokens": f"{steps[before] * tokens_per_step / 1e6:.1f}M",
                "after_tokens": f"{steps[after] * tokens_per_step / 1e6:.1f}M",
                **{f"{k}_{w}": curves[k][i].text for k in (*CURVES, "prev_v") for w, i in
                   (("before", before), ("after", after), ("final", -1))},
                **{f"clean_{w}": clean_ind[i].text for w, i in (("before", before), ("after", after), ("final", -1))}},
        verdicts={k: {"seed 0": e} for k, e in est.items()},
        tables={"snapshots": Table(
            ["step (tokens)", "best induction score", f"L1H{ind} clean", *(f"carried: {v}" for v in CURVES.values()),
             "gain carried: prev. head out of V", "repeat gain (nats)"], table,
            caption=f"Per snapshot (seed 0): the induction score carried by each group of paths into L1H{ind} "
                    f"(clean minus mean-ablated), and the repeat gain carried by L0H{prev}'s value path; "
                    "95 % intervals over 128 sequences in the figure.")},
    )


def plot(result: Result, theme: str):
    d = result.data
    x = np.array(d["x"])
    fig, (a1, a2) = style.subplots(theme, 2, 1, width=1.0, height=5.2, sharex=True)
    pal = style.palette(theme)
    cross = d["cross"]
    for ax in (a1, a2):
        ax.axvspan(x[cross - 1], x[cross], color=style.MUTED[theme], alpha=0.15, linewidth=0)
        ax.set_xlim(0, x[-1] * 1.38)  # room for the curves' names at their ends

    def band(ax, v, fmt, label, color):
        v = np.array(v)
        ax.plot(x, v[:, 0], fmt, markersize=3, color=color, label=label)
        ax.fill_between(x, v[:, 1], v[:, 2], color=color, alpha=0.25, linewidth=0)
        style.hover_points(ax, x, v[:, 0], [f"{label.replace(chr(10), ' ')}, {t:.1f}M tokens: {m:.3f} [{lo:.3f}, {hi:.3f}]"
                                            for t, (m, lo, hi) in zip(x, v)])

    band(a1, d["clean"], "o-", f"L1H{d['ind']} induction\nscore (clean)", pal[0])
    a1.axhline(d["threshold"], color=style.MUTED[theme], linestyle=":", linewidth=1)
    a1.annotate("phase change", (x[cross], 1), xycoords=("data", "axes fraction"), xytext=(3, -2),
                textcoords="offset points", ha="left", va="top", fontsize=style.FONT["small"], color=style.MUTED[theme])
    a1.set(ylabel="induction score", ylim=(0, 1))
    style.label_lines(a1, theme)
    labels = {"all_k": "all L0 heads\nout of K", "prev_k": f"L0H{d['prev']}\nout of K", "all_q": "all L0 heads\nout of Q"}
    for i, (k, fmt) in enumerate((("all_k", "o-"), ("prev_k", "s-"), ("all_q", "^--"))):
        band(a2, d["curves"][k], fmt, labels[k], pal[i + 1])
    a2.axhline(0, color=style.MUTED[theme], linewidth=0.8)
    a2.set(xlabel="training tokens (millions)", ylabel="induction score carried\n(clean − path removed)")
    style.label_lines(a2, theme)
    return fig
