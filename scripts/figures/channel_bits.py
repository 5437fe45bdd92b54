"""Figure: the residual stream as a channel, in bits — what linear probes read about the current and the previous
token at each stream point of the 1- and 2-layer models, what each head's mean ablation costs at the final
stream, and the stream's effective dimensionality as components are added, on every training seed.

The analysis is `scripts/analysis/channel.py` (`channel_measures`); this script splits the held-out text,
collects the estimates and draws. Probes train on evenly spaced windows of the first half of the held-out
text and are scored on windows of the second half. Verdicts (figures/channel.yml): layer0-writes-prev(-1l),
prev-head-carries(-1l), current-token-kept, layers-add-dimensions.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import torch
from tqdm import tqdm

from scripts.analysis import channel
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.zoo.load import corpus_tokens, held_out_text, load_model, seed_label, seed_variants

UNIT = "evaluation windows"
SHORT = {"attn-only-1l": "1-layer", "attn-only-2l": "2-layer"}
VERDICTS = {"attn-only-2l": {"layer0-writes-prev": "layer0-writes-prev", "prev-head-carries": "prev-head-carries",
                             "current-token-kept": "current-token-kept", "layers-add-dimensions": "layers-add-dimensions"},
            "attn-only-1l": {"layer0-writes-prev": "layer0-writes-prev-1l", "prev-head-carries": "prev-head-carries-1l"}}
NOT_A_PROBE = {"layers-add-dimensions"}  # no probe in it, so no convergence variants


def run(name: str, params: dict, probe: dict, full: bool) -> dict:
    """One model under one probe setting (`probe`: train_windows, weight_decay); `full` for the headline one."""
    m = load_model(name, fold=True)  # folded: the stream as its readers see it, up to LayerNorm's scale
    train, evaluation = channel.split_windows(held_out_text(m, None), probe["train_windows"], params["eval_windows"])
    corpus, end = corpus_tokens(m)
    text = torch.from_numpy(np.asarray(corpus[:end]).astype(np.int64))  # the models' training text
    r = channel.channel_measures(m, train, evaluation, reference_text=text, classes=params["classes"],
                                 weight_decay=probe["weight_decay"], iterations=params["iterations"], unit=UNIT,
                                 full=full)
    if not r["converged"]:
        raise ValueError(f"{name}: a probe ({probe}) reached the {params['iterations']}-iteration cap before "
                         "L-BFGS's tolerance; raise 'iterations' in figures/channel.yml")
    cmap = channel.class_map(train[:, channel.FIRST_POS:], params["classes"], m.cfg.d_vocab)
    r["H_token"] = channel.entropy_bits(evaluation[:, channel.FIRST_POS:], m.cfg.d_vocab)
    r["H_token_train"] = channel.entropy_bits(cmap[train[:, channel.FIRST_POS:]], r["n_classes"])
    r["d_model"], r["d_vocab"], r["scored"] = m.cfg.d_model, m.cfg.d_vocab, evaluation.shape[1] - channel.FIRST_POS
    r["bits"] = {t: {p: float(r["H"][t] - ce.mean()) for p, ce in r["ce"][t].items()} for t in r["ce"]}
    r["fixed"] = {t: {hd: float(c.mean()) for hd, c in r["cost_fixed"][t].items()} for t in r["cost_fixed"]}
    return r


def _head(hd) -> str:
    return f"L{hd[0]}H{hd[1]}"


def compute(params: dict) -> Result:
    names = list(params["probes"])
    todo = [(v, base, n) for v in names for base in params["models"] for n in seed_variants(base, params["seeds"])]
    every: dict = {v: {base: {} for base in params["models"]} for v in names}
    for v, base, n in tqdm(todo, desc="channel probes", unit="model", file=sys.stderr, mininterval=5):
        every[v][base][seed_label(n)] = run(n, params, params["probes"][v], full=v == names[0])
    runs = every[names[0]]
    verdicts: dict = {}
    for base, keys in VERDICTS.items():
        for k, declared in keys.items():
            if k in NOT_A_PROBE:
                verdicts[declared] = {label: r["est"][k] for label, r in runs[base].items()}
            else:
                verdicts[declared] = {v: {label: r["est"][k] for label, r in every[v][base].items()} for v in names}
    return Result(
        data=_data(runs), values=_values(params, runs), verdicts=verdicts,
        tables={"per-seed": Table(
            ["model", "seed", "previous-token head", "current-token bits", "previous-token bits",
             "beyond the token (ceiling)", "prev. head ablated: bits lost, fixed probe", "…, probe retrained",
             "fraction of the gain lost", "participation ratio", "dims for 90 %"], _rows(runs),
            caption=f"Headline probe ({names[0]}). Bits read by the probe at each stream point (embeddings → "
                    "after each layer); the previous-token bits after layer 0 beyond what the current token "
                    "determines, with their ceiling H(previous | token); bits lost at the final stream when the "
                    "previous-token head is mean-ablated; effective dimensionality, embeddings → final stream."),
            "probes": Table(["probe setting", "model"] + [s for s in runs[params["models"][0]]], _probe_rows(every),
                            caption="Previous-token bits after layer 0 beyond the current token, per probe setting "
                                    "and seed: the verdicts' convergence check.")},
    )


def _probe_rows(every: dict) -> list[list]:
    return [[v, SHORT[base]] + [r["est"]["layer0-writes-prev"].text for r in per_seed.values()]
            for v, per_model in every.items() for base, per_seed in per_model.items()]


def _rows(runs: dict) -> list[list]:
    """The per-seed table."""
    rows = []
    for base, per_seed in runs.items():
        for label, r in per_seed.items():
            b = r["bits"]
            rows.append([SHORT[base], label, f"{_head(r['prev'])} ({r['prev_scores'][r['prev'][1]]:.2f})",
                         " → ".join(f"{b['current'][p]:.2f}" for p in r["points"]),
                         " → ".join(f"{b['previous'][p]:.2f}" for p in r["points"]),
                         f"{r['est']['layer0-writes-prev'].text} ({r['reference'].heldout_ce.mean():.2f})",
                         f"{r['fixed']['previous'][r['prev']]:.2f}", f"{r['cost_retrained'].mean():.2f}",
                         r["est"]["prev-head-carries"].text,
                         f"{r['dims'][0][1]:.0f} → {r['dims'][-1][1]:.0f}", f"{r['dims'][0][2]} → {r['dims'][-1][2]}"])
    return rows


def _values(params: dict, runs: dict) -> dict:
    """The numbers the post quotes (seed 0)."""
    two, one = runs["attn-only-2l"]["seed 0"], runs["attn-only-1l"]["seed 0"]
    head, ref = params["probes"][next(iter(params["probes"]))], two["reference"]
    others = sorted(((v, hd) for hd, v in two["fixed"]["previous"].items() if hd != two["prev"] and hd[0] == 0), reverse=True)
    b2 = two["bits"]
    return {
        "train_windows": head["train_windows"], "eval_windows": params["eval_windows"],
        "positions": f"{params['eval_windows'] * two['scored']:,}", "train_positions": f"{head['train_windows'] * two['scored']:,}",
        "seeds": len(params["seeds"]), "probe_settings": len(params["probes"]),
        "ref_tokens": f"{ref.n / 1e6:.1f} million",
        "ref_heldout": f"{two['H']['previous'] - ref.heldout_ce.mean():.2f}", "ref_ceiling": f"{ref.heldout_ce.mean():.2f}",
        "one_added": one["est"]["layer0-writes-prev"].text, "two_added": two["est"]["layer0-writes-prev"].text,
        "classes": two["n_classes"], "common": two["n_classes"] - 1, "coverage": f"{100 * two['coverage']:.0f} %",
        "H_token": f"{two['H_token']:.2f}", "log2V": f"{math.log2(two['d_vocab']):.0f}",
        "H_target": f"{two['H']['current']:.2f}", "H_target_train": f"{two['H_token_train']:.2f}",
        "cur_embed": f"{b2['current']['embed']:.2f}", "cur_final": f"{b2['current']['L1']:.2f}",
        "prev_embed": f"{b2['previous']['embed']:.2f}", "prev_L0": f"{b2['previous']['L0']:.2f}",
        "prev_final": f"{b2['previous']['L1']:.2f}",
        "prev_head": _head(two["prev"]), "prev_score": f"{two['prev_scores'][two['prev'][1]]:.2f}",
        "prev_fixed": f"{two['fixed']['previous'][two['prev']]:.2f}",
        "prev_retrained": f"{two['cost_retrained'].mean():.2f}",
        "fixed_fraction": f"{two['fixed']['previous'][two['prev']] / (b2['previous']['L1'] - b2['previous']['embed']):.2f}",
        "second_head": _head(others[0][1]), "second_fixed": f"{others[0][0]:.2f}",
        "second_score": f"{two['prev_scores'][others[0][1][1]]:.2f}",
        "max_cur_cost": f"{max(two['fixed']['current'].values()):.2f}",
        "one_prev_head": _head(one["prev"]), "one_prev_fixed": f"{one['fixed']['previous'][one['prev']]:.2f}",
        "one_prev_retrained": f"{one['cost_retrained'].mean():.2f}",
        "one_prev_L0": f"{one['bits']['previous']['L0']:.2f}",
        "pr_embed": f"{two['dims'][0][1]:.0f}", "pr_final": f"{two['dims'][-1][1]:.0f}",
        "pr_peak": f"{max(d[1] for d in two['dims']):.0f}",
        "n90_embed": two["dims"][0][2], "n90_final": two["dims"][-1][2], "d_model": two["d_model"],
        "weight_decay": f"{head['weight_decay']:g}", "iterations": params["iterations"],
    }


def _data(runs: dict) -> dict:
    """What the plot draws."""
    return {
        "bits": {base: {label: {t: [r["bits"][t][p] for p in r["points"]] for t in ("current", "previous")}
                        for label, r in per_seed.items()} for base, per_seed in runs.items()},
        "H": {base: per_seed["seed 0"]["H"]["current"] for base, per_seed in runs.items()},
        "dims": {base: per_seed["seed 0"]["dims"] for base, per_seed in runs.items()},
        "d_model": runs["attn-only-2l"]["seed 0"]["d_model"],
        "seeds": len(runs["attn-only-2l"]),
        "table": runs["attn-only-2l"]["seed 0"]["H"]["previous"] - float(runs["attn-only-2l"]["seed 0"]["reference"].heldout_ce.mean()),
        "costs": {base: {"heads": [_head(hd) for hd in per_seed["seed 0"]["heads"]],
                         "previous": [per_seed["seed 0"]["fixed"]["previous"][hd] for hd in per_seed["seed 0"]["heads"]],
                         "current": [per_seed["seed 0"]["fixed"]["current"][hd] for hd in per_seed["seed 0"]["heads"]],
                         "prev": per_seed["seed 0"]["heads"].index(per_seed["seed 0"]["prev"]),
                         "retrained": float(per_seed["seed 0"]["cost_retrained"].mean())}
                  for base, per_seed in runs.items()},
    }


def plot(result: Result, theme: str):
    d = result.data
    phone = style.phone()  # the two top panels one under the other
    fig = style.figure(theme, width=1.0, height=9.6 if phone else 6.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.2 if phone else 1.1, 1])
    ax_bits, ax_dim = style.grid(top, 1, 2)
    _plot_bits(ax_bits, d, theme)
    _plot_dims(ax_dim, d, theme)
    _plot_costs(bottom.subplots(), d, theme)
    return fig


def _plot_bits(ax_bits, d: dict, theme: str) -> None:
    """Bits about the current and the previous token at each stream point, every seed."""
    muted = style.MUTED[theme]
    for base, per_seed in d["bits"].items():
        color = style.color_for(base)
        for t in per_seed.values():
            x = np.arange(len(t["current"]))
            ax_bits.plot(x, t["current"], color=color, linewidth=1.3, marker="o", markersize=3)
            ax_bits.plot(x, t["previous"], color=color, linewidth=1.3, linestyle="--", marker="o", markersize=3)
    H = d["H"]["attn-only-2l"]
    ax_bits.axhline(H, color=muted, linewidth=1, linestyle=":")
    ax_bits.text(2.0, H + 0.12, f"H(target) {H:.1f}", color=muted, fontsize=style.FONT["small"], ha="right", va="bottom")
    ax_bits.text(0.0, H + 0.12, "current (solid)", fontsize=style.FONT["small"], color=style.INK[theme], va="bottom")
    ax_bits.text(1.1, 0.5, "previous (dashed)", fontsize=style.FONT["small"], color=style.INK[theme])
    for base, y in (("attn-only-2l", 3.2), ("attn-only-1l", 2.3)):
        ax_bits.text(1.95, y, SHORT[base], color=style.text_color(style.color_for(base), theme),
                     fontsize=style.FONT["small"], ha="right")
    ax_bits.set_xticks([0, 1, 2], ["embed", "after L0", "after L1"])
    ax_bits.set_ylim(0, H + 0.7)
    ax_bits.set_xlim(-0.15, 2.15)
    ax_bits.set_ylabel("bits read by the probe")
    ax_bits.plot([-0.12, 0.12], [d["table"]] * 2, color=style.INK[theme], linewidth=2)
    ax_bits.annotate("count table", xy=(0.13, d["table"]), xytext=(0.3, d["table"] - 0.9), color=style.INK[theme],
                     fontsize=style.FONT["small"], va="center",
                     arrowprops={"arrowstyle": "-", "color": style.INK[theme], "linewidth": 0.8})
    ax_bits.set_title(f"bits about the token, {d['seeds']} seeds", fontsize=style.FONT["text"])


def _plot_dims(ax_dim, d: dict, theme: str) -> None:
    """Effective dimensionality as each component is added (seed 0)."""
    muted = style.MUTED[theme]
    for base, dims in d["dims"].items():
        color = style.color_for(base)
        x = np.arange(len(dims))
        ax_dim.plot(x, [v[1] for v in dims], color=color, linewidth=1.3, marker="o", markersize=3)
        ax_dim.plot(x, [v[2] for v in dims], color=color, linewidth=1.3, linestyle="--", marker="o", markersize=3)
    dm = d["d_model"]
    ax_dim.axhline(dm, color=muted, linewidth=1, linestyle=":")
    ax_dim.text(8, dm - 3, f"d_model {dm}", color=muted, fontsize=style.FONT["small"], ha="right", va="top")
    ax_dim.text(0, 95, "90 % variance (dashed)", fontsize=style.FONT["small"], color=style.INK[theme])
    ax_dim.text(0, 10, "participation ratio (solid)", fontsize=style.FONT["small"], color=style.INK[theme])
    labels = [v[0] for v in d["dims"]["attn-only-2l"]]
    ax_dim.set_xticks(range(len(labels)), ["emb"] + [f"+{lab[:2]}\n{lab[2:]}" for lab in labels[1:]])
    ax_dim.set_ylim(0, dm + 8)
    ax_dim.set_ylabel("dimensions")
    ax_dim.set_title("effective dimension, seed 0", fontsize=style.FONT["text"])


def _plot_costs(ax, d: dict, theme: str) -> None:
    """Bits lost at the final stream when one head is mean-ablated (seed 0)."""
    muted = style.MUTED[theme]
    colors = [style.OKABE_ITO[2], style.OKABE_ITO[3]]  # not the models' colours: these are the two targets
    x0, ticks, names = 0.0, [], []
    top_y = max(max(d["costs"][b]["previous"]) for b in d["costs"])
    for base in ("attn-only-1l", "attn-only-2l"):
        c = d["costs"][base]
        xs = x0 + np.arange(len(c["heads"]))
        ax.bar(xs - 0.19, c["previous"], width=0.36, color=colors[0])
        ax.bar(xs + 0.19, c["current"], width=0.36, color=colors[1])
        ax.plot([xs[c["prev"]] - 0.19], [c["retrained"]], marker="o", markersize=8, markerfacecolor="none",
                markeredgecolor=style.INK[theme], linestyle="none")
        style.hover_points(ax, [xs[c["prev"]] - 0.19], [c["retrained"]],
                           [f"{SHORT[base]} {c['heads'][c['prev']]}: {c['retrained']:.2f} bits, probe retrained"])
        ax.text(xs[0] - 0.4, top_y + 0.35, SHORT[base], ha="left", va="bottom", fontsize=style.FONT["text"],
                color=style.text_color(style.color_for(base), theme))
        ticks += list(xs)
        names += c["heads"]
        x0 = xs[-1] + 1.6
    ax.set_xticks(ticks, names, rotation=90 if style.phone() else 0)  # a phone has no room for them side by side
    ax.axhline(0, color=muted, linewidth=0.8)
    ax.set_ylim(-0.3, top_y + 0.6)
    ax.text(ticks[-1] + 0.4, top_y + 0.35, "previous token", color=style.text_color(colors[0], theme),
            fontsize=style.FONT["small"], ha="right")
    ax.text(ticks[-1] + 0.4, top_y + 0.05, "current token", color=style.text_color(colors[1], theme),
            fontsize=style.FONT["small"], ha="right")
    ax.text(ticks[-1] + 0.4, top_y - 0.25, "○ probe retrained", color=style.INK[theme],
            fontsize=style.FONT["small"], ha="right")
    ax.set_ylabel("bits lost at the final stream")
    ax.set_title("one head mean-ablated (seed 0, probe fixed)", fontsize=style.FONT["text"])
