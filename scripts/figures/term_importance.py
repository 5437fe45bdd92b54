"""Figure: term importance with frozen attention patterns — how much of the 2-layer model's loss each path
(direct, single heads, virtual heads) is responsible for.

Verdicts (figures/circuits.yml), per training seed, bootstrapped over held-out windows (paired: every
quantity is a difference of losses on the same windows):
- aggregate vs aggregate: the loss increase from removing all 16 virtual-head terms, as a fraction of the
  increase from removing all 8 first-order head terms;
- single vs single: the most important virtual head's marginal effect minus the least important single
  head's (the max and min are taken again in every resample).
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.paths import order_of
from scripts.analysis.per_unit import aggregate_ratio, single_gap, term_importance_per_window, term_marginals
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model, seed_label, seed_variants

UNIT = "held-out windows"


def compute(params: dict) -> Result:
    ratio, gap, shown = {}, {}, None
    text = None
    for name in seed_variants(params["model"], params["seeds"]):
        model = load_model(name, fold=True)
        if text is None:
            every = held_out_text(model, None)
            text = every[np.linspace(0, len(every) - 1, params["windows"]).round().astype(int)]
        pw = term_importance_per_window(weights_of(model), text)
        m = term_marginals(pw)
        first = sorted(k for k in m if k not in ("heads", "virtual") and order_of(k) == 1)
        second = sorted(k for k in m if k not in ("heads", "virtual") and order_of(k) == 2)
        F, S = np.stack([m[k] for k in first], 1), np.stack([m[k] for k in second], 1)
        label = seed_label(name)
        ratio[label] = bootstrap_statistic(aggregate_ratio, m["virtual"], m["heads"], unit=UNIT)
        gap[label] = bootstrap_statistic(single_gap, F, S, unit=UNIT)
        if shown is None:
            est = {k: bootstrap_mean(v, unit=UNIT) for k, v in m.items()}
            loss = {k: bootstrap_mean(pw[k], unit=UNIT) for k in ("order<=0", "-virtual", "full")}
            top2 = max(second, key=lambda k: (round(est[k].value, 6), k))
            lo1 = min(first, key=lambda k: (round(est[k].value, 6), k))
            hi1 = max(first, key=lambda k: (round(est[k].value, 6), k))
            shown = {"est": est, "loss": loss, "top2": top2, "lo1": lo1, "hi1": hi1, "n_second": len(second)}
    s = shown
    est, loss = s["est"], s["loss"]
    return Result(
        data={"marginal": {k: [e.value, e.low, e.high] for k, e in est.items()},
              "by_order": [loss[k].value for k in ("order<=0", "-virtual", "full")]},
        values={"windows": len(text),
                "loss0": loss["order<=0"].text, "loss1": loss["-virtual"].text, "loss2": loss["full"].text,
                "all_heads": est["heads"].text, "all_heads_ci": est["heads"].interval,
                "all_virtual": est["virtual"].text, "all_virtual_ci": est["virtual"].interval,
                "direct": est["direct"].text, "first_min": est[s["lo1"]].text, "first_min_head": s["lo1"],
                "first_max": est[s["hi1"]].text, "first_max_head": s["hi1"],
                "second_max": est[s["top2"]].text, "second_max_ci": est[s["top2"]].interval, "second_top": s["top2"],
                "n_second": s["n_second"]},
        verdicts={"virtual-small-aggregate": ratio, "virtual-small-single": gap},
    )


GROUPS = ("direct path", "single heads", "virtual heads")  # by order of the term: 0, 1, 2


def plot(result: Result, theme: str):
    marg = {k: v for k, v in result.data["marginal"].items() if k not in ("heads", "virtual")}
    items = sorted(marg.items(), key=lambda kv: (order_of(kv[0]), -kv[1][0], kv[0]))
    fig, (a1, a2) = style.subplots(theme, 1, 2, width=1.0, height=style.rows_height(len(items), 0.9),
                                   gridspec_kw={"width_ratios": [2.3, 1]})
    colors = style.palette(theme)[:3]  # one per order: direct path, single heads, virtual heads
    y = np.arange(len(items))
    v = np.array([val for _, val in items])
    err = np.clip(np.stack([v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]]), 0, None)
    bars = a1.barh(y, np.clip(v[:, 0], 1e-4, None), color=[colors[order_of(k)] for k, _ in items], xerr=err,
                   height=0.7, error_kw={"elinewidth": 0.8, "ecolor": style.MUTED[theme]})
    a1.set_yticks(y, [k for k, _ in items])
    a1.invert_yaxis()
    a1.set(xscale="log", xlabel="loss increase without the term (nats)")
    style.plain_log_ticks(a1, "x")
    a1.grid(axis="y", visible=False)
    a1.set_axisbelow(True)
    # each group named once, in its colour, right of its first (largest) bar: no legend
    for order, name in enumerate(GROUPS):
        first = next(i for i, (k, _) in enumerate(items) if order_of(k) == order)
        a1.annotate(name, (v[first, 2], first), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=style.FONT["small"], color=style.text_color(colors[order], theme))
    style.hover_bars(a1, bars, [f"{k}: {val[0]:.3f} nats [{val[1]:.3f}, {val[2]:.3f}]" for k, val in items])
    a = np.array([result.data["marginal"][k] for k in ("heads", "virtual")])
    agg = a2.bar([0, 1], a[:, 0], color=colors[1:3], width=0.6,
                 yerr=np.clip(np.stack([a[:, 0] - a[:, 1], a[:, 2] - a[:, 0]]), 0, None),
                 error_kw={"elinewidth": 0.8, "ecolor": style.MUTED[theme]})
    a2.set(xticks=[0, 1], xticklabels=["all 8\nsingle\nheads", "all 16\nvirtual\nheads"], xlim=(-0.6, 1.6),
           ylabel="loss increase without the group (nats)")
    a2.grid(axis="x", visible=False)
    a2.set_axisbelow(True)
    for x, val in zip((0, 1), a):  # the value above its interval
        a2.annotate(f"{val[0]:.2f}", (x, val[2]), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize=style.FONT["small"])
    style.hover_bars(a2, agg, [f"{n}: {val[0]:.3f} nats [{val[1]:.3f}, {val[2]:.3f}]"
                               for n, val in zip(("all 8 single heads", "all 16 virtual heads"), a)])
    return fig
