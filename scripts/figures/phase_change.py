"""Figure: the induction-head phase change in the 2-layer model, evaluated on its training snapshots.

Every snapshot (and the untrained model, rebuilt from the training seed, as step 0) is scored on the same
held-out windows (ICL score, and the ICL score within tokens whose target already occurred earlier in the
window vs. tokens whose target is new) and on the same repeated random sequences (induction score of the best
layer-1 head), each with a bootstrap interval over those units.

Verdicts (figures/zoo.yml): the fraction of the final ICL score already reached at the last snapshot before the
induction score crosses the threshold, and the ICL change across the crossing — paired over the same windows.
Snapshots exist for the seed-0 run only, so these are single-seed verdicts.
"""

from __future__ import annotations

import json

import numpy as np

from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.over_training import crossing
from scripts.analysis.per_unit import gain_fraction, icl_positions, seen_before, snapshot_measures, unit_pass
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.initial import initial_model
from scripts.zoo.load import MODELS_DIR, held_out_text, load_model

WINDOWS = "held-out windows"


def compute(params: dict) -> Result:
    name, threshold = params["model"], params["threshold"]
    meta = json.loads((MODELS_DIR / name / "meta.json").read_text())
    snapshots = sorted(p.stem for p in (MODELS_DIR / name / "snapshots").glob("step-*.safetensors"))
    final = load_model(name, fold=True)
    every = held_out_text(final, None)
    if params["windows"] is not None:  # an evenly spread subset (None: every non-overlapping held-out window)
        every = every[np.linspace(0, len(every) - 1, params["windows"]).round().astype(int)]
    text = every
    rep = repeated_random_tokens(params["sequences"], params["seq_len"], final.cfg.d_vocab,
                                 bos=final.tokenizer.bos_token_id, seed=params["seed"])
    early, late = icl_positions(text.shape[1] - 1)
    repeated = seen_before(text)[:, early + late]
    prev_units = text[: params["prev_windows"]]
    steps = [0, *(int(s.split("-")[1]) for s in snapshots), meta["steps"]]
    models = [initial_model(name), *(load_model(name, snapshot=s, fold=True) for s in snapshots), final]
    w0 = weights_of(load_model(params["zero_layer_model"], fold=True))  # sees only the current token
    base = unit_pass(w0, text, positions=early + late)["loss"]
    rows, icl_units = [], []
    for step, model in zip(steps, models):
        row, icl = snapshot_measures(weights_of(model), text, rep, prev_units, early=early, late=late, base=base,
                                     repeated=repeated, seq_len=params["seq_len"])
        rows.append({"step": step, **row})
        icl_units.append(icl)
    # the crossing: the first trained snapshot whose best induction score reaches the threshold
    cross = crossing([r["ind"].value for r in rows], threshold)
    if cross < 2:
        raise ValueError(f"the induction score crosses {threshold} at the first snapshot: no trained model before it")
    before, after = cross - 1, cross
    # The ICL score itself measures use of context (0 = none). The untrained model is no zero point: its
    # uniform attention averages more random values late in a window, which flattens its logits there, so it
    # already scores below 0 without using its context at all (see the note).
    none = np.zeros_like(icl_units[0])
    fraction = bootstrap_statistic(gain_fraction, icl_units[before], none, icl_units[-1], unit=WINDOWS)
    jump = bootstrap_mean(icl_units[after] - icl_units[before], unit=WINDOWS)
    tokens_per_step = final.cfg.n_ctx * params["batch_size"]
    r = {k: rows[i] for k, i in (("zero", 0), ("before", before), ("after", after), ("final", -1))}
    return Result(
        data={"rows": [{"step": x["step"], **{k: ([x[k].value, x[k].low, x[k].high] if hasattr(x[k], "value") else x[k])
                                                 for k in x if k != "step"}} for x in rows],
              "tokens_per_step": tokens_per_step, "threshold": threshold, "cross": cross},
        values={
            "n_snapshots": len(snapshots), "windows": len(text), "sequences": len(rep),
            "first_step": rows[after]["step"], "first_tokens": f"{rows[after]['step'] * tokens_per_step / 1e6:.1f}M",
            "before_step": rows[before]["step"],
            **{f"ind_{k}": x["ind"].text for k, x in r.items()},
            **{f"ind_{k}_ci": x["ind"].interval for k, x in r.items()},
            **{f"icl_{k}": x["icl"].text for k, x in r.items()},
            **{f"icl_{k}_ci": x["icl"].interval for k, x in r.items()},
            **{f"icl_{c}_{k}": x[f"icl_{c}"].text for k, x in r.items() for c in ("repeated", "new")},
            **{f"icl_{c}_{k}_ci": x[f"icl_{c}"].interval for k, x in r.items() for c in ("repeated", "new")},
            "repeated_share_late": f"{100 * float(repeated[:, len(early):].double().mean()):.0f} %",
            "repeated_share_early": f"{100 * float(repeated[:, :len(early)].double().mean()):.0f} %",
            "fraction_before": fraction.text,
        },
        verdicts={"gain-waits-for-induction": {"seed 0": fraction}, "icl-drops-at-crossing": {"seed 0": jump}},
    )


def plot(result: Result, theme: str):
    rows = result.data["rows"]
    x = np.array([r["step"] * result.data["tokens_per_step"] / 1e6 for r in rows])
    fig, (a1, a2) = style.subplots(theme, 2, 1, width=1.0, height=5.0, sharex=True)
    cross = result.data["cross"]
    pal = style.palette(theme)
    for ax in (a1, a2):
        ax.axvspan(x[cross - 1], x[cross], color=style.MUTED[theme], alpha=0.15, linewidth=0)
        ax.set_xlim(0, x[-1] * 1.32)  # room for the curves' names at their ends
    a1.annotate("induction head forms", (x[cross], 1), xycoords=("data", "axes fraction"), xytext=(3, -2),
                textcoords="offset points", ha="left", va="top", fontsize=style.FONT["small"],
                color=style.MUTED[theme])

    def band(ax, key, fmt, label, color, start=0):
        v = np.array([r[key] for r in rows])[start:]
        ax.plot(x[start:], v[:, 0], fmt, markersize=3, color=color, label=label)
        ax.fill_between(x[start:], v[:, 1], v[:, 2], color=color, alpha=0.25, linewidth=0)
        style.hover_points(ax, x[start:], v[:, 0], [f"{label}, {t:.1f}M tokens: {m:.3f} [{lo:.3f}, {hi:.3f}]"
                                                    for t, (m, lo, hi) in zip(x[start:], v)])
        return v

    band(a1, "ind", "o-", "induction\n(best L1 head)", pal[0])
    band(a1, "prev", "s-", "previous-token\n(best L0 head)", pal[1])
    a1.axhline(result.data["threshold"], color=style.MUTED[theme], linestyle=":", linewidth=1)
    a1.set(ylabel="attention score", ylim=(0, 1))
    style.label_lines(a1, theme)
    # within a group, the score is of the loss in excess of the 0-layer model's: from the first snapshot on
    # (the untrained model's excess is just the 0-layer model's loss with the sign flipped)
    band(a2, "icl", "^-", "all tokens", pal[2])
    band(a2, "icl_repeated", "o--", "target seen earlier\n(excess over 0-layer)", pal[3], start=1)
    band(a2, "icl_new", "s--", "target new\n(excess over 0-layer)", pal[4], start=1)
    a2.axhline(0, color=style.MUTED[theme], linewidth=0.8)
    a2.set(xlabel="training tokens (millions)", ylabel="ICL score\n(late − early, nats)")
    style.label_lines(a2, theme)
    return fig
