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

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from scripts.analysis.paths import order_of
from scripts.analysis.per_unit import aggregate_ratio, single_gap, term_importance_per_window, term_marginals
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bootstrap_mean, bootstrap_statistic
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
                "all_heads": est["heads"].text, "all_heads_ci": _ci(est["heads"]),
                "all_virtual": est["virtual"].text, "all_virtual_ci": _ci(est["virtual"]),
                "direct": est["direct"].text, "first_min": est[s["lo1"]].text, "first_min_head": s["lo1"],
                "first_max": est[s["hi1"]].text, "first_max_head": s["hi1"],
                "second_max": est[s["top2"]].text, "second_max_ci": _ci(est[s["top2"]]), "second_top": s["top2"],
                "n_second": s["n_second"]},
        verdicts={"virtual-small-aggregate": ratio, "virtual-small-single": gap},
    )


def _ci(e) -> str:
    from scripts.engine.verdicts import format_interval

    _, lo, hi = format_interval(e.value, e.low, e.high)
    return f"[{lo}, {hi}]"


def plot(result: Result, theme: str):
    marg = {k: v for k, v in result.data["marginal"].items() if k not in ("heads", "virtual")}
    items = sorted(marg.items(), key=lambda kv: (order_of(kv[0]), -kv[1][0], kv[0]))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.8, 3.6), gridspec_kw={"width_ratios": [3.2, 1]})
    x = np.arange(len(items))
    v = np.array([val for _, val in items])
    err = np.clip(np.stack([v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]]), 0, None)
    a1.bar(x, np.clip(v[:, 0], 1e-4, None), color=[f"C{order_of(k)}" for k, _ in items], yerr=err,
           error_kw={"elinewidth": 0.8, "ecolor": "0.4"})
    a1.set_xticks(x, [k for k, _ in items], rotation=90, fontsize=6)
    a1.set(yscale="log", ylabel="loss increase without the term (nats)")
    a1.legend(handles=[Patch(color=f"C{k}", label=lab) for k, lab in enumerate(("direct path", "single heads", "virtual heads"))],
              fontsize=7)
    agg = [result.data["marginal"][k] for k in ("heads", "virtual")]
    a = np.array(agg)
    a2.bar([0, 1], a[:, 0], color=["C1", "C2"], yerr=np.clip(np.stack([a[:, 0] - a[:, 1], a[:, 2] - a[:, 0]]), 0, None),
           error_kw={"elinewidth": 0.8, "ecolor": "0.4"})
    a2.set(xticks=[0, 1], xticklabels=["all 8\nsingle heads", "all 16\nvirtual heads"],
           ylabel="loss increase without the group (nats)")
    a2.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return fig
