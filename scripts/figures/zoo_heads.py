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

import matplotlib.pyplot as plt
import numpy as np

from scripts.analysis.induction import repeated_random_tokens
from scripts.analysis.per_unit import PREV, best_head, induction_stripe, repeat_gain, repeat_halves, unit_pass
from scripts.analysis.residual import weights_of
from scripts.analysis.stats import bootstrap_statistic
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
    per_seed = lambda key, names, layer: "; ".join(  # noqa: E731
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
    fig = plt.figure(figsize=(8.4, 3.2))
    gs = fig.add_gridspec(1, 3, width_ratios=[2.2, 1, 1], wspace=0.45)
    ax = fig.add_subplot(gs[0])
    for name, curve in result.data["curves"].items():
        ax.plot(np.arange(1, len(curve) + 1), curve, linewidth=1.2, label=name)
    ax.axvline(result.data["seq_len"] + 0.5, color="0.5", linestyle=":", linewidth=1)
    ax.set(xlabel="position (tokens)", ylabel="loss (nats)", title="repeated random tokens")
    ax.legend(fontsize=7)
    cmap = "magma" if theme == "dark" else "viridis"
    for k, (key, title) in enumerate((("prev", "previous-token score"), ("ind", "induction score"))):
        a = fig.add_subplot(gs[k + 1])
        m = result.data[key]
        im = a.imshow(m, vmin=0, vmax=1, cmap=cmap, aspect="auto")
        a.set(title=title, xlabel="head", ylabel="layer", xticks=range(m.shape[1]), yticks=range(m.shape[0]))
        a.grid(False)
        for (i, j), v in np.ndenumerate(m):
            a.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    fig.colorbar(im, ax=fig.axes[1:], fraction=0.05, pad=0.04)
    return fig
