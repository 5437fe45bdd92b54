"""Figure: one model's head atlas, every training seed (scripts/analysis/atlas.py): each head's pattern on a
repeated random sequence and on held-out text, and its previous-token, induction and duplicate-token scores
(bootstrap over windows or sequences), its OV copying (eigenvalue positivity, exact) and, in a two-layer model,
its strongest layer-0 partner by Q-, K- and V-composition.

The still image shows seed 0's heads; the tables (one per seed) every head of every seed. Values `card.<seed>.<head>`
(its three main scores) and `thumb.<seed>.<head>` (its pattern on the first repeated sequence, in tenths) feed the
head cards of the notes ({{ head("model.L1H0") }}, scripts/engine/shortcodes.py).
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.atlas import composition_partners, head_scores, thumbnail
from scripts.analysis.circuits import copying_score
from scripts.analysis.induction import attention_patterns, repeated_random_tokens
from scripts.analysis.stats import bootstrap_mean
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.zoo.load import held_out_text, load_model, seed_variants

UNITS = {"previous-token": "held-out windows", "induction": "random sequences", "duplicate-token": "random sequences"}


def compute(params: dict) -> Result:
    tables, values, stills = {}, {}, {}
    for s, name in zip(params["seeds"], seed_variants(params["model"], params["seeds"])):
        model = load_model(name, fold=True)
        text = held_out_text(model, params["windows"])
        rep = repeated_random_tokens(params["sequences"], params["seq_len"], model.cfg.d_vocab,
                                     bos=model.tokenizer.bos_token_id, seed=params["seed"])
        scores = head_scores(model, text, rep)
        partners = composition_partners(model) if model.cfg.n_layers >= 2 else {}
        rep_thumb = attention_patterns(model, rep[:1])
        text_thumb = attention_patterns(model, text[:1, : rep.shape[1]])
        rows = []
        for layer in range(model.cfg.n_layers):
            for h in range(model.cfg.n_heads):
                head = f"L{layer}H{h}"
                est = {k: bootstrap_mean(v[:, layer, h], unit=UNITS[k]) for k, v in scores.items()}
                copying = copying_score(model, layer, h)
                partner = ("; ".join(f"{m} L0H{p[h][0]} {p[h][1]:.2f}" for m, p in partners.items())
                           if layer == 1 and partners else "")
                rows.append([head, *(e.fixed() for e in est.values()), f"{copying:.2f}", partner])
                values[f"card.{s}.{head}"] = (f"previous-token {est['previous-token'].value:.2f} · induction "
                                              f"{est['induction'].value:.2f} · copying {copying:.2f}")
                values[f"thumb.{s}.{head}"] = thumbnail(rep_thumb[layer][0, h])
                if s == params["seeds"][0]:
                    stills[head] = (rep_thumb[layer][0, h].numpy(), text_thumb[layer][0, h].numpy())
        tables[f"seed{s}"] = Table(columns=["head", "previous-token", "induction", "duplicate-token", "OV copying",
                                            "strongest layer-0 partner (Q, K, V)"], rows=rows,
                                   align=["left", "right", "right", "right", "right", "left"])
    values |= {"seeds": len(params["seeds"]), "windows": params["windows"], "sequences": params["sequences"],
               "seq_len": params["seq_len"]}
    return Result(data={"stills": stills, "seq_len": params["seq_len"]}, values=values, tables=tables)


def plot(result: Result, theme: str):
    stills = result.data["stills"]
    heads = list(stills)
    fig, axes = style.subplots(theme, 2, len(heads), width=1.0, aspect=None, height=2.3, squeeze=False,
                               phone_cols=4)
    for j, head in enumerate(heads):
        for i, (pattern, label) in enumerate(zip(stills[head], ("repeated", "text"))):
            ax = axes[i, j]
            ax.imshow(np.asarray(pattern), cmap=style.CMAP["sequential"], vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(head, fontsize=style.FONT["small"])
            if style.row_start(j, 4):
                ax.set_ylabel(label, fontsize=style.FONT["small"])
    return fig
