"""Figure: features that split as the dictionary grows (Towards Monosemanticity's "feature splitting").

For each living feature of the 512-feature autoencoder, how many features of the 4,096-feature one point within
cosine 0.5 of its decoder direction (`children`): none, one (the feature kept as it was), or several (it split
into finer ones). Verdict (figures/monosemanticity.yml) `features-split`: the fraction of living 512-features
with two or more children, exact on the weights. For the largest family, the token each member fires on most.
"""

from __future__ import annotations

import numpy as np
import torch

from scripts.analysis.sae import feature_stats, mlp_activations
from scripts.analysis.sae_units import children, decoder_cosines, family_correlations, top_positions
from scripts.analysis.stats import exact
from scripts.engine import style
from scripts.engine.api import Result
from scripts.sae.load import load_sae
from scripts.zoo.load import held_out_text, load_model


def _top_token(model, values, positions, tokens, u: int) -> str:
    active = positions[u][values[u] > 0]
    if len(active) == 0:
        return "(never fires)"
    word = model.tokenizer.decode([int(torch.bincount(tokens[active]).argmax())])
    return f"“{word.strip()}”" if word.strip() else repr(word)


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    text = held_out_text(model, params["windows"])
    acts = mlp_activations(model, text)[:, 1:].reshape(-1, model.cfg.d_mlp)
    tokens = text[:, 1:].reshape(-1)
    small, scale = load_sae(params["model"], params["small"])
    large, _ = load_sae(params["model"], params["large"])
    live = feature_stats(small, acts * scale)["density"] > 0
    cos = decoder_cosines(small, large)
    kids = children(cos, params["cosine"])
    split = float((kids[live] >= 2).double().mean())
    parent = int(torch.where(live, kids, -1).argmax())
    family = (cos[parent] > params["cosine"]).nonzero().flatten().tolist()
    sv, si = top_positions(acts * scale, small.encode, 50)
    lv, li = top_positions(acts * scale, large.encode, 50)
    family_text = "; ".join(f"{u:,} {_top_token(model, lv, li, tokens, u)} (cosine {float(cos[parent, u]):.2f})"
                            for u in family)
    counts = np.bincount(kids[live].numpy(), minlength=6)
    # The paper's second test, reported beside the verdict (not a rule): do the finer features' activations
    # together track the coarse one's? Correlations over the held-out tokens, per split feature.
    split_ids = torch.where(live & (kids >= 2))[0].tolist()
    fams = [(cos[u] > params["cosine"]).nonzero().flatten().tolist() for u in split_ids]
    members = sorted({m for f in fams for m in f})
    where = {m: i for i, m in enumerate(members)}
    parent_acts = torch.cat([small.encode(c)[:, split_ids] for c in (acts * scale).split(8192)])
    member_acts = torch.cat([large.encode(c)[:, members] for c in (acts * scale).split(8192)])
    covered, single = family_correlations(parent_acts, member_acts, [[where[m] for m in f] for f in fams])
    ok = ~torch.isnan(covered) & ~torch.isnan(single)
    family_of_parent = split_ids.index(parent) if parent in split_ids else None
    return Result(
        data={"kids": kids[live].numpy(), "small": params["small"], "large": params["large"]},
        values={"live_small": int(live.sum()), "split_share": f"{split:.2f}",
                "children": ", ".join(f"{k}: {c}" for k, c in enumerate(counts[:5])) + f", 5 or more: {counts[5:].sum()}",
                "parent": f"{parent:,}", "parent_id": str(parent), "parent_token": _top_token(model, sv, si, tokens, parent),
                "family_size": len(family), "family": family_text,
                "covered_median": f"{float(covered[ok].median()):.2f}", "single_median": f"{float(single[ok].median()):.2f}",
                "covered_better": f"{float((covered[ok] > single[ok]).double().mean()):.0%}",
                "split_n": int(ok.sum()), "split_total": len(split_ids),
                "parent_covered": "n/a" if family_of_parent is None else f"{float(covered[family_of_parent]):.2f}",
                "parent_single": "n/a" if family_of_parent is None else f"{float(single[family_of_parent]):.2f}"},
        verdicts={"features-split": exact(split, n=int(live.sum()), unit="features of the small dictionary",
                                          why="exact on the decoder weights, no sampling")},
    )


def plot(result: Result, theme: str):
    d = result.data
    pal, muted = style.palette(theme), style.MUTED[theme]
    fig, ax = style.subplots(theme, 1, 1, width=1.0, aspect=0.42)
    kids = np.minimum(d["kids"], 6)
    counts = np.bincount(kids, minlength=7)
    bars = ax.bar(np.arange(7), counts, color=[muted, pal[0]] + [pal[1]] * 5, width=0.75)
    style.label_bars(ax, bars, "{:.0f}")
    ax.set_xticks(np.arange(7), ["0", "1", "2", "3", "4", "5", "6+"])
    ax.set(xlabel=f"features of the {d['large']:,}-feature dictionary within cosine 0.5",
           ylabel=f"features of the {d['small']}")
    style.hover_bars(ax, bars, [f"{c} features with {k} close features in the larger dictionary"
                                for k, c in zip(["0", "1", "2", "3", "4", "5", "6 or more"], counts)])
    return fig
