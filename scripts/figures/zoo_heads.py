"""Figure: which zoo models use a repeat — per-position loss on repeated random tokens, and the
previous-token and induction score of every head of the 2-layer model.

Verdicts (figures/zoo.yml), each bootstrapped over its units (held-out windows for the previous-token score,
random sequences for the rest) and computed for every training seed of the 1- and 2-layer recipes:
- the best layer-0 previous-token score and the best layer-1 induction score of the 2-layer model (the
  statistic is the maximum over heads, recomputed in every resample, so choosing the head is part of it);
- the fraction of the first copy's loss that the 2-layer model removes on the second copy, and the same
  fraction for the 1-layer model.
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.per_unit import PREV, best_head, induction_stripe, repeat_gain, repeat_halves, unit_pass
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bootstrap_statistic
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model, seed_label, seed_variants

WINDOWS, SEQS = "held-out windows", "random sequences"


def head_name(scores: np.ndarray, layer: int) -> str:
    means = np.round(scores.mean(0), 6)  # ties broken deterministically: the lowest index among equals
    return f"L{layer}H{int(np.argmax(means))}"


def compute(params: dict) -> Result:
    seq_len, n_seq = params["seq_len"], params["sequences"]
    zero, one, two = params["models"]
    curves, halves, ind, prev = {}, {}, {}, {}
    text = None
    for name in [zero, *seed_variants(one, params["seeds_1l"]), *seed_variants(two, params["seeds"])]:
        model = load_model(name, fold=True)
        w = weights_of(model)
        rep = repeated_random_tokens(n_seq, seq_len, model.cfg.d_vocab, bos=model.tokenizer.bos_token_id,
                                     seed=params["seed"])
        out = unit_pass(w, rep, stripes={"ind": induction_stripe(seq_len)})
        halves[name] = [h.double().numpy() for h in repeat_halves(out["loss"])]
        ind[name] = out["ind"].numpy()  # [sequences, layer, head]
        if name in (zero, one, two):
            curves[name] = out["loss"].mean(0).numpy()
        if name.startswith(two):
            if text is None:
                every = held_out_text(model, None)
                text = every[np.linspace(0, len(every) - 1, params["windows"]).round().astype(int)]
            prev[name] = unit_pass(w, text, stripes={"prev": PREV}, positions=[0])["prev"].numpy()
    twos, ones = seed_variants(two, params["seeds"]), seed_variants(one, params["seeds_1l"])
    est = {
        "previous-token-head": {seed_label(n): bootstrap_statistic(best_head, prev[n][:, 0], unit=WINDOWS) for n in twos},
        "induction-head": {seed_label(n): bootstrap_statistic(best_head, ind[n][:, 1], unit=SEQS) for n in twos},
        "two-layers-use-repeat": {seed_label(n): bootstrap_statistic(repeat_gain, *halves[n], unit=SEQS) for n in twos},
        "one-layer-does-not": {seed_label(n): bootstrap_statistic(repeat_gain, *halves[n], unit=SEQS) for n in ones},
    }
    gain = {n: bootstrap_statistic(repeat_gain, *halves[n], unit=SEQS) for n in (zero, one, two)}
    per_seed = lambda key, names, layer: "; ".join(
        f"{seed_label(n)}: {head_name((prev if key == 'prev' else ind)[n][:, layer], layer)} "
        f"{est['previous-token-head' if key == 'prev' else 'induction-head'][seed_label(n)].text}" for n in names)
    return Result(
        data={"curves": curves, "prev": prev[two].mean(0), "ind": ind[two].mean(0), "seq_len": seq_len},
        values={
            "prev_head": head_name(prev[two][:, 0], 0), "prev_score": est["previous-token-head"]["seed 0"].text,
            "ind_head": head_name(ind[two][:, 1], 1), "ind_score": est["induction-head"]["seed 0"].text,
            "prev_by_seed": per_seed("prev", twos, 0), "ind_by_seed": per_seed("ind", twos, 1),
            "windows": len(text), "sequences": n_seq,
            **{f"first_{n[-2:]}": f"{halves[n][0].mean():.2f}" for n in (zero, one, two)},
            **{f"second_{n[-2:]}": f"{halves[n][1].mean():.2f}" for n in (zero, one, two)},
            **{f"gain_{n[-2:]}": gain[n].text for n in (zero, one, two)},
        },
        verdicts=est,
    )


def plot(result: Result, theme: str):
    fig = style.figure(theme, width=1.0, height=4.9)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1])
    ax = top.subplots()
    for name, curve in result.data["curves"].items():
        ax.plot(np.arange(1, len(curve) + 1), curve, linewidth=1.3, color=style.color_for(name),
                label=name.replace("attn-only-", "").replace("l", "-layer"))
    n = len(next(iter(result.data["curves"].values())))
    seq = result.data["seq_len"]
    ax.axvline(seq + 0.5, color=style.MUTED[theme], linestyle=":", linewidth=1)
    ax.annotate("the sequence repeats", (seq + 0.5, 1), xycoords=("data", "axes fraction"), xytext=(4, -2),
                textcoords="offset points", ha="left", va="top", fontsize=style.FONT["small"],
                color=style.MUTED[theme])
    ax.set(xlabel="position (tokens)", ylabel="loss (nats)", xlim=(0, n * 1.13))
    ax.set_title("loss on repeated random tokens", loc="left")
    style.label_lines(ax, theme)
    cmap = style.CMAP["sequential"]
    axes = bottom.subplots(1, 2, sharey=True)
    for a, (key, title) in zip(axes, (("prev", "previous-token score"), ("ind", "induction score"))):
        m = result.data[key]
        im = a.imshow(m, vmin=0, vmax=1, cmap=cmap, aspect="auto")
        a.set(title=title, xlabel="head", xticks=range(m.shape[1]), yticks=range(m.shape[0]))
        a.grid(False)
        for (i, j), v in np.ndenumerate(m):
            a.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=style.FONT["small"],
                   color="white" if v < 0.6 else "black")
        style.hover_grid(a, m, [f"L{i}" for i in range(m.shape[0])], [f"H{j}" for j in range(m.shape[1])],
                         template=f"{{row}}{{col}}: {title} {{v}}")
    axes[0].set_ylabel("layer")
    bottom.colorbar(im, ax=axes, shrink=0.9)
    return fig
