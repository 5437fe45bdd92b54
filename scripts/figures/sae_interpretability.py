"""Figure: are the autoencoder's features easier to read than the MLP's neurons? A proxy fixed before looking,
in place of the paper's human raters: how much of a unit's strongest held-out activations one token explains.

For every unit — the 512 neurons, 512 random directions in neuron space (a baseline), and the features of each
dictionary size — take its k largest activations on held-out text (the first position of each window left out:
it is always the same token), and the share of them at which the current token is the unit's most common one
(`top_token_share`). Verdict (figures/monosemanticity.yml) `features-more-monosemantic`: the 4,096 features'
mean share exceeds the neurons' by more than 0.2, with a bootstrap interval over units, for k = 20 and 50.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.sae import mlp_activations
from scripts.analysis.sae_units import mean_difference, top_positions, top_token_share
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.sae.load import load_sae
from scripts.zoo.load import held_out_text, load_model

UNITS = "units (features and neurons)"


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    text = held_out_text(model, params["windows"])[:, 1:]  # position 0 is always the same token
    acts = mlp_activations(model, held_out_text(model, params["windows"]))[:, 1:].reshape(-1, model.cfg.d_mlp)
    tokens = text.reshape(-1)
    g = torch.Generator().manual_seed(params["seed"])
    R = torch.randn(model.cfg.d_mlp, model.cfg.d_mlp, generator=g)
    R /= R.norm(dim=0, keepdim=True)
    mean = acts.mean(0)
    encoders = {"neurons": lambda x: x, "random directions": lambda x: (x - mean) @ R}
    for size in params["sizes"]:
        sae, scale = load_sae(params["model"], size)
        encoders[f"{size:,} features"] = lambda x, sae=sae, scale=scale: sae.encode(x * scale)
    shares: dict[int, dict[str, torch.Tensor]] = {}
    tops = {}
    for k in params["ks"]:
        shares[k] = {}
        for name, enc in encoders.items():
            v, i = top_positions(acts, enc, k)
            shares[k][name] = top_token_share(v, i, tokens)
            tops[(k, name)] = (v, i)
    main_k, largest = params["ks"][-1], f"{params['sizes'][-1]:,} features"
    verdict = {f"top {k} activations": mean_difference(shares[k][largest], shares[k]["neurons"], unit=UNITS)
               for k in params["ks"]}
    sensitivity = _sensitivity(model, params, encoders, tops, shares, tokens, largest)
    s = shares[main_k][largest]
    v, i = tops[(main_k, largest)]
    order = torch.argsort(torch.nan_to_num(s, nan=-1.0), descending=True)
    examples = []
    for u in order[: params["examples"]].tolist():
        common = torch.bincount(tokens[i[u][v[u] > 0]]).argmax().item()
        examples.append(f"feature {u:,} on “{model.tokenizer.decode([common]).strip() or repr(model.tokenizer.decode([common]))}” "
                        f"({float(s[u]):.2f})")
    means = {name: float(torch.nanmean(x)) for name, x in shares[main_k].items()}
    judged = {name: int((~torch.isnan(x)).sum()) for name, x in shares[main_k].items()}
    return Result(
        data={"shares": {name: x[~torch.isnan(x)].numpy() for name, x in shares[main_k].items()}, "k": main_k},
        values={"k": main_k, "tokens": f"{len(tokens):,}", "windows": params["windows"],
                "means": "; ".join(f"{n} {m:.2f}" for n, m in means.items()),
                "neurons_mean": f"{means['neurons']:.2f}", "random_mean": f"{means['random directions']:.2f}",
                "features_mean": f"{means[largest]:.2f}",
                "judged": "; ".join(f"{n} {c:,}" for n, c in judged.items()),
                "examples": "; ".join(examples)},
        tables={"sensitivity": sensitivity},
        verdicts={"features-more-monosemantic": verdict},
    )


def _sensitivity(model, params, encoders, tops, shares, tokens, largest) -> Table:
    """The verdict's difference (features minus neurons) under the other choices a reviewer would make, next to
    the declared one: not variants of the rule (they were not fixed before looking), a measure of its fragility."""
    def diff(a, b):
        return mean_difference(a, b, unit=UNITS).fixed()

    with_first = held_out_text(model, params["windows"])  # the first position (always the same token) kept
    acts0 = mlp_activations(model, with_first).reshape(-1, model.cfg.d_mlp)
    toks0 = with_first.reshape(-1)
    rows = {"as declared (the 4,096 dictionary; shares of the active top positions; units active at 10 or more)":
            [diff(shares[k][largest], shares[k]["neurons"]) for k in params["ks"]]}
    for size in params["sizes"][:-1]:
        name = f"{size:,} features"
        rows[f"the {size:,}-feature dictionary instead"] = [diff(shares[k][name], shares[k]["neurons"])
                                                             for k in params["ks"]]
    rows["features too rare to judge counted as 0, not left out"] = [
        diff(torch.nan_to_num(shares[k][largest], nan=0.0), shares[k]["neurons"]) for k in params["ks"]]
    rows["shares of all k top positions, active or not"] = [
        diff(*(top_token_share(*tops[(k, n)], tokens, over_all_k=True) for n in (largest, "neurons")))
        for k in params["ks"]]
    rows["only units active at all k top positions"] = [
        diff(*(top_token_share(*tops[(k, n)], tokens, min_active=k) for n in (largest, "neurons")))
        for k in params["ks"]]
    rows["the first position of each window kept"] = [
        diff(*(top_token_share(*top_positions(acts0, encoders[n], k), toks0) for n in (largest, "neurons")))
        for k in params["ks"]]
    return Table(columns=["choice", *(f"top {k}" for k in params["ks"])],
                 rows=[[name, *cells] for name, cells in rows.items()],
                 align=["left", *("right" for _ in params["ks"])])


def plot(result: Result, theme: str):
    d = result.data
    names = list(d["shares"])
    pal, muted = style.palette(theme), style.MUTED[theme]
    fig, ax = style.subplots(theme, 1, 1, width=1.0, aspect=0.5)
    data = [d["shares"][n] for n in names]
    box = ax.boxplot(data, vert=False, widths=0.55, patch_artist=True, showfliers=False,
                     medianprops={"color": style.INK[theme]}, whiskerprops={"color": muted},
                     capprops={"color": muted})
    for k, patch in enumerate(box["boxes"]):
        patch.set(facecolor=pal[k % len(pal)], alpha=0.55, edgecolor=muted)
    means = [float(np.mean(x)) for x in data]
    ax.plot(means, np.arange(1, len(names) + 1), "D", color=style.INK[theme], ms=4, label="mean")
    ax.set_yticks(np.arange(1, len(names) + 1), names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1.02), xlabel=f"share of a unit's top {d['k']} held-out activations" + ("\n" if style.phone() else " ")
           + "on its most common token")
    style.legend_above(ax, ncols=1)
    style.hover_points(ax, means, list(range(1, len(names) + 1)),
                       [f"{n}: mean {m:.2f} over {len(x):,} units" for n, m, x in zip(names, means, data)])
    return fig
