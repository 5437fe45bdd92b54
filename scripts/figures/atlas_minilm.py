"""Figure: the head atlas of MiniLM-L6 (scripts/analysis/atlas.py), all 72 heads of the one pretrained model: each
head's pattern on an English sentence, its previous-token and next-token scores (a bidirectional encoder attends
both ways; bootstrap over sentences), induction and duplicate-token scores on repeated random sequences
(bootstrap over them) and its OV copying through the embedding (exact).

MiniLM has no language-model head, so "copying" reads the OV circuit back through the embedding, W_E W_V W_O W_Eᵀ:
whether a head moves a token's own direction. Values `card.0.<head>` and `thumb.0.<head>` feed the head cards
({{ head("minilm-l6.L1H8") }}, scripts/engine/shortcodes.py), as for the zoo's atlases (scripts/figures/atlas.py).
"""

from __future__ import annotations

import numpy as np

from scripts.analysis.atlas import head_scores_on_repeats, sentence_scores, thumbnail
from scripts.analysis.circuits import eigenvalue_positivity
from scripts.analysis.induction import attention_patterns, repeated_random_tokens
from scripts.analysis.stats import bootstrap_mean
from scripts.engine import style
from scripts.engine.api import Result, Table
from scripts.zoo.corpus import english_sentences
from scripts.zoo.load import load_model

UNITS = {"previous-token": "sentences", "next-token": "sentences", "induction": "random sequences",
         "duplicate-token": "random sequences"}


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    sentences = [model.to_tokens(s) for s in english_sentences(params["sentences"])]
    tok = model.tokenizer  # random word pieces only: not [PAD], [CLS]…, nor the [unusedN] slots it never trained on
    low = next(i for i in range(model.cfg.d_vocab) if not tok.convert_ids_to_tokens(i).startswith("["))
    rep = repeated_random_tokens(params["sequences"], params["seq_len"], model.cfg.d_vocab, bos=tok.cls_token_id,
                                 seed=params["seed"], low=low)
    scores = sentence_scores(model, sentences) | head_scores_on_repeats(model, rep)
    shown = max(sentences[:16], key=lambda t: t.shape[1])  # the still: the longest of the first 16 sentences
    first = attention_patterns(model, shown)
    rep_thumb = attention_patterns(model, rep[:1])
    E = model.W_E.detach()
    rows, values, stills, means = [], {}, {}, {}
    for layer in range(model.cfg.n_layers):
        for h in range(model.cfg.n_heads):
            head = f"L{layer}H{h}"
            est = {k: bootstrap_mean(scores[k][:, layer, h], unit=UNITS[k]) for k in UNITS}
            means[head] = {k: e.value for k, e in est.items()}
            copying = eigenvalue_positivity(E @ model.W_V[layer, h], model.W_O[layer, h] @ E.T)
            rows.append([head, *(e.fixed() for e in est.values()), f"{copying:.2f}"])
            values[f"card.0.{head}"] = (f"previous-token {est['previous-token'].value:.2f} · next-token "
                                        f"{est['next-token'].value:.2f} · duplicate-token "
                                        f"{est['duplicate-token'].value:.2f}")
            values[f"thumb.0.{head}"] = thumbnail(rep_thumb[layer][0, h])
            stills[head] = first[layer][0, h].numpy()
    best = {k: max(means, key=lambda head, k=k: means[head][k]) for k in UNITS}
    values |= {"sentences": params["sentences"], "sequences": params["sequences"], "seq_len": params["seq_len"],
               "n_heads": len(rows), "sentence_tokens": int(shown.shape[1]), "first_piece": low}
    values |= {f"best_{k.replace('-', '_')}": v for k, v in best.items()}
    values["top_induction"] = f"{means[best['induction']]['induction']:.2f}"
    values["uniform"] = f"{1 / rep.shape[1]:.2f}"  # attention spread evenly over a repeated sequence
    table = Table(columns=["head", *UNITS, "OV copying (through W_E)"], rows=rows,
                  align=["left", "right", "right", "right", "right", "right"])
    return Result(data={"stills": stills, "layers": model.cfg.n_layers, "heads": model.cfg.n_heads},
                  values=values, tables={"seed0": table})


def plot(result: Result, theme: str):
    d = result.data
    L, H = d["layers"], d["heads"]
    fig, axes = style.subplots(theme, L, H, width=1.0, aspect=None, height=0.62 * L + 0.5, squeeze=False,
                               phone_cols=6)
    for layer in range(L):
        for h in range(H):
            ax = axes[layer, h]
            ax.imshow(np.asarray(d["stills"][f"L{layer}H{h}"]), cmap=style.CMAP["sequential"], vmin=0, vmax=1,
                      interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if layer == 0:  # also the first row of each chunk of a phone's wrapped grid
                ax.set_title(f"H{h}", fontsize=style.FONT["small"])
            if style.row_start(h, 6):
                ax.set_ylabel(f"L{layer}", fontsize=style.FONT["small"])
    return fig
