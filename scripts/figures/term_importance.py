"""Figure: term importance with frozen attention patterns — how much of the 2-layer model's loss each path
(direct, single heads, virtual heads) is responsible for."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from scripts.analysis.paths import order_of, term_importance
from scripts.analysis.residual import weights_of
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"], fold=True)
    with torch.no_grad():
        ti = term_importance(weights_of(model), held_out_text(model, params["batch"]))
    marg = ti["marginal"]
    first = {k: v for k, v in marg.items() if order_of(k) == 1}
    second = {k: v for k, v in marg.items() if order_of(k) == 2}
    o = ti["by_order"]
    top2 = max(second, key=second.get)
    return Result(
        data={"marginal": marg, "by_order": o},
        values={"loss0": f"{o[0]:.2f}", "loss1": f"{o[1]:.2f}", "loss2": f"{o[2]:.2f}",
                "gain1": f"{o[0] - o[1]:.2f}", "gain2": f"{o[1] - o[2]:.2f}",
                "direct": f"{marg['direct']:.2f}", "first_min": f"{min(first.values()):.2f}",
                "first_max": f"{max(first.values()):.2f}", "second_max": f"{second[top2]:.3f}", "second_top": top2,
                "n_second": len(second),
                "verdict": ("virtual heads matter little next to single heads" if second[top2] < min(first.values())
                            else "some virtual heads rival single heads")},
    )


def plot(result: Result, theme: str):
    marg = result.data["marginal"]
    items = sorted(marg.items(), key=lambda kv: (order_of(kv[0]), -kv[1]))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8.8, 3.6), gridspec_kw={"width_ratios": [3.2, 1]})
    x = np.arange(len(items))
    a1.bar(x, [v for _, v in items], color=[f"C{order_of(k)}" for k, _ in items])
    a1.set_xticks(x, [k for k, _ in items], rotation=90, fontsize=6)
    a1.set(yscale="log", ylabel="loss increase without the term (nats)")
    for k in range(3):
        a1.bar([], [], color=f"C{k}", label=["direct path", "single heads", "virtual heads"][k])
    a1.legend(fontsize=7)
    o = result.data["by_order"]
    a2.plot([0, 1, 2], [o[0], o[1], o[2]], "o-")
    a2.set(xticks=[0, 1, 2], xticklabels=["direct", "+ heads", "+ virtual"], ylabel="loss (nats)")
    a2.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    return fig
